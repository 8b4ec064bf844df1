"""Extract untrusted archives (tar, tar.gz, tar.bz2, tar.xz, zip) without trusting them.

Participants upload build contexts and bundles as archives; on the worker they are hostile input.
`safe_extract` works in two passes: the first reads only the headers and refuses anything unsafe
(traversal, absolute paths, links, devices, duplicates, too many or too large entries) before a
single byte is written; the second streams the members into `dest`, counting the bytes really
written, because headers lie (zip) and compressed data expands (bombs). If the second pass fails,
`dest` is emptied again, so a caller never sees a half-extracted tree. Every header counts
towards `max_entries` (a root `./` and folders too), and a refusal never costs more than bounded
memory (`sandbox.archive_formats`, `sandbox.tarstream`).
"""

from __future__ import annotations

import lzma
import os
import posixpath
import shutil
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Literal

from sandbox.archive_formats import TooManyEntries, open_zip, tar_opener, tar_pass
from sandbox.errors import ArchiveError
from sandbox.tarstream import TarFormatError, TarStream

_MB = 1024 * 1024
_CHUNK = 1024 * 1024
_MAX_NAME_CHARS = 1024
_MAX_LINK_TARGET = 4096
_REPACK = "repack it with relative paths only, e.g. `tar -czf context.tar.gz -C my_folder .`"
# Errors the decompressors raise on damaged input; writing errors are not among the reads.
_READ_ERRORS = (
    tarfile.TarError,
    zipfile.BadZipFile,
    EOFError,
    zlib.error,
    lzma.LZMAError,
    OSError,
    NotImplementedError,
    RuntimeError,
)

# Python 3.11.4+ (PEP 706); Debian 12's own Python 3.11.2 has no such filter, and Podium's
# own checks below are the first opinion anyway
_DATA_FILTER = getattr(tarfile, "data_filter", None)
_FILTER_VERDICTS = {
    "AbsolutePathError": "has an absolute path",
    "OutsideDestinationError": "would land outside the archive's folder (path traversal)",
    "SpecialFileError": "is a device file, FIFO or other special file",
    "AbsoluteLinkError": "is a link to an absolute path",
    "LinkOutsideDestinationError": "is a link pointing outside the archive",
}

Kind = Literal["file", "dir", "symlink", "hardlink"]


@dataclass(frozen=True)
class ArchiveLimits:
    """What an archive may hold; sizes are uncompressed sizes."""

    max_entries: int = 10_000
    max_total_mb: int = 1024
    max_file_mb: int = 512
    allow_links: bool = False  # symlinks and hard links, and even then only pointing inside


@dataclass(frozen=True)
class _Entry:
    name: str  # normalised relative POSIX path inside dest
    kind: Kind
    size: int  # as declared by the header: only used to refuse early
    executable: bool
    member: tarfile.TarInfo | zipfile.ZipInfo
    link: str = ""  # symlink: target as stored; hardlink: normalised path of the target


def safe_extract(archive: Path, dest: Path, limits: ArchiveLimits = ArchiveLimits()) -> list[Path]:
    """Extract `archive` into `dest`, refusing anything that could escape or exhaust the host.

    Args:
        archive: the uploaded file; its format is detected from its content, not its name.
        dest: an empty (or missing, then created) folder to extract into.
        limits: entry count, size and link policy.

    Returns:
        The extracted regular files (hard links included), in archive order.

    Raises:
        ArchiveError: the archive is unreadable or unsafe; the message names the entry and what
            to do. Nothing was written outside `dest`, and `dest` is left empty.
        ValueError: `dest` is not an empty folder (a caller's mistake).
    """
    dest = _prepare_dest(Path(dest))
    with _open_archive(Path(archive), dest, limits) as (entries, opener):
        try:
            return _write_entries(entries, opener, dest, limits)
        except BaseException:
            _empty(dest)
            raise


def _prepare_dest(dest: Path) -> Path:
    if dest.is_symlink():
        raise ValueError(f"extraction folder {dest} is a symbolic link")
    dest.mkdir(parents=True, exist_ok=True)
    if any(dest.iterdir()):
        raise ValueError(f"extraction folder {dest} is not empty")
    return dest.resolve()


def _empty(dest: Path) -> None:
    for child in dest.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


Opener = Callable[[_Entry], IO[bytes]]


@contextmanager
def _open_archive(
    archive: Path, dest: Path, limits: ArchiveLimits
) -> Iterator[tuple[list[_Entry], Opener]]:
    """Open the archive by its content and yield its checked entries and a member opener."""
    with archive.open("rb") as handle:
        magic = handle.read(4)
    try:
        if magic[:2] == b"PK":
            with open_zip(archive, limits.max_entries) as zf:
                entries = _zip_entries(zf, dest, limits)
                yield entries, lambda entry: zf.open(_zip_info(entry))
            return
        with tar_pass(archive, limits.max_entries) as first:
            entries = _tar_entries(first, dest, limits)
        with tar_pass(archive, limits.max_entries) as second:
            opener = tar_opener(second)
            yield entries, lambda entry: opener(_tar_info(entry))
    except TooManyEntries:
        _count(limits.max_entries + 1, limits)


def _tar_info(entry: _Entry) -> tarfile.TarInfo:
    assert isinstance(entry.member, tarfile.TarInfo)
    return entry.member


def _zip_info(entry: _Entry) -> zipfile.ZipInfo:
    assert isinstance(entry.member, zipfile.ZipInfo)
    return entry.member


def _tar_entries(walker: TarStream, dest: Path, limits: ArchiveLimits) -> list[_Entry]:
    """First pass over a tar: headers only, each also run through tarfile's "data" filter.

    Declared sizes are checked as each header arrives, before its data is passed over.
    """
    entries: list[_Entry] = []
    total = 0
    for member in walker:  # the walker counts every header against limits.max_entries
        entry = _tar_entry(member, limits)
        try:  # a second opinion; its message would show host paths, so only its verdict
            if _DATA_FILTER is not None:
                _DATA_FILTER(member, str(dest))
        except tarfile.FilterError as error:
            what = _FILTER_VERDICTS.get(type(error).__name__, "is unsafe")
            raise ArchiveError(f"archive entry {_show(member.name)} {what}; {_REPACK}") from None
        if entry is None:
            continue
        if entry.kind == "file":
            _check_size(entry.name, entry.size, limits)
            total += entry.size
            _check_total(total, limits)
        entries.append(entry)
    if walker.entries == 0:  # as tarfile: an empty file or only end-of-archive blocks
        raise TarFormatError("no members", at_start=True)
    return _check_entries(entries, limits)


def _tar_entry(member: tarfile.TarInfo, limits: ArchiveLimits) -> _Entry | None:
    name = check_entry_name(member.name)
    if member.isdir():
        kind: Kind = "dir"
    elif member.isreg():
        kind = "file"
    elif member.issym():
        kind = "symlink"
    elif member.islnk():
        kind = "hardlink"
    else:
        what = (
            "a device file"
            if member.ischr() or member.isblk()
            else ("a FIFO" if member.isfifo() else "an unsupported kind of file")
        )
        raise ArchiveError(
            f"archive entry {_show(member.name)} is {what}; only regular files "
            "and folders are accepted: remove it from the archive"
        )
    if name == "":
        if kind == "dir":
            return None  # "./": the archive's own root
        raise ArchiveError(f"archive entry {_show(member.name)} has an empty name; {_REPACK}")
    entry = _Entry(name, kind, member.size, bool(member.mode & 0o111), member, member.linkname)
    if kind in ("symlink", "hardlink") and not limits.allow_links:
        _refuse_link(entry)
    if kind == "hardlink":
        return replace(entry, link=check_entry_name(member.linkname))
    return entry


def _zip_entries(zf: zipfile.ZipFile, dest: Path, limits: ArchiveLimits) -> list[_Entry]:
    """First pass over a zip: the central directory only (plus short symlink targets)."""
    infos = zf.infolist()
    _count(len(infos), limits)  # `open_zip` counted the records already; this is the same rule
    entries: list[_Entry] = []
    for info in infos:
        name = check_entry_name(info.filename)
        if info.flag_bits & 0x1:
            raise ArchiveError(
                f"archive entry {_show(info.filename)} is encrypted; upload an "
                "archive without a password"
            )
        mode = info.external_attr >> 16 if info.create_system == 3 else 0
        kind: Kind = "file"
        if info.is_dir() or stat.S_ISDIR(mode):
            kind = "dir"
        elif stat.S_ISLNK(mode):
            kind = "symlink"
        elif stat.S_IFMT(mode) not in (0, stat.S_IFREG):  # 0: zipfile.writestr leaves no type
            raise ArchiveError(
                f"archive entry {_show(info.filename)} is a device file or FIFO; "
                "only regular files and folders are accepted: remove it"
            )
        if name == "":
            if kind == "dir":
                continue
            raise ArchiveError(f"archive entry {_show(info.filename)} has an empty name")
        link = _zip_link_target(zf, info) if kind == "symlink" and limits.allow_links else ""
        entries.append(_Entry(name, kind, info.file_size, bool(mode & 0o111), info, link))
    return _check_entries(entries, limits)


def _zip_link_target(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    try:
        with zf.open(info) as handle:
            raw = handle.read(_MAX_LINK_TARGET + 1)
    except _READ_ERRORS as error:
        raise ArchiveError(f"archive entry {_show(info.filename)} is damaged ({error})") from None
    if len(raw) > _MAX_LINK_TARGET:
        raise ArchiveError(f"archive entry {_show(info.filename)} is a link with a too long target")
    return raw.decode("utf-8", errors="replace")


def _count(entries: int, limits: ArchiveLimits) -> None:
    if entries > limits.max_entries:
        raise ArchiveError(
            f"the archive holds more than {limits.max_entries} entries; leave "
            "out what is not needed (data, caches, .git, virtual environments)"
        )


def check_entry_name(raw: str) -> str:
    """Return the normalised relative path of an archive entry's name, or refuse the name.

    Args:
        raw: the name as stored in the archive.

    Returns:
        The name as a relative POSIX path ("" for the archive's root, e.g. "./").

    Raises:
        ArchiveError: control characters, backslashes, absolute paths, '..' or overlong names.
    """
    shown = _show(raw)
    if len(raw) > _MAX_NAME_CHARS or any(len(part.encode()) > 255 for part in raw.split("/")):
        raise ArchiveError(f"archive entry {shown[:80]}... has a name too long; shorten it")
    if any(ord(char) < 32 or ord(char) == 127 for char in raw) or "\\" in raw:
        raise ArchiveError(
            f"archive entry {shown} has a name with control characters or "
            "backslashes (made on Windows?); use plain names with '/' separators"
        )
    if raw.startswith("/") or (len(raw) > 1 and raw[1] == ":" and raw[0].isalpha()):
        raise ArchiveError(f"archive entry {shown} has an absolute path; {_REPACK}")
    if ".." in raw.split("/"):
        raise ArchiveError(f"archive entry {shown} contains '..' (path traversal); {_REPACK}")
    name = posixpath.normpath(raw) if raw.strip("/.") else ""
    return "" if name == "." else name


def _check_entries(entries: list[_Entry], limits: ArchiveLimits) -> list[_Entry]:
    """Whole-archive checks: duplicates, links, parents and the sizes the headers declare."""
    kinds: dict[str, Kind] = {}
    total = 0
    for entry in entries:
        shown = _show(entry.name)
        previous = kinds.get(entry.name)
        if previous is not None and not (previous == entry.kind == "dir"):
            raise ArchiveError(f"archive entry {shown} appears twice; keep one copy")
        for parent in _parents(entry.name):
            if kinds.get(parent, "dir") != "dir":
                raise ArchiveError(
                    f"archive entry {shown} lies under {_show(parent)}, which is "
                    "not a folder; remove one of them"
                )
        if entry.kind in ("symlink", "hardlink"):
            _check_link(entry, kinds, limits)
        kinds[entry.name] = entry.kind
        if entry.kind == "file":
            _check_size(entry.name, entry.size, limits)
            total += entry.size
            _check_total(total, limits)
    return entries


def _refuse_link(entry: _Entry) -> None:
    what = "symbolic" if entry.kind == "symlink" else "hard"
    raise ArchiveError(
        f"archive entry {_show(entry.name)} is a {what} link; links are not "
        "accepted: put the real file there instead (e.g. `tar --dereference` or "
        "`zip` without `-y`)"
    )


def _check_link(entry: _Entry, kinds: dict[str, Kind], limits: ArchiveLimits) -> None:
    shown = _show(entry.name)
    if not limits.allow_links:
        _refuse_link(entry)
    if entry.kind == "hardlink":
        if kinds.get(entry.link) not in ("file", "hardlink"):
            raise ArchiveError(
                f"archive entry {shown} is a hard link to {_show(entry.link)}, "
                "which is not a file earlier in the archive; store the file itself"
            )
        return
    # Walk the target as the kernel would; going through another link could lead anywhere.
    if entry.link.startswith("/") or not entry.link:
        raise ArchiveError(
            f"archive entry {shown} is a link to an absolute path; use a "
            "relative link inside the archive or the file itself"
        )
    parts = entry.name.split("/")[:-1]
    for step in [p for p in entry.link.split("/") if p not in ("", ".")]:
        if step == "..":
            if not parts:
                raise ArchiveError(
                    f"archive entry {shown} is a link pointing outside the "
                    "archive; store the file itself"
                )
            parts.pop()
            continue
        if kinds.get("/".join(parts)) == "symlink":
            raise ArchiveError(
                f"archive entry {shown} is a link through another link; link straight to the file"
            )
        parts.append(step)


def _parents(name: str) -> Iterator[str]:
    parts = name.split("/")
    for index in range(1, len(parts)):
        yield "/".join(parts[:index])


def _check_size(name: str, size: int, limits: ArchiveLimits) -> None:
    if size > limits.max_file_mb * _MB:
        raise ArchiveError(
            f"archive entry {_show(name)} is larger than {limits.max_file_mb} MB "
            "uncompressed; leave large data out (the platform mounts the inputs)"
        )


def _check_total(total: int, limits: ArchiveLimits) -> None:
    if total > limits.max_total_mb * _MB:
        raise ArchiveError(
            f"the archive expands to more than {limits.max_total_mb} MB; leave "
            "out what is not needed (data, caches, checkpoints you do not use)"
        )


def _write_entries(
    entries: list[_Entry], opener: Opener, dest: Path, limits: ArchiveLimits
) -> list[Path]:
    """Second pass: stream folders and files, then links (so no write ever follows a link)."""
    written: list[Path] = []
    total = 0
    for entry in entries:
        target = dest / entry.name
        if entry.kind == "dir":
            target.mkdir(mode=0o755, parents=True, exist_ok=True)
        elif entry.kind == "file":
            target.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
            total = _write_file(entry, opener, target, total, limits)
            written.append(target)
    for entry in entries:
        target = dest / entry.name
        if entry.kind in ("symlink", "hardlink"):
            target.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        if entry.kind == "hardlink":
            os.link(dest / entry.link, target, follow_symlinks=False)
            written.append(target)
        elif entry.kind == "symlink":
            os.symlink(entry.link, target)
    return written


def _write_file(
    entry: _Entry, opener: Opener, target: Path, total: int, limits: ArchiveLimits
) -> int:
    """Copy one member in chunks, counting real bytes; return the new running total."""
    mode = 0o755 if entry.executable else 0o644
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    size = 0
    with os.fdopen(os.open(target, flags, mode), "wb") as out:
        try:
            source = opener(entry)
        except _READ_ERRORS as error:
            raise ArchiveError(
                f"archive entry {_show(entry.name)} cannot be read ({error}); "
                "create the archive again"
            ) from None
        with source:
            while chunk := _read(source, entry):
                size += len(chunk)
                total += len(chunk)
                _check_size(entry.name, size, limits)
                _check_total(total, limits)
                out.write(chunk)
    return total


def _read(source: IO[bytes], entry: _Entry) -> bytes:
    try:
        return source.read(_CHUNK)
    except _READ_ERRORS as error:
        raise ArchiveError(
            f"archive entry {_show(entry.name)} is damaged ({error}); create the "
            "archive again and re-upload"
        ) from None


def _show(name: str) -> str:
    """Quote a participant-chosen name for a message: printable, bounded."""
    printable = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in name[:200])
    return f"'{printable}'" + ("..." if len(name) > 200 else "")
