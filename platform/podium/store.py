"""Files under ``store_dir``: challenge bundles, downloads, submissions, logs, uploads.

Layout::

    store/challenges/<slug>/bundle/        the validated bundle (hidden data included)
    store/challenges/<slug>/downloads/     one zip per public folder (starting kit, ...)
    store/submissions/<id>/                the uploaded file of submission <id>
    store/logs/<submission id>/<attempt>/  an evaluation's logs
    store/deliverables/<team id>/          a team's deliverables (reports, slides)
    store/uploads/                         uploads in progress (same disk: moves are renames)

Uploads are streamed chunk by chunk with a size cap and a sha256, never held whole in memory.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from podium.errors import TooLarge
from podium.settings import Settings

CHUNK_BYTES = 1 << 20
MB = 1024 * 1024


class AsyncReadable(Protocol):
    """What an upload offers (FastAPI's ``UploadFile`` among others)."""

    async def read(self, size: int = -1) -> bytes: ...


@dataclass(frozen=True)
class StoredFile:
    """A file written to the store, with its size and sha256."""

    path: Path
    size_bytes: int
    sha256: str


class Store:
    """Paths of everything the platform keeps on disk, under one root."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def from_settings(cls, settings: Settings) -> Store:
        """The store at ``settings.store_dir``."""
        return cls(settings.store_dir)

    def challenge_dir(self, slug: str) -> Path:
        """Everything kept for one challenge."""
        return self.root / "challenges" / slug

    def bundle_dir(self, slug: str) -> Path:
        """The challenge's validated bundle, hidden data included: never served as is."""
        return self.challenge_dir(slug) / "bundle"

    def downloads_dir(self, slug: str) -> Path:
        """Zips of the challenge's public folders."""
        return self.challenge_dir(slug) / "downloads"

    def submission_dir(self, submission_id: int) -> Path:
        """The uploaded file(s) of one submission."""
        return self.root / "submissions" / str(submission_id)

    def logs_dir(self, submission_id: int, attempt: int) -> Path:
        """The logs of one evaluation attempt."""
        return self.root / "logs" / str(submission_id) / str(attempt)

    def deliverables_dir(self, team_id: int) -> Path:
        """The deliverables (reports, slides) one team handed in."""
        return self.root / "deliverables" / str(team_id)

    def uploads_dir(self) -> Path:
        """Where uploads land while they are received."""
        return self.root / "uploads"

    def new_upload_path(self, suffix: str = "") -> Path:
        """A fresh, unused path in the uploads folder (the folder is created)."""
        folder = self.uploads_dir()
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{uuid.uuid4().hex}{suffix}.part"

    def new_upload_dir(self) -> Path:
        """A fresh, empty folder in the uploads folder (the caller removes it)."""
        folder = self.uploads_dir() / uuid.uuid4().hex
        folder.mkdir(parents=True)
        return folder

    def remove_stale_uploads(self, older_than_seconds: float) -> list[Path]:
        """Remove what uploads cut short by a crash left: entries of the uploads folder in
        which nothing changed for ``older_than_seconds``. An upload in progress (of this or
        another API process) keeps writing to its entry, so it is never taken. Returns them.
        """
        folder = self.uploads_dir()
        if not folder.is_dir():
            return []
        cutoff = time.time() - older_than_seconds
        removed: list[Path] = []
        for entry in folder.iterdir():
            try:
                if _touched_since(entry, cutoff):
                    continue
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
            except FileNotFoundError:  # it finished (moved or removed) meanwhile
                continue
            removed.append(entry)
        return removed


def _touched_since(entry: Path, cutoff: float) -> bool:
    """Whether ``entry``, or anything under it, changed after ``cutoff`` (a time stamp)."""
    if entry.lstat().st_mtime >= cutoff:
        return True
    if not entry.is_dir() or entry.is_symlink():
        return False
    for root, dirs, files in os.walk(entry):
        for name in (*dirs, *files):
            try:
                if os.lstat(os.path.join(root, name)).st_mtime >= cutoff:
                    return True
            except FileNotFoundError:
                continue
    return False


def safe_filename(name: str | None, default: str = "upload") -> str:
    """A client-given file name reduced to a harmless base name (no folders, no odd bytes)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c if c.isalnum() or c in "._-" else "_" for c in base).lstrip(".")
    return cleaned[:100] or default


async def save_upload(source: AsyncReadable, dest: Path, *, max_bytes: int) -> StoredFile:
    """Stream ``source`` into ``dest`` chunk by chunk, hashing it and enforcing ``max_bytes``.

    Raises:
        TooLarge: The upload passed ``max_bytes``; nothing is left at ``dest``.
    """
    digest = hashlib.sha256()
    size = 0
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        with dest.open("xb") as handle:
            while chunk := await source.read(CHUNK_BYTES):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(
                        f"the upload is larger than the limit of {max_bytes // MB} MB; "
                        "make it smaller (leave data and caches out) and try again"
                    )
                digest.update(chunk)
                handle.write(chunk)
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    return StoredFile(dest, size, digest.hexdigest())


def move_into(source: Path, dest: Path) -> Path:
    """Move a finished upload to its final place (an atomic rename on the same disk)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, dest)
    return dest
