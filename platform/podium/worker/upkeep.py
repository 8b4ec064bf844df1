"""The reaper's pass as ``podium up`` and ``podium worker`` run it, built from settings."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from sqlmodel import Session

from podium.db.engine import create_db_engine
from podium.pipeline.context import SessionFactory
from podium.pipeline.dispatch import send_evaluation
from podium.pipeline.images import SUBMISSION_LABEL
from podium.pipeline.reaper import ReaperThread, reap_once
from podium.pipeline.recording import retry_pending
from podium.pipeline.retention import evict_over_budget
from podium.settings import Settings, get_settings
from podium.store import Store
from podium.tracking import Tracker
from podium.worker.runtime import docker_client
from sandbox.errors import SandboxError
from sandbox.reaper import reap, reap_builds

log = logging.getLogger(__name__)
LEFTOVER_GRACE_SECONDS = 60
BUILD_GRACE_SECONDS = 900  # a dangling layer younger than this may belong to a running build


def make_tick(settings: Settings) -> Callable[[], None]:
    """One reaper pass: stale evaluations, forgotten submissions, MLflow, sandbox leftovers."""
    engine = create_db_engine(settings.database_url)
    tracker = Tracker.from_settings(settings)

    def session_factory() -> Session:
        return Session(engine, expire_on_commit=False)

    def send(submission_id: int, gpu: bool) -> bool:
        return send_evaluation(settings, submission_id, gpu=gpu)

    def tick() -> None:
        summary = reap_once(session_factory, settings, send)
        if summary.requeued or summary.errored or summary.resent:
            log.warning("reaper: %s", summary)
        retry_pending(session_factory, tracker)
        _reap_sandbox(settings, session_factory)
        left = Store.from_settings(settings).remove_stale_uploads(settings.stale_upload_seconds)
        if left:
            log.warning("removed %d uploads left by an API process that stopped", len(left))

    return tick


def _reap_sandbox(settings: Settings, session_factory: SessionFactory) -> None:
    try:
        client = docker_client(settings)
        try:
            reap(
                client,
                grace_seconds=LEFTOVER_GRACE_SECONDS,
                staging_root=settings.sandbox_staging / "runs",
            )
            reap_builds(client, grace_seconds=BUILD_GRACE_SECONDS, keep_label=SUBMISSION_LABEL)
            evicted = evict_over_budget(session_factory, client, settings.image_budget_mb)
            if evicted:
                log.warning("evicted %d unpinned submission images over budget", len(evicted))
        finally:
            client.close()
    except SandboxError as error:  # the engine is down: the workers will say so too
        log.warning("could not remove sandbox leftovers: %s", error)


def start_reaper(settings: Settings | None = None) -> ReaperThread:
    """Start the reaper thread for ``settings`` (default: the environment's)."""
    settings = settings or get_settings()
    thread = ReaperThread(partial(make_tick(settings)), settings.reaper_interval_seconds)
    thread.start()
    return thread
