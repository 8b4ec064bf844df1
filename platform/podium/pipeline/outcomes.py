"""How an attempt ends when it does not finish: failed, error, or back to the queue."""

from __future__ import annotations

import logging

from podium.crud.submissions import record_status
from podium.db.models import TERMINAL_STATUSES, Evaluation, Submission, SubmissionStatus
from podium.db.models.reports import Outcome
from podium.db.types import utcnow
from podium.pipeline.attempts import close_evaluation, load_current, open_evaluations
from podium.pipeline.context import Attempt, PipelineContext, SessionFactory
from podium.pipeline.dispatch import after_end
from podium.pipeline.faults import (
    OrganiserFault,
    ParticipantFault,
    PipelineFault,
    PlatformFault,
    Stop,
    classify,
)
from podium.settings import Settings, get_settings

log = logging.getLogger(__name__)
INTERNAL_ERROR = (
    "an internal error stopped this evaluation; the operators have been told. "
    "It does not count against your quota"
)


def end_attempt(
    ctx: PipelineContext,
    attempt: Attempt,
    *,
    outcome: Outcome,
    status: SubmissionStatus,
    reason: str | None,
    charged: bool | None = None,
    staff_detail: str | None = None,
) -> bool:
    """Close the attempt and set the submission's status; False if it was no longer current.

    ``reason`` is what the participant reads; ``staff_detail``, the full account where the
    reason withholds it, is kept on the evaluation for the challenge's staff only.
    """
    with ctx.session_factory() as session:
        try:
            evaluation, submission = load_current(session, attempt)
        except Stop:
            return False
        kept = {"detail": staff_detail} if staff_detail else {}
        close_evaluation(evaluation, utcnow(), outcome, message=reason or "", **kept)
        session.add(evaluation)
        if charged is not None:
            submission.charged = charged
        detail = f"attempt {attempt.number}" + (f": {reason}" if reason else "")
        final = status in TERMINAL_STATUSES
        record_status(session, submission, status, detail, reason=reason if final else None)
        session.commit()
    return True


def end_with_error(ctx: PipelineContext, attempt: Attempt, error: BaseException) -> str:
    """End an attempt that raised ``error``; returns the submission's new status.

    Raises:
        PlatformFault: after putting the submission back to ``queued``, for the task to retry.
    """
    fault: PipelineFault | None = classify(error)
    if fault is None:
        log.error("evaluation %s failed unexpectedly", attempt.evaluation_id, exc_info=error)
    if isinstance(fault, ParticipantFault):
        end_attempt(
            ctx, attempt, outcome="failed", status=SubmissionStatus.FAILED, reason=fault.message,
            staff_detail=fault.detail,
        )  # fmt: skip
        return SubmissionStatus.FAILED.value
    if isinstance(fault, PlatformFault):
        end_attempt(
            ctx,
            attempt,
            outcome="platform_fault",
            status=SubmissionStatus.QUEUED,
            reason=f"retrying after a platform fault: {fault.message}",
        )
        raise fault
    reason = fault.message if isinstance(fault, OrganiserFault) else INTERNAL_ERROR
    end_attempt(
        ctx, attempt, outcome="error", status=SubmissionStatus.ERROR, reason=reason, charged=False,
        staff_detail=fault.detail if fault is not None else None,
    )  # fmt: skip
    return SubmissionStatus.ERROR.value


def give_up(
    session_factory: SessionFactory,
    submission_id: int,
    reason: str,
    settings: Settings | None = None,
) -> bool:
    """End a submission as ``error`` (never charged), then send its team's next waiting one;
    False if it had already ended."""
    now = utcnow()
    with session_factory() as session:
        submission = session.get(Submission, submission_id)
        if submission is None or submission.status in TERMINAL_STATUSES:
            return False
        for evaluation in open_evaluations(session, submission_id):
            close_evaluation(evaluation, now, "error", message=reason)
            session.add(evaluation)
        submission.charged = False
        record_status(session, submission, SubmissionStatus.ERROR, reason, reason=reason)
        session.commit()
        team_id = submission.team_id
    after_end(session_factory, settings or get_settings(), team_id)
    return True


def close_quietly(ctx: PipelineContext, attempt: Attempt, message: str) -> None:
    """Close a stopped attempt without touching the submission (cancelled, or taken over)."""
    with ctx.session_factory() as session:
        evaluation = session.get(Evaluation, attempt.evaluation_id)
        if evaluation is None or evaluation.finished_at is not None:
            return
        close_evaluation(evaluation, utcnow(), "stopped", message=message)
        session.add(evaluation)
        session.commit()
