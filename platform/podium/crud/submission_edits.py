"""A team's edits to its own submission: the description, and the final-ranking selection.

Selection rules (the phase's leaderboard rule ``selected``): at most ``max_selected`` per team
and phase; only while the phase is open (after its end the choice is frozen, so no team picks
its final entry knowing the private scores); never a submission that failed, errored, was
cancelled or disqualified. Phases ranked by ``best`` or ``latest`` ignore the flag, so setting
it there is refused rather than silently kept.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from podium.crud.leaderboards import board_changed
from podium.db.models import (
    IN_FLIGHT_STATUSES,
    Phase,
    Submission,
    SubmissionStatus,
    SubmissionUpdate,
)
from podium.db.types import utcnow
from podium.errors import Conflict, InvalidInput

SELECTABLE = frozenset({SubmissionStatus.FINISHED, *IN_FLIGHT_STATUSES})


def _selected_count(session: Session, *, submission: Submission) -> int:
    query = (
        select(func.count())
        .select_from(Submission)
        .where(Submission.team_id == submission.team_id, Submission.phase_id == submission.phase_id)
        .where(col(Submission.selected).is_(True), Submission.id != submission.id)
    )
    return int(session.exec(query).one())


def check_selection(
    session: Session, *, submission: Submission, phase: Phase, selected: bool, now: datetime
) -> None:
    """Refuse a change of ``selected`` that the phase's rules do not allow.

    Raises:
        InvalidInput: the phase does not rank by selected submissions.
        Conflict: the phase has ended, the submission cannot count, or the cap is reached.
    """
    rules = phase.leaderboard_rules
    rule = rules.rule
    if rule != "selected":
        raise InvalidInput(
            f"phase {phase.name!r} ranks each team by its {rule} submission; "
            "selecting submissions for the final ranking does not apply there"
        )
    if now >= phase.end:
        raise Conflict(
            f"phase {phase.name!r} ended at {phase.end.isoformat()}; final selections are frozen"
        )
    if not selected:
        return
    if submission.practice:
        raise Conflict(
            f"{submission.id} is a practice run: it never counts in a ranking; select one of "
            "your submissions"
        )
    if submission.status not in SELECTABLE or submission.disqualified:
        state = "disqualified" if submission.disqualified else submission.status.value
        raise Conflict(
            f"submission {submission.id} is {state} and cannot count in the final ranking; "
            "select a finished (or still running) one"
        )
    cap = rules.max_selected or 1
    if _selected_count(session, submission=submission) >= cap:
        raise Conflict(
            f"your team has already selected {cap} submission(s) in phase {phase.name!r}, the "
            "most it may; unselect one first (PATCH it with selected=false)"
        )


def update_submission(
    session: Session,
    *,
    submission: Submission,
    phase: Phase,
    update: SubmissionUpdate,
    now: datetime | None = None,
) -> Submission:
    """Change the description and/or the selection flag (see the module's rules).

    Raises:
        InvalidInput, Conflict: see :func:`check_selection`.
    """
    now = now or utcnow()
    if update.selected is not None and update.selected != submission.selected:
        check_selection(
            session, submission=submission, phase=phase, selected=update.selected, now=now
        )
        submission.selected = update.selected
        board_changed(session, challenge_id=submission.challenge_id)  # ranks by selection
    if update.description is not None:
        submission.description = update.description
    submission.updated_at = now
    session.add(submission)
    session.commit()
    session.refresh(submission)
    return submission
