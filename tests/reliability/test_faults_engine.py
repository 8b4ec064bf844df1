"""The Docker engine stopped in the middle of a run and started again later.

The scenario runs on a private ``dockerd`` (:mod:`tests.reliability.engine`), never the shared
one. The issue's outage is a minute; here it is ``OUTAGE_SECONDS`` (20 s, plus the engine's own
shutdown, which stops the running containers), to keep CI short. The worker retries platform
faults with backoff; this test gives it ``platform_retries=5`` from 2 s (2+4+8+16+32 s, about a
minute of retries). With the defaults (3 retries from 2 s, 14 s in all) a longer outage ends
the submission as ``error``, never charged; either way none is charged for the engine's fault.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from podium.db.models import SubmissionKind, SubmissionStatus
from tests.pipeline.harness import Platform, Worker, constant_model, remove_runs_of
from tests.reliability.audit import audit
from tests.reliability.conftest import Row
from tests.reliability.engine import PrivateEngine, private_engine  # noqa: F401
from tests.reliability.stack import MakePlatform, redis_server, stack_platform  # noqa: F401

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.postgres]
OUTAGE_SECONDS = 20


def _submit(platform: Platform, content: bytes, name: object) -> int:
    return platform.submit("quick-check", SubmissionKind.BUILD, content, f"{name}.tar")


def test_an_engine_stopped_mid_run_and_started_again_loses_nothing(
    tmp_path: Path, quick: Path, stack_platform: MakePlatform,  # noqa: F811
    private_engine: PrivateEngine, scale: str, report_row: Callable[[Row], None],  # noqa: F811
) -> None:  # fmt: skip
    started = time.monotonic()
    platform = stack_platform(
        docker_host=private_engine.url, platform_retries="5", retry_backoff_seconds="2"
    )
    platform.register(quick)
    worker = Worker(platform, tmp_path / "worker.log", reaper=True).wait_ready()
    content = constant_model(before="sleep 5")
    try:
        ids = [_submit(platform, content, n) for n in range(1 if scale == "small" else 4)]
        platform.wait(ids[0], timeout=180, statuses={SubmissionStatus.RUNNING})
        private_engine.stop()
        ids.append(
            _submit(platform, content, "during-outage")
        )  # accepted and queued while the engine is away
        time.sleep(OUTAGE_SECONDS)
        private_engine.start()
        for submission_id in ids:
            platform.wait(submission_id, timeout=300)
        found = audit(platform, ids)
    finally:
        worker.stop()
        client = private_engine.client()
        remove_runs_of(platform, client)
        client.close()
    seconds = time.monotonic() - started
    note = f"private dockerd stopped (SIGTERM) for {OUTAGE_SECONDS} s; Redis + PostgreSQL"
    report_row(found.row("Docker engine stopped mid-run, restarted", injected=1,
                         seconds=seconds, note=note))  # fmt: skip
    found.assert_clean()
    outcomes = [e.parsed_report.outcome for e in platform.evaluations(ids[0])]
    assert outcomes[-1] == "finished" and "platform_fault" in outcomes, outcomes
