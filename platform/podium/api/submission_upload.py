"""Receiving one submission upload: plan, stream into the store, accept, then enqueue.

The sequence every upload route follows (the API's ``POST /challenges/{slug}/submissions`` and
the challenge page's upload), so both meet the same checks in the same order:
:func:`~podium.crud.submission_intake.plan_submission` before a byte is copied, the capped
streamed copy, :func:`~podium.crud.submission_intake.accept_submission` (content, team, quota
under the team's lock, the row), and the enqueue only after that commit.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated

from fastapi import Depends, UploadFile
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from podium.crud.submission_intake import accept_submission, plan_submission
from podium.db.models import Challenge, Submission, SubmissionKind, User
from podium.pipeline import dispatch
from podium.settings import Settings
from podium.store import MB, Store, save_upload

Enqueuer = Callable[[Session, Submission, Settings], None]


def get_enqueuer() -> Enqueuer:
    """How a committed submission reaches the workers (tests may record it instead)."""
    return dispatch.enqueue


EnqueueDep = Annotated[Enqueuer, Depends(get_enqueuer)]


async def receive_submission(
    session: Session,
    *,
    challenge: Challenge,
    user: User,
    settings: Settings,
    store: Store,
    enqueue: Enqueuer,
    file: UploadFile,
    kind: SubmissionKind,
    phase: str | None = None,
    description: str = "",
    baseline: bool = False,
    practice: bool = False,
) -> Submission:
    """Plan, copy (capped at ``max_upload_mb``), accept and enqueue one upload.

    Raises:
        PodiumError: whatever the intake refuses (phase, kind, file, quota, size).
    """
    intake = await run_in_threadpool(
        partial(
            plan_submission, session, challenge=challenge, user=user, kind=kind,
            phase_name=phase, filename=file.filename, baseline=baseline, practice=practice,
        )
    )  # fmt: skip
    upload_path = store.new_upload_path()
    try:
        stored = await save_upload(file, upload_path, max_bytes=settings.max_upload_mb * MB)
        submission = await run_in_threadpool(
            partial(
                accept_submission, session, intake=intake, user=user, upload=stored,
                description=description, store=store,
            )
        )  # fmt: skip
    finally:
        upload_path.unlink(missing_ok=True)
    await run_in_threadpool(enqueue, session, submission, settings)
    return submission
