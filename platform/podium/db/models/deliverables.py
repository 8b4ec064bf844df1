"""Deliverables a team handed in for a phase: a file in the store, or a link.

One row per team, phase and key: a new upload replaces the row (and its file); the platform
keeps only the latest version. The file's place in the store is never returned.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from podium.db.types import UTCDateTime, utcnow


class DeliverableRow(SQLModel, table=True):
    """The latest file or link a team handed in for one deliverable of one phase."""

    __tablename__ = "deliverables"
    __table_args__ = (UniqueConstraint("team_id", "phase_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    challenge_id: int = Field(foreign_key="challenges.id", ondelete="CASCADE", index=True)
    phase_id: int = Field(foreign_key="phases.id", ondelete="CASCADE")
    team_id: int = Field(foreign_key="teams.id", ondelete="CASCADE", index=True)
    key: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    file_path: str | None = Field(
        default=None, max_length=1024, description="relative to the store root; never public"
    )
    link: str | None = Field(default=None, max_length=2000)
    filename: str = Field(
        default="", max_length=128, description="sanitised, with its type's extension"
    )
    media_type: str = Field(default="", max_length=128)
    size_bytes: int = 0
    sha256: str = Field(default="", max_length=64)
    uploaded_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    uploaded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DeliverableUpload(SQLModel):
    """What a team hands in for a link deliverable."""

    url: str = Field(min_length=1, max_length=2000, description="an https address")


class DeliverablePublic(SQLModel):
    """One declared deliverable of a phase and what the team handed in (None: nothing yet)."""

    phase: str
    key: str
    kind: str
    title: str
    description: str
    required: bool
    accepts: str
    max_mb: int | None
    missing: bool = Field(description="required, expected of the team and not handed in")
    expected: bool = Field(
        default=True,
        description="the team is in the phase (a round entered by advancement takes only the "
        "teams that advanced)",
    )
    filename: str | None = None
    media_type: str | None = None
    size_bytes: int | None = None
    sha256: str | None = None
    link: str | None = None
    uploaded_by: str | None = None
    uploaded_at: datetime | None = None
    download_url: str | None = Field(default=None, description="files: where to download it")


class TeamDeliverables(SQLModel):
    """A team's deliverables, every phase that declares some, in the bundle's order."""

    team_id: int
    team_name: str
    deliverables: list[DeliverablePublic]
