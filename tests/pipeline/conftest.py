"""Pipeline fixtures: example bundles built once per session; one platform + worker per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from challenges.examples import build_all
from tests.pipeline.harness import Platform, Worker, make_platform, quick_bundle


@pytest.fixture(scope="session")
def built_examples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every example bundle with its data built, in a session temp folder (source untouched)."""
    return build_all(tmp_path_factory.mktemp("pipeline-examples"))


@pytest.fixture(scope="session")
def quick(built_examples: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The breast-cancer bundle with an 8 s wall-time limit, slug ``quick-check``."""
    return quick_bundle(
        built_examples["breast-cancer-diagnosis"], tmp_path_factory.mktemp("quick") / "quick"
    )


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
