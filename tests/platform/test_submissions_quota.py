"""Per-team quotas: 24 hours, total, in flight; what never counts; the 429 answers."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, select

from podium.crud.teams import create_team, invite, join
from podium.db.models import Evaluation, Phase, Submission, SubmissionStatus
from podium.db.types import utcnow
from podium.store import Store
from tests.platform.factories import make_user
from tests.platform.submission_helpers import (
    Recorder,
    World,
    files_under,
    make_world,
    record_recorder,
    upload,
)

FINISHED = SubmissionStatus.FINISHED


@pytest.fixture
def world(session: Session, store: Store, tmp_path: Path) -> World:
    # the tiny bundle's limits: per_day 3, total 10, in_flight 1
    return make_world(session, store, tmp_path)


@pytest.fixture
def recorder(app: FastAPI) -> Recorder:
    return record_recorder(app)


def _refused(answer: Response) -> datetime | None:
    assert answer.status_code == 429, answer.text
    retry_at = answer.json().get("retry_at")  # absent: no time can be given
    return datetime.fromisoformat(retry_at) if retry_at is not None else None


def _assert_retry_after(answer: Response, retry_at: datetime) -> None:
    wait = (retry_at - utcnow()).total_seconds()
    assert abs(int(answer.headers["retry-after"]) - wait) <= 5


def test_rolling_24_hours(
    client: TestClient, session: Session, world: World, store: Store, recorder: Recorder
) -> None:
    now = utcnow()
    world.submission(session, world.alice, status=FINISHED, created_at=now - timedelta(hours=25))
    oldest = now - timedelta(hours=23)
    for created in (oldest, now - timedelta(hours=2), now - timedelta(minutes=5)):
        world.submission(session, world.alice, status=FINISHED, created_at=created)
    answer = upload(client, world.headers(session, world.alice))
    retry_at = _refused(answer)
    assert retry_at == oldest + timedelta(hours=24)
    _assert_retry_after(answer, retry_at)
    assert answer.json()["detail"] == (
        "your team has made 3 submission(s) in the last 24 hours and 'development' allows 3; "
        f"the next one is allowed at {retry_at.isoformat()}"
    )
    assert files_under(store.uploads_dir()) == [] and recorder.ids == []


def test_total(client: TestClient, session: Session, world: World, recorder: Recorder) -> None:
    old = utcnow() - timedelta(days=10)
    for n in range(10):
        world.submission(session, world.alice, status=FINISHED, created_at=old + timedelta(hours=n))
    headers = world.headers(session, world.alice)
    never = upload(client, headers)
    assert _refused(never) is None and "retry-after" not in never.headers
    assert never.json()["detail"] == (
        "your team has used all 10 submissions of phase 'development'; no later phase is planned"
    )
    assert world.challenge.id is not None
    start = utcnow() + timedelta(days=3)
    session.add(
        Phase(
            challenge_id=world.challenge.id, position=1, name="final", data_key="test",
            start=start, end=start + timedelta(days=1), public_fraction=0.5,
        )
    )  # fmt: skip
    session.commit()
    later = upload(client, headers)
    retry_at = _refused(later)
    assert retry_at == start
    _assert_retry_after(later, start)
    assert later.json()["detail"].endswith(f"phase 'final' opens at {start.isoformat()}")


def test_in_flight(client: TestClient, session: Session, world: World, recorder: Recorder) -> None:
    queued = world.submission(session, world.alice, status=SubmissionStatus.QUEUED)
    headers = world.headers(session, world.alice)
    polled = upload(client, headers)
    retry_at = _refused(polled)
    assert retry_at is not None
    assert timedelta(seconds=20) < retry_at - utcnow() <= timedelta(seconds=30)
    _assert_retry_after(polled, retry_at)
    assert polled.json()["detail"] == (
        "your team has 1 submission(s) still being evaluated and 'development' allows 1 at "
        "once; wait for one to finish (or cancel it) and submit again"
    )
    deadline = utcnow() + timedelta(minutes=10)
    assert queued.id is not None
    session.add(Evaluation(submission_id=queued.id, attempt=1, deadline=deadline))
    session.commit()
    running = upload(client, headers)
    assert _refused(running) == deadline
    _assert_retry_after(running, deadline)


def test_platform_faults_and_early_cancels_never_count(
    client: TestClient, session: Session, world: World, recorder: Recorder
) -> None:
    for _ in range(5):
        world.submission(session, world.alice, status=SubmissionStatus.ERROR, charged=False)
        world.submission(session, world.alice, status=SubmissionStatus.CANCELLED, charged=False)
    # an error stays free even if a row kept charged=True
    world.submission(session, world.alice, status=SubmissionStatus.ERROR)
    world.submission(session, world.alice, status=SubmissionStatus.FINISHED, charged=False)
    world.submission(session, world.alice, status=SubmissionStatus.FINISHED, baseline=True)
    answer = upload(client, world.headers(session, world.alice))
    assert answer.status_code == 201, answer.text


def test_cancel_after_the_container_started_counts(
    client: TestClient, session: Session, world: World, recorder: Recorder
) -> None:
    headers = world.headers(session, world.alice)
    for _ in range(3):  # submit, wait for running, cancel: charged each time
        running = world.submission(session, world.alice, status=SubmissionStatus.RUNNING)
        answer = client.post(f"/api/v1/submissions/{running.id}/cancel", headers=headers)
        assert answer.status_code == 200 and answer.json()["charged"] is True
        assert "counts against your quota" in answer.json()["reason"]
    assert _refused(upload(client, headers)) is not None


def test_participant_failures_count(
    client: TestClient, session: Session, world: World, recorder: Recorder
) -> None:
    for _ in range(3):
        world.submission(session, world.alice, status=SubmissionStatus.FAILED)
    assert _refused(upload(client, world.headers(session, world.alice))) is not None


def test_cancelling_frees_the_in_flight_slot(
    client: TestClient, session: Session, world: World, recorder: Recorder
) -> None:
    headers = world.headers(session, world.alice)
    first = upload(client, headers)
    assert first.status_code == 201
    assert upload(client, headers).status_code == 429
    cancel = client.post(f"/api/v1/submissions/{first.json()['id']}/cancel", headers=headers)
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"
    assert cancel.json()["charged"] is False
    assert "does not count against your quota" in cancel.json()["reason"]
    assert upload(client, headers).status_code == 201


def test_quota_is_per_team_and_per_phase(
    client: TestClient, session: Session, world: World, recorder: Recorder
) -> None:
    team = create_team(session, challenge=world.challenge, user=world.alice, name="Owls")
    invite(session, team=team, challenge=world.challenge, inviter=world.alice, invitee=world.bob)
    join(session, team=team, challenge=world.challenge, user=world.bob)
    for _ in range(3):
        world.submission(session, world.alice, status=FINISHED)
    assert upload(client, world.headers(session, world.bob)).status_code == 429
    outsider = make_user(session)  # no team yet: a personal one is made, with its own quota
    assert upload(client, world.headers(session, outsider)).status_code == 201
    other_phase = Phase(
        challenge_id=world.phase.challenge_id, position=1, name="other", data_key="test",
        start=utcnow() - timedelta(days=1), end=utcnow() + timedelta(days=1), public_fraction=0.5,
        submission_kinds=["build"],
    )  # fmt: skip
    session.add(other_phase)
    session.commit()
    answer = upload(client, world.headers(session, world.bob), phase="other")
    assert answer.status_code == 201, answer.text
    session.expire_all()
    rows = session.exec(select(Submission).where(Submission.team_id == team.id)).all()
    assert [r.phase_id for r in rows].count(other_phase.id or -1) == 1
