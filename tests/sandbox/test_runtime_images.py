"""The runtime images exist, hold what they promise, and are not rebuilt when unchanged."""

from __future__ import annotations

import io
import json
from importlib import metadata
from pathlib import Path

import docker
import pytest

from sandbox.limits import SandboxLimits
from sandbox.runner import SandboxRunner
from sandbox.runtime_images import RECIPE_LABEL, RuntimeImageBuilder, debian_mirror

pytestmark = pytest.mark.docker

PROBE = (
    "import json, sys, importlib\n"
    "found = {'python': sys.version.split()[0]}\n"
    "for name in ('numpy', 'pandas', 'sklearn', 'torch'):\n"
    "    try:\n"
    "        found[name] = importlib.import_module(name).__version__\n"
    "    except ImportError:\n"
    "        found[name] = None\n"
    "print(json.dumps(found))\n"
)


def _versions(client: docker.DockerClient, tag: str) -> dict[str, str | None]:
    image = client.images.get(tag)
    container = client.containers.run(
        image.id, ["python", "-c", PROBE], network_mode="none", remove=True, user="65534"
    )
    return json.loads(container.decode())


def test_second_build_skips_every_unchanged_recipe(docker_client: docker.DockerClient) -> None:
    lines: list[str] = []
    built = RuntimeImageBuilder(docker_client, log=lines.append).build_all(torch=True)
    assert sorted(built) == [
        "podium/runtime-python:3.11",
        "podium/runtime-sklearn:3.11",
        "podium/runtime-torch:3.11",
    ]
    assert [line for line in lines if line.startswith("building")] == []
    for tag, image_id in built.items():
        image = docker_client.images.get(tag)
        assert image.id == image_id
        assert len(image.labels[RECIPE_LABEL]) == 16


def test_runtime_images_hold_the_promised_packages(docker_client: docker.DockerClient) -> None:
    python = _versions(docker_client, "podium/runtime-python:3.11")
    sklearn = _versions(docker_client, "podium/runtime-sklearn:3.11")
    torch = _versions(docker_client, "podium/runtime-torch:3.11")
    assert str(python["python"]).startswith("3.11.")
    assert python["numpy"] is None and python["sklearn"] is None
    assert sklearn["numpy"] == metadata.version("numpy")
    assert sklearn["pandas"] == metadata.version("pandas")
    assert sklearn["sklearn"] == metadata.version("scikit-learn")
    assert sklearn["torch"] is None
    assert torch["torch"] == "2.13.0+cpu"


def test_runtime_torch_runs_in_the_sandbox(
    docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    (tmp_path / "in").mkdir()
    image = docker_client.images.build(
        fileobj=io.BytesIO(
            b'FROM podium/runtime-torch:3.11\nCMD ["python", "-c", '
            b'"import torch; print(float(torch.ones(3).sum()))"]\n'
        ),
        rm=True,
        labels={"org.podium.test": "runtime"},
    )[0]
    try:
        result = SandboxRunner(docker_client).run(
            image.id, tmp_path / "in", tmp_path / "out", SandboxLimits(memory_mb=1024)
        )
    finally:
        docker_client.images.remove(image.id, force=True)
    assert result.succeeded, result.stderr_tail
    assert result.stdout_tail == "3.0\n"


def test_debian_mirror_comes_from_this_hosts_apt() -> None:
    assert debian_mirror().startswith("http")
