"""A worker killed mid-run, and MLflow being down: no submission stuck, no score lost."""

from __future__ import annotations

import time
from pathlib import Path

import docker
import pytest

from podium.db.models import SubmissionKind, SubmissionStatus
from podium.pipeline.recording import PENDING_KEY, retry_pending
from podium.tracking import Tracker
from tests.pipeline.harness import (
    Platform,
    Worker,
    constant_model,
    make_platform,
    remove_runs_of,
)

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def _slow_model(quick: Path, seconds: int) -> bytes:
    """Sleeps, then predicts every id it is given (the smoke run's sample, then the hidden)."""
    return constant_model(before=f"sleep {seconds}")


def test_a_worker_killed_mid_run_does_not_leave_its_submission_stuck(
    tmp_path: Path, quick: Path, docker_client: docker.DockerClient
) -> None:
    platform = make_platform(tmp_path / "home", stale_seconds="3", reaper_interval_seconds="1")
    platform.register(quick)
    first = Worker(platform, tmp_path / "first.log").wait_ready()
    submission_id = platform.submit(
        "quick-check", SubmissionKind.BUILD, _slow_model(quick, 5), "m.tar"
    )
    platform.wait(submission_id, timeout=120, statuses={SubmissionStatus.RUNNING})
    first.kill()
    # the SQLite broker never redelivers the killed worker's message: only the reaper can help
    second = Worker(platform, tmp_path / "second.log", reaper=True).wait_ready()
    try:
        submission = platform.wait(submission_id, timeout=120)
    finally:
        second.stop()
        # The killed worker's container outlives it until its deadline, when the reaper
        # removes it; this test removes it now, and only it (the engine is shared).
        remove_runs_of(platform, docker_client)
    assert submission.status is SubmissionStatus.FINISHED, submission.reason
    outcomes = [e.report.get("outcome") for e in platform.evaluations(submission_id)]
    assert outcomes == ["abandoned", "finished"]
    details = [event.detail for event in platform.events(submission_id)]
    assert any(detail.startswith("re-queued by the reaper") for detail in details)


def _wait_pending(platform: Platform, submission_id: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if PENDING_KEY in platform.evaluations(submission_id)[-1].report:
            return
        time.sleep(0.2)
    raise AssertionError("the failed MLflow write was not recorded")


def test_scores_survive_an_mlflow_outage_and_the_run_is_written_later(
    tmp_path: Path, quick: Path, docker_client: docker.DockerClient
) -> None:
    platform = make_platform(tmp_path / "home")
    platform.register(quick)
    unwritable = "sqlite:////proc/podium-no-such-dir/mlflow.db"
    worker = Worker(platform, tmp_path / "w.log", PODIUM_MLFLOW_TRACKING_URI=unwritable)
    worker.wait_ready()
    try:
        content = _slow_model(quick, 0)
        submission_id = platform.submit("quick-check", SubmissionKind.BUILD, content, "m.tar")
        submission = platform.wait(submission_id, timeout=120)
        _wait_pending(platform, submission_id)
    finally:
        worker.stop()
    assert submission.status is SubmissionStatus.FINISHED, submission.reason
    assert platform.get(submission_id).mlflow_run_id is None
    assert platform.scores(submission_id)[("all", "roc_auc")].value == pytest.approx(0.5)
    assert platform.evaluations(submission_id)[-1].report[PENDING_KEY] is True
    # MLflow is back (the platform's own store): the pending run is written
    tracker = Tracker.from_settings(platform.settings)
    assert retry_pending(platform.session, tracker) == 1
    run_id = platform.get(submission_id).mlflow_run_id
    assert run_id is not None
    assert tracker.get_run_metrics(run_id)["all_roc_auc"] == pytest.approx(0.5)
    assert platform.evaluations(submission_id)[-1].report[PENDING_KEY] is False
    assert retry_pending(platform.session, tracker) == 0
