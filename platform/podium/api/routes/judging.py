"""The judges' tools: rubric scores, final ranking, disqualification, reproduction, publishing.

Judges, organisers and admins of a challenge use them (publishing and revealing: organisers and
admins); everyone may read a published ranking. Each action is written to the audit log.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from podium.api.deps import (
    ChallengeDep,
    CurrentUser,
    JudgedSubmission,
    OptionalUser,
    OrganiserChallenge,
    RerunDep,
    SessionDep,
    StaffChallenge,
)
from podium.api.ids import MAX_ROW_ID, TeamId
from podium.crud import judging as crud
from podium.crud import publishing, roles
from podium.crud.phases import DEFAULT_RULE
from podium.db.models import Submission, SubmissionPublic
from podium.services import boards, reproductions
from podium.services.board_models import FinalRanking, PublishedOut, ReproductionOut

router = APIRouter(tags=["judging"])
PhaseQuery = Annotated[str | None, Query(description=f"a phase name; default: {DEFAULT_RULE}")]


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


@router.get("/challenges/{slug}/final-ranking", response_model=FinalRanking)
def read_final_ranking(
    challenge: ChallengeDep,
    session: SessionDep,
    user: OptionalUser,
    phase: PhaseQuery = None,
) -> FinalRanking:
    """The judged final ranking of one phase (``phase`` says which) with both parts; staff only
    until it is published (then everyone reads the latest published version)."""
    return boards.readable_final_ranking(session, challenge, user, phase)


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


@router.post(
    "/submissions/{submission_id}/reproduce",
    response_model=ReproductionOut,
    status_code=status.HTTP_202_ACCEPTED,
)
def reproduce(
    target: JudgedSubmission, session: SessionDep, user: CurrentUser, rerun: RerunDep
) -> ReproductionOut:
    """Re-run a submission from its stored image; read the verdict at .../reproduction."""
    submission, challenge = target
    return reproductions.reproduce(
        session, submission=submission, challenge=challenge, actor=user, rerun=rerun
    )


@router.get("/submissions/{submission_id}/reproduction", response_model=ReproductionOut)
def read_reproduction(target: JudgedSubmission, session: SessionDep) -> ReproductionOut:
    """The latest reproduction: original and re-run scores, and whether they agree."""
    return reproductions.latest_reproduction(session, submission=target[0])


@router.post(
    "/challenges/{slug}/publish", response_model=PublishedOut, status_code=status.HTTP_201_CREATED
)
def publish(
    challenge: OrganiserChallenge,
    session: SessionDep,
    user: CurrentUser,
    body: PublishRequest | None = None,
    phase: PhaseQuery = None,
) -> PublishedOut:
    """Freeze one phase's final ranking as a new published version that anyone can read (409
    until the private leaderboard is revealed, unless the request says ``{"reveal": true}``);
    the answer names the phase."""
    reveal = body is not None and body.reveal
    return boards.publish_final(
        session, challenge=challenge, actor=user, phase=phase, reveal=reveal
    )


@router.get("/challenges/{slug}/published", response_model=PublishedOut)
def read_published(
    challenge: ChallengeDep,
    session: SessionDep,
    version: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
) -> PublishedOut:
    """A published final ranking (default: the latest version)."""
    return boards.require_published(session, challenge=challenge, version=version)


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
