"""Opening another platform's bundle: a folder or a zip, with its one YAML file at the top."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import yaml

from challenges.errors import ChallengeError
from challenges.paths import resolve_in_bundle
from sandbox.archives import ArchiveLimits, safe_extract
from sandbox.errors import ArchiveError

SPEC_FILES = {"competition.yaml": ("codabench", "codalab"), "challenge_config.yaml": ("evalai",)}
LIMITS = ArchiveLimits(max_entries=50_000, max_total_mb=4096, max_file_mb=2048)
MAX_YAML_BYTES = 1024 * 1024


class ImportFailed(ChallengeError):
    """The bundle cannot be imported; the message says what is wrong and what to do."""


def open_source(source: Path, work: Path) -> Path:
    """The folder holding the bundle's YAML: ``source`` itself, or ``source`` unzipped in ``work``.

    Raises:
        ImportFailed: missing, not a folder or zip, unsafe zip, no YAML, two YAMLs, or the YAML
            wrapped in a folder (the home platforms refuse that too).
    """
    if source.is_dir():
        root = source
    elif source.is_file() and zipfile.is_zipfile(source):
        root = work / "source"
        try:
            safe_extract(source, root, LIMITS)
        except ArchiveError as error:
            raise ImportFailed(f"{source.name}: {error.message}") from None
    elif source.exists():
        raise ImportFailed(f"{source} is neither a folder nor a zip; give the bundle or its zip")
    else:
        raise ImportFailed(f"{source} does not exist")
    _check_top(root, source.name)
    return root


def _check_top(root: Path, name: str) -> None:
    found = [n for n in SPEC_FILES if (root / n).is_file()]
    if len(found) > 1:
        raise ImportFailed(
            f"{name} holds both {' and '.join(found)} at its top; keep only the one of the "
            "platform it was written for"
        )
    if found:
        return
    nested = sorted(str(p.relative_to(root)) for n in SPEC_FILES for p in root.glob(f"*/{n}"))
    if nested:
        raise ImportFailed(
            f"{name}: {nested[0]} lies inside a folder; the YAML must be at the top of the "
            "bundle (zip the folder's contents, not the folder: its home platform refuses it "
            "too)"
        )
    raise ImportFailed(
        f"{name} has no competition.yaml (Codabench, CodaLab) or challenge_config.yaml "
        "(EvalAI) at its top; this is not a bundle of a supported platform"
    )


def detect_format(root: Path) -> str:
    """``codabench`` (competition.yaml with version 2), ``codalab`` (numbered phases) or
    ``evalai`` (challenge_config.yaml)."""
    if (root / "challenge_config.yaml").is_file():
        return "evalai"
    data = read_yaml(root, "competition.yaml")
    return "codabench" if str(data.get("version", "")).strip() == "2" else "codalab"


def read_yaml(root: Path, name: str) -> dict[str, Any]:
    """The bundle's YAML as a mapping (safe loading; aliases such as CodaLab's are allowed).

    Raises:
        ImportFailed: too large, not YAML, or not a mapping.
    """
    path = root / name
    if not path.is_file():
        raise ImportFailed(f"{name} is missing at the top of the bundle")
    if path.stat().st_size > MAX_YAML_BYTES:
        raise ImportFailed(f"{name} is larger than {MAX_YAML_BYTES // 1024} KiB")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise ImportFailed(f"{name} is not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise ImportFailed(f"{name} must be a mapping of keys (title, phases, ...)")
    return data


def bundle_path(root: Path, relative: object, what: str, work: Path) -> Path:
    """A file or folder the YAML names, inside the bundle; a named ``X.zip`` is unzipped (or
    its unzipped folder ``X`` used, as bundles in source control often hold).

    Raises:
        ImportFailed: the path leaves the bundle, or is missing.
    """
    if not isinstance(relative, str) or not relative.strip():
        raise ImportFailed(f"{what} must be a path inside the bundle; got {relative!r}")
    text = relative.strip().rstrip("/")
    try:
        path = resolve_in_bundle(root, text)
    except ValueError as error:
        raise ImportFailed(f"{what}: {error}") from None
    if path.is_file() and zipfile.is_zipfile(path):
        dest = work / "unzipped" / text
        if not dest.exists():
            try:
                safe_extract(path, dest, LIMITS)
            except ArchiveError as error:
                raise ImportFailed(f"{what} ({text}): {error.message}") from None
        return dest
    if not path.exists() and text.endswith(".zip") and path.with_suffix("").is_dir():
        return path.with_suffix("")
    if not path.exists():
        raise ImportFailed(f"{what} names {text}, which is not in the bundle")
    return path
