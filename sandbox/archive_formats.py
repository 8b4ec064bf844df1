"""Open an uploaded tar or zip by its content, in bounded memory, for `sandbox.archives`.

A tar is read with `sandbox.tarstream` (never with `tarfile.open`, see there why), once to list
and check its members and once more to write them, both times as a stream. A zip's central
directory is counted record by record before `zipfile` parses it, because `zipfile` builds an
object for every record first, and a small zip can hold hundreds of thousands of them.
"""

from __future__ import annotations

import io
import struct
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from sandbox.errors import ArchiveError
from sandbox.tarstream import (
    TarFormatError,
    TarLimitError,
    TarStream,
    UnsupportedCompression,
    open_decompressed,
)

FORMATS = "tar, tar.gz, tar.bz2, tar.xz or zip"
# A central directory record is 46 bytes plus its name, extra field and comment; real ones
# average well under 200 bytes. More than this per entry is padding meant to exhaust memory.
_CENTRAL_BYTES_PER_ENTRY = 1024
_CENTRAL_RECORD = 46
_CENTRAL_SIGNATURE = b"PK\x01\x02"


class TooManyEntries(ArchiveError):
    """More members than the limit; `archives` words the message."""


@contextmanager
def tar_pass(archive: Path, max_entries: int) -> Iterator[TarStream]:
    """One streaming pass over a tar (plain, gzip, bzip2 or xz), its errors made messages.

    Raises (also for what the caller's block raises while reading):
        ArchiveError: not a tar, damaged, compressed with zstd.
        TooManyEntries: more than `max_entries` headers.
    """
    with archive.open("rb") as handle:
        try:
            stream, _ = open_decompressed(handle)
            yield TarStream(stream, max_entries=max_entries)
        except UnsupportedCompression as error:
            raise ArchiveError(
                f"{archive.name} is compressed with {error.name}; upload a {FORMATS} file"
            ) from None
        except TarLimitError:
            raise TooManyEntries(f"more than {max_entries} entries") from None
        except TarFormatError as error:
            if error.at_start:
                raise ArchiveError(
                    f"{archive.name} is not an archive we can read; upload a {FORMATS} file"
                ) from None
            raise ArchiveError(
                f"the archive is damaged or truncated ({error.reason}); create it again and "
                "re-upload"
            ) from None


def tar_opener(walker: TarStream) -> Callable[[tarfile.TarInfo], IO[bytes]]:
    """Open members' data in archive order, passing over the members in between."""
    members = iter(walker)

    def open_member(wanted: tarfile.TarInfo) -> IO[bytes]:
        for member in members:
            if member.offset == wanted.offset:
                return io.BufferedReader(_MemberData(walker))
        raise ArchiveError(f"archive entry '{wanted.name}' was not found again; re-upload it")

    return open_member


class _MemberData(io.RawIOBase):
    def __init__(self, walker: TarStream) -> None:
        self.walker = walker

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.walker.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def open_zip(archive: Path, max_entries: int) -> zipfile.ZipFile:
    """A `ZipFile`, once its central directory is known to hold at most `max_entries` records.

    Raises:
        ArchiveError: damaged, or a central directory far larger than its entries need.
        TooManyEntries: more records than `max_entries`, every folder and `./` counted.
    """
    try:
        _count_central_records(archive, max_entries)
        return zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError, EOFError, struct.error) as error:
        raise ArchiveError(
            f"{archive.name} looks like a zip file but is damaged ({error}); "
            "create it again and re-upload"
        ) from None


def _count_central_records(archive: Path, max_entries: int) -> None:
    """Walk the central directory as `zipfile` will, counting records and nothing else."""
    with archive.open("rb") as handle:
        end = zipfile._EndRecData(handle)  # type: ignore[attr-defined]  # zipfile's own search
        if not end:
            return  # not a zip after all: zipfile says so in its own words
        size = end[zipfile._ECD_SIZE]  # type: ignore[attr-defined]
        if size > max_entries * _CENTRAL_BYTES_PER_ENTRY + _CENTRAL_BYTES_PER_ENTRY:
            raise ArchiveError(
                f"{archive.name} has a central directory of {size} bytes, far more than "
                "its entries need; create the zip again with a standard tool"
            )
        start = end[zipfile._ECD_LOCATION] - size  # type: ignore[attr-defined]
        if end[zipfile._ECD_SIGNATURE] == zipfile.stringEndArchive64:  # type: ignore[attr-defined]
            start -= zipfile.sizeEndCentDir64 + zipfile.sizeEndCentDir64Locator  # type: ignore[attr-defined]
        if start >= 0:  # else damaged: zipfile refuses it
            handle.seek(start)
            _walk_records(handle, size, max_entries)


def _walk_records(handle: IO[bytes], size: int, max_entries: int) -> None:
    walked = records = 0
    while walked < size:
        record = handle.read(_CENTRAL_RECORD)
        if len(record) < _CENTRAL_RECORD or not record.startswith(_CENTRAL_SIGNATURE):
            return  # damaged: zipfile refuses it with its own message
        name, extra, comment = struct.unpack("<HHH", record[28:34])
        handle.seek(name + extra + comment, io.SEEK_CUR)
        walked += _CENTRAL_RECORD + name + extra + comment
        records += 1
        if records > max_entries:
            raise TooManyEntries(f"more than {max_entries} entries")
