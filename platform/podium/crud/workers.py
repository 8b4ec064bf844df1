"""The platform's health for operators: queue depths, workers alive, what each runs, their disks.

Workers stamp their own row (:func:`record_beat`); what each runs comes from the evaluations
that have not finished, matched by host name (an evaluation's ``worker`` is ``hostname:pid``).
Who sees what: everyone allowed to see the report sees the workers and the queues; what a
worker runs is named (submission, challenge) only to admins and to that challenge's organisers,
and shown as "a submission of another challenge" to the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from podium.crud.roles import is_organiser
from podium.db.models import IN_FLIGHT_STATUSES, Challenge, Evaluation, Submission, User
from podium.db.models.workers import WorkerBeat
from podium.db.types import utcnow

# a worker that has not stamped its row for this many beats is taken as gone
MISSED_BEATS = 3


@dataclass(frozen=True)
class BeatFacts:
    """What a worker reports about itself and its host."""

    name: str
    hostname: str
    queues: str
    concurrency: int
    staging_free_mb: int | None
    staging_total_mb: int | None
    image_store_mb: int | None
    engine: str


@dataclass(frozen=True)
class RunningEvaluation:
    """An evaluation under way on a worker; ``challenge`` is None where the viewer may not know."""

    submission_id: int | None
    challenge: str | None
    status: str
    started_at: datetime | None
    heartbeat_at: datetime | None


@dataclass(frozen=True)
class WorkerHealth:
    """One worker as operators see it."""

    name: str
    hostname: str
    queues: str
    concurrency: int
    alive: bool
    started_at: datetime
    seen_at: datetime
    staging_free_mb: int | None
    staging_total_mb: int | None
    image_store_mb: int | None
    engine: str
    running: list[RunningEvaluation] = field(default_factory=list)


@dataclass(frozen=True)
class PlatformHealth:
    """Queue depths (None: the broker did not answer) and the workers, alive ones first."""

    queues: Mapping[str, int | None]
    workers: list[WorkerHealth]
    checked_at: datetime

    @property
    def alive(self) -> list[WorkerHealth]:
        """The workers seen recently."""
        return [w for w in self.workers if w.alive]


def record_beat(session: Session, facts: BeatFacts) -> WorkerBeat:
    """Create or stamp the worker's row with what it reports now."""
    row = session.exec(select(WorkerBeat).where(WorkerBeat.name == facts.name)).first()
    if row is None:
        row = WorkerBeat(name=facts.name, hostname=facts.hostname)
    for key, value in vars(facts).items():
        setattr(row, key, value)
    row.seen_at = utcnow()
    session.add(row)
    session.commit()
    return row


def forget_worker(session: Session, name: str) -> None:
    """Remove a worker's row (it stops cleanly)."""
    row = session.exec(select(WorkerBeat).where(WorkerBeat.name == name)).first()
    if row is not None:
        session.delete(row)
        session.commit()


def platform_health(
    session: Session,
    *,
    queues: Mapping[str, int | None],
    beat_seconds: float,
    viewer: User | None = None,
    keep_gone_hours: float = 24.0,
) -> PlatformHealth:
    """The report: every worker seen in the last ``keep_gone_hours``, with what it runs.

    Args:
        queues: depth of each queue, as :func:`podium.worker.queues.queue_depths` reads it.
        beat_seconds: how often workers stamp their rows.
        viewer: who looks; None means an operator (the command line), who sees everything.
    """
    now = utcnow()
    alive_after = now - timedelta(seconds=beat_seconds * MISSED_BEATS)
    rows = session.exec(
        select(WorkerBeat)
        .where(WorkerBeat.seen_at >= now - timedelta(hours=keep_gone_hours))
        .order_by(col(WorkerBeat.hostname), col(WorkerBeat.name))
    ).all()
    running = _running_by_host(session, viewer)
    workers = [
        WorkerHealth(
            name=row.name,
            hostname=row.hostname,
            queues=row.queues,
            concurrency=row.concurrency,
            alive=row.seen_at >= alive_after,
            started_at=row.started_at,
            seen_at=row.seen_at,
            staging_free_mb=row.staging_free_mb,
            staging_total_mb=row.staging_total_mb,
            image_store_mb=row.image_store_mb,
            engine=row.engine,
            running=running.get(row.hostname, []) if row.seen_at >= alive_after else [],
        )  # fmt: skip
        for row in rows
    ]
    workers.sort(key=lambda w: not w.alive)
    return PlatformHealth(queues=dict(queues), workers=workers, checked_at=now)


def _running_by_host(session: Session, viewer: User | None) -> dict[str, list[RunningEvaluation]]:
    query = (
        select(Evaluation, Submission, Challenge)
        .join(Submission, col(Submission.id) == Evaluation.submission_id)
        .join(Challenge, col(Challenge.id) == Submission.challenge_id)
        .where(col(Evaluation.finished_at).is_(None), col(Evaluation.worker).is_not(None))
        .where(col(Submission.status).in_(IN_FLIGHT_STATUSES))
        .order_by(col(Evaluation.started_at))
    )
    allowed: dict[int, bool] = {}
    found: dict[str, list[RunningEvaluation]] = {}
    for evaluation, submission, challenge in session.exec(query).all():
        assert challenge.id is not None
        if challenge.id not in allowed:
            allowed[challenge.id] = viewer is None or is_organiser(
                session, user=viewer, challenge=challenge
            )
        shown = allowed[challenge.id]
        host = str(evaluation.worker).rsplit(":", 1)[0]
        found.setdefault(host, []).append(
            RunningEvaluation(
                submission_id=submission.id if shown else None,
                challenge=challenge.slug if shown else None,
                status=submission.status.value,
                started_at=evaluation.started_at,
                heartbeat_at=evaluation.heartbeat_at,
            )
        )
    return found
