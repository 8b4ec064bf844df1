"""A labelled sample of a challenge's public data: one rule for ``podium check`` and the worker.

``podium check`` scores a model on it before a participant submits; the worker runs a submission
on it (the smoke run) before the hidden data. Where it comes from, in this order:

1. A public file named ``validation``: a folder with ``inputs/`` (laid out like ``/input``) and
   the labels file of ``task.labels``. Any challenge can publish one; no schema change needed.
2. A carved slice: for a task whose one input is a CSV, the rows of a public CSV that holds the
   id and label columns whose sha256(id) falls in a fixed 20% bucket (the same rows every time,
   on every machine). The model may have trained on them, so a score there is optimistic.

Nothing here reads hidden data: a sample is made from public files only.
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from challenges.bundle import Bundle
from challenges.errors import ChallengeError
from challenges.inputs import make_readable, write_manifest
from challenges.paths import sha256_path
from challenges.schema import TaskSpec

VALIDATION_NAME = "validation"
CARVE_PERCENT = 20


@dataclass(frozen=True)
class PublicSample:
    """Inputs to mount at ``/input`` and their labels, all from public files."""

    inputs: Path
    labels: Path
    source: str  # one line for people: where the rows came from


def csv_header(path: Path) -> list[str]:
    """The first row of a CSV file."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return next(csv.reader(handle), [])


def carvable_input(task: TaskSpec) -> str | None:
    """The task's one CSV input file name, or None when the task is not a single CSV."""
    if len(task.inputs) == 1 and task.inputs[0].kind == "file":
        name = task.inputs[0].path
        return name if name.lower().endswith(".csv") else None
    return None


def can_carve_from(path: Path, task: TaskSpec) -> bool:
    """Whether a slice can be carved from ``path``: a CSV holding the id and label columns."""
    if carvable_input(task) is None or not path.is_file() or path.suffix.lower() != ".csv":
        return False
    needed = {task.labels.id_column, *task.labels.column_names}
    return needed <= set(csv_header(path))


def in_slice(row_id: str, percent: int = CARVE_PERCENT) -> bool:
    """Whether ``row_id`` falls in the fixed validation bucket (same answer everywhere)."""
    digest = hashlib.sha256(f"podium-validation\0{row_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100 < percent


def carve(table: Path, task: TaskSpec, dest: Path) -> tuple[Path, Path, int]:
    """Split the slice of ``table`` into ``dest/inputs/<input>`` and ``dest/<labels file>``.

    Returns:
        The inputs folder, the labels file and the number of rows carved.

    Raises:
        ChallengeError: the task is not one CSV, or ``table`` lacks the id or label columns.
    """
    input_name = carvable_input(task)
    id_column, label_columns = task.labels.id_column, task.labels.column_names
    header = csv_header(table)
    missing = [c for c in (id_column, *label_columns) if c not in header]
    if input_name is None or missing:
        raise ChallengeError(f"{table.name} lacks the columns {', '.join(missing)}")
    features = [c for c in header if c not in label_columns]
    inputs = dest / "inputs"
    inputs.mkdir(parents=True, exist_ok=True)
    labels = dest / task.labels.file
    count = 0
    with (
        table.open(newline="", encoding="utf-8-sig") as src,
        (inputs / input_name).open("w", newline="", encoding="utf-8") as x_out,
        labels.open("w", newline="", encoding="utf-8") as y_out,
    ):
        x_writer, y_writer = csv.writer(x_out), csv.writer(y_out)
        x_writer.writerow(features)
        y_writer.writerow([id_column, *label_columns])
        for row in csv.DictReader(src):
            if in_slice(row[id_column]):
                x_writer.writerow([row[c] for c in features])
                y_writer.writerow([row[id_column], *(row[c] for c in label_columns)])
                count += 1
    inputs.chmod(0o755)
    return inputs, labels, count


def validation_folder_ok(folder: Path, task: TaskSpec) -> bool:
    """Whether a public ``validation`` folder holds ``inputs/`` and the labels file."""
    return (folder / "inputs").is_dir() and (folder / task.labels.file).is_file()


def sample_origin(bundle: Bundle) -> tuple[str, Path] | None:
    """Which public file a sample comes from: ``("validation" | "carve", path)``, or None."""
    task = bundle.spec.task
    public = bundle.public_files()
    folder = public.get(VALIDATION_NAME)
    if folder is not None and folder.is_dir() and validation_folder_ok(folder, task):
        return VALIDATION_NAME, folder
    for path in public.values():
        if can_carve_from(path, task):
            return "carve", path
    return None


def stage_public_sample(bundle: Bundle, phase: str, dest: Path) -> PublicSample | None:
    """Build (or reuse) the public sample for ``phase`` under ``dest``; None when there is none.

    The folder is made once per public file content and phase, with ``manifest.json`` next to
    the inputs as on ``/input``, readable by the sandbox user, and renamed into place whole.
    """
    origin = sample_origin(bundle)
    if origin is None:
        return None
    kind, path = origin
    digest = hashlib.sha256(f"{kind}\0{phase}\0{sha256_path(path)}".encode()).hexdigest()
    folder = dest / f"sample-{digest[:16]}"
    if not (folder / "inputs" / "manifest.json").is_file():
        _build(bundle, phase, kind, path, folder)
    labels = folder / bundle.spec.task.labels.file
    source = (
        f"the public {VALIDATION_NAME!r} set"
        if kind == VALIDATION_NAME
        else f"a fixed {CARVE_PERCENT}% slice of the public file {path.name!r}"
    )
    return PublicSample(inputs=folder / "inputs", labels=labels, source=source)


def _build(bundle: Bundle, phase: str, kind: str, path: Path, folder: Path) -> None:
    partial = folder.with_name(folder.name + f".partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    labels_name = bundle.spec.task.labels.file
    if kind == VALIDATION_NAME:
        shutil.copytree(path / "inputs", partial / "inputs", symlinks=False)
        shutil.copyfile(path / labels_name, partial / labels_name)
    else:
        carve(path, bundle.spec.task, partial)
    (partial / "inputs" / "manifest.json").unlink(missing_ok=True)
    write_manifest(partial / "inputs", bundle.spec.slug, phase)
    make_readable(partial)
    try:
        partial.rename(folder)
    except OSError:  # another worker staged the same sample first: keep theirs
        shutil.rmtree(partial, ignore_errors=True)


def smoke_sample(bundle: Bundle, phase: str, dest: Path) -> PublicSample | None:
    """The sample a phase's smoke run uses; None when the phase turns it off or there is none.

    ``smoke_run`` unset means on wherever the bundle has a public sample.
    """
    if bundle.phase(phase).smoke_run is False:
        return None
    return stage_public_sample(bundle, phase, dest)
