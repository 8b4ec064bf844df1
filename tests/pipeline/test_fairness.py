"""Load and fairness (issue 13): a team with many queued submissions delays another team's single
submission by at most ``team_in_flight`` evaluations.

Real parts throughout: the submissions go through the upload's intake and the real enqueue, a
``podium worker`` process (one evaluation at a time, no reaper: the team's next submission is sent
by the worker when one ends) takes them from the real broker, builds and runs them in the real
sandbox. The order is read from the submissions' events (their ids grow as they are written),
never from clocks.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import docker
import docker.errors
import pytest
import yaml
from sqlmodel import select

from podium.db.models import Submission, SubmissionKind, SubmissionStatus, User
from podium.pipeline.fairness import TURN_CAME, waiting_for_team
from tests.pipeline.harness import Platform, Worker, constant_model, make_platform

pytestmark = [pytest.mark.docker, pytest.mark.slow]

SLUG = "fair-check"
BURST = 8  # team A's queued submissions


def _busy_bundle(quick: Path, dest: Path) -> Path:
    """The quick bundle, letting a team have many submissions in flight and per day."""
    shutil.copytree(quick, dest)
    spec = yaml.safe_load((dest / "challenge.yaml").read_text())
    spec["slug"] = SLUG
    for phase in spec["phases"]:
        phase["submissions"] = {"per_day": 100, "total": 200, "in_flight": 100}
    (dest / "challenge.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return dest


@pytest.fixture
def fair(tmp_path: Path, quick: Path, docker_client: docker.DockerClient) -> Iterator[Platform]:
    made = make_platform(tmp_path / "home")
    made.register(_busy_bundle(quick, tmp_path / "bundle"))
    yield made
    with made.session() as session:  # the images this platform built: only those
        digests = session.exec(select(Submission.image_digest).distinct()).all()
    for digest in filter(None, digests):
        with suppress(docker.errors.APIError):
            docker_client.api.remove_image(digest, force=True)


def _running_event(platform: Platform, submission_id: int) -> int:
    [running] = [e.id for e in platform.events(submission_id) if e.status.value == "running"]
    assert running is not None
    return running


def _submit(platform: Platform, user: User, model: bytes) -> int:
    return platform.submit(SLUG, SubmissionKind.BUILD, model, "model.tar", user=user)


def test_a_team_with_many_queued_delays_another_by_at_most_its_cap(
    fair: Platform, tmp_path: Path
) -> None:
    cap = fair.settings.team_in_flight
    model = constant_model(before=f"true {uuid.uuid4().hex}")  # an image of this test's own
    team_a, team_b = fair.participant(), fair.participant()
    worker = Worker(fair, tmp_path / "worker.log").wait_ready()
    try:
        burst = [_submit(fair, team_a, model) for _ in range(BURST)]
        single = _submit(fair, team_b, model)
        ended = {sid: fair.wait(sid, timeout=600) for sid in [*burst, single]}
    finally:
        worker.stop()
    for sid, submission in ended.items():
        assert submission.status is SubmissionStatus.FINISHED, (sid, submission.reason)
        assert len(fair.evaluations(sid)) == 1, sid  # each evaluated once, never twice
    b_started = _running_event(fair, single)
    before_b = [sid for sid in burst if _running_event(fair, sid) < b_started]
    assert len(before_b) <= cap, (before_b, cap)
    # A's later submissions waited unsent, said why, and went when their turn came
    for sid in burst[cap:]:
        details = [e.detail for e in fair.events(sid) if e.status.value == "queued"]
        assert details == [waiting_for_team(cap), TURN_CAME], (sid, details)
    assert [e.detail for e in fair.events(single) if e.status.value == "queued"] == [
        "waiting for a worker"
    ]
    # A's went in the order they were submitted
    starts = [_running_event(fair, sid) for sid in burst]
    assert starts == sorted(starts)
