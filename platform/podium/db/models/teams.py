"""Teams per challenge, their members and invitations.

``TeamMember`` repeats the challenge id so that the database itself enforces one team per user
per challenge (a unique constraint), whatever races the API may meet.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from podium.db.models.common import enum_column
from podium.db.types import UTCDateTime, utcnow

TEAM_NAME_MAX = 64


class TeamRole(StrEnum):
    OWNER = "owner"
    MEMBER = "member"


class TeamBase(SQLModel):
    name: str = Field(min_length=1, max_length=TEAM_NAME_MAX)


class Team(TeamBase, table=True):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("challenge_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    challenge_id: int = Field(foreign_key="challenges.id", ondelete="CASCADE", index=True)
    created_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    personal: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TeamCreate(TeamBase):
    pass


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


class TeamPublic(TeamBase):
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
