"""Fixtures shared by every test: the real Docker engine and the runtime images."""

from __future__ import annotations

from collections.abc import Iterator

import docker
import pytest

RUNTIME_PYTHON = "podium/runtime-python:3.11"
TEST_LABEL = "org.podium.test"


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    """The real engine. A missing engine is a failure, never a skip (make test starts one)."""
    try:
        client = docker.from_env(timeout=300)
        client.ping()
    except docker.errors.DockerException as exc:
        pytest.fail(
            f"no Docker engine answers ({exc}); run scripts/ensure-docker (or `make test`, "
            "which starts one) and try again",
            pytrace=False,
        )
    yield client
    client.close()


@pytest.fixture(scope="session")
def runtime_python(docker_client: docker.DockerClient) -> str:
    """The id of podium/runtime-python:3.11, which `make images` builds."""
    try:
        return str(docker_client.images.get(RUNTIME_PYTHON).id)
    except docker.errors.ImageNotFound:
        pytest.fail(f"{RUNTIME_PYTHON} is missing; run `make images` first", pytrace=False)
