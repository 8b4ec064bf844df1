"""Submitting from the challenge page: one upload route (cookie session, CSRF before the body)
and the submission's live status for the page's script.

The upload is the API's own sequence (:func:`~podium.api.submission_upload.receive_submission`):
same phase, kind, file, team and quota rules. The page's script sends it with
``XMLHttpRequest`` (a progress bar) and ``Accept: application/json``, and gets the new
submission's address; without a script the form posts and is redirected there.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile, status
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from podium.api.deps import SessionDep, SettingsDep, StoreDep, get_challenge, get_owned_submission
from podium.api.ids import SubmissionId
from podium.api.submission_upload import EnqueueDep, receive_submission
from podium.db.models import TERMINAL_STATUSES, SubmissionKind
from podium.web.session import LoggedInUser
from podium.web.uploads import PageUploadRoute, page_upload

router = APIRouter(route_class=PageUploadRoute, include_in_schema=False)


@router.post("/challenges/{slug}/submissions")
@page_upload("max_upload_mb")  # the session and its CSRF token are checked before the body
async def submit(
    request: Request,
    slug: str,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    enqueue: EnqueueDep,
    user: LoggedInUser,
    file: Annotated[UploadFile, File()],
    kind: Annotated[SubmissionKind, Form()],
    description: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Upload a submission to the phase open now; it is queued for evaluation."""
    challenge = await run_in_threadpool(get_challenge, slug, session, user)
    submission = await receive_submission(
        session, challenge=challenge, user=user, settings=settings, store=store,
        enqueue=enqueue, file=file, kind=kind, description=description,
    )  # fmt: skip
    url = f"/submissions/{submission.id}"
    if "application/json" in request.headers.get("accept", ""):
        body = {"id": submission.id, "url": url, "status": submission.status.value}
        return JSONResponse(body, status.HTTP_201_CREATED, headers={"Location": url})
    return RedirectResponse(url, status.HTTP_303_SEE_OTHER)


@router.get("/submissions/{submission_id}/status")
def live_status(submission_id: SubmissionId, session: SessionDep, user: LoggedInUser) -> Response:
    """The submission's status, for the page that follows it (404 unless the user may see it)."""
    owned = get_owned_submission(submission_id, session, user)
    terminal = owned.status in TERMINAL_STATUSES
    body = {"id": owned.id, "status": owned.status.value, "terminal": terminal}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
