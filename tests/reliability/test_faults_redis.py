"""Redis restarted while submissions are queued: none lost, none run twice.

The broker is a real ``redis-server`` with an append-only file. Redis is stopped and started
again on the same port and folder twice: while every submission waits in it (no worker yet),
and while one worker (one evaluation at a time) runs the first. Its AOF brings the queued
messages back and the worker reconnects by itself.

The message of the evaluation running during the restart stays in Redis's ``unacked`` hash;
kombu hands it out again after its visibility timeout (an hour). The test does that now, as
kombu would (back onto its queue), and the worker skips it: the submission has already ended.
The reaper's re-send of long-queued submissions (``queued_stale_seconds``) is the safety net
for a broker that lost its messages; here it is set long, so the AOF alone is tested.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import docker
import pytest

from podium.db.models import SubmissionKind, SubmissionStatus
from tests.pipeline.harness import Worker, constant_model
from tests.reliability.audit import audit
from tests.reliability.conftest import Row
from tests.reliability.stack import (  # noqa: F401
    MakePlatform,
    RedisServer,
    redis_server,
    stack_platform,
)

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.postgres]


def _redeliver_unacked(redis: RedisServer) -> int:
    """Put every unacknowledged message back on its queue, as kombu's restore does."""
    import redis as redis_client

    client = redis_client.Redis(port=redis.port)
    restored = 0
    for tag, raw in client.hgetall("unacked").items():
        message, _exchange, routing_key = json.loads(raw)
        client.lpush(routing_key or "default", json.dumps(message))
        client.hdel("unacked", tag)
        client.zrem("unacked_index", tag)
        restored += 1
    return restored


def _wait_skipped(log: Path, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.read_text(errors="replace").count("'skipped'") >= count:
            return
        time.sleep(0.2)
    raise AssertionError(f"the worker did not skip the redelivered message:\n{log.read_text()}")


def test_a_redis_restart_with_submissions_queued_loses_none(
    tmp_path: Path, quick: Path, stack_platform: MakePlatform,  # noqa: F811
    redis_server: RedisServer, docker_client: docker.DockerClient,  # noqa: F811
    scale: str, report_row: Callable[[Row], None],
) -> None:  # fmt: skip
    started = time.monotonic()
    platform = stack_platform(queued_stale_seconds="3600", reaper_interval_seconds="1")
    platform.register(quick)
    log = tmp_path / "worker.log"
    content = constant_model(before="sleep 3")
    ids = [
        platform.submit("quick-check", SubmissionKind.BUILD, content, f"m{n}.tar")
        for n in range(3 if scale == "small" else 10)
    ]
    queued = redis_server.queued()
    assert queued == len(ids)  # no worker yet: every message waits in Redis
    redis_server.stop()
    redis_server.start()
    assert redis_server.queued() == len(ids)  # the AOF brought them back
    worker = Worker(platform, log, reaper=True).wait_ready()
    try:
        platform.wait(ids[0], timeout=180, statuses={SubmissionStatus.RUNNING})
        redis_server.stop()  # again, with an evaluation running and the others queued
        redis_server.start()
        for submission_id in ids:
            platform.wait(submission_id, timeout=300)
        restored = _redeliver_unacked(redis_server)
        _wait_skipped(log, restored)
        found = audit(platform, ids)
    finally:
        worker.stop()
    resent = sum(
        event.detail == "enqueued again by the reaper"
        for sid in ids
        for event in platform.events(sid)
    )
    seconds = time.monotonic() - started
    note = (
        f"restarted twice: {queued} queued (no worker), then mid-run; AOF kept them; "
        f"{restored} unacked redelivered and skipped; {resent} re-sent by the reaper"
    )
    report_row(found.row("Redis restarted with submissions queued", injected=2,
                         seconds=seconds, note=note))  # fmt: skip
    found.assert_clean()
    assert resent == 0  # the AOF kept them: the safety net was not needed
