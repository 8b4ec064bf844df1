"""MLflow down for a while: the scores are kept, and the runs are written once it is back.

The worker's tracking URI points where nothing can be written (MLflow is "down"); every
submission still finishes with its scores and board entry, its run marked pending. Then a
worker whose MLflow answers starts with its reaper, which writes the pending runs: one each.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import docker
import pytest

from podium.db.models import SubmissionKind
from tests.pipeline.harness import Platform, Worker, constant_model
from tests.reliability.audit import audit
from tests.reliability.conftest import Row
from tests.reliability.stack import MakePlatform, redis_server, stack_platform  # noqa: F401

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.postgres]
UNWRITABLE = "sqlite:////proc/podium-no-such-dir/mlflow.db"


def _wait_pending(platform: Platform, submission_id: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if platform.evaluations(submission_id)[-1].parsed_report.mlflow_pending:
            return
        time.sleep(0.2)
    raise AssertionError("the failed MLflow write was not recorded")


def test_scores_survive_an_mlflow_outage_and_the_run_is_written_later(
    tmp_path: Path, quick: Path, stack_platform: MakePlatform,  # noqa: F811
    docker_client: docker.DockerClient, scale: str, report_row: Callable[[Row], None],
) -> None:  # fmt: skip
    started = time.monotonic()
    platform = stack_platform(reaper_interval_seconds="1")
    platform.register(quick)
    down = Worker(platform, tmp_path / "down.log", PODIUM_MLFLOW_TRACKING_URI=UNWRITABLE)
    down.wait_ready()
    try:
        content = constant_model()
        count = 2 if scale == "small" else 8
        ids = [
            platform.submit("quick-check", SubmissionKind.BUILD, content, f"m{n}.tar")
            for n in range(count)
        ]
        for submission_id in ids:
            platform.wait(submission_id, timeout=180)
            _wait_pending(platform, submission_id)
    finally:
        down.stop()
    during = audit(platform, ids, mlflow_timeout=0)
    # everything but MLflow holds: scores, states, the board; the runs are missing (pending)
    assert during.board_agrees and not during.mlflow_agrees
    assert sorted(during.lost) == sorted(ids) and not during.duplicated
    assert all(platform.scores(sid)[("all", "roc_auc")].value == pytest.approx(0.5) for sid in ids)
    assert all(platform.get(sid).mlflow_run_id is None for sid in ids)
    back = Worker(platform, tmp_path / "back.log", reaper=True).wait_ready()
    try:  # the reaper writes the pending runs on its next passes
        found = audit(platform, ids, mlflow_timeout=120)
    finally:
        back.stop()
    seconds = time.monotonic() - started
    report_row(found.row("MLflow down, back later", injected=1, seconds=seconds,
                         note="runs written by the reaper once MLflow answers"))  # fmt: skip
    found.assert_clean()
    reports = [platform.evaluations(sid)[-1].parsed_report for sid in ids]
    assert [r.mlflow_pending for r in reports] == [False] * len(ids)
