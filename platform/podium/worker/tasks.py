"""Celery tasks: thin wrappers that take ids and call the pipeline's plain functions.

Retries are for platform faults only (engine unreachable, disk full), with exponential backoff;
when they run out the submission ends as ``error`` and is never charged.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from podium.broker import TASK_EVALUATE
from podium.pipeline.evaluate import evaluate_submission
from podium.pipeline.faults import PlatformFault, classify
from podium.pipeline.outcomes import give_up
from podium.settings import get_settings
from podium.worker.runtime import current_context, session_factory_for


@shared_task(bind=True, name=TASK_EVALUATE, acks_late=True, max_retries=None)
def evaluate(self: Any, submission_id: int) -> str:
    """Evaluate submission ``submission_id`` (does nothing if it has already ended)."""
    settings = get_settings()
    try:
        context = current_context()  # the engine or the database may be down already
        return evaluate_submission(context, submission_id, task_id=self.request.id).value
    except Exception as error:
        fault = classify(error)
        if not isinstance(fault, PlatformFault):
            raise
    tries = self.request.retries + 1
    if self.request.retries >= settings.platform_retries:
        give_up(
            session_factory_for(settings),
            submission_id,
            f"the platform could not evaluate this submission ({fault.message}); it was "
            f"tried {tries} times. This does not count against your quota",
        )
        return "error"
    delay = settings.retry_backoff_seconds * 2**self.request.retries
    raise self.retry(countdown=delay, exc=fault) from None
