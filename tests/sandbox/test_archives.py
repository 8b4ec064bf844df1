"""safe_extract against hostile archives: each is refused with a message, nothing escapes."""

from __future__ import annotations

import gzip
import io
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from sandbox.archives import ArchiveLimits, safe_extract
from sandbox.errors import ArchiveError
from tests.sandbox.memory import peak_python_mb


def make_tar(
    path: Path, members: list[tarfile.TarInfo | tuple[str, bytes]], mode: str = "w"
) -> Path:
    """Write a tar whose members are (name, content) pairs or ready-made TarInfo headers."""
    with tarfile.open(path, mode) as tf:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                tf.addfile(member)
            else:
                name, content = member
                info = tarfile.TarInfo(name)
                info.size = len(content)
                info.mode = 0o644
                tf.addfile(info, io.BytesIO(content))
    return path


def link_info(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


def make_zip(path: Path, members: list[tuple[str | zipfile.ZipInfo, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members:
            zf.writestr(name, content)
    return path


def assert_refused(
    archive: Path, dest: Path, match: str, limits: ArchiveLimits | None = None
) -> None:
    """Refused with the message, dest left empty, nothing new next to dest or above it."""
    before = sorted(p.name for p in dest.parent.parent.iterdir())
    with pytest.raises(ArchiveError, match=match):
        safe_extract(archive, dest, limits or ArchiveLimits())
    assert list(dest.iterdir()) == []
    assert sorted(p.name for p in dest.parent.iterdir()) == sorted([archive.name, dest.name])
    assert sorted(p.name for p in dest.parent.parent.iterdir()) == before


@pytest.fixture
def work(tmp_path: Path) -> Path:
    # One level down, so an escape to `..` lands in tmp_path where the checks look.
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


def test_good_tar_extracts_files_and_folders(work: Path) -> None:
    archive = make_tar(
        work / "a.tar", [("Dockerfile", b"FROM x\n"), ("src/main.py", b"print(1)\n")]
    )
    files = safe_extract(archive, work / "out")
    assert files == [work / "out" / "Dockerfile", work / "out" / "src" / "main.py"]
    assert (work / "out" / "src" / "main.py").read_bytes() == b"print(1)\n"


def test_good_tgz_detected_by_content_not_name(work: Path) -> None:
    root = tarfile.TarInfo("./")
    root.type = tarfile.DIRTYPE
    archive = make_tar(work / "upload.bin", [root, ("./model/w.bin", b"\0" * 5000)], "w:gz")
    files = safe_extract(archive, work / "out")
    assert [f.relative_to(work / "out").as_posix() for f in files] == ["model/w.bin"]
    assert files[0].stat().st_size == 5000


def test_good_zip_extracts_and_keeps_exec_bit(work: Path) -> None:
    script = zipfile.ZipInfo("run.sh")
    script.create_system = 3
    script.external_attr = (stat.S_IFREG | 0o4755) << 16  # setuid must not survive
    archive = make_zip(
        work / "a.zip", [("dir/", b""), ("dir/a.txt", b"hello"), (script, b"#!/bin/sh\n")]
    )
    files = safe_extract(archive, work / "out")
    assert [f.name for f in files] == ["a.txt", "run.sh"]
    assert stat.S_IMODE((work / "out" / "run.sh").stat().st_mode) == 0o755


@pytest.mark.parametrize("name", ["../evil.txt", "a/../../evil.txt", "./../evil.txt"])
def test_tar_traversal_refused(work: Path, name: str) -> None:
    archive = make_tar(work / "a.tar", [("ok.txt", b"fine"), (name, b"pwned")])
    assert_refused(archive, work / "out", r"contains '\.\.' \(path traversal\).*relative paths")
    assert not (work.parent / "evil.txt").exists()


def test_tar_absolute_path_refused(work: Path) -> None:
    archive = make_tar(work / "a.tar", [("/etc/x", b"pwned")])
    assert_refused(archive, work / "out", r"'/etc/x' has an absolute path")


def test_symlink_refused_by_default(work: Path) -> None:
    archive = make_tar(work / "a.tar", [link_info("escape", "/etc"), ("escape/passwd", b"x")])
    assert_refused(archive, work / "out", r"'escape' .*(link|absolute)")


def test_relative_symlink_refused_unless_allowed(work: Path) -> None:
    archive = make_tar(work / "a.tar", [("lib.so.1", b"elf"), link_info("lib.so", "lib.so.1")])
    assert_refused(archive, work / "out", r"'lib\.so' is a symbolic link; links are not accepted")
    safe_extract(archive, work / "ok", ArchiveLimits(allow_links=True))
    assert (work / "ok" / "lib.so").is_symlink()
    assert (work / "ok" / "lib.so").read_bytes() == b"elf"


def test_allowed_symlink_still_must_point_inside(work: Path) -> None:
    allow = ArchiveLimits(allow_links=True)
    archive = make_tar(work / "a.tar", [link_info("d/up", "../../secret")])
    assert_refused(archive, work / "out", r"'d/up' .*outside", allow)


def test_write_through_symlink_refused_even_when_links_allowed(work: Path) -> None:
    allow = ArchiveLimits(allow_links=True)
    archive = make_tar(work / "a.tar", [("d/f", b""), link_info("l", "d"), ("l/x", b"through")])
    assert_refused(archive, work / "out", r"'l/x' lies under 'l', which is not a folder", allow)


def test_hardlink_refused(work: Path) -> None:
    archive = make_tar(work / "a.tar", [link_info("passwd", "/etc/passwd", tarfile.LNKTYPE)])
    assert_refused(archive, work / "out", r"'passwd' .*(hard link|absolute)")


def test_hardlink_inside_allowed_when_links_allowed(work: Path) -> None:
    archive = make_tar(work / "a.tar", [("a", b"data"), link_info("b", "a", tarfile.LNKTYPE)])
    files = safe_extract(archive, work / "out", ArchiveLimits(allow_links=True))
    assert [f.name for f in files] == ["a", "b"]
    assert (work / "out" / "b").read_bytes() == b"data"


@pytest.mark.parametrize("kind", [tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE])
def test_device_and_fifo_refused(work: Path, kind: bytes) -> None:
    info = tarfile.TarInfo("dev/thing")
    info.type = kind
    archive = make_tar(work / "a.tar", [info])
    assert_refused(archive, work / "out", r"'dev/thing' is (a device file|a FIFO)")


@pytest.mark.parametrize("name", ["../evil.txt", "/abs.txt", "a\\..\\..\\evil.txt", "bad\x07name"])
def test_zip_bad_names_refused(work: Path, name: str) -> None:
    archive = make_zip(work / "a.zip", [("fine.txt", b"ok"), (name, b"pwned")])
    assert_refused(archive, work / "out", r"(traversal|absolute|backslashes)")
    assert not (work.parent / "evil.txt").exists()


def test_duplicate_names_refused(work: Path) -> None:
    archive = make_tar(work / "a.tar", [("a/x", b"1"), ("a/./x", b"2")])
    assert_refused(archive, work / "out", r"'a/x' appears twice")


def test_zip_symlink_refused(work: Path) -> None:
    link = zipfile.ZipInfo("link")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = make_zip(work / "a.zip", [(link, b"/etc/passwd")])
    assert_refused(archive, work / "out", r"'link' is a symbolic link")


def test_gzip_bomb_refused_before_writing(work: Path) -> None:
    # 64 MB of zeros compress to ~64 KB: the same shape as a 2 GB bomb, at a test's cost.
    archive = work / "bomb.tar.gz"
    with tarfile.open(archive, "w:gz", compresslevel=1) as tf:
        info = tarfile.TarInfo("zeros")
        info.size = 64 * 1024 * 1024
        tf.addfile(info, _Zeros(info.size))
    assert archive.stat().st_size < 1024 * 1024
    assert_refused(
        archive, work / "out", r"'zeros' is larger than 8 MB", ArchiveLimits(max_file_mb=8)
    )


def test_many_small_files_over_total_refused(work: Path) -> None:
    members = [(f"f{i}", b"\0" * 300_000) for i in range(8)]
    archive = make_tar(work / "a.tgz", members, "w:gz")  # type: ignore[arg-type]
    assert_refused(
        archive, work / "out", r"expands to more than 2 MB", ArchiveLimits(max_total_mb=2)
    )


def test_zip_with_lying_size_header_refused(work: Path) -> None:
    archive = make_zip(work / "a.zip", [("big", b"\0" * 3_000_000)])
    raw = bytearray(archive.read_bytes())
    central = raw.rindex(b"PK\x01\x02")
    raw[central + 24 : central + 28] = (10).to_bytes(4, "little")  # claim 10 bytes
    archive.write_bytes(bytes(raw))
    assert_refused(
        archive, work / "out", r"'big' .*(damaged|cannot be read)", ArchiveLimits(max_file_mb=1)
    )


def test_too_many_entries_refused(work: Path) -> None:
    archive = make_tar(work / "a.tar", [(f"f{i}", b"") for i in range(11)])
    assert_refused(archive, work / "out", r"more than 10 entries", ArchiveLimits(max_entries=10))


@pytest.mark.parametrize("content", [b"", b"just some text\n" * 100, b"\x1f\x8b\x08garbage"])
def test_not_an_archive_refused(work: Path, content: bytes) -> None:
    archive = work / "model.tar.gz"
    archive.write_bytes(content)
    assert_refused(archive, work / "out", r"not an archive we can read; upload a tar, tar\.gz")


def test_truncated_archive_refused_and_dest_emptied(work: Path) -> None:
    full = make_tar(
        work / "full.tgz", [("a", b"x" * 1000), ("b", bytes(range(256)) * 4000)], "w:gz"
    )
    archive = work / "a.tgz"
    archive.write_bytes(full.read_bytes()[:-200])
    full.unlink()
    assert_refused(archive, work / "out", r"damaged")


def test_dest_must_be_empty(work: Path) -> None:
    archive = make_tar(work / "a.tar", [("a", b"x")])
    (work / "out").mkdir()
    (work / "out" / "old").write_text("x")
    with pytest.raises(ValueError, match="not empty"):
        safe_extract(archive, work / "out")


class _Zeros(io.RawIOBase):
    """A stream of `size` zero bytes that never holds more than one chunk in memory."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        count = min(len(buffer), self.left)
        buffer[:count] = bytes(count)
        self.left -= count
        return count


# Every header counts, and refusing costs bounded memory and time ------------------------------


def root_headers_tgz(path: Path, count: int) -> Path:
    """A gzip of `count` identical `./` headers, written in pieces (447 KB for 200,000)."""
    root = tarfile.TarInfo("./")
    root.type = tarfile.DIRTYPE
    block = root.tobuf(tarfile.GNU_FORMAT)
    with gzip.open(path, "wb") as out:
        for start in range(0, count, 10_000):
            out.write(block * min(10_000, count - start))
        out.write(bytes(1024))
    return path


def test_root_entries_count_towards_the_entry_cap(work: Path) -> None:
    archive = root_headers_tgz(work / "roots.tar.gz", 200_000)
    assert archive.stat().st_size < 1024 * 1024
    with peak_python_mb() as peak:
        assert_refused(archive, work / "out", r"more than 10000 entries; leave out what is not")
    assert peak[0] < 16


def test_zip_folder_entries_count_before_the_zip_is_parsed(work: Path) -> None:
    archive = work / "folders.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for index in range(60_000):
            zf.writestr(f"d{index}/", b"")
    with peak_python_mb() as peak:
        assert_refused(archive, work / "out", r"more than 10000 entries")
    assert peak[0] < 16  # zipfile would have built 60,000 ZipInfo objects first


def test_zip_central_directory_padded_to_exhaust_memory_refused(work: Path) -> None:
    archive = work / "padded.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for index in range(20):
            info = zipfile.ZipInfo(f"f{index}")
            info.comment = b"c" * 60_000
            zf.writestr(info, b"")
    limits = ArchiveLimits(max_entries=20)
    assert_refused(archive, work / "out", r"central directory of \d+ bytes, far more", limits)


def test_gnu_long_name_bomb_refused_in_flat_memory(work: Path) -> None:
    # 256 MB of "long name" compress to 256 KB; tarfile would read it whole into memory.
    long_name = tarfile.TarInfo("././@LongLink")
    long_name.type, long_name.size = tarfile.GNUTYPE_LONGNAME, 256 * 1024 * 1024
    archive = work / "name.tar.gz"
    with gzip.open(archive, "wb", compresslevel=1) as out:
        out.write(long_name.tobuf(tarfile.GNU_FORMAT))
        for _ in range(256):
            out.write(b"n" * 1024 * 1024)
    with peak_python_mb() as peak:
        assert_refused(archive, work / "out", r"damaged or truncated \(an extended header of")
    assert peak[0] < 16


def test_declared_size_refused_before_its_data_is_read(work: Path) -> None:
    # A header declaring 1 TB over a few bytes: refused for its size, never read to its end.
    info = tarfile.TarInfo("huge.bin")
    info.size = 1 << 40
    archive = work / "huge.tar.gz"
    archive.write_bytes(gzip.compress(info.tobuf(tarfile.GNU_FORMAT) + bytes(4096)))
    assert_refused(archive, work / "out", r"'huge\.bin' is larger than 512 MB uncompressed")


def test_zstd_archive_refused_with_the_formats_we_read(work: Path) -> None:
    archive = work / "context.tar.zst"
    archive.write_bytes(b"\x28\xb5\x2f\xfd" + bytes(600))
    assert_refused(
        archive, work / "out", r"compressed with zstd; upload a tar, tar\.gz, tar\.bz2, tar\.xz"
    )


def test_git_archive_global_header_is_accepted(work: Path) -> None:
    comment = b"52 comment=0123456789abcdef0123456789abcdef01234567\n"
    header = tarfile.TarInfo("pax_global_header")
    header.type, header.size = tarfile.XGLTYPE, len(comment)
    archive = make_tar(work / "git.tar", [("Dockerfile", b"FROM x\n")])
    raw = header.tobuf(tarfile.USTAR_FORMAT) + comment + bytes(-len(comment) % 512)
    archive.write_bytes(raw + archive.read_bytes())
    files = safe_extract(archive, work / "out")
    assert [f.name for f in files] == ["Dockerfile"]
