"""Challenges, their phases and the per-challenge roles (organiser, judge).

The bundle's full spec is kept as JSON on the challenge (it names hidden paths, so it is never
returned as is); the API builds its public answers from an allow-list of its sections.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from challenges.schema import ChallengeSpec, LeaderboardSpec, SandboxLimits, SubmissionLimits
from podium.db import specs
from podium.db.models.common import enum_column
from podium.db.types import UTCDateTime, utcnow


class ChallengeRoleKind(StrEnum):
    ORGANISER = "organiser"
    JUDGE = "judge"


class ChallengeBase(SQLModel):
    title: str = Field(min_length=1, max_length=200)
    summary: str = Field(min_length=1, max_length=500)


class Challenge(ChallengeBase, table=True):
    __tablename__ = "challenges"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, index=True, max_length=64)
    tags: list[str] = Field(default_factory=list, sa_type=JSON)
    bundle_path: str = Field(max_length=1024, description="the bundle folder in the store")
    bundle_sha256: str = Field(max_length=64, description="of the uploaded archive or folder")
    split_secret: str = Field(max_length=128, description="key of the public/private split")
    spec: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    public_files: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    max_team_size: int = 4
    created_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    published: bool = True
    revealed_private: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    board_version: int = Field(
        default=0, description="raised whenever what its leaderboards show may have changed"
    )

    @property
    def parsed_spec(self) -> ChallengeSpec:
        """The stored spec as the bundle schema's object (parsed once per row and version).

        Raises:
            StoredSpecError: the stored JSON no longer reads as the schema.
        """
        return specs.parse_spec(self.id, self.bundle_sha256, self.spec)


class ChallengeUpdate(SQLModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    summary: str | None = Field(default=None, min_length=1, max_length=500)
    tags: list[str] | None = None
    published: bool | None = None
    revealed_private: bool | None = Field(
        default=None, description="show the private leaderboard to everyone"
    )


class PhaseBase(SQLModel):
    name: str = Field(max_length=64)
    start: datetime = Field(sa_type=UTCDateTime)
    end: datetime = Field(sa_type=UTCDateTime)
    public_fraction: float


class Phase(PhaseBase, table=True):
    __tablename__ = "phases"
    __table_args__ = (UniqueConstraint("challenge_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    challenge_id: int = Field(foreign_key="challenges.id", ondelete="CASCADE", index=True)
    position: int = 0
    data_key: str = Field(max_length=64, description="the bundle's hidden set for this phase")
    submission_kinds: list[str] = Field(default_factory=list, sa_type=JSON)
    submission_limits: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    limits: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    gpu: bool = False
    show_logs: bool = False
    leaderboard: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    deliverables: list[dict[str, Any]] = Field(
        default_factory=list, sa_type=JSON, description="the bundle's deliverables of the phase"
    )

    # The stored settings, typed (podium.db.specs); each raises InvalidInput when invalid.

    @property
    def leaderboard_rules(self) -> LeaderboardSpec:
        """Who sees the phase's leaderboard and which submission of a team counts."""
        return specs.leaderboard_rules(self.leaderboard, self.name)

    @property
    def quota(self) -> SubmissionLimits:
        """Per-team submission quotas (the schema's defaults where the row has none)."""
        return specs.quota(self.submission_limits, self.name)

    @property
    def run_limits(self) -> SandboxLimits | None:
        """The limits of a run; None for a row stored without them."""
        return specs.run_limits(self.limits, self.name)


class PhasePublic(PhaseBase):
    submission_kinds: list[str]
    submission_limits: dict[str, Any]
    limits: dict[str, Any]
    show_logs: bool
    leaderboard: dict[str, Any]
    deliverables: list[dict[str, Any]] = Field(default_factory=list)


class PhaseSummary(PhaseBase):
    """A phase as the challenge list shows it."""


class ChallengeRole(SQLModel, table=True):
    __tablename__ = "challenge_roles"
    __table_args__ = (UniqueConstraint("user_id", "challenge_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    challenge_id: int = Field(foreign_key="challenges.id", ondelete="CASCADE", index=True)
    role: ChallengeRoleKind = Field(sa_column=enum_column(ChallengeRoleKind))
    granted_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    granted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ChallengeRoleCreate(SQLModel):
    username: str = Field(min_length=1, max_length=254)
    role: ChallengeRoleKind


class ChallengeRolePublic(SQLModel):
    username: str
    role: ChallengeRoleKind
    granted_at: datetime


class PublicFileEntry(SQLModel):
    """One file inside a public folder."""

    path: str
    size_bytes: int


class PublicFilePublic(SQLModel):
    """A participant download: a file, or a folder (served as a zip or file by file)."""

    name: str
    kind: str = Field(description="file or dir")
    description: str
    size_bytes: int
    sha256: str
    url: str
    files: list[PublicFileEntry] = Field(default_factory=list)


class ChallengeHeader(ChallengeBase):
    slug: str
    tags: list[str]
    published: bool
    revealed_private: bool
    created_at: datetime


class ChallengePublic(ChallengeHeader):
    """A challenge as the list shows it."""

    phases: list[PhaseSummary] = Field(default_factory=list)


class ChallengeDetail(ChallengeHeader):
    """Everything a participant may read about a challenge: no hidden paths, no secret."""

    description: str = Field(description="the problem statement (Markdown)")
    organisers: list[dict[str, Any]]
    terms: str
    task: dict[str, Any]
    metrics: dict[str, Any]
    teams: dict[str, Any]
    judging: dict[str, Any] | None
    phases: list[PhasePublic]
    data: list[PublicFilePublic]
    starting_kit_url: str | None
