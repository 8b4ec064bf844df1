"""The platform's own faults: retried with backoff, then ``error``, never charged (SECURITY.md,
"Whose fault"). Each is a real condition met by a real worker process: an engine that does not
answer, a stored upload that cannot be read, a staging disk that is full. A database that does
not answer is classified the same way (unit test below; the reaper re-queues the rest)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from podium.db.models import Submission, SubmissionKind, SubmissionStatus
from podium.pipeline.faults import ParticipantFault, PlatformFault, classify
from sandbox.errors import BuildError, EngineUnavailable
from tests.pipeline.harness import (
    Platform,
    Worker,
    constant_model,
    make_platform,
    model_context,
)

pytestmark = [pytest.mark.docker, pytest.mark.slow]

SLUG = "breast-cancer-diagnosis"
RETRIES = {"platform_retries": "1", "retry_backoff_seconds": "0.2"}


def _platform(tmp_path: Path, built: dict[str, Path], **overrides: str) -> Platform:
    platform = make_platform(tmp_path / "home", **RETRIES, **overrides)
    platform.register(built[SLUG])
    return platform


def _assert_platform_error(platform: Platform, submission_id: int, words: str) -> Submission:
    submission = platform.wait(submission_id, timeout=180)
    assert submission.status is SubmissionStatus.ERROR, submission.reason
    assert submission.charged is False
    assert words in (submission.reason or "")
    assert "it was tried 2 times. This does not count against your quota" in (
        submission.reason or ""
    )
    return submission


def test_an_engine_that_does_not_answer_is_retried_then_error(
    tmp_path: Path, built_examples: dict[str, Path]
) -> None:
    platform = _platform(tmp_path, built_examples)
    worker = Worker(platform, tmp_path / "w.log", PODIUM_DOCKER_HOST="unix:///nonexistent/d.sock")
    try:
        worker.wait_ready()
        submission_id = platform.submit(SLUG, SubmissionKind.BUILD, model_context("true"), "m.tar")
        _assert_platform_error(platform, submission_id, "the Docker engine is not reachable")
    finally:
        worker.stop()


def test_a_stored_upload_that_cannot_be_read_is_retried_then_error(
    tmp_path: Path, built_examples: dict[str, Path]
) -> None:
    platform = _platform(tmp_path, built_examples)
    submission_id = platform.submit(SLUG, SubmissionKind.BUILD, model_context("true"), "m.tar")
    Path(platform.get(submission_id).file_path).unlink()  # before any worker takes it
    worker = Worker(platform, tmp_path / "w.log").wait_ready()
    try:
        submission = _assert_platform_error(
            platform, submission_id, "the worker could not read or write its own files"
        )
        assert str(platform.settings.store_dir) not in (submission.reason or "")
    finally:
        worker.stop()


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A staging area on a 32 KB tmpfs: the hidden inputs do not fit."""
    mount = tmp_path / "staging"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32k", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_staging_disk_is_retried_then_error(
    tmp_path: Path, built_examples: dict[str, Path], full_disk: Path
) -> None:
    platform = _platform(tmp_path, built_examples, sandbox_staging=str(full_disk))
    worker = Worker(platform, tmp_path / "w.log").wait_ready()
    try:
        submission_id = platform.submit(SLUG, SubmissionKind.BUILD, constant_model(), "m.tar")
        _assert_platform_error(platform, submission_id, "the worker's disk is full")
    finally:
        worker.stop()


def test_whose_fault_each_error_is() -> None:
    down = OperationalError("SELECT 1", {}, Exception("could not connect to server"))
    assert isinstance(classify(down), PlatformFault)
    assert classify(down).message == "the database did not answer"  # type: ignore[union-attr]
    assert isinstance(classify(EngineUnavailable("engine down")), PlatformFault)
    assert isinstance(classify(FileNotFoundError(2, "No such file")), PlatformFault)
    assert isinstance(classify(BuildError("your build failed: x", "log")), ParticipantFault)
