"""Bundle-relative paths: resolve them safely, hash them, measure them.

A directory's hash is the sha256 over its sorted relative POSIX paths and their file hashes
(``"<path>\\0<sha256>\\n"`` per file), so it changes when any file is renamed, added, removed or
edited, and does not depend on timestamps or the order the file system lists entries in.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path, PurePosixPath

_CHUNK = 1 << 20


def resolve_in_bundle(root: Path, relative: str) -> Path:
    """Resolve ``relative`` inside ``root``, refusing anything that could leave the bundle.

    Args:
        root: The bundle root folder.
        relative: A POSIX path relative to the root, as written in ``challenge.yaml``.

    Returns:
        The absolute path (which may not exist).

    Raises:
        ValueError: The path is absolute, contains ``..`` or a backslash, or resolves (through a
            symlink) outside the bundle.
    """
    if "\\" in relative or "\x00" in relative:
        raise ValueError(f"{relative!r}: use forward slashes and no NUL bytes in bundle paths")
    pure = PurePosixPath(relative)
    if pure.is_absolute() or relative.startswith("~"):
        raise ValueError(f"{relative!r} is absolute; paths must be relative to the bundle root")
    if ".." in pure.parts:
        raise ValueError(f"{relative!r} contains '..'; paths must stay inside the bundle")
    base = root.resolve()
    candidate = base.joinpath(*pure.parts)
    resolved = candidate.resolve()
    if resolved != base and base not in resolved.parents:
        raise ValueError(f"{relative!r} leaves the bundle through a symlink (to {resolved})")
    return candidate


def iter_tree(folder: Path) -> list[tuple[str, Path]]:
    """Every regular file under ``folder`` as ``(relative posix path, path)``, sorted.

    Raises:
        ValueError: A symlink inside the folder points outside it, or at a folder.
    """
    base = folder.resolve()
    files: list[tuple[str, Path]] = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        current = Path(dirpath)
        for name in dirnames:
            if (current / name).is_symlink():
                raise ValueError(f"{current / name} is a symlinked folder; copy it instead")
        for name in filenames:
            path = current / name
            if path.is_symlink():
                target = path.resolve()
                if base not in target.parents or not target.is_file():
                    raise ValueError(f"{path} is a symlink leaving {folder}")
            files.append((path.relative_to(folder).as_posix(), path))
        dirnames.sort()
    return sorted(files)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_path(path: Path) -> str:
    """Hex sha256 of a file, or of a folder as described in the module docstring."""
    if path.is_file():
        return sha256_file(path)
    digest = hashlib.sha256()
    for relative, file in iter_tree(path):
        digest.update(f"{relative}\0{sha256_file(file)}\n".encode())
    return digest.hexdigest()


def size_bytes(path: Path) -> int:
    """Size of a file, or the total size of the regular files in a folder."""
    if path.is_file():
        return path.stat().st_size
    return sum(file.stat().st_size for _, file in iter_tree(path))
