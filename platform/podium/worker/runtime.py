"""The collaborators of one worker process, made on first use and kept per process id.

Per process id, because Celery's prefork pool forks its children from a parent that may have
made its own (the reaper thread of ``podium worker``): a forked database pool or Docker
connection must never be shared.
"""

from __future__ import annotations

import os
import socket
import threading

import docker
from sqlmodel import Session

from podium.db.engine import create_db_engine
from podium.pipeline.context import PipelineContext, SessionFactory
from podium.settings import Settings, get_settings
from podium.tracking import Tracker
from sandbox.docker_errors import connect
from sandbox.runner import SandboxRunner

_lock = threading.Lock()
_contexts: dict[int, PipelineContext] = {}


def docker_client(settings: Settings) -> docker.DockerClient:
    """A client for the configured engine (``docker_host``, else the environment).

    Raises:
        EngineUnavailable: the engine cannot be reached (a platform fault).
    """
    return connect(settings.docker_host, timeout_seconds=300)


def session_factory_for(settings: Settings) -> SessionFactory:
    """Sessions on the configured database (a new engine: call once per process)."""
    engine = create_db_engine(settings.database_url)
    return lambda: Session(engine, expire_on_commit=False)


def build_context(settings: Settings, client: docker.DockerClient | None = None) -> PipelineContext:
    """A fresh pipeline context for ``settings`` (tests call this directly)."""
    session_factory = session_factory_for(settings)
    client = client or docker_client(settings)
    runner = SandboxRunner(
        client,
        staging_root=settings.sandbox_staging / "runs",
        runtime=settings.sandbox_runtime,
        gpu_devices=settings.gpu_devices,
    )
    return PipelineContext(
        session_factory=session_factory,
        settings=settings,
        client=client,
        runner=runner,
        tracker=Tracker.from_settings(settings),
        worker_name=f"{socket.gethostname()}:{os.getpid()}",
    )


def current_context() -> PipelineContext:
    """This process's context, made from the environment's settings on first use."""
    pid = os.getpid()
    with _lock:
        context = _contexts.get(pid)
        if context is None:
            context = build_context(get_settings())
            _contexts.clear()  # a forked child drops its parent's
            _contexts[pid] = context
        return context
