"""What a phase's model run gets: the ``/input`` folder and the sandbox limits.

The folder holds the phase's hidden inputs exactly as the task describes them, plus
``manifest.json`` (the challenge, the phase and the file list with sizes). Labels never go
there. It is built once per phase and data hash and reused: files are hard-linked where the
file system allows it, copied otherwise, and made readable for the sandbox user.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from challenges.bundle import Bundle
from challenges.paths import iter_tree
from challenges.schema import Phase
from sandbox.limits import SandboxLimits

MANIFEST = "manifest.json"


def stage_inputs(bundle: Bundle, phase: str, dest: Path) -> Path:
    """Build (or reuse) the ``/input`` folder for ``phase`` under ``dest``.

    Args:
        bundle: the loaded challenge.
        phase: the phase's name.
        dest: a folder for staged inputs; one sub-folder per data hash is made in it.

    Returns:
        The folder to mount read-only at ``/input``.
    """
    folder = dest / bundle.hidden_hash(phase)[:16]
    if (folder / MANIFEST).is_file():
        return folder
    partial = folder.with_name(folder.name + f".partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for mount in bundle.hidden_inputs(phase):
        relative = mount.target.removeprefix("/input").lstrip("/")
        _place(mount.source, partial / relative if relative else partial)
    write_manifest(partial, bundle.spec.slug, phase)
    make_readable(partial)
    try:
        partial.rename(folder)
    except OSError:  # another worker staged the same inputs first: keep theirs
        shutil.rmtree(partial, ignore_errors=True)
    return folder


def write_manifest(inputs: Path, slug: str, phase: str) -> None:
    """Write ``manifest.json`` into an ``/input`` folder: the challenge, the phase, the files."""
    files = [
        {"path": name, "bytes": path.stat().st_size}
        for name, path in iter_tree(inputs)
        if path.is_file() and name != MANIFEST
    ]
    manifest = {"challenge": slug, "phase": phase, "files": files}
    (inputs / MANIFEST).write_text(json.dumps(manifest, indent=2))


def sandbox_limits_for(phase: Phase) -> SandboxLimits:
    """The sandbox limits a phase declares, with the sandbox's defaults where it is silent."""
    declared = phase.limits
    chosen: dict[str, float | int | bool] = {
        "wall_seconds": float(declared.wall_seconds),
        "memory_mb": declared.memory_mb,
        "cpus": declared.cpus,
        "gpus": declared.gpu_count,
    }
    for name in ("processes", "tmp_mb", "output_mb", "log_kb"):
        value = getattr(declared, name)
        if value is not None:
            chosen[name] = value
    return SandboxLimits(**chosen)  # type: ignore[arg-type]


def _place(source: Path, target: Path) -> None:
    if source.is_dir():
        for name, path in iter_tree(source):
            if path.is_file():
                _link_or_copy(path, target / name)
        target.mkdir(parents=True, exist_ok=True)
    else:
        _link_or_copy(source, target)


def _link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def make_readable(root: Path) -> None:
    """Let the sandbox user (any uid) read every file and folder under ``root``."""
    for dirpath, _, filenames in os.walk(root):
        Path(dirpath).chmod(0o755)
        for name in filenames:
            (Path(dirpath) / name).chmod(0o644)
