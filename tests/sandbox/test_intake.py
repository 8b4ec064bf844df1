"""Loading and building participant images against the real engine (no registry, no mocks)."""

from __future__ import annotations

import io
import json
import tarfile
import time
import zipfile
from pathlib import Path

import docker
import pytest

from sandbox.building import BuildLimits, build_image
from sandbox.errors import ArchiveError, BuildError, ImageError
from sandbox.intake import load_image_archive
from sandbox.logtail import TailBuffer
from tests.sandbox.conftest import (
    INTAKE_LABEL,
    INTAKE_VALUE,
    RUNTIME_PYTHON,
    MakeTiny,
    rewrite_tar,
    save_image,
)

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("intake_cleanup")]
LABELS = {INTAKE_LABEL: INTAKE_VALUE}
FAST = BuildLimits(wall_seconds=120, memory_mb=256)


def tag_ids(client: docker.DockerClient) -> dict[str, str]:
    return {tag: image["Id"] for image in client.api.images() for tag in image["RepoTags"] or ()}


def saved(client: docker.DockerClient, make_tiny: MakeTiny, tmp_path: Path, **kwargs: str) -> Path:
    """A `docker save` of a fresh tiny image, which is then removed from the engine."""
    tag = make_tiny(**kwargs)
    archive = save_image(client, tag, tmp_path / "model.tar")
    client.api.remove_image(tag)
    return archive


# Loading ------------------------------------------------------------------------------------


def test_load_good_archive_returns_id_and_applies_no_tag(
    docker_client: docker.DockerClient, make_tiny: MakeTiny, tmp_path: Path
) -> None:
    archive = saved(docker_client, make_tiny, tmp_path)
    with tarfile.open(archive) as tf:
        manifest = json.load(tf.extractfile("manifest.json"))  # type: ignore[arg-type]
    image = load_image_archive(docker_client, archive)
    assert image.image_id == "sha256:" + manifest[0]["Config"].removesuffix(".json")
    assert image.digest == image.image_id
    assert image.tags == tuple(manifest[0]["RepoTags"])
    assert 1 < image.size_mb < 10
    assert docker_client.api.inspect_image(image.image_id)["RepoTags"] == []
    assert [p.name for p in tmp_path.iterdir()] == ["model.tar"]  # temporary copy removed


def test_load_gzip_archive(
    docker_client: docker.DockerClient, make_tiny: MakeTiny, tmp_path: Path
) -> None:
    plain = saved(docker_client, make_tiny, tmp_path)
    archive = rewrite_tar(plain, tmp_path / "model.tar.gz", lambda name, data: data, mode="w:gz")
    assert load_image_archive(docker_client, archive).image_id.startswith("sha256:")


def test_two_images_refused(
    docker_client: docker.DockerClient, make_tiny: MakeTiny, tmp_path: Path
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = saved(docker_client, make_tiny, tmp_path / "a")
    second = saved(docker_client, make_tiny, tmp_path / "b", cmd='["/bin/true"]')
    with tarfile.open(second) as tf:
        other = json.load(tf.extractfile("manifest.json"))  # type: ignore[arg-type]
        members = {m.name: tf.extractfile(m).read() for m in tf if m.isreg()}  # type: ignore[union-attr]

    def merge(name: str, data: bytes) -> bytes | None:
        return json.dumps(json.loads(data) + other).encode() if name == "manifest.json" else data

    extra = {
        name: data
        for name, data in members.items()
        if not name.endswith(("manifest.json", "repositories"))
    }
    archive = rewrite_tar(first, tmp_path / "two.tar", merge, extra)
    before = tag_ids(docker_client)
    with pytest.raises(ImageError, match=r"holds 2 images; save exactly one: docker save IMAGE -o"):
        load_image_archive(docker_client, archive)
    assert tag_ids(docker_client) == before


def test_repo_tags_naming_the_runtime_image_are_not_applied(
    docker_client: docker.DockerClient, make_tiny: MakeTiny, tmp_path: Path
) -> None:
    def hijack(name: str, data: bytes) -> bytes | None:
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest[0]["RepoTags"] = [RUNTIME_PYTHON]
            return json.dumps(manifest).encode()
        if name == "repositories":
            image_id = next(iter(json.loads(data).values()))
            return json.dumps({"podium/runtime-python": image_id}).encode()
        return data

    archive = rewrite_tar(saved(docker_client, make_tiny, tmp_path), tmp_path / "evil.tar", hijack)
    before = tag_ids(docker_client).get(RUNTIME_PYTHON)
    image = load_image_archive(docker_client, archive)
    assert image.tags == (RUNTIME_PYTHON,)
    assert tag_ids(docker_client).get(RUNTIME_PYTHON) == before  # unchanged, or still absent
    assert docker_client.api.inspect_image(image.image_id)["RepoTags"] == []


@pytest.mark.parametrize("name", ["../evil", "/etc/evil", "x/../../evil"])
def test_traversal_member_refused(
    docker_client: docker.DockerClient, make_tiny: MakeTiny, tmp_path: Path, name: str
) -> None:
    archive = rewrite_tar(
        saved(docker_client, make_tiny, tmp_path),
        tmp_path / "evil.tar",
        lambda n, data: data,
        {name: b"pwned"},
    )
    with pytest.raises(ArchiveError, match="(traversal|absolute path)"):
        load_image_archive(docker_client, archive)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.tar", "model.tar"]
    assert not (tmp_path.parent / "evil").exists()


def test_oversize_file_refused(
    docker_client: docker.DockerClient, make_tiny: MakeTiny, tmp_path: Path
) -> None:
    archive = saved(docker_client, make_tiny, tmp_path)
    with pytest.raises(ImageError, match=r"your image archive is 2 MB; the limit is 1 MB"):
        load_image_archive(docker_client, archive, max_mb=1)


def test_decompression_bomb_refused(
    docker_client: docker.DockerClient, make_tiny: MakeTiny, tmp_path: Path
) -> None:
    bomb = rewrite_tar(
        saved(docker_client, make_tiny, tmp_path),
        tmp_path / "bomb.tar.gz",
        lambda n, data: data,
        {"zeros/layer.tar": bytes(8 * 1024 * 1024)},
        "w:gz",
    )
    assert bomb.stat().st_size < 2 * 1024 * 1024
    with pytest.raises(ImageError, match=r"larger than 4 MB uncompressed"):
        load_image_archive(docker_client, bomb, max_mb=4)


def test_not_an_archive_and_missing_manifest_refused(
    docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    (tmp_path / "junk.tar").write_bytes(b"not an archive at all" * 100)
    with pytest.raises(ImageError, match="not a `docker save` archive"):
        load_image_archive(docker_client, tmp_path / "junk.tar")
    with tarfile.open(tmp_path / "empty.tar", "w") as tf:
        tf.addfile(tarfile.TarInfo("hello.txt"))
    with pytest.raises(ImageError, match="no manifest.json"):
        load_image_archive(docker_client, tmp_path / "empty.tar")


def test_image_without_cmd_refused_and_removed(
    docker_client: docker.DockerClient, make_tiny: MakeTiny, tmp_path: Path
) -> None:
    archive = saved(docker_client, make_tiny, tmp_path, cmd=None)  # type: ignore[arg-type]
    with tarfile.open(archive) as tf:
        manifest = json.load(tf.extractfile("manifest.json"))  # type: ignore[arg-type]
    image_id = "sha256:" + manifest[0]["Config"].removesuffix(".json").split("/")[-1]
    with pytest.raises(ImageError, match="no ENTRYPOINT or CMD; add one that writes predictions"):
        load_image_archive(docker_client, archive)
    with pytest.raises(docker.errors.ImageNotFound):  # this test's image only: others share
        docker_client.api.inspect_image(image_id)


# Building -----------------------------------------------------------------------------------


def dockerfile(base: str, *steps: str) -> bytes:
    # The label comes first so every intermediate image carries it, for the cleanup.
    lines = [f"FROM {base}", f"LABEL {INTAKE_LABEL}={INTAKE_VALUE}", *steps]
    return ("\n".join(lines) + "\n").encode()


def context(path: Path, files: dict[str, bytes]) -> Path:
    """A context archive; the format follows the suffix (.tar, .tar.gz, .zip)."""
    if path.suffix == ".zip":
        with zipfile.ZipFile(path, "w") as zf:
            for name, data in files.items():
                zf.writestr(name, data)
        return path
    with tarfile.open(path, "w:gz" if path.name.endswith(".gz") else "w") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


GOOD_STEPS = ("COPY hello.txt /hello.txt", 'CMD ["/bin/sh", "-c", "cat /hello.txt"]')


@pytest.mark.parametrize(
    "name,prefix",
    [("c.tar", ""), ("c.tar.gz", ""), ("c.zip", ""), ("c.zip", "my_model/"), ("c.tar.gz", "./")],
)
def test_build_good_context(
    docker_client: docker.DockerClient, build_base: str, tmp_path: Path, name: str, prefix: str
) -> None:
    files = {
        f"{prefix}Dockerfile": dockerfile(build_base, *GOOD_STEPS),
        f"{prefix}hello.txt": b"hello from the context\n",
    }
    built = build_image(docker_client, context(tmp_path / name, files), FAST, labels=LABELS)
    attrs = docker_client.api.inspect_image(built.image_id)
    assert attrs["Config"]["Labels"][INTAKE_LABEL] == INTAKE_VALUE
    assert built.digest == built.image_id and 0 < built.build_seconds  # noqa: SIM300
    assert "Successfully built" in built.build_log
    output = docker_client.containers.run(built.image_id, remove=True, network_mode="none")
    assert output == b"hello from the context\n"


def test_context_without_dockerfile_refused(
    docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    archive = context(tmp_path / "c.zip", {"a/Dockerfile": b"FROM x\n", "b/x.txt": b""})
    with pytest.raises(ImageError, match=r"no Dockerfile at its root .*\(found: a/Dockerfile\)"):
        build_image(docker_client, archive, FAST)


def test_unsafe_context_refused(docker_client: docker.DockerClient, tmp_path: Path) -> None:
    archive = context(tmp_path / "c.tar", {"Dockerfile": b"FROM x\n", "../escape": b""})
    with pytest.raises(ArchiveError, match="traversal"):
        build_image(docker_client, archive, FAST)


def test_failing_run_gives_build_error_with_log(
    docker_client: docker.DockerClient, build_base: str, tmp_path: Path
) -> None:
    steps = ("RUN echo before-the-failure && exit 3",)
    archive = context(tmp_path / "c.tar", {"Dockerfile": dockerfile(build_base, *steps)})
    with pytest.raises(
        BuildError, match="your build failed: .*returned a non-zero code: 3"
    ) as info:
        build_image(docker_client, archive, FAST, labels=LABELS)
    assert "before-the-failure" in info.value.log_tail


def test_build_past_wall_limit_is_stopped(
    docker_client: docker.DockerClient, build_base: str, tmp_path: Path
) -> None:
    steps = ("RUN echo started-sleeping && sleep 60", 'CMD ["true"]')
    archive = context(tmp_path / "c.tar", {"Dockerfile": dockerfile(build_base, *steps)})
    started = time.monotonic()
    with pytest.raises(BuildError, match=r"ran longer than 5 s and was stopped") as info:
        build_image(docker_client, archive, BuildLimits(wall_seconds=5), labels=LABELS)
    assert time.monotonic() - started < 30
    assert "started-sleeping" in info.value.log_tail
    selector = {"label": f"{INTAKE_LABEL}={INTAKE_VALUE}"}
    deadline = time.monotonic() + 30  # the engine kills and removes the step's container
    while docker_client.api.containers(all=True, filters=selector) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert docker_client.api.containers(all=True, filters=selector) == []


def test_build_log_tail_is_capped(
    docker_client: docker.DockerClient, build_base: str, tmp_path: Path
) -> None:
    steps = (
        "RUN for i in 1 2 3 4 5 6 7 8; do head -c 20000 /dev/zero | tr '\\0' x; echo; done",
        'CMD ["true"]',
    )
    archive = context(tmp_path / "c.tar", {"Dockerfile": dockerfile(build_base, *steps)})
    built = build_image(
        docker_client, archive, BuildLimits(wall_seconds=120, log_kb=16), labels=LABELS
    )
    assert built.build_log.startswith("[... ") and "bytes truncated ...]" in built.build_log
    assert len(built.build_log) < 17 * 1024
    assert built.build_log.rstrip().endswith("Successfully built " + built.image_id[7:19])


def test_log_tail_keeps_the_end_in_flat_memory() -> None:
    tail = TailBuffer(100)
    for index in range(10_000):
        tail.write(f"line {index}\n".encode())
    text = tail.text()
    assert text.endswith("line 9999\n")
    assert text.startswith("[... ")
    assert tail.dropped_bytes == sum(len(f"line {i}\n") for i in range(10_000)) - 100
