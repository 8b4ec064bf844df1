"""What the API shows of submissions: summaries, the detail page, listings.

The answers are allow-lists built from rows: no stored path (``file_path``, ``logs_path``,
bundle paths) is ever copied into one, and free text written by the platform (reasons, event
details) has the store's paths blanked out in case one slipped in. Scores follow the split
rules: the public split for the team; private (and whole-set) scores only for the challenge's
staff, or for everyone once the challenge has ``revealed_private``; a phase whose leaderboard
is ``hidden`` shows the team no score until then. Participants see scores rounded to the
challenge's ``metrics.decimals``, as the leaderboard shows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Field, Session, SQLModel, col, select

from podium.crud import roles, teams
from podium.crud.practice import competing
from podium.crud.submissions import events_of
from podium.db.models import (
    Challenge,
    Evaluation,
    EvaluationPublic,
    Phase,
    Score,
    ScorePublic,
    ScoreSplit,
    Submission,
    SubmissionEventPublic,
    SubmissionPublic,
    SubmissionStatus,
    Team,
    User,
)
from podium.errors import InvalidInput
from podium.store import Store

HIDDEN = "<hidden>"


class SubmissionSummary(SubmissionPublic):
    """A submission as listings show it (no stored paths)."""

    challenge: str = Field(description="the challenge's slug")
    phase: str
    team_name: str
    username: str | None = Field(description="who uploaded it (None: account deleted)")


class SubmissionDetail(SubmissionSummary):
    """A submission with its status timeline, visible scores and latest timings."""

    events: list[SubmissionEventPublic]
    scores: list[ScorePublic]
    timings: EvaluationPublic | None = Field(
        description="of the latest evaluation attempt (the exit code: staff only)"
    )
    attempts: int
    staff_detail: str | None = Field(
        default=None,
        description="the full reason where 'reason' withholds it (a failure on hidden data); "
        "the challenge's staff only",
    )


class SubmissionPage(SQLModel):
    """One page of a listing, newest first."""

    items: list[SubmissionSummary]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class SubmissionAccess:
    """A submission the caller may see, with its challenge, phase and the caller's standing."""

    submission: Submission
    challenge: Challenge
    phase: Phase
    staff: bool  # admin, organiser or judge of the challenge
    member: bool  # its author, or a member of its team


def access_for(session: Session, *, submission: Submission, user: User) -> SubmissionAccess:
    """The caller's standing towards ``submission`` (which they are already allowed to see)."""
    challenge = session.get(Challenge, submission.challenge_id)
    phase = session.get(Phase, submission.phase_id)
    team = session.get(Team, submission.team_id)
    assert challenge is not None and phase is not None and team is not None
    member = submission.user_id == user.id or (
        teams.membership(session, team=team, user=user) is not None
    )
    staff = roles.is_staff(session, user=user, challenge=challenge)
    return SubmissionAccess(submission, challenge, phase, staff, member)


class Scrubber:
    """Blanks out host paths (the store, the bundle, the file) in text shown to users."""

    def __init__(self, *paths: str) -> None:
        self.paths = sorted({p for p in paths if p}, key=len, reverse=True)

    @classmethod
    def for_submission(cls, store: Store, challenge: Challenge, submission: Submission) -> Scrubber:
        """The paths that must not leak for ``submission``."""
        return cls(str(store.root), challenge.bundle_path, submission.file_path)

    def __call__(self, text: str | None) -> str | None:
        if text is None:
            return None
        for path in self.paths:
            text = text.replace(path, HIDDEN)
        return text


def _summary(
    submission: Submission, *, slug: str, phase: str, team: str, user: str | None, scrub: Scrubber
) -> SubmissionSummary:
    data: dict[str, Any] = SubmissionPublic.model_validate(submission).model_dump()
    data["reason"] = scrub(submission.reason)
    data["disqualified_reason"] = scrub(submission.disqualified_reason)
    return SubmissionSummary(**data, challenge=slug, phase=phase, team_name=team, username=user)


def submission_summary(
    session: Session, *, access: SubmissionAccess, store: Store
) -> SubmissionSummary:
    """The submission as listings show it."""
    sub = access.submission
    team = session.get(Team, sub.team_id)
    author = session.get(User, sub.user_id) if sub.user_id is not None else None
    return _summary(
        sub, slug=access.challenge.slug, phase=access.phase.name,
        team=team.name if team else "", user=author.username if author else None,
        scrub=Scrubber.for_submission(store, access.challenge, sub),
    )  # fmt: skip


def visible_splits(*, access: SubmissionAccess) -> set[ScoreSplit]:
    """The score splits the caller may read for this submission."""
    if access.submission.practice:  # scored on public data only: nothing hidden to keep
        return set(ScoreSplit)
    if access.staff or access.challenge.revealed_private:
        return set(ScoreSplit)
    if access.phase.leaderboard_rules.visibility == "hidden":
        return set()
    return {ScoreSplit.PUBLIC}


def _latest_evaluation(session: Session, submission: Submission) -> Evaluation | None:
    query = select(Evaluation).where(Evaluation.submission_id == submission.id)
    return session.exec(query.order_by(col(Evaluation.attempt).desc())).first()


def _scores(session: Session, *, access: SubmissionAccess) -> list[ScorePublic]:
    # the latest attempt that has scores: a re-run in progress keeps showing the last ones
    sub = access.submission
    newest = select(func.max(Score.evaluation_id)).where(Score.submission_id == sub.id)
    evaluation_id = session.exec(newest).one()
    splits = visible_splits(access=access)
    if evaluation_id is None or not splits:
        return []
    query = select(Score).where(
        Score.evaluation_id == evaluation_id, col(Score.split).in_([s.value for s in splits])
    )
    rows = session.exec(query.order_by(col(Score.split), col(Score.metric))).all()
    decimals = None if access.staff else access.challenge.parsed_spec.metrics.decimals
    return [_score_public(row, decimals) for row in rows]


def _score_public(row: Score, decimals: int | None) -> ScorePublic:
    def shown(value: float | None) -> float | None:
        return value if value is None or decimals is None else round(value, decimals)

    return ScorePublic(
        split=row.split,
        metric=row.metric,
        value=round(row.value, decimals) if decimals is not None else row.value,
        ci_low=shown(row.ci_low),
        ci_high=shown(row.ci_high),
    )


def submission_detail(
    session: Session, *, access: SubmissionAccess, store: Store
) -> SubmissionDetail:
    """Status, reason, timeline, the scores the caller may see, timings, the MLflow run id."""
    sub = access.submission
    scrub = Scrubber.for_submission(store, access.challenge, sub)
    events = [
        SubmissionEventPublic(status=e.status, at=e.at, detail=scrub(e.detail) or "")
        for e in events_of(session, submission=sub)
    ]
    latest = _latest_evaluation(session, sub)
    summary = submission_summary(session, access=access, store=store)
    return SubmissionDetail(
        **summary.model_dump(),
        events=events,
        scores=_scores(session, access=access),
        timings=_timings(latest, staff=access.staff),
        attempts=latest.attempt if latest is not None else 0,
        staff_detail=_staff_detail(latest, scrub) if access.staff else None,
    )


def _timings(latest: Evaluation | None, *, staff: bool) -> EvaluationPublic | None:
    # the exit code of a run on hidden data is the model's to choose: 8 bits of the hidden
    # inputs per submission; the resource figures stay visible to everyone
    if latest is None:
        return None
    timings = EvaluationPublic.model_validate(latest)
    return timings if staff else timings.model_copy(update={"exit_code": None})


def _staff_detail(latest: Evaluation | None, scrub: Scrubber) -> str | None:
    detail = latest.parsed_report.detail if latest is not None else None
    return scrub(detail) if detail else None


@dataclass(frozen=True)
class ListingScope:
    """Whose submissions a caller lists in a challenge: every team's (staff) or their own."""

    challenge: Challenge
    everyone: bool
    team_id: int | None


def _phase_id(session: Session, *, challenge: Challenge, name: str) -> int:
    phase = session.exec(
        select(Phase).where(Phase.challenge_id == challenge.id, Phase.name == name)
    ).first()
    if phase is None or phase.id is None:
        names = session.exec(select(Phase.name).where(Phase.challenge_id == challenge.id)).all()
        raise InvalidInput(
            f"{challenge.slug} has no phase {name!r}; its phases: {', '.join(names)}"
        )
    return phase.id


def _filters(
    session: Session, *, scope: ListingScope, status: SubmissionStatus | None, phase: str | None
) -> list[Any]:
    challenge = scope.challenge
    where: list[Any] = [Submission.challenge_id == challenge.id, competing()]
    if not scope.everyone:  # a caller without a team matches nothing
        where.append(Submission.team_id == (scope.team_id or -1))
    if status is not None:
        where.append(Submission.status == status)
    if phase is not None:
        where.append(Submission.phase_id == _phase_id(session, challenge=challenge, name=phase))
    return where


def list_submissions(
    session: Session,
    *,
    scope: ListingScope,
    store: Store,
    status: SubmissionStatus | None = None,
    phase: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> SubmissionPage:
    """A page of the scope's submissions, newest first, filtered by status and phase name.

    Raises:
        InvalidInput: the challenge has no phase called ``phase``.
    """
    challenge = scope.challenge
    where = _filters(session, scope=scope, status=status, phase=phase)
    total = int(session.exec(select(func.count()).select_from(Submission).where(*where)).one())
    rows = session.exec(
        select(Submission, Team.name, Phase.name, User.username)
        .join(Team, col(Team.id) == Submission.team_id)
        .join(Phase, col(Phase.id) == Submission.phase_id)
        .outerjoin(User, col(User.id) == Submission.user_id)
        .where(*where)
        .order_by(col(Submission.created_at).desc(), col(Submission.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    scrub = Scrubber(str(store.root), challenge.bundle_path)
    items = [
        _summary(sub, slug=challenge.slug, phase=phase_name, team=team, user=user, scrub=scrub)
        for sub, team, phase_name, user in rows
    ]
    return SubmissionPage(items=items, total=total, limit=limit, offset=offset)
