"""What each worker reports about itself, for operators: one row per worker process.

A worker (``podium worker``) stamps its row every reaper interval with the free space of its
staging disk and the size of its engine's image store; a row not stamped for a while is a
worker that is gone. What a worker runs is read from the evaluations (their ``worker`` column
holds ``hostname:pid``), not kept here.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from podium.db.types import UTCDateTime, utcnow


class WorkerBeat(SQLModel, table=True):
    __tablename__ = "worker_beats"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=255, unique=True, description="Celery node name")
    hostname: str = Field(max_length=255, index=True)
    queues: str = Field(default="", max_length=255, description="comma-separated")
    concurrency: int = 1
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    staging_free_mb: int | None = None
    staging_total_mb: int | None = None
    image_store_mb: int | None = Field(default=None, description="the engine's image layers")
    engine: str = Field(default="", max_length=255, description="engine version and runtimes")
