"""The platform's health report, as the organisers' page and `podium platform status` show it."""

from __future__ import annotations

from sqlmodel import Session

from podium.crud.workers import PlatformHealth, platform_health
from podium.db.models import User
from podium.settings import Settings
from podium.worker.queues import queue_depths


def health_report(
    session: Session, settings: Settings, viewer: User | None = None
) -> PlatformHealth:
    """Queue depths from the broker, workers and what they run from the database.

    Args:
        viewer: who looks (what a worker runs is named only where they organise); None for
            operators on the command line.
    """
    return platform_health(
        session,
        queues=queue_depths(settings),
        beat_seconds=settings.reaper_interval_seconds,
        viewer=viewer,
    )
