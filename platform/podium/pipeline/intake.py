"""A file on this machine made into a queued submission through the API's own intake.

For the demo (``podium up --examples``), the pipeline tests and the benchmarks: the same steps
as ``POST /challenges/{slug}/submissions`` without HTTP. The bytes are copied by the upload's
own streaming copy (size cap, hash), then :func:`~podium.crud.submission_intake.plan_submission`
and :func:`~podium.crud.submission_intake.accept_submission` check them and commit the row, and
the submission is enqueued: the same checks, the same events, the same quota.
"""

from __future__ import annotations

import asyncio
import io

from sqlmodel import Session

from podium.crud.submission_intake import accept_submission, plan_submission
from podium.db.models import Challenge, Submission, SubmissionKind, User
from podium.pipeline.dispatch import enqueue
from podium.settings import Settings
from podium.store import MB, Store, StoredFile, save_upload


class _Bytes:
    """``content`` as the asynchronous reader the upload's copy reads from."""

    def __init__(self, content: bytes) -> None:
        self._buffer = io.BytesIO(content)

    async def read(self, size: int = -1) -> bytes:
        return self._buffer.read(size)


def _staged(content: bytes, store: Store, settings: Settings) -> StoredFile:
    # the upload's copy is a coroutine; callers here are blocking code with no loop running
    limit = settings.max_upload_mb * MB
    return asyncio.run(save_upload(_Bytes(content), store.new_upload_path(), max_bytes=limit))


def submit_file(
    session: Session,
    settings: Settings,
    *,
    challenge: Challenge,
    user: User,
    kind: SubmissionKind,
    content: bytes,
    filename: str,
    phase_name: str | None = None,
    description: str = "",
    baseline: bool = False,
    practice: bool = False,
) -> Submission:
    """Submit ``content`` as ``user`` would upload it (``practice``: as a practice run), then
    enqueue it.

    Raises:
        PermissionDenied, InvalidInput, Conflict, QuotaExceeded, TooLarge: as the upload
            does (see :func:`~podium.crud.submission_intake.plan_submission`).
    """
    intake = plan_submission(
        session, challenge=challenge, user=user, kind=kind, phase_name=phase_name,
        filename=filename, baseline=baseline, practice=practice,
    )  # fmt: skip
    store = Store.from_settings(settings)
    stored = _staged(content, store, settings)
    try:
        submission = accept_submission(
            session, intake=intake, user=user, upload=stored, description=description,
            store=store,
        )  # fmt: skip
    finally:
        stored.path.unlink(missing_ok=True)
    enqueue(session, submission, settings)
    return submission
