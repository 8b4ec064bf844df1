"""The same pipeline with a real Redis broker, and with a real PostgreSQL database."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from podium.db.models import SubmissionKind, SubmissionStatus
from podium.pipeline.examples import pack_context
from tests.pipeline.harness import Platform, Worker, free_port, make_platform

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path_factory.mktemp("redis"))],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    import redis

    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(timeout=10)


def _run_baseline(platform: Platform, built: dict[str, Path], log: Path) -> None:
    platform.register(built["breast-cancer-diagnosis"])
    worker = Worker(platform, log).wait_ready()
    try:
        content = pack_context(built["breast-cancer-diagnosis"] / "baseline")
        submission_id = platform.submit(
            "breast-cancer-diagnosis", SubmissionKind.BUILD, content, "b.tar"
        )
        submission = platform.wait(submission_id, timeout=240)
        run_id = platform.wait_tracked(submission_id)
    finally:
        worker.stop()
    assert submission.status is SubmissionStatus.FINISHED, submission.reason
    assert 0.97 <= platform.scores(submission_id)[("all", "roc_auc")].value <= 1.0
    assert run_id


def test_the_pipeline_runs_over_a_redis_broker(
    tmp_path: Path, redis_url: str, built_examples: dict[str, Path],
    docker_client: docker.DockerClient,
) -> None:  # fmt: skip
    platform = make_platform(tmp_path / "home", broker_url=redis_url)
    assert platform.settings.result_backend == redis_url
    _run_baseline(platform, built_examples, tmp_path / "worker.log")


def test_the_pipeline_runs_on_postgresql(
    tmp_path: Path, postgres_url: str, built_examples: dict[str, Path],
    docker_client: docker.DockerClient,
) -> None:  # fmt: skip
    platform = make_platform(tmp_path / "home", database_url=postgres_url)
    assert platform.engine.dialect.name == "postgresql"
    _run_baseline(platform, built_examples, tmp_path / "worker.log")
