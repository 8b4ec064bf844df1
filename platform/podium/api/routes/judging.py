"""The judges' tools: rubric scores, final ranking, disqualification, reproduction, publishing.

Judges, organisers and admins of a challenge use them (publishing and revealing: organisers and
admins); everyone may read a published ranking. Each action is written to the audit log.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, Field
from sqlmodel import Session

from leaderboard import PRIVATE, FinalEntry
from podium.api.deps import (
    ChallengeDep,
    CurrentUser,
    OptionalUser,
    OrganiserChallenge,
    OwnedSubmission,
    SessionDep,
    SettingsDep,
    StaffChallenge,
)
from podium.api.ids import MAX_ROW_ID, TeamId
from podium.crud import judging as crud
from podium.crud import leaderboards, publishing, roles
from podium.crud.challenges import phases_of, require_challenge_by_id
from podium.crud.errors import NotFound, PermissionDenied
from podium.db.models import Challenge, Submission, SubmissionPublic, User
from podium.db.models.judging import PublishedRanking, Reproduction

router = APIRouter(tags=["judging"])


def get_judged_submission(
    submission: OwnedSubmission, session: SessionDep, user: CurrentUser
) -> tuple[Submission, Challenge]:
    """The submission and its challenge, for that challenge's judges, organisers and admins.

    404 for whoever may not know the submission exists (``get_owned_submission``), whether it
    exists or not; 403 for its own team.
    """
    challenge = require_challenge_by_id(session, challenge_id=submission.challenge_id)
    if not roles.is_staff(session, user=user, challenge=challenge):
        raise PermissionDenied(
            f"only judges and organisers of {challenge.slug} (or an admin) can do this"
        )
    return submission, challenge


JudgedSubmission = Annotated[tuple[Submission, Challenge], Depends(get_judged_submission)]


def get_rerun(settings: SettingsDep) -> crud.Rerun:
    """The pipeline's re-run (a seam: tests replace it through ``dependency_overrides``)."""
    from podium.pipeline.dispatch import rerun

    return lambda session, submission: rerun(session, submission, settings)


RerunDep = Annotated[crud.Rerun, Depends(get_rerun)]


class CriterionScore(BaseModel):
    criterion: str = Field(min_length=1, max_length=128)
    points: float = Field(allow_inf_nan=False)
    comment: str = Field(default="", max_length=5000)


class RubricScoresUpdate(BaseModel):
    team_id: TeamId
    scores: list[CriterionScore] = Field(min_length=1)


class RubricScoreOut(BaseModel):
    judge: str
    team_id: int
    team: str
    criterion: str
    points: float
    comment: str
    at: datetime


class DisqualifyRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class PublishRequest(BaseModel):
    reveal: bool = Field(
        default=False,
        description="also reveal the private leaderboard (required until it is revealed: a "
        "published ranking shows everyone the private scores)",
    )


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    actor: str | None
    action: str
    target: str
    detail: dict[str, Any]


class PublishedOut(BaseModel):
    version: int
    phase: str
    published_at: datetime
    ranking: dict[str, Any]


@router.get("/challenges/{slug}/rubric-scores", response_model=list[RubricScoreOut])
def read_rubric_scores(
    challenge: StaffChallenge, session: SessionDep, user: CurrentUser
) -> list[RubricScoreOut]:
    """Rubric scores: organisers and admins see every judge's, a judge sees their own."""
    see_all = roles.is_organiser(session, user=user, challenge=challenge)
    rows = crud.rubric_rows(session, challenge=challenge, judge_id=None if see_all else user.id)
    return [
        RubricScoreOut(
            judge=judge,
            team_id=row.team_id,
            team=team,
            criterion=row.criterion,
            points=row.points,
            comment=row.comment,
            at=row.at,
        )
        for row, judge, team in rows
    ]


@router.put("/challenges/{slug}/rubric-scores", response_model=list[RubricScoreOut])
def put_rubric_scores(
    body: RubricScoresUpdate, challenge: StaffChallenge, session: SessionDep, user: CurrentUser
) -> list[RubricScoreOut]:
    """Score one team on some criteria of the rubric (replaces your earlier scores for them)."""
    team = crud.challenge_team(session, challenge=challenge, team_id=body.team_id)
    items = [(s.criterion, s.points, s.comment) for s in body.scores]
    rows = crud.put_rubric_scores(session, challenge=challenge, judge=user, team=team, scores=items)
    return [
        RubricScoreOut(
            judge=user.username,
            team_id=team.id or 0,
            team=team.name,
            criterion=row.criterion,
            points=row.points,
            comment=row.comment,
            at=row.at,
        )
        for row in rows
    ]


@router.get("/challenges/{slug}/final-ranking")
def read_final_ranking(
    challenge: ChallengeDep,
    session: SessionDep,
    user: OptionalUser,
    phase: str | None = None,
) -> dict[str, Any]:
    """The judged final ranking with both parts; staff only until it is published."""
    if not roles.is_staff(session, user=user, challenge=challenge):
        snapshot = publishing.published(session, challenge=challenge)
        if snapshot is None:
            raise PermissionDenied(
                f"the final ranking of {challenge.slug} is not published yet; "
                "its judges and organisers see it meanwhile"
            )
        return snapshot.ranking
    return final_json(session, challenge, phase)


def final_json(session: Session, challenge: Challenge, phase: str | None) -> dict[str, Any]:
    """The final ranking as JSON: judged when the challenge has a rubric, else the private board."""
    chosen = (
        leaderboards.select_phase(session, challenge=challenge, name=phase)
        if phase is not None
        else _last_phase(session, challenge)
    )
    config = leaderboards.board_config(challenge, chosen)
    board = leaderboards.build_leaderboard(session, phase=chosen, config=config, split=PRIVATE)
    head: dict[str, Any] = {
        "challenge": challenge.slug,
        "phase": chosen.name,
        "split": PRIVATE,
        "primary": config.primary,
        "decimals": config.decimals,
    }
    if not challenge.spec.get("judging"):
        entries: list[dict[str, Any]] = [
            {
                "rank": e.rank,
                "team_id": e.team_id,
                "team": e.team_name,
                "final_score": None,
                "leaderboard_rank": e.rank,
                "leaderboard_score": e.display_scores[config.primary],
            }
            for e in board.ranked
        ]
        return head | {"judged": False, "entries": entries}
    judging, final = crud.judged_ranking(session, challenge=challenge, board=board)
    return head | {
        "judged": True,
        "weights": {"leaderboard": judging.leaderboard_weight, "rubric": judging.rubric_weight},
        "rubric": [
            {"name": c.name, "max_points": c.max_points, "weight": c.weight}
            for c in judging.rubric.criteria
        ],
        "entries": [_final_entry(e) for e in final],
    }


def _last_phase(session: Session, challenge: Challenge) -> Any:
    phases = phases_of(session, challenge=challenge)
    if not phases:
        raise NotFound(f"{challenge.slug} has no phases")
    return phases[-1]


def _final_entry(e: FinalEntry) -> dict[str, Any]:
    def r(value: float | None) -> float | None:
        return None if value is None else round(value, 6)

    return {
        "rank": e.rank,
        "team_id": e.team_id,
        "team": e.team_name,
        "final_score": r(e.final_score),
        "leaderboard_rank": e.leaderboard_rank,
        "leaderboard_score": e.leaderboard_score,
        "leaderboard_part": r(e.leaderboard_part),
        "rubric_part": r(e.rubric_part),
        "rubric": None
        if e.rubric is None
        else {
            "mean_points": dict(e.rubric.mean_points),
            "judges": e.rubric.judges,
            "incomplete": e.rubric.incomplete,
        },
    }


@router.post("/submissions/{submission_id}/disqualify", response_model=SubmissionPublic)
def disqualify(
    body: DisqualifyRequest, target: JudgedSubmission, session: SessionDep, user: CurrentUser
) -> Submission:
    """Exclude a submission from every ranking, with a reason."""
    crud.disqualify(session, submission=target[0], actor=user, reason=body.reason)
    return target[0]


@router.post("/submissions/{submission_id}/reinstate", response_model=SubmissionPublic)
def reinstate(target: JudgedSubmission, session: SessionDep, user: CurrentUser) -> Submission:
    """Bring a disqualified submission back into the rankings."""
    crud.reinstate(session, submission=target[0], actor=user)
    return target[0]


@router.post("/submissions/{submission_id}/reproduce", status_code=status.HTTP_202_ACCEPTED)
def reproduce(
    target: JudgedSubmission, session: SessionDep, user: CurrentUser, rerun: RerunDep
) -> dict[str, Any]:
    """Re-run a submission from its stored image; read the verdict at .../reproduction."""
    submission, challenge = target
    metric = str(challenge.spec.get("metrics", {}).get("primary", ""))
    row = crud.request_reproduction(
        session, submission=submission, actor=user, metric=metric, rerun=rerun
    )
    return reproduction_json(row, user)


@router.get("/submissions/{submission_id}/reproduction")
def read_reproduction(target: JudgedSubmission, session: SessionDep) -> dict[str, Any]:
    """The latest reproduction: original and re-run scores, and whether they agree."""
    row = crud.latest_reproduction(session, submission=target[0])
    row = crud.check_reproduction(session, reproduction=row)
    requester = None if row.requested_by is None else session.get(User, row.requested_by)
    return reproduction_json(row, requester)


def reproduction_json(row: Reproduction, requester: User | None) -> dict[str, Any]:
    """A reproduction as the API shows it (``state``: pending, reproduced or not_reproduced)."""
    rerun = row.rerun_scores or {}
    after = rerun.get("scores", {})
    metric = row.metric
    original = {split: values.get(metric) for split, values in row.original_scores.items()}
    new = {split: values.get(metric) for split, values in after.items()} if rerun else None
    state = {None: "pending", True: "reproduced", False: "not_reproduced"}[row.within_tolerance]
    return {
        "id": row.id,
        "submission_id": row.submission_id,
        "state": state,
        "requested_at": row.requested_at.isoformat(),
        "requested_by": None if requester is None else requester.username,
        "metric": metric,
        "relative_tolerance": row.relative_tolerance,
        "original": original,
        "rerun": new,
        "rerun_status": rerun.get("status"),
        "rerun_reason": rerun.get("reason"),
        "within_tolerance": row.within_tolerance,
    }


@router.post(
    "/challenges/{slug}/publish", response_model=PublishedOut, status_code=status.HTTP_201_CREATED
)
def publish(
    challenge: OrganiserChallenge,
    session: SessionDep,
    user: CurrentUser,
    body: PublishRequest | None = None,
    phase: str | None = None,
) -> PublishedOut:
    """Freeze the final ranking as a new published version that anyone can read (409 until the
    private leaderboard is revealed, unless the request says ``{"reveal": true}``)."""
    ranking = final_json(session, challenge, phase)
    row = publishing.publish(
        session,
        challenge=challenge,
        actor=user,
        phase=ranking["phase"],
        ranking=ranking,
        reveal_private=body is not None and body.reveal,
    )
    return _published_out(row)


@router.get("/challenges/{slug}/published", response_model=PublishedOut)
def read_published(
    challenge: ChallengeDep,
    session: SessionDep,
    version: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
) -> PublishedOut:
    """A published final ranking (default: the latest version)."""
    row = publishing.published(session, challenge=challenge, version=version)
    if row is None:
        which = "nothing" if version is None else f"no version {version}"
        raise NotFound(f"{challenge.slug} has published {which} yet")
    return _published_out(row)


def _published_out(row: PublishedRanking) -> PublishedOut:
    return PublishedOut(
        version=row.version, phase=row.phase, published_at=row.at, ranking=row.ranking
    )


@router.post("/challenges/{slug}/reveal", status_code=status.HTTP_204_NO_CONTENT)
def reveal(challenge: OrganiserChallenge, session: SessionDep, user: CurrentUser) -> None:
    """Show the private leaderboard to everyone."""
    publishing.reveal(session, challenge=challenge, actor=user)


@router.get("/challenges/{slug}/audit-log", response_model=list[AuditEntryOut])
def read_audit_log(
    challenge: StaffChallenge, session: SessionDep, user: CurrentUser
) -> list[AuditEntryOut]:
    """Staff actions on the challenge, oldest first (a judge: not the other judges' points)."""
    return [
        AuditEntryOut(
            id=row.id or 0,
            at=row.at,
            actor=actor,
            action=row.action,
            target=row.target,
            detail=row.detail,
        )
        for row, actor in crud.audit_entries(session, challenge=challenge, viewer=user)
    ]
