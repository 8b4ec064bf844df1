"""The Celery app of Celery's own command line, made on first use, never at import.

``celery -A podium.worker.celery_app worker`` (or ``--app=podium.worker.celery_app:app``) reads
the attribute ``app``; this module makes it then, from the settings of that moment, through
:func:`podium.broker.make_celery` (a module ``__getattr__``, PEP 562). Importing the module
reads no settings and makes no app, so a process that only imports the worker package (tests,
the API) pays nothing and never sees an app made from other settings. ``podium worker`` makes
its own app from its settings and does not use this module.
"""

from __future__ import annotations

from functools import lru_cache

from celery import Celery

from podium.broker import make_celery

__all__ = ["command_line_app"]


@lru_cache(maxsize=1)
def command_line_app() -> Celery:
    """The app ``celery -A podium.worker.celery_app`` runs (made once per process)."""
    return make_celery()


def __getattr__(name: str) -> Celery:
    if name == "app":
        return command_line_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
