"""The challenge page's practice section: what a team may run on the public sample, and its
latest practice runs (the rules are :mod:`podium.crud.practice`'s)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from podium.crud.practice import practice_left, practice_refusal, practice_runs
from podium.db.models import Challenge, Score, ScoreSplit, Submission, SubmissionKind, Team
from podium.settings import Settings
from podium.web.participation import Participation, submit_form

RECENT = 10


@dataclass(frozen=True)
class PracticeRow:
    """One of the team's practice runs as the section lists it."""

    id: int
    status: str
    kind: str
    created_at: datetime
    score: float | None


@dataclass(frozen=True)
class PracticeForm:
    """Where a practice run goes, what it takes, what is left today; or why not."""

    closed: str | None = None
    kinds: list[str] = field(default_factory=list)
    left: int = 0
    per_day: int = 0
    max_upload_mb: int = 0
    metric: str = ""
    runs: list[PracticeRow] = field(default_factory=list)


def _primaries(session: Session, runs: list[Submission], metric: str) -> dict[int, float]:
    """Each run's primary score on the whole sample, in one query."""
    query = select(Score.submission_id, Score.value).where(
        col(Score.submission_id).in_([r.id for r in runs]),
        Score.metric == metric,
        Score.split == ScoreSplit.ALL,
    )
    return {sid: value for sid, value in session.exec(query).all()}


def practice_form(
    session: Session, *, challenge: Challenge, me: Participation, settings: Settings
) -> PracticeForm | None:
    """The practice section for a team member (None for visitors, staff and the teamless)."""
    if me.team is None or me.staff:
        return None
    submit = submit_form(session, challenge=challenge, me=me, settings=settings)
    if submit is None or submit.phase is None:
        return PracticeForm(closed=submit.closed if submit else None)
    refusal = practice_refusal(challenge)
    team = session.get(Team, me.team.id)
    left, per_day = practice_left(session, challenge=challenge, team=team, phase=submit.phase)
    metric = challenge.parsed_spec.metrics.primary
    recent = practice_runs(session, challenge=challenge, team_id=me.team.id, limit=RECENT)
    scores = _primaries(session, recent, metric)
    runs = [
        PracticeRow(r.id or 0, r.status.value, r.kind.value, r.created_at, scores.get(r.id or 0))
        for r in recent
    ]
    kinds = [k for k in submit.kinds if k != SubmissionKind.PREDICTIONS.value]
    if refusal is None and not kinds:
        refusal = f"phase {submit.phase.name!r} takes predictions files only: nothing to run"
    return PracticeForm(
        closed=refusal, kinds=kinds, left=left, per_day=per_day,
        max_upload_mb=settings.max_upload_mb, metric=metric, runs=runs,
    )  # fmt: skip
