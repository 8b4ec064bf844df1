"""Teams per challenge, their members and invitations.

``TeamMember`` repeats the challenge id so that the database itself enforces one team per user
per challenge (a unique constraint), whatever races the API may meet.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import field_validator
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from podium.db.countries import COUNTRIES
from podium.db.models.common import enum_column
from podium.db.types import UTCDateTime, utcnow

TEAM_NAME_MAX = 64
AFFILIATION_MAX = 200
# what a team declares about itself; leaderboards show and filter by it where the challenge says so
TEAM_CATEGORIES = ("student", "academic", "professional", "startup", "women-led", "other")


class TeamRole(StrEnum):
    OWNER = "owner"
    MEMBER = "member"


class TeamBase(SQLModel):
    name: str = Field(min_length=1, max_length=TEAM_NAME_MAX)


def _check_country(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().upper()
    if value and value not in COUNTRIES:
        raise ValueError(
            f"country {value!r} is not an ISO 3166-1 alpha-2 code; write e.g. KE, BR or IN"
        )
    return value


def _check_category(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().lower()
    if value and value not in TEAM_CATEGORIES:
        raise ValueError(f"category must be one of: {', '.join(TEAM_CATEGORIES)}")
    return value


class TeamProfile(SQLModel):
    """What a team declares about itself (each may be empty)."""

    affiliation: str = Field(default="", max_length=AFFILIATION_MAX)
    country: str = Field(default="", max_length=2, description="ISO 3166-1 alpha-2 code")
    category: str = Field(default="", max_length=32, description=", ".join(TEAM_CATEGORIES))

    _country = field_validator("country")(_check_country)
    _category = field_validator("category")(_check_category)


class Team(TeamBase, TeamProfile, table=True):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("challenge_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    challenge_id: int = Field(foreign_key="challenges.id", ondelete="CASCADE", index=True)
    created_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    personal: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TeamCreate(TeamBase, TeamProfile):
    pass


class TeamUpdate(SQLModel):
    """A change to a team's profile (the owner's); fields left out stay as they are."""

    affiliation: str | None = Field(default=None, max_length=AFFILIATION_MAX)
    country: str | None = Field(default=None, max_length=2)
    category: str | None = Field(default=None, max_length=32)

    _country = field_validator("country")(_check_country)
    _category = field_validator("category")(_check_category)


class TeamMember(SQLModel, table=True):
    __tablename__ = "team_members"
    __table_args__ = (UniqueConstraint("challenge_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id", ondelete="CASCADE", index=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    challenge_id: int = Field(foreign_key="challenges.id", ondelete="CASCADE")
    role: TeamRole = Field(sa_column=enum_column(TeamRole))
    joined_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TeamInvite(SQLModel, table=True):
    __tablename__ = "team_invites"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="teams.id", ondelete="CASCADE", index=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    invited_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class TeamInviteCreate(SQLModel):
    username: str = Field(min_length=1, max_length=254)


class TeamMemberPublic(SQLModel):
    username: str
    role: TeamRole
    joined_at: datetime


class TeamPublic(TeamBase, TeamProfile):
    id: int
    challenge: str = Field(description="the challenge's slug")
    personal: bool
    created_at: datetime
    max_size: int
    members: list[TeamMemberPublic] = Field(default_factory=list)


class TeamInvitePublic(SQLModel):
    id: int
    team_id: int
    team_name: str
    challenge: str
    username: str
    invited_by: str | None
    created_at: datetime
    accepted_at: datetime | None
