"""The caller's account, tokens, teams and invitations; site flags for admins."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, status

from podium.api.deps import AdminUser, CurrentUser, SessionDep
from podium.api.ids import TokenId
from podium.crud import team_views, tokens, users
from podium.db.models import (
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenPublic,
    TeamInvitePublic,
    TeamPublic,
    UserAdminUpdate,
    UserMe,
    UserUpdate,
)
from podium.db.types import utcnow

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me", response_model=UserMe)
def read_me(user: CurrentUser) -> UserMe:
    """The caller's account."""
    return UserMe.model_validate(user)


@router.patch("/me", response_model=UserMe)
def update_me(body: UserUpdate, user: CurrentUser, session: SessionDep) -> UserMe:
    """Change the caller's email or password."""
    return UserMe.model_validate(users.update_user(session, user=user, update=body))


@router.get("/me/tokens", response_model=list[ApiTokenPublic])
def list_tokens(user: CurrentUser, session: SessionDep) -> list[ApiTokenPublic]:
    """The caller's API tokens (never their secrets)."""
    return [ApiTokenPublic.model_validate(t) for t in tokens.list_tokens(session, user=user)]


@router.post("/me/tokens", response_model=ApiTokenCreated, status_code=status.HTTP_201_CREATED)
def create_token(body: ApiTokenCreate, user: CurrentUser, session: SessionDep) -> ApiTokenCreated:
    """Create an API token; its secret is in this answer only."""
    expires_at = (
        utcnow() + timedelta(hours=body.expires_in_hours) if body.expires_in_hours else None
    )
    row, secret = tokens.issue_token(session, user=user, name=body.name, expires_at=expires_at)
    return ApiTokenCreated.model_validate(row, update={"token": secret})


@router.delete("/me/tokens/{token_id}", response_model=ApiTokenPublic)
def revoke_token(token_id: TokenId, user: CurrentUser, session: SessionDep) -> ApiTokenPublic:
    """Revoke one of the caller's tokens (it stops working at once)."""
    return ApiTokenPublic.model_validate(tokens.revoke_token(session, user=user, token_id=token_id))


@router.get("/me/teams", response_model=list[TeamPublic])
def my_teams(user: CurrentUser, session: SessionDep) -> list[TeamPublic]:
    """The caller's teams, one per challenge."""
    return team_views.teams_of_user(session, user=user)


@router.get("/me/invites", response_model=list[TeamInvitePublic])
def my_invites(user: CurrentUser, session: SessionDep) -> list[TeamInvitePublic]:
    """Team invitations the caller has not accepted yet."""
    return team_views.pending_invites(session, user=user)


@router.patch("/{username}", response_model=UserMe)
def admin_update(
    username: str, body: UserAdminUpdate, admin: AdminUser, session: SessionDep
) -> UserMe:
    """Set an account's site-wide flags (admins only)."""
    user = users.require_user(session, username=username)
    return UserMe.model_validate(users.admin_update_user(session, user=user, update=body))
