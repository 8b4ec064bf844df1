"""Status changes are stamped as events; datetimes come back aware."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlmodel import Session

from podium.crud.challenges import phases_of
from podium.crud.submissions import events_of, record_status
from podium.crud.teams import get_or_create_personal_team
from podium.db.models import (
    IN_FLIGHT_STATUSES,
    TERMINAL_STATUSES,
    Evaluation,
    Score,
    ScoreSplit,
    Submission,
    SubmissionStatus,
)
from podium.store import Store
from tests.platform.factories import make_challenge, make_submission, make_user


def test_statuses_are_exactly_the_documented_ones() -> None:
    assert [s.value for s in SubmissionStatus] == [
        "submitted", "queued", "preparing", "running", "scoring",
        "finished", "failed", "error", "cancelled",
    ]  # fmt: skip
    assert set(SubmissionStatus) == TERMINAL_STATUSES | IN_FLIGHT_STATUSES
    assert not TERMINAL_STATUSES & IN_FLIGHT_STATUSES


def _submission(session: Session, store: Store, tmp_path: Path) -> Submission:
    challenge = make_challenge(session, store, tmp_path)
    user = make_user(session)
    team = get_or_create_personal_team(session, user, challenge)
    phase = phases_of(session, challenge=challenge)[0]
    return make_submission(session, challenge=challenge, phase=phase, team=team, user=user)


def test_record_status_keeps_every_change(session: Session, store: Store, tmp_path: Path) -> None:
    submission = _submission(session, store, tmp_path)
    record_status(session, submission, SubmissionStatus.QUEUED, "task abc")
    record_status(session, submission, SubmissionStatus.RUNNING)
    record_status(
        session, submission, SubmissionStatus.FAILED, "exit 1", reason="the model crashed"
    )
    session.commit()
    session.expire_all()
    fresh = session.get(Submission, submission.id)
    assert fresh is not None and fresh.status == SubmissionStatus.FAILED
    assert fresh.reason == "the model crashed"
    events = events_of(session, submission=fresh)
    assert [(e.status, e.detail) for e in events] == [
        (SubmissionStatus.QUEUED, "task abc"),
        (SubmissionStatus.RUNNING, ""),
        (SubmissionStatus.FAILED, "exit 1"),
    ]
    assert all(e.at.tzinfo is not None for e in events)
    assert fresh.updated_at == events[-1].at


def test_evaluations_and_scores_round_trip(session: Session, store: Store, tmp_path: Path) -> None:
    submission = _submission(session, store, tmp_path)
    assert submission.id is not None
    evaluation = Evaluation(submission_id=submission.id, attempt=1, report={"rows": 2})
    session.add(evaluation)
    session.flush()
    assert evaluation.id is not None
    session.add(
        Score(
            evaluation_id=evaluation.id,
            submission_id=submission.id,
            split=ScoreSplit.PUBLIC,
            metric="rmse",
            value=0.25,
            ci_low=0.2,
            ci_high=0.3,
        )
    )
    session.commit()
    session.expire_all()
    score = session.get(Score, 1)
    assert score is not None and score.split == ScoreSplit.PUBLIC and score.value == 0.25
    loaded = session.get(Evaluation, evaluation.id)
    assert loaded is not None and loaded.report == {"rows": 2}


def test_naive_datetimes_are_refused(session: Session, store: Store, tmp_path: Path) -> None:
    submission = _submission(session, store, tmp_path)
    submission.updated_at = datetime(2030, 1, 1)  # noqa: DTZ001 - the point of the test
    session.add(submission)
    with pytest.raises(Exception, match="naive datetime"):
        session.commit()
