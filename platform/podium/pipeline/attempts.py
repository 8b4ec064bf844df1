"""Evaluation attempts: start one, move it through the statuses, close it, keep it alive.

Every write checks that the attempt is still the current one (not closed by the reaper, the
submission not cancelled), so a worker that was presumed dead and comes back cannot overwrite
the result of the attempt that replaced it.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from podium.crud.submissions import record_status
from podium.db.models import (
    TERMINAL_STATUSES,
    Challenge,
    Evaluation,
    Phase,
    Submission,
    SubmissionKind,
    SubmissionStatus,
)
from podium.db.models.reports import Outcome
from podium.db.types import utcnow
from podium.pipeline.context import Attempt, PipelineContext, SessionFactory
from podium.pipeline.fairness import yield_to_submissions
from podium.pipeline.faults import Stop
from sandbox.result import RunResult

log = logging.getLogger(__name__)
LOAD_BUDGET_SECONDS = 300
CANCEL_POLL_SECONDS = 1.0
SLACK_SECONDS = 60


def is_live(evaluation: Evaluation, now: datetime, stale_seconds: float) -> bool:
    """Whether an unfinished evaluation's worker still answers and its deadline is ahead."""
    if evaluation.finished_at is not None:
        return False
    beat = evaluation.heartbeat_at or evaluation.started_at
    fresh = beat is not None and (now - beat).total_seconds() <= stale_seconds
    return fresh and (evaluation.deadline is None or evaluation.deadline > now)


def open_evaluations(session: Session, submission_id: int) -> list[Evaluation]:
    """The submission's evaluations that have not been closed."""
    query = select(Evaluation).where(
        Evaluation.submission_id == submission_id, col(Evaluation.finished_at).is_(None)
    )
    return list(session.exec(query).all())


def close_evaluation(
    evaluation: Evaluation, now: datetime, outcome: Outcome, **report: Any
) -> None:
    """Mark an evaluation closed with its outcome and ``report`` fields (of
    :class:`~podium.db.models.reports.EvaluationReport`; the report is replaced, never mutated)."""
    evaluation.finished_at = now
    evaluation.update_report(outcome=outcome, **report)


def start_attempt(ctx: PipelineContext, submission_id: int, task_id: str | None) -> Attempt | None:
    """Open a new attempt and mark the submission ``preparing``; None when there is nothing to do.

    Nothing to do: the submission is gone, terminal, or another live attempt holds it, or it
    is a practice run while a submission waits (handed back: see
    :func:`~podium.pipeline.fairness.yield_to_submissions`). An earlier attempt whose worker
    stopped answering is closed as ``abandoned`` first.
    """
    now = utcnow()
    with ctx.session_factory() as session:
        query = select(Submission).where(Submission.id == submission_id).with_for_update()
        submission = session.exec(query).first()
        if submission is None or submission.status in TERMINAL_STATUSES:
            return None
        if yield_to_submissions(session, submission):  # a practice run, and a submission waits
            session.commit()
            return None
        for earlier in open_evaluations(session, submission_id):
            if is_live(earlier, now, ctx.settings.stale_seconds):
                return None
            close_evaluation(earlier, now, "abandoned", message="taken over by a new delivery")
            session.add(earlier)
        phase = session.get(Phase, submission.phase_id)
        challenge = session.get(Challenge, submission.challenge_id)
        assert phase is not None and challenge is not None
        evaluation = _new_evaluation(ctx, session, submission, phase, task_id, now)
        record_status(
            session, submission, SubmissionStatus.PREPARING, f"attempt {evaluation.attempt}"
        )
        session.commit()
        return _attempt(evaluation, submission, challenge, phase)


def _new_evaluation(
    ctx: PipelineContext,
    session: Session,
    submission: Submission,
    phase: Phase,
    task_id: str | None,
    now: datetime,
) -> Evaluation:
    last = session.exec(
        select(func.max(Evaluation.attempt)).where(Evaluation.submission_id == submission.id)
    ).one()
    prepare = LOAD_BUDGET_SECONDS
    if submission.kind is not SubmissionKind.IMAGE:
        prepare = ctx.settings.build_wall_seconds
    limits = phase.run_limits
    budget = prepare + (limits.wall_seconds if limits else 0) + SLACK_SECONDS
    budget += ctx.settings.scoring_budget_seconds
    assert submission.id is not None
    evaluation = Evaluation(
        submission_id=submission.id,
        attempt=(last or 0) + 1,
        worker=ctx.worker_name,
        task_id=task_id,
        started_at=now,
        heartbeat_at=now,
        deadline=now + timedelta(seconds=budget),
    )
    session.add(evaluation)
    session.flush()
    return evaluation


def _attempt(ev: Evaluation, sub: Submission, challenge: Challenge, phase: Phase) -> Attempt:
    assert ev.id is not None and sub.id is not None
    return Attempt(
        evaluation_id=ev.id,
        submission_id=sub.id,
        number=ev.attempt,
        kind=str(sub.kind),
        file_path=Path(sub.file_path),
        file_sha256=sub.file_sha256,
        pinned_digest=sub.image_digest,
        challenge_slug=challenge.slug,
        bundle_path=Path(challenge.bundle_path),
        bundle_sha256=challenge.bundle_sha256,
        split_secret=challenge.split_secret,
        phase_name=phase.name,
        team_id=sub.team_id,
        practice=sub.practice,
    )


def load_current(session: Session, attempt: Attempt) -> tuple[Evaluation, Submission]:
    """The attempt's rows, after checking it may still write.

    Raises:
        Stop: The attempt was closed (by the reaper) or the submission ended (cancelled).
    """
    evaluation = session.get(Evaluation, attempt.evaluation_id)
    submission = session.get(Submission, attempt.submission_id)
    if evaluation is None or submission is None or evaluation.finished_at is not None:
        raise Stop("this attempt was closed by the reaper or a newer delivery")
    if submission.status in TERMINAL_STATUSES:
        raise Stop(f"the submission is {submission.status.value}")
    return evaluation, submission


def advance(
    ctx: PipelineContext,
    attempt: Attempt,
    status: SubmissionStatus,
    *,
    image_digest: str | None = None,
    record: bool = True,
    **evaluation_fields: Any,
) -> None:
    """Set fields on the evaluation (and the pinned digest) and, if ``record``, the status.

    Raises:
        Stop: the attempt is no longer current.
    """
    with ctx.session_factory() as session:
        evaluation, submission = load_current(session, attempt)
        for name, value in evaluation_fields.items():
            setattr(evaluation, name, value)
        session.add(evaluation)
        if image_digest is not None:
            submission.image_digest = image_digest
            session.add(submission)
        if record:
            record_status(session, submission, status, f"attempt {attempt.number}")
        session.commit()


def end_run(ctx: PipelineContext, attempt: Attempt, result: RunResult) -> bool:
    """Put a finished container run's figures on the evaluation and, when the run succeeded,
    move the submission on to scoring; returns whether it succeeded (the caller says why not).

    Raises:
        Stop: the attempt is no longer current.
    """
    figures: dict[str, Any] = {
        "wall_seconds": result.wall_seconds,
        "cpu_seconds": result.cpu_seconds,
        "peak_memory_mb": result.peak_memory_mb,
        "exit_code": result.exit_code,
        "heartbeat_at": utcnow(),
    }
    if not result.succeeded:
        advance(ctx, attempt, SubmissionStatus.RUNNING, **figures, record=False)
        return False
    advance(ctx, attempt, SubmissionStatus.SCORING, **figures)
    return True


class Heartbeat:
    """A thread that stamps the attempt's ``heartbeat_at`` and notices a cancellation.

    It looks for a cancellation every second (a cancelled build or container is stopped at
    once through :attr:`cancelled`) and stamps the heartbeat every ``seconds``. It uses its own
    sessions: the evaluation's thread may be blocked in Docker for minutes.
    """

    def __init__(self, session_factory: SessionFactory, attempt: Attempt, seconds: float) -> None:
        self._factory = session_factory
        self._attempt = attempt
        self._seconds = seconds
        self._stop = threading.Event()
        self.cancelled = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="podium-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=self._seconds + 5)

    def _loop(self) -> None:
        poll = min(CANCEL_POLL_SECONDS, self._seconds)
        last_beat = time.monotonic()
        while not self._stop.wait(poll):
            beat = time.monotonic() - last_beat >= self._seconds
            try:
                self._visit(beat)
            except Exception:  # a locked database must not end the evaluation: next beat
                log.warning("heartbeat of evaluation %s failed", self._attempt.evaluation_id)
                continue
            if beat:
                last_beat = time.monotonic()

    def _visit(self, beat: bool) -> None:
        with self._factory() as session:
            if beat:
                session.execute(
                    update(Evaluation)
                    .where(col(Evaluation.id) == self._attempt.evaluation_id)
                    .where(col(Evaluation.finished_at).is_(None))
                    .values(heartbeat_at=utcnow())
                )
            status = session.exec(
                select(Submission.status).where(Submission.id == self._attempt.submission_id)
            ).first()
            session.commit()
        if status is SubmissionStatus.CANCELLED:
            self.cancelled.set()
