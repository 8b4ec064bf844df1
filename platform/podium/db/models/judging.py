"""The judges' records: rubric scores, the audit log, published rankings, reproductions.

Published rankings are immutable: the ORM refuses to update one (a new publication is a new
version row, and old versions stay readable).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Text, UniqueConstraint, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper
from sqlmodel import Field, SQLModel

from podium.db.models.submissions import Submission
from podium.db.types import UTCDateTime, utcnow

# The leaderboard cache asks "did anything change in this challenge?" on every request:
# max(updated_at) per challenge must be an index lookup, not a scan of every submission.
SUBMISSIONS_CHANGED_INDEX = Index(
    "ix_submissions_challenge_updated",
    Submission.__table__.c.challenge_id,  # type: ignore[attr-defined]
    Submission.__table__.c.updated_at,  # type: ignore[attr-defined]
)


class RubricScoreRow(SQLModel, table=True):
    """One judge's points for one team on one criterion (a new PUT replaces them)."""

    __tablename__ = "rubric_scores"
    __table_args__ = (UniqueConstraint("challenge_id", "judge_id", "team_id", "criterion"),)

    id: int | None = Field(default=None, primary_key=True)
    challenge_id: int = Field(foreign_key="challenges.id", ondelete="CASCADE", index=True)
    judge_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    team_id: int = Field(foreign_key="teams.id", ondelete="CASCADE")
    criterion: str = Field(max_length=128)
    points: float
    comment: str = Field(default="", sa_type=Text)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AuditLog(SQLModel, table=True):
    """One judge's or organiser's action on a challenge."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    challenge_id: int = Field(foreign_key="challenges.id", ondelete="CASCADE", index=True)
    actor_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    action: str = Field(max_length=32)
    target: str = Field(default="", max_length=255)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PublishedRanking(SQLModel, table=True):
    """A frozen final ranking: version 1, 2, ... per challenge; never updated."""

    __tablename__ = "published_rankings"
    __table_args__ = (UniqueConstraint("challenge_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    challenge_id: int = Field(foreign_key="challenges.id", ondelete="CASCADE", index=True)
    version: int
    phase: str = Field(max_length=64)
    published_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    ranking: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class Reproduction(SQLModel, table=True):
    """A re-run of a submission from its stored image, compared with the original scores.

    ``original_scores`` is copied when the re-run is requested (a re-run replaces the
    submission's scores); the ``rerun_*`` fields are filled once the new evaluation has scores.
    """

    __tablename__ = "reproductions"

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submissions.id", ondelete="CASCADE", index=True)
    requested_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    metric: str = Field(max_length=64)
    relative_tolerance: float
    original_evaluation_id: int | None = Field(default=None)
    original_scores: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    rerun_evaluation_id: int | None = Field(default=None)
    rerun_scores: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    within_tolerance: bool | None = None
    checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


@event.listens_for(PublishedRanking, "before_update")
def _refuse_update(mapper: Mapper[Any], connection: Connection, target: PublishedRanking) -> None:
    raise ValueError(
        f"published ranking version {target.version} is immutable; publish a new version"
    )
