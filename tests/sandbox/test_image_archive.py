"""`docker save` archives whose layers would exhaust the worker: measured and refused before
`docker load`, against the real engine; compressed layers the engine can read still load."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import shutil
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path

import docker
import pytest

from sandbox.errors import ArchiveError, ImageError
from sandbox.image_archive import rewrite_save
from sandbox.intake import ImageLimits, load_image_archive
from tests.sandbox.conftest import MakeTiny, save_image
from tests.sandbox.memory import peak_python_mb

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("intake_cleanup")]
MB = 1024 * 1024
ZEROS_MB = gzip.compress(bytes(MB), compresslevel=9)  # 1 KB; gzip members can be concatenated
HELLO = '["/bin/sh", "-c", "echo hello-from-the-image"]'
LayerEdit = Callable[[bytes], bytes]


def saved(client: docker.DockerClient, make_tiny: MakeTiny, folder: Path) -> Path:
    """A `docker save` of a fresh tiny image (one layer), which is then removed from the engine."""
    tag = make_tiny(cmd=HELLO)
    archive = save_image(client, tag, folder / "model.tar")
    client.api.remove_image(tag)
    return archive


def image_id(archive: Path) -> str:
    with tarfile.open(archive) as tf:
        manifest = json.load(tf.extractfile("manifest.json"))  # type: ignore[arg-type]
    return "sha256:" + str(manifest[0]["Config"]).removesuffix(".json")


def edit_save(
    source: Path,
    dest: Path,
    layer: LayerEdit = lambda data: data,
    layers: Callable[[list[str]], list[str]] = lambda names: names,
    before: bytes = b"",
) -> Path:
    """Copy a `docker save` archive, passing each layer's bytes through `layer` and the
    manifest's layer list through `layers`; `before` is raw tar data put in front."""
    with tarfile.open(source) as src:
        manifest = json.load(src.extractfile("manifest.json"))  # type: ignore[arg-type]
        names = set(manifest[0]["Layers"])
        manifest[0]["Layers"] = layers(manifest[0]["Layers"])
        out = io.BytesIO()
        out.write(before)
        with tarfile.open(fileobj=out, mode="w") as dst:
            for member in src:
                data = src.extractfile(member).read() if member.isreg() else None  # type: ignore[union-attr]
                if member.name in names:
                    data = layer(data or b"")
                elif member.name == "manifest.json":
                    data = json.dumps(manifest).encode()
                if data is not None:
                    member.size = len(data)
                dst.addfile(member, io.BytesIO(data) if data is not None else None)
    dest.write_bytes(out.getvalue())
    return dest


def assert_refused(
    client: docker.DockerClient, archive: Path, image: str, match: str, limits: ImageLimits
) -> None:
    """Refused with the message, in flat memory, leaving no temporary file and no image."""
    files = sorted(archive.parent.iterdir())
    with peak_python_mb() as peak, pytest.raises(ImageError, match=match):
        load_image_archive(client, archive, limits)
    assert peak[0] < 16
    assert sorted(archive.parent.iterdir()) == files
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get(image)


def zstd(data: bytes) -> bytes:
    if shutil.which("zstd"):
        done = subprocess.run(["zstd", "-q", "-c"], input=data, capture_output=True, check=True)
        return done.stdout
    return b"\x28\xb5\x2f\xfd" + data  # the frame's magic is what is refused


def zero_files_layer(count: int) -> bytes:
    """A gzip layer of `count` files of 1 MB of zeros: 1 KB of archive per MB it unpacks to."""
    parts = []
    for index in range(count):
        info = tarfile.TarInfo(f"zeros/{index}")
        info.size = MB
        parts.append(gzip.compress(info.tobuf(tarfile.GNU_FORMAT)) + ZEROS_MB)
    return b"".join(parts) + gzip.compress(bytes(1024))


@pytest.fixture
def plain(docker_client: docker.DockerClient, make_tiny: MakeTiny, tmp_path: Path) -> Path:
    return saved(docker_client, make_tiny, tmp_path)


@pytest.mark.parametrize(
    "compress", [gzip.compress, bz2.compress, lzma.compress], ids=["gzip", "bzip2", "xz"]
)
def test_compressed_layers_still_load_and_run(
    docker_client: docker.DockerClient, plain: Path, compress: LayerEdit
) -> None:
    archive = edit_save(plain, plain.parent / "compressed.tar", compress)
    assert archive.stat().st_size < plain.stat().st_size / 1.5
    image = load_image_archive(docker_client, archive)
    assert image.image_id == image_id(plain)
    output = docker_client.containers.run(image.image_id, remove=True, network_mode="none")
    assert output == b"hello-from-the-image\n"


def test_gzip_bomb_layer_refused_before_loading(
    docker_client: docker.DockerClient, plain: Path
) -> None:
    bomb = zero_files_layer(64)
    assert len(bomb) < 200 * 1024
    archive = edit_save(plain, plain.parent / "bomb.tar", lambda _: bomb)
    assert_refused(
        docker_client,
        archive,
        image_id(plain),
        r"^layer [0-9a-f]{64}/layer\.tar of your image unpacks to more than 16 MB, the limit "
        r"for one layer; leave data, caches and build tools out of the image",
        ImageLimits(max_layer_mb=16),
    )


def test_layers_listed_again_count_again_against_the_total(
    docker_client: docker.DockerClient, plain: Path
) -> None:
    archive = edit_save(
        plain,
        plain.parent / "thrice.tar",
        lambda _: zero_files_layer(12),
        layers=lambda names: names * 3,  # the engine unpacks a layer once per listing
    )
    assert_refused(
        docker_client,
        archive,
        image_id(plain),
        r"^your image is larger than 32 MB uncompressed; use a smaller base image",
        ImageLimits(max_total_mb=32),
    )


@pytest.mark.slow
def test_trailing_zeros_after_the_tar_are_counted_at_the_default_limits(
    docker_client: docker.DockerClient, plain: Path
) -> None:
    # The engine decompresses a layer to its end for its digest, past the tar's last block:
    # 2.1 GB of zeros there, in a 2 MB archive, are refused at the 2048 MB layer limit.
    archive = edit_save(
        plain, plain.parent / "bomb.tar", lambda layer: gzip.compress(layer) + ZEROS_MB * 2100
    )
    assert archive.stat().st_size < 8 * MB
    assert_refused(
        docker_client,
        archive,
        image_id(plain),
        r"unpacks to more than 2048 MB, the limit for one layer",
        ImageLimits(),
    )


def test_too_many_layers_refused(docker_client: docker.DockerClient, plain: Path) -> None:
    archive = edit_save(plain, plain.parent / "deep.tar", layers=lambda names: names * 128)
    assert_refused(
        docker_client,
        archive,
        image_id(plain),
        r"your image has 128 layers; the limit is 127: combine RUN steps, or flatten the image",
        ImageLimits(),
    )


def test_layer_with_too_many_entries_refused(
    docker_client: docker.DockerClient, plain: Path
) -> None:
    # Empty files cost an inode each on the worker and almost nothing in the archive.
    empty = tarfile.TarInfo("f")
    stream = io.BytesIO()
    with gzip.GzipFile(fileobj=stream, mode="wb") as out:
        for index in range(10_001):
            empty.name = f"f{index:07d}"
            out.write(empty.tobuf(tarfile.GNU_FORMAT))
        out.write(bytes(1024))
    layer = stream.getvalue()
    archive = edit_save(plain, plain.parent / "files.tar", lambda _: layer)
    assert_refused(
        docker_client,
        archive,
        image_id(plain),
        r"your image has more than 10000 files and folders in layer [0-9a-f]{64}/layer\.tar; "
        r"leave data, caches and build tools out",
        ImageLimits(max_layer_entries=10_000),
    )


def test_zstd_layer_refused(docker_client: docker.DockerClient, plain: Path) -> None:
    archive = edit_save(plain, plain.parent / "zstd.tar", zstd)
    assert_refused(
        docker_client,
        archive,
        image_id(plain),
        r"layer [0-9a-f]{64}/layer\.tar of your image is compressed with zstd, which is not "
        r"measured; save the image with docker save IMAGE -o model\.tar, uncompressed",
        ImageLimits(),
    )


def test_layer_that_is_not_a_tar_refused(docker_client: docker.DockerClient, plain: Path) -> None:
    archive = edit_save(plain, plain.parent / "junk.tar", lambda _: b"junk" * 1000)
    assert_refused(
        docker_client,
        archive,
        image_id(plain),
        r"layer [0-9a-f]{64}/layer\.tar of your image is not a tar \(bad header at byte 0",
        ImageLimits(),
    )


def test_layer_missing_from_the_archive_refused(
    docker_client: docker.DockerClient, plain: Path
) -> None:
    archive = edit_save(
        plain, plain.parent / "missing.tar", layers=lambda names: [*names, "elsewhere/layer.tar"]
    )
    assert_refused(
        docker_client,
        archive,
        image_id(plain),
        r"manifest\.json names layer elsewhere/layer\.tar, which is not a file in your archive",
        ImageLimits(),
    )


def test_root_headers_in_the_archive_count(docker_client: docker.DockerClient, plain: Path) -> None:
    root = tarfile.TarInfo("./")
    root.type = tarfile.DIRTYPE
    block = root.tobuf(tarfile.GNU_FORMAT)
    archive = edit_save(plain, plain.parent / "roots.tar", before=block * 200_000)
    packed = plain.parent / "roots.tar.gz"
    packed.write_bytes(gzip.compress(archive.read_bytes()))
    archive.unlink()
    assert packed.stat().st_size < 4 * MB
    assert_refused(
        docker_client,
        packed,
        image_id(plain),
        r"your image archive has more than 2048 entries, far more than docker save writes",
        ImageLimits(),
    )


def test_archive_cut_inside_a_layer_is_damaged_not_a_bad_layer(
    docker_client: docker.DockerClient, plain: Path
) -> None:
    data = plain.read_bytes()
    cut = plain.parent / "cut.tar"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ArchiveError, match=r"^your image archive is damaged or truncated \(data"):
        load_image_archive(docker_client, cut)
    assert sorted(p.name for p in plain.parent.iterdir()) == ["cut.tar", "model.tar"]


def test_a_full_worker_disk_is_not_blamed_on_the_archive(plain: Path) -> None:
    class FullDisk(io.BytesIO):
        def write(self, data: object) -> int:
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left on device") as info:
        rewrite_save(plain, FullDisk(), ImageLimits())
    assert not isinstance(info.value, ArchiveError | ImageError)
