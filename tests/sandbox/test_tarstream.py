"""The streaming tar reader against tarfile's reading of good archives, and against hostile ones."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile
import zlib
from collections.abc import Callable

import pytest

from sandbox.tarstream import (
    CHUNK,
    MAX_EXTENDED_BYTES,
    CountingReader,
    TarFormatError,
    TarLimitError,
    TarStream,
    UnsupportedCompression,
    open_decompressed,
)
from tests.sandbox.memory import peak_python_mb

MB = 1024 * 1024
COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "plain": lambda data: data,
    "gzip": gzip.compress,
    "bzip2": bz2.compress,
    "xz": lzma.compress,
}


def header(name: str, kind: bytes = tarfile.REGTYPE, size: int = 0, link: str = "") -> bytes:
    """One raw 512-byte header, whatever it claims."""
    info = tarfile.TarInfo(name)
    info.type, info.size, info.linkname = kind, size, link
    return info.tobuf(tarfile.GNU_FORMAT)


def pad(data: bytes) -> bytes:
    return data + bytes(-len(data) % 512)


def pax(records: dict[str, str]) -> bytes:
    """A pax extended header (with its data) carrying `records`."""
    body = b""
    for key, value in records.items():
        line = f" {key}={value}\n".encode()
        length = len(line) + len(str(len(line)))
        length += len(str(length)) - len(str(len(line)))
        body += str(length).encode() + line
    return header("././@PaxHeader", tarfile.XHDTYPE, len(body)) + pad(body)


def sample_tar(fmt: int) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tf:
        for name, data in [("a.txt", b"hello"), ("d" * 120 + "/" + "f" * 150, b"x" * 700)]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        for name, kind, link in [("dir", tarfile.DIRTYPE, ""), ("ln", tarfile.SYMTYPE, "t" * 130)]:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, link
            tf.addfile(info)
        info = tarfile.TarInfo("é-ünïcode.bin")
        info.size = 3 * MB
        tf.addfile(info, io.BytesIO(bytes(range(256)) * (3 * MB // 256)))
    return out.getvalue()


def walk(data: bytes, max_entries: int = 1000) -> tuple[TarStream, list[tuple[object, ...]]]:
    stream, _ = open_decompressed(io.BytesIO(data))
    walker = TarStream(stream, max_entries=max_entries)
    seen = []
    for member in walker:
        content = b"".join(iter(walker.read, b""))
        seen.append((member.name, member.type, member.size, member.linkname, content))
    return walker, seen


@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT], ids=["gnu", "pax"])
@pytest.mark.parametrize("compression", list(COMPRESSORS))
def test_members_are_what_tarfile_reads(fmt: int, compression: str) -> None:
    data = sample_tar(fmt)
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        expected = [
            (m.name, m.type, m.size, m.linkname, tf.extractfile(m).read() if m.isreg() else b"")  # type: ignore[union-attr]
            for m in tf
        ]
    walker, seen = walk(COMPRESSORS[compression](data))
    assert seen == expected
    assert walker.entries == len(expected) and walker.ended


def test_every_header_counts_root_entries_included() -> None:
    data = header("./", tarfile.DIRTYPE) * 11 + bytes(1024)
    with pytest.raises(TarLimitError) as info:
        walk(data, max_entries=10)
    assert (info.value.kind, info.value.limit) == ("entries", 10)
    walker, seen = walk(data, max_entries=11)
    assert walker.entries == 11 and [name for name, *_ in seen] == ["."] * 11


def test_a_huge_gnu_long_name_is_refused_in_flat_memory() -> None:
    # 64 MB of long name compress to 64 KB; tarfile would read it whole into memory.
    body = zlib.compressobj(9, zlib.DEFLATED, 31)
    data = body.compress(header("././@LongLink", tarfile.GNUTYPE_LONGNAME, 64 * MB))
    data += b"".join(body.compress(bytes(MB)) for _ in range(64)) + body.flush()
    assert len(data) < MB
    with (
        peak_python_mb() as peak,
        pytest.raises(TarFormatError, match=r"extended header of 67108864 bytes"),
    ):
        walk(data)
    assert peak[0] < 8


def test_a_pax_header_of_digits_is_refused_without_parsing_it_quadratically() -> None:
    # Python 3.11.7's tarfile spends minutes on such a header (CVE-2024-6232).
    too_big = header("././@PaxHeader", tarfile.XHDTYPE, MB) + b"1" * MB
    with pytest.raises(
        TarFormatError, match=r"extended header of 1048576 bytes .*the limit is 65536"
    ):
        walk(too_big)
    digits = b"1" * (MAX_EXTENDED_BYTES - 512)
    within = header("././@PaxHeader", tarfile.XHDTYPE, len(digits)) + pad(digits)
    with pytest.raises(TarFormatError, match="malformed pax record"):
        walk(within + header("a") + bytes(1024))


def test_pax_records_rename_and_resize_the_next_member_only() -> None:
    data = pax({"path": "renamed.txt", "size": "5"}) + header("short", size=0) + pad(b"hello")
    data += header("next.txt", size=2) + pad(b"ok") + bytes(1024)
    _, seen = walk(data)
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        assert [(m.name, m.size) for m in tf] == [("renamed.txt", 5), ("next.txt", 2)]
    assert [(name, size, content) for name, _, size, _, content in seen] == [
        ("renamed.txt", 5, b"hello"),
        ("next.txt", 2, b"ok"),
    ]


@pytest.mark.parametrize(
    "data,match",
    [
        (pax({"size": "1"}) + pax({"size": "2"}) + header("a"), "two extended headers of one"),
        (pax({"GNU.sparse.major": "1"}) + header("a"), "sparse file"),
        (header("s", tarfile.GNUTYPE_SPARSE), "GNU sparse file"),
        (header("x", tarfile.SOLARIS_XHDTYPE), "Solaris extended header"),
        (pax({"size": "+5"}) + header("a"), "pax size that is not a number"),
        (header("g", tarfile.XGLTYPE, 11) + pad(b"11 size=99\n"), "global header that sets sizes"),
        (pax({"path": "p"}) + header("g", tarfile.XGLTYPE, 0), "before a global header"),
        (header("a", size=10) + b"short", "data ends early"),
        (header("a")[:300], "a header is cut short"),
    ],
    ids=["two-pax", "pax-sparse", "gnu-sparse", "solaris", "signed-size", "global-size",
         "pax-then-global", "truncated-data", "truncated-header"],
)  # fmt: skip
def test_what_readers_could_disagree_on_is_refused(data: bytes, match: str) -> None:
    with pytest.raises(TarFormatError, match=match) as info:
        walk(data)
    assert not info.value.at_start or match == "a header is cut short"


def test_a_git_archive_comment_is_accepted_and_counted() -> None:
    comment = b"52 comment=0123456789abcdef0123456789abcdef01234567\n"
    data = header("pax_global_header", tarfile.XGLTYPE, len(comment)) + pad(comment)
    data += header("a", size=1) + pad(b"x") + bytes(1024)
    walker, seen = walk(data)
    assert [name for name, *_ in seen] == ["a"] and walker.entries == 2


def test_not_a_tar_is_told_apart_from_a_damaged_one() -> None:
    with pytest.raises(TarFormatError, match="bad header at byte 0") as info:
        walk(b"just some text\n" * 100)
    assert info.value.at_start
    with pytest.raises(TarFormatError, match="compressed data is damaged") as info:
        walk(b"\x1f\x8b\x08garbage")
    assert info.value.at_start
    assert walk(b"")[1] == []  # an empty stream holds no members (as the engine reads it)


@pytest.mark.parametrize("head", [b"\x28\xb5\x2f\xfd\x04\x00", b"\x50\x2a\x4d\x18\x00\x00"])
def test_zstd_frames_are_refused(head: bytes) -> None:
    with pytest.raises(UnsupportedCompression, match="zstd"):
        open_decompressed(io.BytesIO(head + bytes(100)))


def test_an_xz_header_asking_for_a_huge_dictionary_is_refused() -> None:
    data = bytearray(lzma.compress(header("a", size=3) + pad(b"abc") + bytes(1024)))
    assert data[13] == 0 and data[14:16] == b"\x21\x01"  # one filter, LZMA2, no sizes
    data[12 + 4] = 37  # LZMA2 dictionary of 1.5 GiB; the block header's CRC32 follows it
    size = (data[12] + 1) * 4
    data[12 + size - 4 : 12 + size] = zlib.crc32(data[12 : 12 + size - 4]).to_bytes(4, "little")
    with pytest.raises(TarFormatError, match="Memory usage limit"):
        walk(bytes(data))


def test_counting_reader_stops_a_bomb_at_its_cap() -> None:
    member = gzip.compress(bytes(MB))  # 1 KB each; the engine reads concatenated members too
    bomb = gzip.compress(header("zeros", size=64 * MB)) + member * 64
    stream, kind = open_decompressed(io.BytesIO(bomb))
    counted = CountingReader(stream, 8 * MB)
    walker = TarStream(counted, max_entries=10)
    names = []
    with pytest.raises(TarLimitError) as info:
        for member in walker:  # passing over its data is where the bytes come out
            names.append(member.name)
    assert kind == "gzip" and names == ["zeros"]
    assert info.value.kind == "bytes" and 8 * MB < counted.count <= 8 * MB + CHUNK


def test_impossible_sizes_are_refused() -> None:
    negative = bytearray(header("a", size=0))
    negative[124:136] = b"\xff" * 12  # base-256 for -1
    negative[148:156] = b"        "
    negative[148:155] = f"{sum(negative):06o}\0".encode()
    with pytest.raises(TarFormatError, match="impossible size"):
        walk(bytes(negative) + bytes(1024))
