"""The judges' work: rubric scores, final ranking, disqualification, reproduction (publishing
and revealing: :mod:`podium.crud.publishing`).

Every action a judge or organiser takes writes an :class:`AuditLog` row in the same
transaction as the change itself, so the log cannot miss an action that happened.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, or_, select

from leaderboard import (
    Criterion,
    FinalEntry,
    InvalidRubricScore,
    JudgeConflict,
    Leaderboard,
    Rubric,
    RubricScore,
    final_ranking,
    reproduces,
    validate_score,
)
from podium.crud import roles
from podium.crud.audit import audit
from podium.crud.leaderboards import board_changed
from podium.db.models import Challenge, Score, Submission, Team, TeamMember, User
from podium.db.models.judging import AuditLog, Reproduction, RubricScoreRow
from podium.db.types import utcnow
from podium.errors import Conflict, InvalidInput, NotFound, PermissionDenied

# Scores of a re-run must match the original within this fraction of the original's size
# (1e-6: what float noise and a different BLAS leave). Challenge bundles have no tolerance field
# yet; when they get one (``judging.reproduction_tolerance``) it replaces this default.
REPRODUCTION_RELATIVE_TOLERANCE = 1e-6
Rerun = Callable[[Session, Submission], None]
RUBRIC_SCORE = "rubric_score"  # the audit action of a judge's points


@dataclass(frozen=True)
class Judging:
    """A challenge's rubric and how the final score weighs the leaderboard against it."""

    rubric: Rubric
    leaderboard_weight: float
    rubric_weight: float


def judging_of(challenge: Challenge) -> Judging:
    """The challenge's judging settings (Conflict when its bundle has no ``judging`` section)."""
    spec = challenge.parsed_spec.judging
    if spec is None:
        raise Conflict(
            f"{challenge.slug} has no judging section (rubric and final_score) in its bundle; "
            "its final ranking is its private leaderboard"
        )
    criteria = tuple(Criterion(c.name, c.max_points, c.weight) for c in spec.rubric)
    weights = spec.final_score
    return Judging(Rubric(criteria), weights.leaderboard_weight, weights.rubric_weight)


def audit_entries(
    session: Session, *, challenge: Challenge, viewer: User
) -> list[tuple[AuditLog, str | None]]:
    """The audit rows ``viewer`` may read, oldest first, each with its actor's username.

    Organisers and admins read every row; a judge reads every row except the other judges'
    rubric points (as the rubric-scores endpoint shows a judge only their own).
    """
    query = (
        select(AuditLog, User.username)
        .join(User, col(User.id) == AuditLog.actor_id, isouter=True)
        .where(AuditLog.challenge_id == challenge.id)
        .order_by(col(AuditLog.at), col(AuditLog.id))
    )
    if not roles.is_organiser(session, user=viewer, challenge=challenge):
        query = query.where(
            or_(AuditLog.action != RUBRIC_SCORE, col(AuditLog.actor_id) == viewer.id)
        )
    return [(row, name) for row, name in session.exec(query).all()]


def challenge_team(session: Session, *, challenge: Challenge, team_id: int) -> Team:
    """The team ``team_id`` of ``challenge`` (NotFound when it is not one of its teams)."""
    team = session.get(Team, team_id)
    if team is None or team.challenge_id != challenge.id:
        raise NotFound(f"no team with id {team_id} in {challenge.slug}")
    return team


def put_rubric_scores(
    session: Session,
    *,
    challenge: Challenge,
    judge: User,
    team: Team,
    scores: Sequence[tuple[str, float, str]],
) -> list[RubricScoreRow]:
    """Record ``judge``'s ``(criterion, points, comment)`` for ``team`` (replacing earlier ones).

    Raises Conflict without a rubric, InvalidInput for an unknown criterion, points outside
    [0, max] or a criterion given twice, PermissionDenied when the judge is in the team.
    """
    rubric = judging_of(challenge).rubric
    members = set(
        session.exec(select(TeamMember.user_id).where(TeamMember.team_id == team.id)).all()
    )
    names = [name for name, _, _ in scores]
    if len(set(names)) != len(names):
        raise InvalidInput("a criterion is given twice; give each criterion once")
    assert judge.id is not None and team.id is not None
    for name, points, comment in scores:
        _validate(rubric, RubricScore(judge.id, team.id, name, points, comment), members, team)
    rows = [_upsert(session, challenge, judge.id, team.id, item) for item in scores]
    audit(
        session,
        challenge_id=challenge.id,
        actor=judge,
        action=RUBRIC_SCORE,
        target=f"team {team.id} ({team.name})",
        detail={name: points for name, points, _ in scores},
    )
    session.commit()
    return rows


def _validate(rubric: Rubric, score: RubricScore, members: set[int], team: Team) -> None:
    try:
        validate_score(rubric, score, members)
    except JudgeConflict:
        raise PermissionDenied(
            f"you are a member of team {team.name!r} and cannot score it; "
            "another judge must score this team"
        ) from None
    except InvalidRubricScore as error:
        raise InvalidInput(str(error)) from None


def _upsert(
    session: Session,
    challenge: Challenge,
    judge_id: int,
    team_id: int,
    item: tuple[str, float, str],
) -> RubricScoreRow:
    name, points, comment = item
    row = session.exec(
        select(RubricScoreRow).where(
            RubricScoreRow.challenge_id == challenge.id,
            RubricScoreRow.judge_id == judge_id,
            RubricScoreRow.team_id == team_id,
            RubricScoreRow.criterion == name,
        )
    ).first()
    assert challenge.id is not None
    row = row or RubricScoreRow(
        challenge_id=challenge.id, judge_id=judge_id, team_id=team_id, criterion=name, points=0
    )
    row.points, row.comment, row.at = points, comment, utcnow()
    session.add(row)
    return row


def rubric_rows(
    session: Session, *, challenge: Challenge, judge_id: int | None = None
) -> list[tuple[RubricScoreRow, str, str]]:
    """Rubric scores of the challenge (one judge's when ``judge_id``), with judge and team names."""
    query = (
        select(RubricScoreRow, User.username, Team.name)
        .join(User, col(User.id) == RubricScoreRow.judge_id)
        .join(Team, col(Team.id) == RubricScoreRow.team_id)
        .where(RubricScoreRow.challenge_id == challenge.id)
        .order_by(col(RubricScoreRow.team_id), col(RubricScoreRow.criterion), col(User.username))
    )
    if judge_id is not None:
        query = query.where(RubricScoreRow.judge_id == judge_id)
    return [(row, judge, team) for row, judge, team in session.exec(query).all()]


def judged_ranking(
    session: Session, *, challenge: Challenge, board: Leaderboard
) -> tuple[Judging, list[FinalEntry]]:
    """The final ranking: ``board`` (the private split) combined with every rubric score."""
    judging = judging_of(challenge)
    rows = rubric_rows(session, challenge=challenge)
    scores = [
        RubricScore(row.judge_id, row.team_id, row.criterion, row.points, row.comment)
        for row, _, _ in rows
    ]
    names = {row.team_id: team for row, _, team in rows}  # teams judged but not on the board
    try:
        entries = final_ranking(
            board, judging.rubric, scores, judging.leaderboard_weight, judging.rubric_weight,
            team_names=names,
        )  # fmt: skip
    except InvalidRubricScore as error:  # the rubric changed under stored scores
        raise Conflict(f"stored rubric scores no longer fit the rubric: {error}") from None
    return judging, entries


def _check_not_in_team(session: Session, *, submission: Submission, actor: User, what: str) -> None:
    in_team = session.exec(
        select(TeamMember.id).where(
            TeamMember.team_id == submission.team_id, TeamMember.user_id == actor.id
        )
    ).first()
    if in_team is not None:
        raise PermissionDenied(
            f"you are a member of the team that made submission {submission.id} and cannot "
            f"{what} it; another judge or an organiser must"
        )


def disqualify(session: Session, *, submission: Submission, actor: User, reason: str) -> None:
    """Exclude ``submission`` from every ranking with a reason.

    Raises:
        PermissionDenied: ``actor`` is a member of the submission's team.
        Conflict: it is already excluded.
    """
    _check_not_in_team(session, submission=submission, actor=actor, what="disqualify")
    if submission.disqualified:
        raise Conflict(
            f"submission {submission.id} is already disqualified "
            f"({submission.disqualified_reason}); reinstate it first to change the reason"
        )
    _set_disqualified(session, submission, actor, reason)


def reinstate(session: Session, *, submission: Submission, actor: User) -> None:
    """Bring a disqualified submission back into the rankings.

    Raises:
        PermissionDenied: ``actor`` is a member of the submission's team.
        Conflict: it is not excluded.
    """
    _check_not_in_team(session, submission=submission, actor=actor, what="reinstate")
    if not submission.disqualified:
        raise Conflict(f"submission {submission.id} is not disqualified; nothing to reinstate")
    _set_disqualified(session, submission, actor, None)


def _set_disqualified(
    session: Session, submission: Submission, actor: User, reason: str | None
) -> None:
    submission.disqualified = reason is not None
    submission.disqualified_reason = reason
    submission.updated_at = utcnow()
    session.add(submission)
    board_changed(session, challenge_id=submission.challenge_id)
    audit(
        session,
        challenge_id=submission.challenge_id,
        actor=actor,
        action="disqualify" if reason is not None else "reinstate",
        target=f"submission {submission.id}",
        detail={"reason": reason} if reason is not None else {},
    )
    session.commit()


def stored_scores(session: Session, *, submission: Submission) -> tuple[int | None, dict[str, Any]]:
    """The submission's current evaluation id and scores ``{split: {metric: value}}``."""
    rows = session.exec(select(Score).where(Score.submission_id == submission.id)).all()
    scores: dict[str, dict[str, float]] = {}
    for row in rows:
        scores.setdefault(str(row.split), {})[row.metric] = row.value
    return (rows[0].evaluation_id if rows else None), scores


def request_reproduction(
    session: Session, *, submission: Submission, actor: User, metric: str, rerun: Rerun
) -> Reproduction:
    """Copy the submission's scores, then re-run it (Conflict: no score, or still running)."""
    evaluation_id, scores = stored_scores(session, submission=submission)
    if not scores:
        raise Conflict(f"submission {submission.id} has no score to reproduce")
    assert submission.id is not None
    row = Reproduction(
        submission_id=submission.id,
        requested_by=actor.id,
        metric=metric,
        relative_tolerance=REPRODUCTION_RELATIVE_TOLERANCE,
        original_evaluation_id=evaluation_id,
        original_scores=scores,
    )
    session.add(row)
    audit(
        session,
        challenge_id=submission.challenge_id,
        actor=actor,
        action="reproduce",
        target=f"submission {submission.id}",
        detail={"metric": metric, "original": {s: v.get(metric) for s, v in scores.items()}},
    )
    session.flush()
    rerun(session, submission)  # commits both rows before it sends the task
    session.refresh(row)
    return row


def check_reproduction(session: Session, *, reproduction: Reproduction) -> Reproduction:
    """Compare a pending reproduction with the re-run once it has ended (else leave it pending).

    Every split of the original is compared on ``metric``; it reproduces when each is within
    ``relative_tolerance * |original|`` (plus float noise, see :func:`leaderboard.reproduces`).
    """
    if reproduction.checked_at is not None:
        return reproduction
    submission = session.get(Submission, reproduction.submission_id)
    assert submission is not None
    evaluation_id, scores = stored_scores(session, submission=submission)
    status = str(submission.status)
    if status == "finished" and evaluation_id != reproduction.original_evaluation_id:
        reproduction.within_tolerance = _within(reproduction, scores)
    elif status in ("failed", "error", "cancelled"):
        reproduction.within_tolerance = False
    else:  # queued or running: not yet
        return reproduction
    reproduction.rerun_evaluation_id = evaluation_id if status == "finished" else None
    reproduction.rerun_scores = {
        "status": status,
        "reason": submission.reason,
        "scores": scores if status == "finished" else {},
    }
    reproduction.checked_at = utcnow()
    session.add(reproduction)
    session.commit()
    return reproduction


def _within(reproduction: Reproduction, scores: dict[str, Any]) -> bool:
    metric = reproduction.metric
    results = [
        reproduces(
            before.get(metric),
            scores.get(split, {}).get(metric),
            reproduction.relative_tolerance * abs(before.get(metric) or 0.0),
        )
        for split, before in reproduction.original_scores.items()
    ]
    return bool(results) and all(r.within_tolerance for r in results)


def latest_reproduction(session: Session, *, submission: Submission) -> Reproduction:
    """The submission's latest reproduction (NotFound when it was never reproduced)."""
    query = (
        select(Reproduction)
        .where(Reproduction.submission_id == submission.id)
        .order_by(col(Reproduction.id).desc())
    )
    row = session.exec(query).first()
    if row is None:
        raise NotFound(
            f"submission {submission.id} was never reproduced; "
            f"POST /api/v1/submissions/{submission.id}/reproduce first"
        )
    return row
