"""Teams: create in a challenge, list, read, invite, join, leave."""

from __future__ import annotations

from fastapi import APIRouter, status

from podium.api.deps import ChallengeDep, CurrentUser, SessionDep, StoreDep, TeamDep
from podium.crud import team_views, teams, users
from podium.crud.challenges import require_challenge_by_id
from podium.db.models import (
    TeamCreate,
    TeamInviteCreate,
    TeamInvitePublic,
    TeamPublic,
    TeamUpdate,
)

router = APIRouter(tags=["teams"])


@router.post(
    "/challenges/{slug}/teams", response_model=TeamPublic, status_code=status.HTTP_201_CREATED
)
def create_team(
    body: TeamCreate, challenge: ChallengeDep, user: CurrentUser, session: SessionDep
) -> TeamPublic:
    """Create a team in the challenge; the caller becomes its owner."""
    team = teams.create_team(session, challenge=challenge, user=user, name=body.name, profile=body)
    return team_views.team_public(session, team=team, challenge=challenge, viewer=user)


@router.get("/challenges/{slug}/teams", response_model=list[TeamPublic])
def list_teams(challenge: ChallengeDep, user: CurrentUser, session: SessionDep) -> list[TeamPublic]:
    """Every team of the challenge."""
    return team_views.list_teams(session, challenge=challenge, viewer=user)


@router.get("/teams/{team_id}", response_model=TeamPublic)
def read_team(team: TeamDep, user: CurrentUser, session: SessionDep) -> TeamPublic:
    """One team and its members."""
    challenge = require_challenge_by_id(session, challenge_id=team.challenge_id)
    return team_views.team_public(session, team=team, challenge=challenge, viewer=user)


@router.patch("/teams/{team_id}", response_model=TeamPublic)
def update_team(
    body: TeamUpdate, team: TeamDep, user: CurrentUser, session: SessionDep
) -> TeamPublic:
    """Change the team's affiliation, country or category (its owner, or an admin)."""
    changed = teams.update_profile(session, team=team, user=user, update=body)
    challenge = require_challenge_by_id(session, challenge_id=team.challenge_id)
    return team_views.team_public(session, team=changed, challenge=challenge, viewer=user)


@router.post(
    "/teams/{team_id}/invites",
    response_model=TeamInvitePublic,
    status_code=status.HTTP_201_CREATED,
)
def invite(
    body: TeamInviteCreate, team: TeamDep, user: CurrentUser, session: SessionDep
) -> TeamInvitePublic:
    """Invite a user by username (the team's owner only)."""
    challenge = require_challenge_by_id(session, challenge_id=team.challenge_id)
    invitee = users.require_user(session, username=body.username)
    row = teams.invite(session, team=team, challenge=challenge, inviter=user, invitee=invitee)
    return team_views.invite_public(session, invite=row)


@router.post("/teams/{team_id}/join", response_model=TeamPublic)
def join(team: TeamDep, user: CurrentUser, session: SessionDep) -> TeamPublic:
    """Join a team that invited the caller."""
    challenge = require_challenge_by_id(session, challenge_id=team.challenge_id)
    joined = teams.join(session, team=team, challenge=challenge, user=user)
    return team_views.team_public(session, team=joined, challenge=challenge, viewer=user)


@router.post("/teams/{team_id}/decline", status_code=status.HTTP_204_NO_CONTENT)
def decline(team: TeamDep, user: CurrentUser, session: SessionDep) -> None:
    """Decline the caller's pending invitation to the team."""
    teams.decline(session, team=team, user=user)


@router.post("/teams/{team_id}/leave", status_code=status.HTTP_204_NO_CONTENT)
def leave(team: TeamDep, user: CurrentUser, session: SessionDep, store: StoreDep) -> None:
    """Leave a team (refused once the caller has submitted with it)."""
    teams.leave(session, team=team, user=user, store=store)
