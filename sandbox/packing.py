"""Pack a folder as a build context archive (what `podium submit DIR` and the examples send)."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

SKIPPED = {"__pycache__", ".git", ".venv", ".mypy_cache", ".pytest_cache", ".DS_Store"}


def pack_folder(folder: Path, target: Path) -> Path:
    """Write ``folder``'s regular files and sub-folders to the tar ``target`` (links left out).

    Args:
        folder: the folder with a Dockerfile at its top.
        target: the archive to write.

    Returns:
        ``target``.
    """
    with tarfile.open(target, "w") as tar:
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED)
            for name in sorted(filenames):
                path = Path(dirpath) / name
                if name in SKIPPED or path.is_symlink() or not path.is_file():
                    continue
                tar.add(path, arcname=path.relative_to(folder).as_posix(), recursive=False)
    return target
