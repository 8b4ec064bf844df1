"""Per-challenge roles: organisers (and admins) grant and revoke organiser and judge (each
change is written to the challenge's audit log)."""

from __future__ import annotations

from fastapi import APIRouter, status

from podium.api.deps import CurrentUser, OrganiserChallenge, SessionDep
from podium.crud import roles, users
from podium.db.models import ChallengeRoleCreate, ChallengeRoleKind, ChallengeRolePublic

router = APIRouter(prefix="/challenges/{slug}/roles", tags=["challenges"])


@router.get("", response_model=list[ChallengeRolePublic])
def list_roles(challenge: OrganiserChallenge, session: SessionDep) -> list[ChallengeRolePublic]:
    """Who organises and judges the challenge (organisers)."""
    return roles.list_roles(session, challenge=challenge)


@router.post("", response_model=ChallengeRolePublic, status_code=status.HTTP_201_CREATED)
def grant_role(
    body: ChallengeRoleCreate, challenge: OrganiserChallenge, user: CurrentUser, session: SessionDep
) -> ChallengeRolePublic:
    """Make a user organiser or judge of the challenge (organisers; audited; 409 for a member
    of one of its teams: staff do not compete)."""
    grantee = users.require_user(session, username=body.username)
    row = roles.grant_role(
        session, challenge=challenge, user=grantee, role=body.role, granted_by=user
    )
    return ChallengeRolePublic(username=grantee.username, role=row.role, granted_at=row.granted_at)


@router.delete("/{username}/{role}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_role(
    username: str,
    role: ChallengeRoleKind,
    challenge: OrganiserChallenge,
    user: CurrentUser,
    session: SessionDep,
) -> None:
    """Take a role away from a user (organisers; audited)."""
    grantee = users.require_user(session, username=username)
    roles.revoke_role(session, challenge=challenge, user=grantee, role=role, revoked_by=user)
