"""Starting a practice run from the challenge page (cookie session, CSRF before the body).

The upload is the API's own sequence (:func:`~podium.api.submission_upload.receive_submission`
with ``practice``): the same team, phase, kind and file rules, the practice quota. The form
posts without a script and is redirected to the run's page, which follows its status.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile, status
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from podium.api.deps import SessionDep, SettingsDep, StoreDep, get_challenge
from podium.api.submission_upload import EnqueueDep, receive_submission
from podium.db.models import SubmissionKind
from podium.web.session import LoggedInUser
from podium.web.uploads import PageUploadRoute, page_upload

router = APIRouter(route_class=PageUploadRoute, include_in_schema=False)


@router.post("/challenges/{slug}/practice")
@page_upload("max_upload_mb")  # the session and its CSRF token are checked before the body
async def practise(
    slug: str,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    enqueue: EnqueueDep,
    user: LoggedInUser,
    file: Annotated[UploadFile, File()],
    kind: Annotated[SubmissionKind, Form()],
) -> Response:
    """Start a practice run on the public sample of the phase open now."""
    challenge = await run_in_threadpool(get_challenge, slug, session, user)
    run = await receive_submission(
        session, challenge=challenge, user=user, settings=settings, store=store,
        enqueue=enqueue, file=file, kind=kind, practice=True,
    )  # fmt: skip
    return RedirectResponse(f"/submissions/{run.id}", status.HTTP_303_SEE_OTHER)
