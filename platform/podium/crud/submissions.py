"""Submission status changes, each stamped as an event."""

from __future__ import annotations

from sqlmodel import Session, col, select

from podium.crud.leaderboards import board_changed
from podium.db.models import Submission, SubmissionEvent, SubmissionStatus
from podium.db.types import utcnow

# The statuses that change what a leaderboard shows: a new submission (its team's count and
# latest time, or a new unranked row) and a finished one (its scores are saved with it). The
# others (queued, preparing, running, scoring, failed, error, cancelled) keep cached boards.
BOARD_STATUSES = frozenset({SubmissionStatus.SUBMITTED, SubmissionStatus.FINISHED})


def record_status(
    session: Session,
    submission: Submission,
    status: SubmissionStatus,
    detail: str = "",
    *,
    reason: str | None = None,
) -> SubmissionEvent:
    """Set ``submission``'s status and keep the change as a timestamped event.

    Adds both rows to the session and flushes; the caller commits (so a status change and the
    work it reports land in one transaction). ``reason``, when given, replaces the
    submission's reason (what a participant reads for ``failed`` or ``error``). A status in
    :data:`BOARD_STATUSES` raises the challenge's board version in the same transaction.
    """
    now = utcnow()
    submission.status = status
    submission.updated_at = now
    if reason is not None:
        submission.reason = reason
    session.add(submission)
    session.flush()
    assert submission.id is not None
    event = SubmissionEvent(submission_id=submission.id, status=status, at=now, detail=detail)
    session.add(event)
    if status in BOARD_STATUSES and not submission.practice:  # practice runs change no board
        board_changed(session, challenge_id=submission.challenge_id)
    session.flush()
    return event


def events_of(session: Session, *, submission: Submission) -> list[SubmissionEvent]:
    """The submission's status events, oldest first."""
    query = (
        select(SubmissionEvent)
        .where(SubmissionEvent.submission_id == submission.id)
        .order_by(col(SubmissionEvent.at), col(SubmissionEvent.id))
    )
    return list(session.exec(query).all())
