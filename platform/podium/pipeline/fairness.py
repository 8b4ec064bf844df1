"""Fair dispatch: at most ``team_in_flight`` of a team's submissions are with the workers at once.

The broker is first in, first out and each worker takes one task at a time, so whatever is sent
runs in the order it was sent. A team that queues 50 submissions would hold every worker for 50
evaluations if all 50 were sent at once. Instead a team's submission is *sent* (its task handed
to the broker, ``sent_at`` stamped) only while fewer than the cap of the team's sent submissions
have not ended; the others stay ``queued``, unsent, and are sent oldest first as those end. A
submission of another team is then sent at once and waits behind at most ``team_in_flight`` of
the busy team's evaluations per worker.

Sending is a claim: a conditional ``UPDATE ... SET sent_at WHERE sent_at IS NULL AND status =
'queued'``, made while holding the team's row lock (:func:`~podium.crud.quotas.lock_team`), so
two claimers (the API, workers whose evaluations ended, reapers) count one after the other: they
never claim the same submission, and the later one sees the ends the earlier one missed. A
cancelled submission is no longer ``queued`` and can never be claimed. The claimer commits,
then sends by id (:mod:`podium.pipeline.dispatch`); if it dies in between, the reaper sends
what was claimed and not started, and what is unsent while its team has room.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from podium.crud.practice import competing, submission_waiting
from podium.crud.quotas import lock_team
from podium.crud.submissions import record_status
from podium.db.models import IN_FLIGHT_STATUSES, Phase, Submission, SubmissionStatus, Team
from podium.db.types import utcnow

WAITING_FOR_WORKER = "waiting for a worker"
TURN_CAME = "waiting for a worker (its team's earlier submissions have ended)"


def waiting_for_team(cap: int) -> str:
    """What a participant reads on a submission that waits, unsent, for its team's turn."""
    return (
        "waiting for your team's earlier submissions to end: a team's submissions are "
        f"evaluated {cap} at a time"
    )


@dataclass(frozen=True)
class Claim:
    """A submission claimed for sending: its id and whether it goes to the ``gpu`` queue."""

    submission_id: int
    gpu: bool


def lock_team_of(session: Session, team_id: int) -> None:
    """Hold the team's row until the transaction ends (claims of one team count in turn)."""
    team = session.get(Team, team_id)
    if team is not None:
        lock_team(session, team=team)


def sent_in_flight(session: Session, team_id: int) -> int:
    """How many of the team's submissions were sent and have not ended."""
    query = (
        select(func.count())
        .select_from(Submission)
        .where(Submission.team_id == team_id, col(Submission.sent_at).is_not(None))
        .where(col(Submission.status).in_(list(IN_FLIGHT_STATUSES)), competing())
    )
    return int(session.exec(query).one())


def claim_waiting(session: Session, team_id: int, cap: int) -> list[int]:
    """Claim the team's oldest unsent ``queued`` submissions while it is under ``cap``.

    The caller holds the team's lock (:func:`lock_team_of`) and commits. Each claim is a
    conditional update, so a submission cancelled meanwhile is skipped, never sent.
    """
    room = cap - sent_in_flight(session, team_id)
    claimed: list[int] = []
    tried: set[int] = set()
    while room > 0:
        query = (
            select(Submission.id)
            .where(Submission.team_id == team_id, Submission.status == SubmissionStatus.QUEUED)
            .where(col(Submission.sent_at).is_(None), col(Submission.id).not_in(tried))
            .where(competing())
            .order_by(col(Submission.id))
            .limit(room)
        )
        candidates = [i for i in session.exec(query).all() if i is not None]
        if not candidates:
            break
        for submission_id in candidates:
            tried.add(submission_id)
            if _claim(session, submission_id):
                claimed.append(submission_id)
                room -= 1
    return claimed


def _claim(session: Session, submission_id: int) -> bool:
    result = session.execute(
        update(Submission)
        .where(col(Submission.id) == submission_id, col(Submission.sent_at).is_(None))
        .where(col(Submission.status) == SubmissionStatus.QUEUED)
        .values(sent_at=utcnow())
    )
    return getattr(result, "rowcount", 0) == 1


def admit(session: Session, submission: Submission, cap: int) -> list[Claim]:
    """Mark ``submission`` ``queued`` (unsent), claim what its team may send, and commit.

    The submission's own event says whether it was sent or waits for its team's turn; an
    older waiting submission claimed with it (after a lost step) gets an event of its own.
    """
    assert submission.id is not None
    lock_team_of(session, submission.team_id)
    submission.sent_at = None
    event = record_status(session, submission, SubmissionStatus.QUEUED, WAITING_FOR_WORKER)
    claimed = claim_waiting(session, submission.team_id, cap)
    if submission.id not in claimed:
        event.detail = waiting_for_team(cap)
        session.add(event)
    claims = _announce(session, claimed, TURN_CAME, quiet=submission.id)
    session.commit()
    return claims


def send_next(session: Session, team_id: int, cap: int, detail: str = TURN_CAME) -> list[Claim]:
    """Claim the team's oldest waiting submissions up to ``cap``, record ``detail``, commit."""
    lock_team_of(session, team_id)
    claims = _announce(session, claim_waiting(session, team_id, cap), detail)
    session.commit()
    return claims


def _announce(
    session: Session, claimed: list[int], detail: str, quiet: int | None = None
) -> list[Claim]:
    claims: list[Claim] = []
    for submission_id in claimed:
        submission = session.get(Submission, submission_id)
        assert submission is not None
        if submission_id != quiet:
            record_status(session, submission, SubmissionStatus.QUEUED, detail)
        phase = session.get(Phase, submission.phase_id)
        claims.append(Claim(submission_id, bool(phase and phase.gpu)))
    return claims


# Practice runs (podium.crud.practice): not under a team's cap, but behind every submission.
PRACTICE_WAITS = "waiting for a worker: submissions go first, practice runs take the workers left"
PRACTICE_SENT = "waiting for a worker (no submission is waiting)"


def sent_practice(session: Session) -> int:
    """How many practice runs (of every team) were sent and have not ended."""
    query = (
        select(func.count())
        .select_from(Submission)
        .where(col(Submission.practice).is_(True), col(Submission.sent_at).is_not(None))
        .where(col(Submission.status).in_(list(IN_FLIGHT_STATUSES)))
    )
    return int(session.exec(query).one())


def claim_practice(session: Session, cap: int, quiet: int | None = None) -> list[Claim]:
    """Claim the oldest unsent practice runs while no submission waits and fewer than ``cap``
    are sent; the caller commits, then sends."""
    if submission_waiting(session):
        return []
    room = cap - sent_practice(session)
    if room <= 0:
        return []
    query = (
        select(Submission.id)
        .where(col(Submission.practice).is_(True), Submission.status == SubmissionStatus.QUEUED)
        .where(col(Submission.sent_at).is_(None))
        .order_by(col(Submission.id))
        .limit(room)
    )
    claimed = [i for i in session.exec(query).all() if i is not None and _claim(session, i)]
    return _announce(session, claimed, PRACTICE_SENT, quiet=quiet)


def admit_practice(session: Session, submission: Submission, cap: int) -> list[Claim]:
    """Mark practice run ``submission`` ``queued``, claim what may be sent now, and commit."""
    submission.sent_at = None
    event = record_status(session, submission, SubmissionStatus.QUEUED, PRACTICE_WAITS)
    claims = claim_practice(session, cap, quiet=submission.id)
    if any(c.submission_id == submission.id for c in claims):
        event.detail = PRACTICE_SENT
        session.add(event)
    session.commit()
    return claims


def admit_any(
    session: Session, submission: Submission, team_cap: int, practice_cap: int
) -> list[Claim]:
    """:func:`admit` a submission under its team's cap, :func:`admit_practice` a practice run
    under the practice cap (the one place that tells them apart when queueing)."""
    if submission.practice:
        return admit_practice(session, submission, practice_cap)
    return admit(session, submission, team_cap)


def send_practice(session: Session, cap: int) -> list[Claim]:
    """Claim the practice runs that may go now (see :func:`claim_practice`) and commit."""
    claims = claim_practice(session, cap)
    session.commit()
    return claims


def yield_to_submissions(session: Session, submission: Submission) -> bool:
    """A worker took practice run ``submission``: hand it back if a submission waits.

    It goes back to ``queued`` and unsent (the caller commits) and is sent again once no
    submission waits. Returns whether it was handed back.
    """
    if not submission.practice or submission.status != SubmissionStatus.QUEUED:
        return False
    if not submission_waiting(session):
        return False
    submission.sent_at = None
    record_status(session, submission, SubmissionStatus.QUEUED, PRACTICE_WAITS)
    return True
