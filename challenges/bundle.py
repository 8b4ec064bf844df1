"""Load and validate challenge bundles: a folder, or an archive of one, with ``challenge.yaml``."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self, get_args, get_origin

from pydantic import TypeAdapter, ValidationError

from challenges.checks import cross_section_problems
from challenges.errors import BundleError, ChallengeError, Problem
from challenges.filechecks import file_problems
from challenges.loading import SPEC_FILE, read_spec
from challenges.paths import resolve_in_bundle, sha256_path
from challenges.phases import open_phase
from challenges.problems import problems_from_error
from challenges.schema import SKIP_CROSS_CHECKS, ChallengeSpec, HiddenSet, Phase
from sandbox.archives import ArchiveLimits, safe_extract
from sandbox.errors import ArchiveError

# Bundles carry data sets, so they may be larger than a build context, but not without bound.
BUNDLE_LIMITS = ArchiveLimits(max_entries=50_000, max_total_mb=4096, max_file_mb=2048)


@dataclass(frozen=True)
class InputMount:
    """A host path and where the sandbox mounts it (read-only)."""

    source: Path
    target: str


@dataclass
class Bundle:
    """A validated bundle: its root folder, its spec and the sha256 of every declared path.

    A bundle loaded from an archive owns the folder it was extracted into when the caller gave
    none; ``close()`` (or ``with``) removes it.
    """

    root: Path
    spec: ChallengeSpec
    hashes: Mapping[str, str]
    owned_dir: Path | None = field(default=None, repr=False)

    def path(self, relative: str) -> Path:
        """Absolute path of a bundle-relative path (checked not to leave the bundle)."""
        return resolve_in_bundle(self.root, relative)

    def description_markdown(self) -> str:
        """The problem statement (Markdown)."""
        return self.path(self.spec.description).read_text(encoding="utf-8")

    def public_files(self) -> dict[str, Path]:
        """Participant downloads by name (training data, starting kit)."""
        return {item.name: self.path(item.path) for item in self.spec.data.public}

    def phase(self, name: str) -> Phase:
        """The phase called ``name``.

        Raises:
            ChallengeError: No such phase; the message lists the phases.
        """
        found = self.spec.phase(name)
        if found is None:
            names = ", ".join(p.name for p in self.spec.phases)
            raise ChallengeError(f"no phase {name!r} in {self.spec.slug}; phases: {names}")
        return found

    def current_phase(self, now: datetime | None = None) -> Phase | None:
        """The phase open at ``now`` (default: the current time), or None between phases (the
        rule of :func:`challenges.phases.open_phase`)."""
        moment = now or datetime.now(UTC)
        if moment.tzinfo is None:
            raise ChallengeError("current_phase needs a timezone-aware datetime")
        return open_phase(self.spec.phases, moment)

    def _hidden(self, phase: str | Phase) -> HiddenSet:
        chosen = self.phase(phase) if isinstance(phase, str) else phase
        return self.spec.data.hidden[chosen.data]

    def hidden_inputs(self, phase: str | Phase) -> list[InputMount]:
        """What to mount read-only for ``phase``: a folder at ``/input``, or files inside it."""
        inputs = self._hidden(phase).inputs
        if isinstance(inputs, str):
            source = self.path(inputs)
            if source.is_dir():
                return [InputMount(source, "/input")]
            return [InputMount(source, f"/input/{source.name}")]
        return [InputMount(self.path(item), f"/input/{Path(item).name}") for item in inputs]

    def hidden_labels(self, phase: str | Phase) -> Path:
        """The reference labels of ``phase``: for the scorer only, never for a model."""
        return self.path(self._hidden(phase).labels)

    def hidden_hash(self, phase: str | Phase) -> str:
        """One sha256 identifying the hidden inputs and labels a phase is scored on."""
        hidden = self._hidden(phase)
        parts = [hidden.inputs] if isinstance(hidden.inputs, str) else list(hidden.inputs)
        keys = [*parts, hidden.labels]
        joined = "\n".join(f"{k}\0{self.hashes.get(k) or sha256_path(self.path(k))}" for k in keys)
        return _sha256_text(joined)

    def close(self) -> None:
        """Remove the extraction folder this bundle owns, if any."""
        if self.owned_dir is not None:
            shutil.rmtree(self.owned_dir, ignore_errors=True)
            self.owned_dir = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def load_bundle(path: Path, work_dir: Path | None = None) -> Bundle:
    """Load and fully validate a bundle folder or archive.

    Args:
        path: A folder with ``challenge.yaml`` at its top, or an archive (zip, tar.*) of one;
            an archive whose only entry is such a folder is accepted too.
        work_dir: An empty or missing folder to extract an archive into. When None, a
            temporary folder is created and owned by the returned bundle.

    Returns:
        The bundle, with ``.spec`` validated and every declared path hashed.

    Raises:
        BundleError: Listing every problem found.
    """
    root, owned = _materialise(Path(path), work_dir)
    try:
        spec, hashes, problems = _inspect(root)
        if problems or spec is None:
            raise BundleError(problems)
    except BaseException:
        if owned is not None:
            shutil.rmtree(owned, ignore_errors=True)
        raise
    return Bundle(root=root, spec=spec, hashes=hashes, owned_dir=owned)


def validate_bundle(path: Path, work_dir: Path | None = None) -> list[Problem]:
    """Every problem with a bundle folder or archive; an empty list means it is valid."""
    try:
        root, owned = _materialise(Path(path), work_dir)
    except BundleError as exc:
        return exc.problems
    try:
        return _inspect(root)[2]
    finally:
        if owned is not None:
            shutil.rmtree(owned, ignore_errors=True)


def _materialise(path: Path, work_dir: Path | None) -> tuple[Path, Path | None]:
    """The bundle's root folder, extracting an archive first; and the folder we own, if any."""
    if path.is_dir():
        return path, None
    if not path.is_file():
        raise BundleError([Problem(path.name, "", f"{path} does not exist")])
    owned: Path | None = None
    if work_dir is None:
        owned = dest = Path(tempfile.mkdtemp(prefix="podium-bundle-"))
    else:
        dest = work_dir
    try:
        safe_extract(path, dest, BUNDLE_LIMITS)
    except ArchiveError as exc:
        if owned is not None:
            shutil.rmtree(owned, ignore_errors=True)
        raise BundleError([Problem(path.name, "", exc.message)]) from None
    entries = list(dest.iterdir())
    if not (dest / SPEC_FILE).is_file() and len(entries) == 1 and entries[0].is_dir():
        return entries[0], owned
    return dest, owned


def _inspect(root: Path) -> tuple[ChallengeSpec | None, dict[str, str], list[Problem]]:
    raw, problems = read_spec(root)
    if raw is None:
        return None, {}, problems
    spec: ChallengeSpec | None = None
    try:
        spec = ChallengeSpec.model_validate(raw, context={SKIP_CROSS_CHECKS: True})
        sections: dict[str, object] = spec.model_dump_sections()
    except ValidationError as exc:
        problems.extend(problems_from_error(exc, ChallengeSpec, SPEC_FILE))
        sections = _valid_sections(raw)
    for key_path, message in cross_section_problems(sections):
        problems.append(Problem(SPEC_FILE, key_path, message))
    found, hashes = file_problems(root, sections)
    problems.extend(found)
    return (spec if not problems else None), hashes, problems


def _valid_sections(raw: dict[str, Any]) -> dict[str, object]:
    """The top-level sections that validate on their own (to check what can still be checked)."""
    sections: dict[str, object] = {}
    for name, info in ChallengeSpec.model_fields.items():
        if name not in raw or info.annotation is None:
            continue
        try:
            sections[name] = TypeAdapter(info.annotation).validate_python(raw[name])
        except ValidationError:
            item = _list_item_type(info.annotation)
            if item is not None and isinstance(raw[name], list):
                sections[name] = [_valid_or_none(item, value) for value in raw[name]]
    return sections


def _list_item_type(annotation: Any) -> Any:
    """``X`` for ``list[X]``, else None."""
    return get_args(annotation)[0] if get_origin(annotation) is list else None


def _valid_or_none(kind: Any, value: Any) -> object:
    try:
        return TypeAdapter(kind).validate_python(value)
    except ValidationError:
        return None
