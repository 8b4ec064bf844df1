"""The broker: Celery apps made from settings, the queues and the evaluation task's name.

Both sides use it: the API and the pipeline send evaluations (:mod:`podium.pipeline.dispatch`),
workers (:mod:`podium.worker`) serve them. Nothing here makes an app at import time; the
command line's app is :mod:`podium.worker.celery_app`.

Broker: Redis when ``PODIUM_BROKER_URL`` is ``redis://``, else Celery over SQLite (kombu's
SQLAlchemy transport) under ``PODIUM_HOME``, which needs no server. Whatever the broker, a
message taken by a worker that dies may never come back (see FACTS.md), so the platform's own
reaper (:mod:`podium.pipeline.reaper`) re-enqueues by id; redelivery here is a bonus.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from celery import Celery
from kombu import Queue
from kombu.transport import TRANSPORT_ALIASES
from sqlalchemy.engine import make_url

from podium.settings import Settings, get_settings

TASK_EVALUATE = "podium.evaluate"
DEFAULT_QUEUE = "default"
GPU_QUEUE = "gpu"
QUEUES = (DEFAULT_QUEUE, GPU_QUEUE)
SQLA_ALIAS = "podiumsqla"
# registered at import, so that every process that makes the app can resolve the alias
TRANSPORT_ALIASES.setdefault(SQLA_ALIAS, "podium.broker.sqla_transport:Transport")


def queue_for(gpu: bool) -> str:
    """The queue of a phase: GPU phases go to the ``gpu`` queue, served by GPU hosts."""
    return GPU_QUEUE if gpu else DEFAULT_QUEUE


def is_sqlite_broker(url: str) -> bool:
    """Whether ``url`` is Celery over SQLite (which polls, and has no fanout)."""
    return url.startswith("sqla+sqlite")


def broker_url(url: str) -> str:
    """The URL Celery gets: the SQLite broker goes through :mod:`podium.broker.sqla_transport`."""
    if url.startswith("sqla+"):
        return f"{SQLA_ALIAS}+{url.removeprefix('sqla+')}"
    return url


def make_celery(settings: Settings | None = None) -> Celery:
    """A Celery app for ``settings``; the tasks are registered by ``podium.worker.tasks``."""
    settings = settings or get_settings()
    _ensure_sqlite_folder(settings.broker_url)
    _ensure_sqlite_folder(settings.result_backend)
    app = Celery(
        "podium",
        broker=broker_url(settings.broker_url),
        backend=settings.result_backend,
        include=["podium.worker.tasks"],
    )
    app.conf.update(_conf(settings))
    return app


def _conf(settings: Settings) -> dict[str, Any]:
    conf: dict[str, Any] = {
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        # results live in the database; the result backend only costs writes
        "task_ignore_result": True,
        "task_default_queue": DEFAULT_QUEUE,
        "task_queues": [Queue(name) for name in QUEUES],
        "task_routes": {TASK_EVALUATE: {"queue": DEFAULT_QUEUE}},
        "broker_connection_retry_on_startup": True,
        "worker_hijack_root_logger": False,
    }
    if is_sqlite_broker(settings.broker_url):
        conf["broker_transport_options"] = {"polling_interval": settings.broker_poll_seconds}
        # the SQLAlchemy transport has no fanout: remote control would only log errors
        conf["worker_enable_remote_control"] = False
    return conf


def _ensure_sqlite_folder(url: str) -> None:
    if "sqlite" not in url.split("://", 1)[0]:
        return
    database = make_url(url.split("+", 1)[-1] if url.startswith("sqla+") else url).database
    if database:
        Path(database).parent.mkdir(parents=True, exist_ok=True)


@lru_cache(maxsize=4)
def celery_for(broker_url: str, result_backend: str) -> Celery:
    """A sending app per broker (cached: one connection pool per process and broker)."""
    return make_celery(
        get_settings().model_copy(
            update={"broker_url": broker_url, "result_backend": result_backend}
        )
    )
