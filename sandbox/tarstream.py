"""Read an untrusted tar as a stream, in bounded memory and time, trusting none of its headers.

Python's `tarfile` is not safe on hostile input here: it reads a whole pax or GNU long-name
header into memory whatever its declared size, parses pax records with a regular expression that
is quadratic in runs of digits (CVE-2024-6232, fixed after the 3.11.7 this worker runs), keeps
every member it has read in a list, and decompresses xz with no memory limit (an xz header may
ask for a 1.5 GB dictionary). So every participant tar is walked here instead, block by block,
with `tarfile.TarInfo.frombuf` (public, stateless) parsing each 512-byte header:

- every header counts: a root `./`, a directory, a pax global header alike;
- extended headers (pax `x`/`g`, GNU `L`/`K`) are at most `MAX_EXTENDED_BYTES`, at most one of
  each kind before a member, and their records are parsed linearly;
- what two readers could disagree on is refused: sparse files, Solaris `X` headers, a pax `size`
  in a global header, conflicting long names. Go's reader (Docker) and Python's then find the
  same members at the same offsets, so what is counted here is what the engine unpacks;
- data is only ever read in chunks of at most `CHUNK` bytes, and `CountingReader` stops a
  decompressed stream as soon as it passes its cap.
"""

from __future__ import annotations

import _compression
import bz2
import gzip
import io
import lzma
import re
import tarfile
import zlib
from collections.abc import Iterator
from typing import Any, Literal, Protocol, cast

from sandbox.errors import ArchiveError

CHUNK = 1024 * 1024
BLOCK = tarfile.BLOCKSIZE
MAX_EXTENDED_BYTES = 64 * 1024
# Enough for xz -9 (a 64 MiB dictionary); an xz header asking for more is refused, not obeyed.
XZ_MEMORY_LIMIT = 96 * 1024 * 1024
_ZERO_BLOCK = bytes(BLOCK)
_NUMBER = re.compile(rb"[0-9]{1,20}")
_EXTENDED = (tarfile.XHDTYPE, tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK)
_REFUSED_TYPES = {
    tarfile.GNUTYPE_SPARSE: "a GNU sparse file",
    tarfile.SOLARIS_XHDTYPE: "a Solaris extended header",
}
# Errors a decompressor or the file under it raises on damaged input (BadGzipFile is an OSError).
DECOMPRESS_ERRORS = (EOFError, OSError, zlib.error, lzma.LZMAError, ValueError)

Compression = Literal["none", "gzip", "bzip2", "xz"]


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class TarFormatError(ArchiveError):
    """The stream is not a tar both readers would read alike; `reason` says where and why."""

    def __init__(self, reason: str, *, at_start: bool) -> None:
        super().__init__(f"not a readable tar ({reason})")
        self.reason = reason
        self.at_start = at_start  # nothing tar-like was read yet: probably not a tar at all


class TarLimitError(ArchiveError):
    """A cap was passed; callers turn it into a message naming their own limit."""

    def __init__(self, kind: Literal["bytes", "entries"], limit: int) -> None:
        super().__init__(f"more than {limit} {kind}")
        self.kind = kind
        self.limit = limit


class UnsupportedCompression(ArchiveError):
    """Compressed with something Python cannot measure (zstd): refused, never passed on."""

    def __init__(self, name: str) -> None:
        super().__init__(f"compressed with {name}")
        self.name = name


def detect_compression(head: bytes) -> Compression:
    """The compression the engine would detect from the first bytes (as moby's archive package).

    Raises:
        UnsupportedCompression: zstd (a frame or a skippable frame).
    """
    if head.startswith(b"\x1f\x8b\x08"):
        return "gzip"
    if head.startswith(b"BZh"):
        return "bzip2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"\x28\xb5\x2f\xfd") or (
        len(head) >= 4 and head[0] & 0xF0 == 0x50 and head[1:4] == b"\x2a\x4d\x18"
    ):
        raise UnsupportedCompression("zstd")
    return "none"


def open_decompressed(raw: Readable) -> tuple[Readable, Compression]:
    """A reader of `raw`'s decompressed bytes, detected by content, never by name.

    Raises:
        UnsupportedCompression: zstd.
    """
    head = b""
    while len(head) < 6 and (more := raw.read(6 - len(head))):
        head += more
    kind = detect_compression(head)
    source = _Prefixed(head, raw)
    if kind == "gzip":
        return gzip.GzipFile(fileobj=cast(Any, source), mode="rb"), kind
    if kind == "bzip2":
        return bz2.BZ2File(cast(Any, source)), kind
    if kind == "xz":
        reader = _compression.DecompressReader(
            cast(Any, source), lzma.LZMADecompressor, trailing_error=lzma.LZMAError,
            memlimit=XZ_MEMORY_LIMIT,
        )  # fmt: skip
        return io.BufferedReader(reader, CHUNK), kind
    return source, kind


def skip_bytes(stream: Readable, size: int) -> int:
    """Pass over `size` bytes of `stream` (fewer at its end); return how many were passed.

    A stream with its own `skip` (a copy that must see every byte, a count) uses it, so plain
    data is never copied into buffers only to be dropped.
    """
    skip = getattr(stream, "skip", None)
    if skip is not None:
        return int(skip(size))
    done = 0
    while done < size and (data := stream.read(min(CHUNK, size - done))):
        done += len(data)
    return done


class _Prefixed:
    """`source` with the bytes already read from it (to detect its format) put back in front."""

    def __init__(self, head: bytes, source: Readable) -> None:
        self._head = head
        self._source = source

    def read(self, size: int = CHUNK, /) -> bytes:
        size = CHUNK if size < 0 else size
        if self._head:
            data, self._head = self._head[:size], self._head[size:]
            return data
        return self._source.read(size)

    def skip(self, size: int) -> int:
        taken = min(size, len(self._head))
        self._head = self._head[taken:]
        return taken + skip_bytes(self._source, size - taken)


class CountingReader:
    """Passes reads through, counting bytes; raises `TarLimitError` once past `limit`."""

    def __init__(self, source: Readable, limit: int) -> None:
        self.source = source
        self.limit = limit
        self.count = 0

    def read(self, size: int = CHUNK, /) -> bytes:
        data = self.source.read(CHUNK if size < 0 else min(size, CHUNK))
        self._add(len(data))
        return data

    def skip(self, size: int) -> int:
        done = 0
        while done < size and (passed := skip_bytes(self.source, min(CHUNK, size - done))):
            done += passed
            self._add(passed)
        return done

    def _add(self, count: int) -> None:
        self.count += count
        if self.count > self.limit:
            raise TarLimitError("bytes", self.limit)


class TarStream:
    """The members of a tar read from a stream, one at a time; nothing is kept but counts.

    Iterate for `tarfile.TarInfo` members (long names and pax records applied, `offset` set to
    the member's first header); `read` returns the current member's data. `entries` counts
    every header but the extended ones that belong to a member (at most three per member).
    """

    def __init__(self, stream: Readable, *, max_entries: int) -> None:
        self._stream = stream
        self._max_entries = max_entries
        self.entries = 0
        self.offset = 0  # bytes consumed from the stream
        self.ended = False  # an end-of-archive block was read (not just the end of the stream)
        self._data_left = 0
        self._padding = 0

    def __iter__(self) -> Iterator[tarfile.TarInfo]:
        while (member := self._next()) is not None:
            yield member

    def read(self, size: int = CHUNK) -> bytes:
        """Up to `size` bytes of the current member's data; b"" at its end."""
        want = min(CHUNK if size < 0 else size, self._data_left, CHUNK)
        if want <= 0:
            return b""
        data = self._read(want)
        if len(data) < want:
            raise TarFormatError(f"data ends early at byte {self.offset}", at_start=False)
        self._data_left -= len(data)
        return data

    def drain(self) -> int:
        """Read the stream to its end (what follows the archive); return the bytes read."""
        drained = 0
        while passed := self._skip(CHUNK):
            drained += passed
        return drained

    def _read(self, size: int) -> bytes:
        """Exactly `size` bytes, or fewer only at the end of the stream."""
        data = b""
        while len(data) < size:
            try:
                more = self._stream.read(size - len(data))
            except DECOMPRESS_ERRORS as error:
                raise self._damaged(error) from None
            if not more:
                break
            data += more
            self.offset += len(more)
        return data

    def _skip(self, size: int) -> int:
        try:
            passed = skip_bytes(self._stream, size)
        except DECOMPRESS_ERRORS as error:
            raise self._damaged(error) from None
        self.offset += passed
        return passed

    def _damaged(self, error: Exception) -> TarFormatError:
        return TarFormatError(
            f"its compressed data is damaged at byte {self.offset}: {error}",
            at_start=self.offset == 0,
        )

    def _skip_rest(self) -> None:
        left = self._data_left + self._padding
        self._data_left = self._padding = 0
        if left and self._skip(left) < left:
            raise TarFormatError(f"data ends early at byte {self.offset}", at_start=False)

    def _next(self) -> tarfile.TarInfo | None:
        self._skip_rest()
        if self.ended:
            return None
        start = self.offset
        pending: dict[bytes, bytes] = {}
        while True:
            block = self._read(BLOCK)
            if not block:  # the stream ends at a member boundary: both readers stop here
                return None
            if block == _ZERO_BLOCK:
                self.ended = True
                return None
            member = self._header(block)
            if member.type in _EXTENDED:
                self._extended(member, pending)
                continue
            self._count()
            if member.type == tarfile.XGLTYPE:
                if pending:  # Go drops the pending records here, Python keeps them
                    raise TarFormatError(
                        f"extended headers before a global header at byte {self.offset}",
                        at_start=False,
                    )
                _global_records(self._extended_data(member))
                start = self.offset
                continue
            return self._member(member, pending, start)

    def _header(self, block: bytes) -> tarfile.TarInfo:
        at = self.offset - len(block)
        if len(block) < BLOCK:
            raise TarFormatError(f"a header is cut short at byte {at}", at_start=at == 0)
        try:
            member = tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
        except tarfile.HeaderError as error:
            raise TarFormatError(f"bad header at byte {at}: {error}", at_start=at == 0) from None
        if member.type in _REFUSED_TYPES:
            raise TarFormatError(
                f"{_REFUSED_TYPES[member.type]} at byte {at}; pack it without --sparse",
                at_start=False,
            )
        # A negative size, or an old-style folder (a file named `x/`) that declares data,
        # is skipped differently by different readers.
        if member.size < 0 or (member.isdir() and member.size and block[156:157] == b"\0"):
            raise TarFormatError(f"a header with an impossible size at byte {at}", at_start=False)
        return member

    def _count(self) -> None:
        self.entries += 1
        if self.entries > self._max_entries:
            raise TarLimitError("entries", self._max_entries)

    def _extended(self, header: tarfile.TarInfo, pending: dict[bytes, bytes]) -> None:
        key = header.type
        if key in pending:
            raise TarFormatError(
                f"two extended headers of one kind before one member at byte {self.offset}",
                at_start=False,
            )
        pending[key] = self._extended_data(header)

    def _extended_data(self, header: tarfile.TarInfo) -> bytes:
        if header.size > MAX_EXTENDED_BYTES:
            raise TarFormatError(
                f"an extended header of {header.size} bytes at byte {self.offset}; "
                f"the limit is {MAX_EXTENDED_BYTES}",
                at_start=False,
            )
        padded = -(-header.size // BLOCK) * BLOCK
        data = self._read(padded)
        if len(data) < padded:
            raise TarFormatError(f"data ends early at byte {self.offset}", at_start=False)
        return data[: header.size]

    def _member(
        self, member: tarfile.TarInfo, pending: dict[bytes, bytes], start: int
    ) -> tarfile.TarInfo:
        records = _records(pending.get(tarfile.XHDTYPE, b""), self.offset)
        _apply(member, records, pending, self.offset)
        member.offset = start
        member.offset_data = self.offset
        has_data = member.isreg() or member.type not in tarfile.SUPPORTED_TYPES
        self._data_left = member.size if has_data else 0
        self._padding = -self._data_left % BLOCK
        return member


def _records(data: bytes, at: int) -> dict[str, str]:
    """Pax records `LENGTH KEY=VALUE\\n`, parsed by their lengths (linear, no backtracking)."""
    records: dict[str, str] = {}
    position = 0
    while position < len(data):
        space = data.find(b" ", position, position + 21)
        number = _NUMBER.fullmatch(data, position, space) if space > 0 else None
        end = position + int(number.group()) if number else -1
        record = data[space + 1 : end] if number else b""
        key, equals, value = record[:-1].partition(b"=")
        if end > len(data) or not record.endswith(b"\n") or not equals or not key:
            raise TarFormatError(f"a malformed pax record near byte {at}", at_start=False)
        records[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
        position = end
    return records


def _global_records(data: bytes) -> None:
    """A global header may carry comments (git archive does); nothing that moves members."""
    records = _records(data, 0)
    if "size" in records or any(key.startswith("GNU.sparse") for key in records):
        raise TarFormatError(
            "a pax global header that sets sizes, which readers apply differently",
            at_start=False,
        )


def _apply(
    member: tarfile.TarInfo, records: dict[str, str], pending: dict[bytes, bytes], at: int
) -> None:
    """Set the name, link and size from the extended headers, as both readers would."""
    if any(key.startswith("GNU.sparse") for key in records):
        raise TarFormatError(
            f"a sparse file near byte {at}; pack it without --sparse", at_start=False
        )
    long_name = pending.get(tarfile.GNUTYPE_LONGNAME)
    long_link = pending.get(tarfile.GNUTYPE_LONGLINK)
    if (long_name is not None and "path" in records) or (
        long_link is not None and "linkpath" in records
    ):
        raise TarFormatError(f"a member named twice near byte {at}", at_start=False)
    if long_name is not None:
        member.name = long_name.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
    if long_link is not None:
        member.linkname = long_link.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
    member.name = records.get("path", member.name)
    member.linkname = records.get("linkpath", member.linkname)
    if "size" in records:
        if not _NUMBER.fullmatch(records["size"].encode()):
            raise TarFormatError(f"a pax size that is not a number near byte {at}", at_start=False)
        member.size = int(records["size"])
    if member.isdir():
        member.name = member.name.rstrip("/")
