"""Checks on the files a bundle declares: existence, safety, label leaks; and their hashes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from challenges.checks import Sections
from challenges.errors import Problem
from challenges.paths import iter_tree, resolve_in_bundle, sha256_path
from challenges.schema import Baseline, DataSpec, MetricsSpec, TaskSpec

SPEC_FILE = "challenge.yaml"
Expect = Literal["file", "dir", "any", "build", "program"]


@dataclass(frozen=True)
class Declared:
    """One path ``challenge.yaml`` declares, where, and what it must be."""

    key_path: str
    relative: str
    expect: Expect


def declared_paths(sections: Sections) -> list[Declared]:
    """Every bundle path in the validated sections."""
    found: list[Declared] = []
    description = sections.get("description")
    if isinstance(description, str):
        found.append(Declared("description", description, "file"))
    metrics = sections.get("metrics")
    program = metrics.scoring_program if isinstance(metrics, MetricsSpec) else None
    # a program with the 'files' contract reads a whole reference folder; built-in metrics and
    # 'podium' programs read one labels file
    files_contract = program is not None and program.contract == "files"
    data = sections.get("data")
    if isinstance(data, DataSpec):
        for i, public in enumerate(data.public):
            found.append(Declared(f"data.public[{i}].path", public.path, "any"))
        for key, hidden in data.hidden.items():
            if isinstance(hidden.inputs, str):
                found.append(Declared(f"data.hidden.{key}.inputs", hidden.inputs, "any"))
            else:
                for j, item in enumerate(hidden.inputs):
                    found.append(Declared(f"data.hidden.{key}.inputs[{j}]", item, "file"))
            labels: Expect = "any" if files_contract else "file"
            found.append(Declared(f"data.hidden.{key}.labels", hidden.labels, labels))
    if program is not None:
        expect: Expect = "program" if files_contract else "file"
        found.append(Declared("metrics.scoring_program.path", program.path, expect))
    baselines = sections.get("baselines")
    for i, baseline in enumerate(baselines if isinstance(baselines, list) else []):
        if isinstance(baseline, Baseline):
            kind: Expect = "build" if baseline.kind == "build" else "file"
            found.append(Declared(f"baselines[{i}].path", baseline.path, kind))
    return found


def _check_one(root: Path, item: Declared) -> str | None:
    try:
        path = resolve_in_bundle(root, item.relative)
    except ValueError as exc:
        return str(exc)
    if not path.exists():
        return f"{item.relative} does not exist in the bundle"
    if item.expect == "file" and not path.is_file():
        return f"{item.relative} must be a file"
    if item.expect in ("dir", "build") and not path.is_dir():
        return f"{item.relative} must be a folder"
    if item.expect == "build" and not (path / "Dockerfile").is_file():
        return f"{item.relative} must hold a Dockerfile at its top"
    if item.expect == "program" and not (path.is_dir() and (path / "score.py").is_file()):
        return f"{item.relative} must be a folder with score.py at its top (contract 'files')"
    if path.is_dir():
        try:
            iter_tree(path)
        except ValueError as exc:
            return str(exc)
    return None


def file_problems(root: Path, sections: Sections) -> tuple[list[Problem], dict[str, str]]:
    """Check every declared path, and hash those that are fine.

    Returns:
        The problems, and ``{relative path: sha256}`` for every declared path that passed.
    """
    problems: list[Problem] = []
    hashes: dict[str, str] = {}
    for item in declared_paths(sections):
        message = _check_one(root, item)
        if message is not None:
            problems.append(Problem(SPEC_FILE, item.key_path, message))
        elif _normal(item.relative) not in hashes:
            hashes[_normal(item.relative)] = sha256_path(resolve_in_bundle(root, item.relative))
    problems.extend(_leak_problems(sections))
    problems.extend(_input_problems(root, sections, hashes))
    return problems, hashes


def _normal(relative: str) -> str:
    return PurePosixPath(relative).as_posix()


def _inside(inner: str, outer: str) -> bool:
    a, b = PurePosixPath(inner), PurePosixPath(outer)
    return a == b or b in a.parents


def _leak_problems(sections: Sections) -> list[Problem]:
    """Hidden labels and inputs must not sit where participants can read them."""
    data = sections.get("data")
    if not isinstance(data, DataSpec):
        return []
    problems: list[Problem] = []
    for key, hidden in data.hidden.items():
        inputs = [hidden.inputs] if isinstance(hidden.inputs, str) else hidden.inputs
        for other_key, other in data.hidden.items():
            other_inputs = [other.inputs] if isinstance(other.inputs, str) else other.inputs
            if any(_inside(hidden.labels, item) for item in other_inputs):
                problems.append(
                    Problem(
                        SPEC_FILE,
                        f"data.hidden.{key}.labels",
                        f"labels lie inside data.hidden.{other_key}.inputs, which models read; "
                        "move them out",
                    )
                )
        published = [] if hidden.public_inputs else inputs  # inputs declared public may be
        for i, public in enumerate(data.public):
            for hidden_path in [*published, hidden.labels]:
                if _inside(hidden_path, public.path) or _inside(public.path, hidden_path):
                    problems.append(
                        Problem(
                            SPEC_FILE,
                            f"data.public[{i}].path",
                            f"{public.path} overlaps hidden data {hidden_path} of set {key!r}; "
                            "public downloads must not hold hidden files",
                        )
                    )
    return problems


def _input_problems(root: Path, sections: Sections, hashes: dict[str, str]) -> list[Problem]:
    """Declared inputs must be present in every hidden set, and hold no label column."""
    data, task = sections.get("data"), sections.get("task")
    if not isinstance(data, DataSpec) or not isinstance(task, TaskSpec):
        return []
    problems: list[Problem] = []
    label_columns = set(task.labels.column_names)
    for key, hidden in data.hidden.items():
        if isinstance(hidden.inputs, str):
            if _normal(hidden.inputs) not in hashes:
                continue
            target = resolve_in_bundle(root, hidden.inputs)
            tree = iter_tree(target) if target.is_dir() else [(target.name, target)]
            present = {relative for relative, _ in tree}
            files = [file for _, file in tree]
        else:
            files = [resolve_in_bundle(root, i) for i in hidden.inputs if _normal(i) in hashes]
            present = {file.name for file in files}
        for entry in task.inputs:
            prefix = entry.path.rstrip("/")
            exists = (
                prefix in present
                if entry.kind == "file"
                else any(p.startswith(prefix + "/") for p in present)
            )
            if not exists:
                problems.append(
                    Problem(
                        SPEC_FILE,
                        f"data.hidden.{key}.inputs",
                        f"task.inputs declares {entry.kind} {entry.path!r}, missing from the "
                        "hidden inputs",
                    )
                )
        problems.extend(_label_columns_in_inputs(root, key, files, label_columns))
    return problems


def _label_columns_in_inputs(
    root: Path, key: str, files: list[Path], label_columns: set[str]
) -> list[Problem]:
    problems: list[Problem] = []
    for file in files:
        if file.suffix.lower() != ".csv":
            continue
        with file.open(encoding="utf-8", errors="replace") as handle:
            header = {c.strip().strip('"') for c in handle.readline().rstrip("\r\n").split(",")}
        leaked = sorted(header & label_columns)
        if leaked:
            problems.append(
                Problem(
                    file.resolve().relative_to(root.resolve()).as_posix(),
                    f"data.hidden.{key}.inputs",
                    f"hidden input has label column(s) {', '.join(leaked)}; remove them: models "
                    "must never see labels",
                )
            )
    return problems
