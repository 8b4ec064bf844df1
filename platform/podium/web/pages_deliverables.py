"""Deliverables from the team page: hand in a file (a page upload: the session and its CSRF
token are checked before the body), hand in a link, download a file.

Every rule is :mod:`podium.crud.deliverables`' (who reads, who hands in, the window, the
content, the cap), through the same sequence as the API
(:func:`~podium.api.deliverable_upload.receive_deliverable`).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile, status
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from podium.api.deliverable_upload import file_response, receive_deliverable
from podium.api.deps import SessionDep, SettingsDep, StoreDep
from podium.api.ids import TeamId
from podium.crud import deliverables
from podium.errors import InvalidInput
from podium.web.forms import CsrfField, FormText
from podium.web.session import LoggedInUser, check_csrf
from podium.web.uploads import PageUploadRoute, page_upload

router = APIRouter(route_class=PageUploadRoute, include_in_schema=False)


def _back(team_id: int, key: str) -> str:
    return f"/teams/{team_id}?handed_in={quote(key)}#deliverables"


def _split(choice: str) -> tuple[str, str]:
    phase, _, key = choice.partition("/")
    if not phase or not key:
        raise InvalidInput("choose which deliverable you are uploading")
    return phase, key


@router.post("/teams/{team_id}/deliverables")
@page_upload("max_deliverable_mb")  # the session and its CSRF token are checked before the body
async def hand_in_file(
    request: Request,
    team_id: TeamId,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    user: LoggedInUser,
    file: Annotated[UploadFile, File()],
    deliverable: Annotated[str, Form(max_length=200)],
) -> Response:
    """Hand in a report or slides for one of the team's deliverables ("phase/key")."""
    phase, key = _split(deliverable)
    team, challenge = await run_in_threadpool(
        lambda: deliverables.readable_team(session, team_id=team_id, user=user)
    )
    await receive_deliverable(
        session, team=team, challenge=challenge, user=user, phase=phase, key=key, file=file,
        settings=settings, store=store,
    )  # fmt: skip
    url = _back(team_id, key)
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"url": url}, status.HTTP_201_CREATED, headers={"Location": url})
    return RedirectResponse(url, status.HTTP_303_SEE_OTHER)


@router.post("/teams/{team_id}/deliverables/{phase}/{key}/link")
def hand_in_link(
    request: Request,
    team_id: TeamId,
    phase: str,
    key: str,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    user: LoggedInUser,
    url: FormText,
    csrf_token: CsrfField,
) -> Response:
    """Hand in a link (video, repository) for one of the team's deliverables."""
    check_csrf(request, csrf_token)
    team, challenge = deliverables.readable_team(session, team_id=team_id, user=user)
    chosen = deliverables.plan(
        session, team=team, challenge=challenge, user=user, phase_name=phase, key=key,
        max_mb=settings.max_deliverable_mb,
    )  # fmt: skip
    deliverables.put_link(session, chosen=chosen, user=user, url=url, store=store)
    return RedirectResponse(_back(team_id, key), status.HTTP_303_SEE_OTHER)


@router.get("/teams/{team_id}/deliverables/{phase}/{key}")
def download(
    team_id: TeamId, phase: str, key: str, session: SessionDep, store: StoreDep, user: LoggedInUser
) -> FileResponse:
    """The file as an attachment (the team, the challenge's staff; 404 for anyone else)."""
    team, challenge = deliverables.readable_team(session, team_id=team_id, user=user)
    found = deliverables.open_file(
        session, team=team, challenge=challenge, phase_name=phase, key=key, store=store
    )
    return file_response(found)
