"""Workers that die: killed mid-run and restarted, or a worker host gone for good.

Real processes on Redis and PostgreSQL: a ``podium worker`` is SIGKILLed (main process and pool
children) while its evaluation runs. Redis keeps the killed worker's message unacknowledged
until its visibility timeout (an hour), so the platform's reaper re-queues by id once the
heartbeats are ``stale_seconds`` old; the audit then checks every submission ended once, with
one set of scores, one MLflow run, one board entry, and no charge for the platform's fault.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import docker
import pytest

from podium.db.models import SubmissionKind, SubmissionStatus
from tests.pipeline.harness import Platform, Worker, constant_model, remove_runs_of
from tests.reliability.audit import audit
from tests.reliability.conftest import Row, require_root
from tests.reliability.stack import MakePlatform, redis_server, stack_platform  # noqa: F401

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.postgres]
STACK = "Redis + PostgreSQL"
FAST_REAPER = {"stale_seconds": "3", "reaper_interval_seconds": "1"}


def _submit_slow(platform: Platform, count: int, seconds: int = 4) -> list[int]:
    content = constant_model(before=f"sleep {seconds}")
    return [
        platform.submit("quick-check", SubmissionKind.BUILD, content, f"m{n}.tar")
        for n in range(count)
    ]


def _wait_all(platform: Platform, ids: list[int]) -> None:
    for submission_id in ids:
        platform.wait(submission_id, timeout=300)


def _outcomes(platform: Platform, submission_id: int) -> list[str | None]:
    return [e.parsed_report.outcome for e in platform.evaluations(submission_id)]


def test_a_worker_killed_mid_run_does_not_leave_its_submission_stuck(
    tmp_path: Path, quick: Path, stack_platform: MakePlatform,  # noqa: F811
    docker_client: docker.DockerClient, scale: str, report_row: Callable[[Row], None],
) -> None:  # fmt: skip
    started = time.monotonic()
    platform = stack_platform(**FAST_REAPER)
    platform.register(quick)
    first = Worker(platform, tmp_path / "first.log").wait_ready()
    ids = _submit_slow(platform, 2 if scale == "small" else 6)
    platform.wait(ids[0], timeout=180, statuses={SubmissionStatus.RUNNING})
    first.kill()
    second = Worker(platform, tmp_path / "second.log", reaper=True).wait_ready()
    try:
        _wait_all(platform, ids)
        found = audit(platform, ids)
    finally:
        second.stop()
        remove_runs_of(platform, docker_client)  # the killed run's container, and only it
    seconds = time.monotonic() - started
    report_row(
        found.row("worker SIGKILLed mid-run, restarted", injected=1, seconds=seconds, note=STACK)
    )
    found.assert_clean()
    assert _outcomes(platform, ids[0]) == ["abandoned", "finished"]
    details = [event.detail for event in platform.events(ids[0])]
    assert any(detail.startswith("re-queued by the reaper") for detail in details)
    assert platform.get(ids[0]).charged  # a finished submission counts once, retried or not


def _worker_on_host(platform: Platform, log: Path, host: str, *, reaper: bool) -> Worker:
    """A worker in a UTS namespace of its own named ``host`` (root: ``unshare --uts``)."""
    require_root("unshare", "a second host name")
    return Worker(platform, log, reaper=reaper, host=host)


def test_a_worker_host_gone_for_good_hands_its_evaluations_to_another(
    tmp_path: Path, quick: Path, stack_platform: MakePlatform,  # noqa: F811
    docker_client: docker.DockerClient, scale: str, report_row: Callable[[Row], None],
) -> None:  # fmt: skip
    started = time.monotonic()
    platform = stack_platform(**FAST_REAPER)
    platform.register(quick)
    gone = _worker_on_host(platform, tmp_path / "a.log", "host-a", reaper=False).wait_ready()
    ids = _submit_slow(platform, 1 if scale == "small" else 4)
    platform.wait(ids[0], timeout=180, statuses={SubmissionStatus.RUNNING})
    other = _worker_on_host(platform, tmp_path / "b.log", "host-b", reaper=True).wait_ready()
    gone.kill()  # host-a never comes back
    try:
        _wait_all(platform, ids)
        found = audit(platform, ids)
    finally:
        other.stop()
        remove_runs_of(platform, docker_client)
    seconds = time.monotonic() - started
    scenario = "worker host gone for good, another takes over"
    report_row(found.row(scenario, injected=1, seconds=seconds, note=STACK))
    found.assert_clean()
    evaluations = platform.evaluations(ids[0])
    assert [e.parsed_report.outcome for e in evaluations] == ["abandoned", "finished"]
    assert [str(e.worker).split(":")[0] for e in evaluations] == ["host-a", "host-b"]
