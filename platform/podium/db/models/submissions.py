"""Submissions, their status events, evaluations (one per attempt) and scores.

Statuses: ``submitted → queued → preparing → running → scoring → finished``, or ``failed`` (the
participant's fault, charged), ``error`` (the platform's fault, never charged), ``cancelled``.
Change them only through :func:`podium.crud.submissions.record_status`, which keeps the event.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from podium.db.models.common import enum_column
from podium.db.models.reports import EvaluationReport, read_report, updated_report
from podium.db.types import UTCDateTime, utcnow


class SubmissionStatus(StrEnum):
    SUBMITTED = "submitted"
    QUEUED = "queued"
    PREPARING = "preparing"
    RUNNING = "running"
    SCORING = "scoring"
    FINISHED = "finished"
    FAILED = "failed"
    ERROR = "error"
    CANCELLED = "cancelled"


TERMINAL_STATUSES = frozenset(
    {
        SubmissionStatus.FINISHED,
        SubmissionStatus.FAILED,
        SubmissionStatus.ERROR,
        SubmissionStatus.CANCELLED,
    }
)
IN_FLIGHT_STATUSES = frozenset(set(SubmissionStatus) - TERMINAL_STATUSES)


class SubmissionKind(StrEnum):
    IMAGE = "image"
    BUILD = "build"
    MODEL = "model"
    PREDICTIONS = "predictions"  # a file scored as is, never run (phases with public inputs)


class ScoreSplit(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"
    ALL = "all"


class SubmissionBase(SQLModel):
    description: str = Field(default="", max_length=2000)


class Submission(SubmissionBase, table=True):
    __tablename__ = "submissions"
    __table_args__ = (
        Index("ix_submissions_team_created", "team_id", "created_at"),
        Index("ix_submissions_challenge_status", "challenge_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    challenge_id: int = Field(foreign_key="challenges.id", ondelete="CASCADE")
    phase_id: int = Field(foreign_key="phases.id", ondelete="CASCADE", index=True)
    team_id: int = Field(foreign_key="teams.id", ondelete="CASCADE")
    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    kind: SubmissionKind = Field(sa_column=enum_column(SubmissionKind))
    filename: str = Field(default="", max_length=255, description="as uploaded")
    file_path: str = Field(default="", max_length=1024, description="in the store; never public")
    file_sha256: str = Field(default="", max_length=64)
    size_bytes: int = 0
    status: SubmissionStatus = Field(
        default=SubmissionStatus.SUBMITTED, sa_column=enum_column(SubmissionStatus, index=True)
    )
    reason: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    image_digest: str | None = Field(default=None, max_length=128)
    mlflow_run_id: str | None = Field(default=None, max_length=64)
    sent_at: datetime | None = Field(
        default=None, sa_type=UTCDateTime, description="when its task was last sent to workers"
    )
    charged: bool = Field(default=True, description="counts against the team's quota")
    baseline: bool = False
    selected: bool = Field(default=False, description="chosen by the team for final ranking")
    disqualified: bool = False
    disqualified_reason: str | None = Field(default=None, sa_type=Text)
    practice: bool = Field(
        default=False,
        description="a practice run: public sample only, never ranked, its own quota "
        "(podium.crud.practice)",
    )


class SubmissionUpdate(SQLModel):
    description: str | None = Field(default=None, max_length=2000)
    selected: bool | None = None


class SubmissionPublic(SubmissionBase):
    id: int
    challenge_id: int
    phase_id: int
    team_id: int
    user_id: int | None
    kind: SubmissionKind
    filename: str
    file_sha256: str
    size_bytes: int
    status: SubmissionStatus
    reason: str | None
    created_at: datetime
    updated_at: datetime
    image_digest: str | None
    mlflow_run_id: str | None
    charged: bool
    baseline: bool
    selected: bool
    disqualified: bool
    disqualified_reason: str | None
    practice: bool = False


class SubmissionEvent(SQLModel, table=True):
    __tablename__ = "submission_events"

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submissions.id", ondelete="CASCADE", index=True)
    status: SubmissionStatus = Field(sa_column=enum_column(SubmissionStatus))
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    detail: str = Field(default="", sa_type=Text)


class SubmissionEventPublic(SQLModel):
    status: SubmissionStatus
    at: datetime
    detail: str


class Evaluation(SQLModel, table=True):
    __tablename__ = "evaluations"
    __table_args__ = (UniqueConstraint("submission_id", "attempt"),)

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submissions.id", ondelete="CASCADE", index=True)
    attempt: int = 1
    worker: str | None = Field(default=None, max_length=255)
    task_id: str | None = Field(default=None, max_length=255)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    heartbeat_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deadline: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    wall_seconds: float | None = None
    cpu_seconds: float | None = None
    peak_memory_mb: float | None = None
    exit_code: int | None = None
    logs_path: str | None = Field(default=None, max_length=1024, description="never public")
    data_sha256: str | None = Field(default=None, max_length=64)
    report: dict[str, Any] = Field(
        default_factory=dict, sa_type=JSON, description="never public; see parsed_report"
    )

    @property
    def parsed_report(self) -> EvaluationReport:
        """The report as its schema (:mod:`podium.db.models.reports`; old rows read too)."""
        return read_report(self.report)

    def update_report(self, **changes: Any) -> None:
        """Set fields of the report (checked against its schema); other keys are kept.

        Raises:
            ValueError: a change names no field of the report, or does not fit it.
        """
        self.report = updated_report(self.report, **changes)


class EvaluationPublic(SQLModel):
    attempt: int
    started_at: datetime | None
    finished_at: datetime | None
    wall_seconds: float | None
    cpu_seconds: float | None
    peak_memory_mb: float | None
    exit_code: int | None


class Score(SQLModel, table=True):
    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("evaluation_id", "split", "metric"),)

    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(foreign_key="evaluations.id", ondelete="CASCADE", index=True)
    submission_id: int = Field(foreign_key="submissions.id", ondelete="CASCADE", index=True)
    split: ScoreSplit = Field(sa_column=enum_column(ScoreSplit))
    metric: str = Field(max_length=64)
    value: float
    ci_low: float | None = None
    ci_high: float | None = None


class ScorePublic(SQLModel):
    split: ScoreSplit
    metric: str
    value: float
    ci_low: float | None
    ci_high: float | None
