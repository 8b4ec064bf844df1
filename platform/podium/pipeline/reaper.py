"""The reaper: nothing stays "running" or "queued" forever, whatever happened to a worker.

One pass (:func:`reap_once`):

1. evaluations whose heartbeat is older than ``stale_seconds`` or whose deadline passed, with a
   submission still in flight, are closed as ``abandoned``; the submission is re-enqueued by id,
   up to ``max_retries`` times, then ends as ``error`` (never charged);
2. submissions ``queued`` and sent for ``queued_stale_seconds`` with no open evaluation are
   sent again (a lost message, a broker that was down at upload time); those ``submitted`` for
   that long, or ``queued`` and unsent for ``stale_seconds``, are sent if their team is under
   ``team_in_flight``
   (:mod:`.fairness`: a worker or the API died between ending one and sending the next), as
   are the waiting ones of a team whose submission the reaper ended as ``error``;
3. MLflow copies that failed are written again;
4. sandbox leftovers (containers past their deadline, staging folders) are removed.

It runs as a thread inside ``podium up`` and ``podium worker`` (:class:`ReaperThread`). Several
reapers may run at once: each change is made only if the row is still as the reaper saw it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from podium.crud.submissions import record_status
from podium.db.models import Evaluation, Phase, Submission, SubmissionStatus
from podium.db.models.reports import read_report
from podium.db.types import utcnow
from podium.pipeline.attempts import open_evaluations
from podium.pipeline.context import SessionFactory
from podium.pipeline.fairness import Claim, admit_any, send_next, send_practice
from podium.settings import Settings

log = logging.getLogger(__name__)
Send = Callable[[int, bool], object]  # (submission id, gpu) -> sent?
WAITING = (SubmissionStatus.SUBMITTED, SubmissionStatus.QUEUED)
ACTIVE = (SubmissionStatus.PREPARING, SubmissionStatus.RUNNING, SubmissionStatus.SCORING)


@dataclass
class ReapSummary:
    """What one pass did, by submission id."""

    requeued: list[int] = field(default_factory=list)
    errored: list[int] = field(default_factory=list)
    resent: list[int] = field(default_factory=list)


def gave_up_reason(retries: int) -> str:
    """What a participant reads when the reaper gives up."""
    return (
        "the worker running this evaluation stopped responding; it was retried "
        f"{retries} time{'s' if retries != 1 else ''}. This does not count against your quota"
    )


def reap_once(
    session_factory: SessionFactory,
    config: Settings,
    send: Send,
    now: datetime | None = None,
) -> ReapSummary:
    """One pass over stale evaluations and forgotten submissions (tasks are sent after commit)."""
    now = now or utcnow()
    summary = ReapSummary()
    stale_before = now - timedelta(seconds=config.stale_seconds)
    with session_factory() as session:
        stale = session.exec(
            select(Evaluation)
            .join(Submission, col(Submission.id) == Evaluation.submission_id)
            .where(col(Evaluation.finished_at).is_(None))
            .where(col(Submission.status).in_(ACTIVE + WAITING))
            .where(
                or_(
                    col(Evaluation.heartbeat_at) < stale_before,
                    col(Evaluation.deadline) < now,
                )
            )
        ).all()
        stale_ids = [(e.id, e.submission_id) for e in stale if e.id is not None]
    for evaluation_id, submission_id in stale_ids:
        _reap_evaluation(session_factory, config, evaluation_id, submission_id, now, summary)
    summary.resent = _resend_forgotten(session_factory, config, now)
    for submission_id in summary.requeued + summary.resent:
        _send(session_factory, send, submission_id)
    for claim in _send_waiting(session_factory, config, now, summary.errored):
        send(claim.submission_id, claim.gpu)
        summary.resent.append(claim.submission_id)
    return summary


def _reap_evaluation(
    session_factory: SessionFactory,
    config: Settings,
    evaluation_id: int,
    submission_id: int,
    now: datetime,
    summary: ReapSummary,
) -> None:
    with session_factory() as session:
        claimed = session.execute(  # only one reaper wins an evaluation
            update(Evaluation)
            .where(col(Evaluation.id) == evaluation_id)
            .where(col(Evaluation.finished_at).is_(None))
            .values(finished_at=now)
        )
        if getattr(claimed, "rowcount", 0) != 1:
            session.rollback()
            return
        evaluation = session.get(Evaluation, evaluation_id)
        submission = session.get(Submission, submission_id)
        assert evaluation is not None and submission is not None
        evaluation.update_report(
            outcome="abandoned", message="the worker stopped sending heartbeats"
        )
        session.add(evaluation)
        retries = _abandoned_count(session, submission_id) - 1
        if retries >= config.max_retries:
            reason = gave_up_reason(retries)
            submission.charged = False
            record_status(session, submission, SubmissionStatus.ERROR, reason, reason=reason)
            summary.errored.append(submission_id)
        else:
            submission.sent_at = now  # sent again below; it keeps its team's turn
            record_status(
                session,
                submission,
                SubmissionStatus.QUEUED,
                f"re-queued by the reaper (retry {retries + 1} of {config.max_retries})",
            )
            summary.requeued.append(submission_id)
        session.commit()


def _abandoned_count(session: Session, submission_id: int) -> int:
    reports = session.exec(
        select(Evaluation.report).where(Evaluation.submission_id == submission_id)
    ).all()
    return sum(1 for report in reports if read_report(report).outcome == "abandoned")


def _resend_forgotten(
    session_factory: SessionFactory, config: Settings, now: datetime
) -> list[int]:
    """Sent, still ``queued`` and quiet since the cutoff: the message was lost. Each is claimed
    again by a conditional update, so two reapers never both send it."""
    cutoff = now - timedelta(seconds=config.queued_stale_seconds)
    quiet = (
        col(Submission.status) == SubmissionStatus.QUEUED,
        col(Submission.sent_at) < cutoff,
        col(Submission.updated_at) < cutoff,
    )
    resent: list[int] = []
    with session_factory() as session:
        stale = session.exec(select(Submission.id).where(*quiet)).all()
        for submission_id in stale:
            if submission_id is None or open_evaluations(session, submission_id):
                continue
            claimed = session.execute(
                update(Submission)
                .where(col(Submission.id) == submission_id, *quiet)
                .values(sent_at=now)
            )
            submission = session.get(Submission, submission_id)
            if getattr(claimed, "rowcount", 0) != 1 or submission is None:
                continue
            record_status(
                session, submission, SubmissionStatus.QUEUED, "enqueued again by the reaper"
            )
            resent.append(submission_id)
        session.commit()
    return resent


def _send_waiting(
    session_factory: SessionFactory, config: Settings, now: datetime, errored: list[int]
) -> list[Claim]:
    """Unsent submissions forgotten since the cutoff, and the waiting ones of teams whose
    submission was just errored: claimed in turn while each team is under its cap."""
    cutoff = now - timedelta(seconds=config.queued_stale_seconds)
    cap = config.team_in_flight
    claims: list[Claim] = []
    with session_factory() as session:
        forgotten = session.exec(
            select(Submission)
            .where(col(Submission.status) == SubmissionStatus.SUBMITTED)
            .where(col(Submission.updated_at) < cutoff)
        ).all()
        for submission in forgotten:  # the API stopped between its commit and the enqueue
            claims += admit_any(session, submission, cap, config.practice_in_flight)
        # a waiting one is claimed only under its team's cap (locked), so it is safe to look
        # soon: a process that died between ending one and sending the next costs a minute
        waiting_since = now - timedelta(seconds=config.stale_seconds)
        teams = set(
            session.exec(
                select(Submission.team_id)
                .where(col(Submission.status) == SubmissionStatus.QUEUED)
                .where(col(Submission.sent_at).is_(None))
                .where(col(Submission.updated_at) < waiting_since)
            ).all()
        )
        if errored:
            ended = select(Submission.team_id).where(col(Submission.id).in_(errored))
            teams |= set(session.exec(ended).all())
        for team_id in sorted(teams):
            claims += send_next(session, team_id, cap, detail="enqueued again by the reaper")
        claims += send_practice(session, config.practice_in_flight)  # if no submission waits
    return claims


def _send(session_factory: SessionFactory, send: Send, submission_id: int) -> None:
    with session_factory() as session:
        submission = session.get(Submission, submission_id)
        phase = session.get(Phase, submission.phase_id) if submission else None
    send(submission_id, bool(phase and phase.gpu))


class ReaperThread(threading.Thread):
    """Runs ``tick`` every ``interval_seconds`` until stopped; a failing pass is logged only."""

    def __init__(self, tick: Callable[[], object], interval_seconds: float) -> None:
        super().__init__(name="podium-reaper", daemon=True)
        self._tick = tick
        self._interval = interval_seconds
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self._interval):
            try:
                self._tick()
            except Exception:  # the database or the engine is down: try again next pass
                log.warning("reaper pass failed", exc_info=True)

    def stop(self) -> None:
        """Ask the thread to end after its current pass, and wait for it."""
        self._stop_event.set()
        self.join(timeout=self._interval + 30)
