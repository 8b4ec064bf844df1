"""Accounts and their API tokens.

Usernames and e-mail addresses are stored lower-case, so uniqueness ignores case.
"""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import field_validator
from sqlmodel import Field, SQLModel

from podium.db.types import UTCDateTime, utcnow

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]{2,31}$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 256


class UserBase(SQLModel):
    username: str = Field(unique=True, index=True, max_length=32)
    email: str = Field(unique=True, index=True, max_length=254)


class User(UserBase, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    password_hash: str = Field(max_length=255)
    is_admin: bool = False
    can_create_challenges: bool = False
    is_active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


def _lower_username(value: str) -> str:
    value = value.strip().lower()
    if not re.fullmatch(USERNAME_PATTERN, value):
        raise ValueError(
            "username must be 3 to 32 characters: letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    return value


def _lower_email(value: str) -> str:
    value = value.strip().lower()
    if len(value) > 254 or not re.fullmatch(EMAIL_PATTERN, value):
        raise ValueError("email must look like name@example.org")
    return value


class UserCreate(SQLModel):
    username: str = Field(
        max_length=32,
        description="3 to 32 characters: letters, digits, '_', '.', '-' (stored lower-case)",
    )
    email: str = Field(max_length=254)
    password: str = Field(min_length=MIN_PASSWORD_CHARS, max_length=MAX_PASSWORD_CHARS)

    _username = field_validator("username")(_lower_username)
    _email = field_validator("email")(_lower_email)


class UserUpdate(SQLModel):
    email: str | None = Field(default=None, max_length=254)
    password: str | None = Field(
        default=None, min_length=MIN_PASSWORD_CHARS, max_length=MAX_PASSWORD_CHARS
    )

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else _lower_email(value)


class UserAdminUpdate(SQLModel):
    is_admin: bool | None = None
    can_create_challenges: bool | None = None
    is_active: bool | None = None


class UserPublic(SQLModel):
    """What anyone may see of an account."""

    id: int
    username: str
    is_admin: bool
    created_at: datetime


class UserMe(UserPublic):
    """What the account holder (or an admin) sees."""

    email: str
    can_create_challenges: bool
    is_active: bool


class ApiTokenBase(SQLModel):
    name: str = Field(min_length=1, max_length=100)


class ApiToken(ApiTokenBase, table=True):
    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    token_hash: str = Field(unique=True, index=True, max_length=64)
    prefix: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked: bool = False
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PasswordReset(SQLModel, table=True):
    """A one-time code an organiser or admin issued so that a user can set a new password.

    Only the code's sha256 is kept; ``challenge_id`` is the challenge through which it was
    issued (its audit log holds the issue and the use).
    """

    __tablename__ = "password_resets"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    issued_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    challenge_id: int = Field(foreign_key="challenges.id", ondelete="CASCADE")
    code_hash: str = Field(unique=True, index=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiTokenCreate(ApiTokenBase):
    expires_in_hours: int | None = Field(
        default=None, gt=0, le=24 * 366 * 5, description="none: the token never expires"
    )


class ApiTokenPublic(ApiTokenBase):
    id: int
    prefix: str = Field(description="the token's first characters, to recognise it")
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked: bool


class ApiTokenCreated(ApiTokenPublic):
    """A new token: the secret is shown once, here, and never again."""

    token: str


class Token(SQLModel):
    """The OAuth2 answer of ``/auth/token``."""

    access_token: str
    token_type: str = "bearer"
    expires_at: datetime | None = None
