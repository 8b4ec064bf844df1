"""Public downloads of a challenge: the listing and zips made at registration, and each
requested file resolved safely against that allow-list.

A download URL names a public entry of ``challenge.yaml`` (``data.public[].name``), and for a
folder entry optionally a file inside it: ``train``, ``starting-kit``, ``images/0001.png``. The
request is matched against the list of files recorded when the bundle was registered, never
resolved on the file system from what the caller wrote, so ``..``, absolute paths, encoded
traversal and hidden paths can only ever miss. The matched path is checked once more (inside
the bundle, a regular file, no symlink) before it is served.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from challenges.paths import iter_tree, resolve_in_bundle, sha256_path, size_bytes
from challenges.schema import ChallengeSpec
from podium.crud.challenge_views import starting_kit_name
from podium.db.models import Challenge
from podium.errors import NotFound
from podium.store import Store


@dataclass(frozen=True)
class Download:
    """A file to send, and the name the client should save it under."""

    path: Path
    filename: str
    media_type: str


def public_entries(root: Path, spec: ChallengeSpec, hashes: dict[str, str]) -> list[dict[str, Any]]:
    """The listing stored on the challenge: name, kind, size, sha256 and, for folders, files."""
    entries: list[dict[str, Any]] = []
    for item in spec.data.public:
        path = resolve_in_bundle(root, item.path)
        relative = PurePosixPath(item.path).as_posix()
        files = (
            [{"path": rel, "size_bytes": file.stat().st_size} for rel, file in iter_tree(path)]
            if path.is_dir()
            else []
        )
        entries.append(
            {
                "name": item.name,
                "path": relative,
                "kind": "dir" if path.is_dir() else "file",
                "description": item.description,
                "size_bytes": size_bytes(path),
                "sha256": hashes.get(relative) or sha256_path(path),
                "files": files,
            }
        )
    return entries


def build_zips(root: Path, entries: list[dict[str, Any]], dest: Path) -> None:
    """Write ``<name>.zip`` of every public folder into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for entry in entries:
        if entry["kind"] != "dir":
            continue
        folder = resolve_in_bundle(root, entry["path"])
        with zipfile.ZipFile(dest / f"{entry['name']}.zip", "w", zipfile.ZIP_DEFLATED) as archive:
            for relative, file in iter_tree(folder):
                archive.write(file, f"{entry['name']}/{relative}")


def _entry(challenge: Challenge, name: str) -> dict[str, Any]:
    for entry in challenge.public_files:
        if entry["name"] == name:
            return entry
    names = ", ".join(e["name"] for e in challenge.public_files) or "none"
    raise NotFound(f"{challenge.slug} has no public file {name!r}; public files: {names}")


def _checked(root: Path, relative: str) -> Path:
    """The regular, non-symlink file at ``relative`` inside ``root``, or NotFound."""
    try:
        path = resolve_in_bundle(root, relative)
    except ValueError:
        raise NotFound(f"{relative!r} is not a public file") from None
    if path.is_symlink() or not path.is_file():
        raise NotFound(f"{relative!r} is not a public file")
    return path


def public_download(challenge: Challenge, store: Store, requested: str) -> Download:
    """The public file ``requested`` names (see the module docstring).

    Raises:
        NotFound: It names nothing in the allow-list (whatever else it names).
    """
    name, _, inner = requested.partition("/")
    entry = _entry(challenge, name)
    root = store.bundle_dir(challenge.slug)
    if entry["kind"] == "file":
        if inner:
            raise NotFound(f"{name!r} is a file, not a folder; download it as {name}")
        path = _checked(root, entry["path"])
        return Download(path, PurePosixPath(entry["path"]).name, _media_type(path))
    if not inner:
        path = store.downloads_dir(challenge.slug) / f"{name}.zip"
        if not path.is_file():
            raise NotFound(f"the archive of {name!r} is missing; ask the organisers")
        return Download(path, f"{name}.zip", "application/zip")
    if inner not in {f["path"] for f in entry["files"]}:
        raise NotFound(f"{name!r} holds no file {inner!r}; see the challenge's data listing")
    path = _checked(root, f"{entry['path']}/{inner}")
    return Download(path, PurePosixPath(inner).name, _media_type(path))


def starting_kit(challenge: Challenge, store: Store) -> Download:
    """The starting kit (a zip of its folder, or the file itself).

    Raises:
        NotFound: The challenge declares no starting kit.
    """
    name = starting_kit_name(challenge)
    if name is None:
        raise NotFound(f"{challenge.slug} has no starting kit; see its public data instead")
    return public_download(challenge, store, name)


def _media_type(path: Path) -> str:
    return {
        ".csv": "text/csv",
        ".json": "application/json",
        ".zip": "application/zip",
        ".md": "text/markdown",
        ".txt": "text/plain",
        ".png": "image/png",
    }.get(path.suffix.lower(), "application/octet-stream")
