"""Per-team submission quotas of a phase: per rolling 24 hours, in total, and in flight at once.

What counts: a team's submissions in the phase that are charged (practice runs have their own
quota: :mod:`podium.crud.practice`). Never counted: failures that
were the platform's fault (``error``, ``charged=False``), submissions cancelled before their
container started (a participant who cancels a mistaken upload gets the slot back) and
organisers' baselines. A cancel after the container started counts (``charged`` stays true:
see :func:`podium.pipeline.dispatch.cancel`), else submit-and-cancel would be an unlimited
oracle that also holds the workers. Failures that were the participant's fault (``failed``)
count: the leaderboard is an oracle (SECURITY.md 6).

A refusal is :class:`~podium.errors.QuotaExceeded` with ``retry_at``: when the oldest
counted submission leaves the 24-hour window; when the next phase opens (total reached; None
if none follows); for in-flight, the earliest deadline of a running evaluation, else a short
poll interval (a hint, not a promise: queued submissions have no deadline yet).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from podium.crud.practice import competing
from podium.db.models import (
    IN_FLIGHT_STATUSES,
    Evaluation,
    Phase,
    Submission,
    SubmissionStatus,
    Team,
)
from podium.db.types import utcnow
from podium.errors import QuotaExceeded

WINDOW = timedelta(hours=24)
IN_FLIGHT_POLL = timedelta(seconds=30)


def _counted(team: Team, phase: Phase) -> Any:
    return (
        select(Submission)
        .where(Submission.team_id == team.id, Submission.phase_id == phase.id)
        .where(col(Submission.charged).is_(True), col(Submission.baseline).is_(False))
        .where(col(Submission.status) != SubmissionStatus.ERROR, competing())
    )


def _count(session: Session, query: Any) -> int:
    return int(session.exec(select(func.count()).select_from(query.subquery())).one())


def check_quota(session: Session, *, team: Team, phase: Phase, now: datetime | None = None) -> None:
    """Refuse a new submission of ``team`` in ``phase`` when one of its limits is reached.

    Raises:
        QuotaExceeded: a limit is reached; ``retry_at`` says when to try again.
    """
    now = now or utcnow()
    limits = phase.quota
    counted = _counted(team, phase)
    if _count(session, counted) >= limits.total:
        _total_reached(session, phase=phase, limit=limits.total, now=now)
    in_flight = counted.where(col(Submission.status).in_(list(IN_FLIGHT_STATUSES)))
    flying = list(session.exec(in_flight).all())
    if len(flying) >= limits.in_flight:
        raise QuotaExceeded(
            f"your team has {len(flying)} submission(s) still being evaluated and "
            f"{phase.name!r} allows {limits.in_flight} at once; wait for one to finish "
            "(or cancel it) and submit again",
            _in_flight_free_at(session, flying, now),
        )
    recent_query = counted.where(col(Submission.created_at) > now - WINDOW)
    recent = list(session.exec(recent_query.order_by(col(Submission.created_at))).all())
    if len(recent) >= limits.per_day:
        retry_at = recent[len(recent) - limits.per_day].created_at + WINDOW
        raise QuotaExceeded(
            f"your team has made {len(recent)} submission(s) in the last 24 hours and "
            f"{phase.name!r} allows {limits.per_day}; the next one is allowed at "
            f"{retry_at.isoformat()}",
            retry_at,
        )


@dataclass(frozen=True)
class QuotaLeft:
    """What a team may still submit to a phase now, counted as :func:`check_quota` counts."""

    per_day: int
    per_day_limit: int
    total: int
    total_limit: int
    in_flight: int
    in_flight_limit: int

    @property
    def allowed(self) -> int:
        """How many submissions would be accepted one after the other right now."""
        return max(0, min(self.per_day, self.total))


def quota_left(
    session: Session, *, team: Team | None, phase: Phase, now: datetime | None = None
) -> QuotaLeft:
    """The team's remaining submissions in ``phase`` (all of them for a user without a team)."""
    limits = phase.quota
    used = (0, 0, 0)
    if team is not None:
        now = now or utcnow()
        counted = _counted(team, phase)
        flying = counted.where(col(Submission.status).in_(list(IN_FLIGHT_STATUSES)))
        recent = counted.where(col(Submission.created_at) > now - WINDOW)
        used = (_count(session, recent), _count(session, counted), _count(session, flying))
    return QuotaLeft(
        max(0, limits.per_day - used[0]), limits.per_day,
        max(0, limits.total - used[1]), limits.total,
        max(0, limits.in_flight - used[2]), limits.in_flight,
    )  # fmt: skip


def _total_reached(session: Session, *, phase: Phase, limit: int, now: datetime) -> None:
    following = session.exec(
        select(Phase)
        .where(Phase.challenge_id == phase.challenge_id, col(Phase.start) > now)
        .order_by(col(Phase.start))
    ).first()
    after = (
        f"; phase {following.name!r} opens at {following.start.isoformat()}"
        if following is not None
        else "; no later phase is planned"
    )
    raise QuotaExceeded(
        f"your team has used all {limit} submissions of phase {phase.name!r}{after}",
        following.start if following is not None else None,
    )


def _in_flight_free_at(session: Session, flying: Sequence[Submission], now: datetime) -> datetime:
    deadline = session.exec(
        select(Evaluation.deadline)
        .where(col(Evaluation.submission_id).in_([s.id for s in flying]))
        .where(col(Evaluation.finished_at).is_(None), col(Evaluation.deadline).is_not(None))
        .order_by(col(Evaluation.deadline))
    ).first()
    if deadline is not None:
        return max(deadline, now + timedelta(seconds=1))
    return now + IN_FLIGHT_POLL


def lock_team(session: Session, *, team: Team) -> None:
    """Hold ``team``'s row until the transaction ends, so that two requests cannot both pass a
    check on the team (its quota, its size) and then both write.

    PostgreSQL: ``SELECT ... FOR UPDATE``. SQLite ignores ``FOR UPDATE`` and its Python driver
    runs reads outside any transaction, so two requests would both read the old count: there a
    no-op ``UPDATE`` of the row opens the write transaction (SQLite's one writer lock, waited
    for up to the busy timeout), and every read after it sees the latest committed rows.
    """
    if session.get_bind().dialect.name == "sqlite":
        touch = update(Team).where(col(Team.id) == team.id).values(id=Team.id)
        session.execute(touch)
        return
    session.exec(select(Team.id).where(Team.id == team.id).with_for_update()).one()
