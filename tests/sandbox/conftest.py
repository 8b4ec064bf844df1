"""Fixtures for the intake tests: tiny images made without any registry, removed afterwards.

The engine itself comes from `tests/conftest.py::docker_client` (a missing engine fails there).
Everything created here carries the label org.podium.test=intake, so teardown finds it all,
including the intermediate images of builds (their Dockerfiles set the label first).
"""

from __future__ import annotations

import io
import tarfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path

import docker
import docker.errors
import pytest

RUNTIME_PYTHON = "podium/runtime-python:3.11"
INTAKE_LABEL = "org.podium.test"
INTAKE_VALUE = "intake"
# Host programs the tiny image holds: enough for RUN, CMD and a long `sleep`.
_PROGRAMS = ("sh", "sleep", "cat", "echo", "true", "false", "head", "tr")

MakeTiny = Callable[..., str]


def _tiny_rootfs(path: Path) -> Path:
    """A root filesystem of a few host binaries and the libraries they load (no downloads)."""
    needed = [f"/usr/bin/{name}" for name in _PROGRAMS] + [
        "/bin/sh",
        "/lib64/ld-linux-x86-64.so.2",
        "/lib/x86_64-linux-gnu/libc.so.6",
    ]
    added: set[str] = set()
    with tarfile.open(path, "w") as tf:
        for name in needed:
            _add_host_path(tf, Path(name), added)
        for name in ("tmp", "output"):
            folder = tarfile.TarInfo(name)
            folder.type, folder.mode = tarfile.DIRTYPE, 0o1777
            tf.addfile(folder)
    return path


def _add_host_path(tf: tarfile.TarFile, path: Path, added: set[str]) -> None:
    """Add `path` as the host has it, with every symbolic link on the way and its target."""
    current = Path("/")
    for part in path.parts[1:]:
        current = current / part
        if str(current) in added:
            if current.is_symlink():  # continue below the link's target instead
                _add_host_path(tf, current.resolve() / path.relative_to(current), added)
                return
            continue
        added.add(str(current))
        tf.add(current, arcname=str(current).lstrip("/"), recursive=False)
        if current.is_symlink():
            _add_host_path(tf, current.resolve(), added)
            rest = path.relative_to(current)
            if rest.parts:
                _add_host_path(tf, current.resolve() / rest, added)
            return


@pytest.fixture(scope="module")
def make_tiny(
    docker_client: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MakeTiny]:
    """Make a tiny labelled image by `docker import`; returns its tag. Removed at teardown."""
    rootfs = _tiny_rootfs(tmp_path_factory.mktemp("rootfs") / "rootfs.tar")

    def make(
        cmd: str | None = '["/bin/sh", "-c", "echo hi > /output/predictions.csv"]', marker: str = ""
    ) -> str:
        tag = uuid.uuid4().hex[:12]
        changes = [f"LABEL {INTAKE_LABEL}={INTAKE_VALUE}", f"LABEL marker={marker or tag}"]
        if cmd:
            changes.append(f"CMD {cmd}")
        docker_client.api.import_image_from_file(
            str(rootfs), repository="podium-test/tiny", tag=tag, changes=changes
        )
        return f"podium-test/tiny:{tag}"

    yield make
    remove_labelled(docker_client)


def remove_labelled(client: docker.DockerClient) -> None:
    """Remove every container and image labelled by these tests, children before parents."""
    selector = {"label": f"{INTAKE_LABEL}={INTAKE_VALUE}"}
    for container in client.api.containers(all=True, filters=selector):
        client.api.remove_container(container["Id"], force=True, v=True)
    for _ in range(5):
        images = sorted(
            client.api.images(all=True, filters=selector),
            key=lambda image: image["Created"],
            reverse=True,
        )
        if not images:
            return
        for image in images:
            # A parent whose child comes later in this round fails now; the next round gets it.
            with suppress(docker.errors.APIError):
                client.api.remove_image(image["Id"], force=True)


@pytest.fixture
def intake_cleanup(docker_client: docker.DockerClient) -> Iterator[None]:
    """Remove what a single test made (loaded or built images), even when it failed."""
    yield
    remove_labelled(docker_client)


@pytest.fixture(scope="module")
def build_base(docker_client: docker.DockerClient, make_tiny: MakeTiny) -> str:
    """The base for test builds: the platform's runtime image when built, else a tiny one."""
    try:
        docker_client.images.get(RUNTIME_PYTHON)
        return RUNTIME_PYTHON
    except docker.errors.ImageNotFound:
        return make_tiny()


def save_image(client: docker.DockerClient, reference: str, path: Path) -> Path:
    """`docker save` one image (by tag or id) to `path`, streamed."""
    with path.open("wb") as out:
        for chunk in client.api.get_image(reference):
            out.write(chunk)
    return path


def rewrite_tar(
    source: Path,
    dest: Path,
    edit: Callable[[str, bytes], bytes | None],
    extra: dict[str, bytes] | None = None,
    mode: str = "w",
) -> Path:
    """Copy a tar, passing small JSON members through `edit` (None drops it), adding `extra`."""
    with tarfile.open(source) as src, tarfile.open(dest, mode) as dst:
        for member in src:
            data = src.extractfile(member).read() if member.isreg() else None  # type: ignore[union-attr]
            if data is not None and member.name.endswith((".json", "repositories")):
                data = edit(member.name, data)
                if data is None:
                    continue
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data) if data is not None else None)
        for name, content in (extra or {}).items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            dst.addfile(info, io.BytesIO(content))
    return dest
