"""Registration and login."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import OAuth2PasswordRequestForm

from podium.api.deps import SessionDep, SettingsDep
from podium.api.ratelimit import limit_login, limit_registration
from podium.crud import tokens, users
from podium.db.models import Token, UserCreate, UserMe
from podium.db.types import utcnow
from podium.errors import PermissionDenied

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/register",
    response_model=UserMe,
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(limit_registration)],
)
def register(body: UserCreate, session: SessionDep, settings: SettingsDep) -> UserMe:
    """Create an account (username, email, password of at least 8 characters)."""
    if not settings.open_registration:
        raise PermissionDenied("registration is closed here; ask an administrator for an account")
    user = users.create_user(session, user_create=body)
    return UserMe.model_validate(user)


@router.post("/token", response_model=Token, dependencies=[Depends(limit_login)])
def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
) -> Token:
    """Exchange a username (or email) and password for a bearer token."""
    user = users.authenticate(session, login=form.username, password=form.password)
    if user is None:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="wrong username/email or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    expires_at = utcnow() + timedelta(hours=settings.token_ttl_hours)
    _, secret = tokens.issue_token(session, user=user, name="login", expires_at=expires_at)
    return Token(access_token=secret, expires_at=expires_at)
