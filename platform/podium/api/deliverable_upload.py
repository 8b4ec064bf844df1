"""Receiving a deliverable and serving one: the sequence the API and the pages share.

Receiving: :func:`~podium.crud.deliverables.plan` (deliverable, member, window) before a byte is
copied, the capped streamed copy, then :func:`~podium.crud.deliverables.accept_file` (content,
store, row). Serving: always an attachment with a safe name, its checked media type and
``nosniff``, so a browser never renders a team's file as a page of this site.
"""

from __future__ import annotations

from functools import partial

from fastapi import UploadFile
from fastapi.responses import FileResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from podium.crud import deliverables
from podium.crud.deliverables import StoredDeliverable
from podium.db.models import Challenge, Team, User
from podium.db.models.deliverables import DeliverableRow
from podium.errors import TooLarge
from podium.settings import Settings
from podium.store import Store, safe_filename, save_upload

DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, no-store",
}


async def receive_deliverable(
    session: Session,
    *,
    team: Team,
    challenge: Challenge,
    user: User,
    phase: str,
    key: str,
    file: UploadFile,
    settings: Settings,
    store: Store,
) -> DeliverableRow:
    """Plan, copy (capped), check and record one file deliverable.

    Raises:
        PodiumError: whatever the rules refuse (phase, deliverable, member, window, size,
            content).
    """
    chosen = await run_in_threadpool(
        partial(
            deliverables.plan, session, team=team, challenge=challenge, user=user,
            phase_name=phase, key=key, max_mb=settings.max_deliverable_mb,
        )
    )  # fmt: skip
    filename = safe_filename(file.filename, default=key)
    upload_path = store.new_upload_path()
    try:
        try:
            stored = await save_upload(file, upload_path, max_bytes=chosen.max_bytes)
        except TooLarge:
            raise TooLarge(deliverables.too_large_message(chosen, filename)) from None
        return await run_in_threadpool(
            partial(
                deliverables.accept_file, session, chosen=chosen, user=user, upload=stored,
                filename=filename, store=store,
            )
        )  # fmt: skip
    finally:
        upload_path.unlink(missing_ok=True)


def file_response(found: StoredDeliverable) -> FileResponse:
    """The file as an attachment: its checked type, a safe name, never shown inline."""
    return FileResponse(
        found.path,
        media_type=found.media_type,
        filename=found.filename,
        content_disposition_type="attachment",
        headers=DOWNLOAD_HEADERS,
    )
