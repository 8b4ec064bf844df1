"""Pipeline fixtures: one platform + worker per module (the built examples: tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tests.pipeline.harness import Platform, Worker, make_platform


@pytest.fixture(scope="module")
def platform(
    tmp_path_factory: pytest.TempPathFactory,
    docker_client: docker.DockerClient,
    built_examples: dict[str, Path],
    quick: Path,
) -> Platform:
    """A fresh SQLite platform for the module, with the examples and the quick challenge."""
    made = make_platform(tmp_path_factory.mktemp("home"))
    for folder in [*built_examples.values(), quick]:
        made.register(folder)
    return made


@pytest.fixture(scope="module")
def worker(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    """One worker process serving the module's platform."""
    started = Worker(platform, tmp_path_factory.mktemp("logs") / "worker.log").wait_ready()
    yield started
    started.stop()
