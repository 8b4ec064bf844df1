"""A judge's re-run of a submission, checked against its original scores: started by the API
and the judging page alike, read back as :class:`podium.services.board_models.ReproductionOut`.
"""

from __future__ import annotations

from sqlmodel import Session

from podium.crud import judging
from podium.db.models import Challenge, Submission, User
from podium.db.models.judging import Reproduction
from podium.services.board_models import ReproductionOut, ReproductionState

STATES: dict[bool | None, ReproductionState] = {
    None: "pending",
    True: "reproduced",
    False: "not_reproduced",
}


def reproduce(
    session: Session,
    *,
    submission: Submission,
    challenge: Challenge,
    actor: User,
    rerun: judging.Rerun,
) -> ReproductionOut:
    """Re-run ``submission`` from its stored image, to be compared on the primary metric.

    Raises:
        Conflict: The submission has no score yet, or is still running.
    """
    metric = challenge.parsed_spec.metrics.primary
    row = judging.request_reproduction(
        session, submission=submission, actor=actor, metric=metric, rerun=rerun
    )
    return reproduction_out(row, actor)


def latest_reproduction(session: Session, *, submission: Submission) -> ReproductionOut:
    """The submission's latest reproduction, compared with the re-run once that has ended.

    Raises:
        NotFound: Nobody asked for one.
    """
    row = judging.latest_reproduction(session, submission=submission)
    row = judging.check_reproduction(session, reproduction=row)
    requester = None if row.requested_by is None else session.get(User, row.requested_by)
    return reproduction_out(row, requester)


def reproduction_out(row: Reproduction, requester: User | None) -> ReproductionOut:
    """A reproduction as the API shows it (``state``: pending, reproduced or not_reproduced)."""
    assert row.id is not None
    rerun = row.rerun_scores or {}
    after = rerun.get("scores", {})
    metric = row.metric
    original = {split: values.get(metric) for split, values in row.original_scores.items()}
    new = {split: values.get(metric) for split, values in after.items()} if rerun else None
    return ReproductionOut(
        id=row.id,
        submission_id=row.submission_id,
        state=STATES[row.within_tolerance],
        requested_at=row.requested_at,
        requested_by=None if requester is None else requester.username,
        metric=metric,
        relative_tolerance=row.relative_tolerance,
        original=original,
        rerun=new,
        rerun_status=rerun.get("status"),
        rerun_reason=rerun.get("reason"),
        within_tolerance=row.within_tolerance,
    )
