"""The reaper on a real database: stale runs re-queued, then errored; lost tasks resent."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from podium.crud.submissions import record_status
from podium.db.models import Evaluation, Submission, SubmissionKind, SubmissionStatus
from podium.db.types import utcnow
from podium.pipeline.reaper import reap_once
from podium.settings import Settings
from tests.pipeline.harness import Platform, make_platform

CONFIG = Settings(stale_seconds=30, max_retries=2, queued_stale_seconds=600)


@pytest.fixture
def db(tmp_path: Path, quick: Path) -> Platform:
    made = make_platform(tmp_path / "home")
    made.register(quick)
    return made


def _submission(db: Platform, status: SubmissionStatus, age_seconds: float = 0) -> int:
    """A row in ``status`` as the pipeline would leave it (states no upload can make)."""
    challenge = db.challenges["quick-check"]
    user = db.participant()
    with db.session() as session:
        from podium.crud.phases import submission_phase
        from podium.crud.teams import get_or_create_personal_team

        assert challenge.id is not None
        team = get_or_create_personal_team(session, user, challenge)
        phase = submission_phase(session, challenge=challenge, name=None)
        submission = Submission(
            challenge_id=challenge.id, phase_id=phase.id or 0,
            team_id=team.id or 0, user_id=user.id, kind=SubmissionKind.BUILD,
        )  # fmt: skip
        record_status(session, submission, status)
        submission.updated_at = utcnow() - timedelta(seconds=age_seconds)
        session.add(submission)
        session.commit()
        assert submission.id is not None
        return submission.id


def _stale_attempt(db: Platform, submission_id: int, attempt: int) -> None:
    long_ago = utcnow() - timedelta(seconds=120)
    with db.session() as session:
        session.add(
            Evaluation(
                submission_id=submission_id, attempt=attempt, started_at=long_ago,
                heartbeat_at=long_ago, deadline=utcnow() + timedelta(hours=1),
            )
        )  # fmt: skip
        submission = session.get(Submission, submission_id)
        assert submission is not None
        record_status(session, submission, SubmissionStatus.RUNNING)
        session.commit()


def test_a_stale_evaluation_is_requeued_then_errored_after_max_retries(db: Platform) -> None:
    sent: list[tuple[int, bool]] = []
    submission_id = _submission(db, SubmissionStatus.QUEUED)
    for attempt in (1, 2):
        _stale_attempt(db, submission_id, attempt)
        summary = reap_once(db.session, CONFIG, lambda i, gpu: sent.append((i, gpu)))
        assert summary.requeued == [submission_id]
        assert db.get(submission_id).status is SubmissionStatus.QUEUED
    assert sent == [(submission_id, False), (submission_id, False)]
    _stale_attempt(db, submission_id, 3)
    summary = reap_once(db.session, CONFIG, lambda i, gpu: sent.append((i, gpu)))
    assert summary.errored == [submission_id] and len(sent) == 2
    submission = db.get(submission_id)
    assert submission.status is SubmissionStatus.ERROR
    assert submission.reason is not None
    assert submission.reason.startswith(
        "the worker running this evaluation stopped responding; it was retried 2 times"
    )
    assert not submission.charged
    outcomes = [e.report["outcome"] for e in db.evaluations(submission_id)]
    assert outcomes == ["abandoned"] * 3
    assert all(e.finished_at is not None for e in db.evaluations(submission_id))


def test_a_live_evaluation_is_left_alone(db: Platform) -> None:
    submission_id = _submission(db, SubmissionStatus.QUEUED)
    with db.session() as session:
        session.add(
            Evaluation(
                submission_id=submission_id,
                started_at=utcnow(),
                heartbeat_at=utcnow(),
                deadline=utcnow() + timedelta(hours=1),
            )
        )
        session.commit()
    summary = reap_once(db.session, CONFIG, lambda i, gpu: None)
    assert summary.requeued == [] and summary.errored == []
    assert db.evaluations(submission_id)[0].finished_at is None


def test_a_submission_forgotten_in_the_queue_is_sent_again(db: Platform) -> None:
    sent: list[int] = []
    old = _submission(db, SubmissionStatus.QUEUED, age_seconds=3600)
    recent = _submission(db, SubmissionStatus.QUEUED, age_seconds=5)
    summary = reap_once(db.session, CONFIG, lambda i, gpu: sent.append(i))
    assert summary.resent == [old] and sent == [old]
    assert db.events(old)[-1].detail == "enqueued again by the reaper"
    assert db.get(recent).status is SubmissionStatus.QUEUED
    assert reap_once(db.session, CONFIG, lambda i, gpu: sent.append(i)).resent == []
