"""Challenges: list, read, upload a bundle, update; public data and starting-kit downloads."""

from __future__ import annotations

import shutil
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile, status
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from podium.api.deps import (
    ChallengeCreator,
    ChallengeDep,
    CurrentUser,
    OptionalUser,
    OrganiserChallenge,
    SessionDep,
    SettingsDep,
    StoreDep,
    require_challenge_creator,
)
from podium.api.upload_guard import UploadRoute, upload
from podium.crud import challenge_views
from podium.crud import challenges as crud
from podium.db.models import ChallengeDetail, ChallengePublic, ChallengeUpdate
from podium.services import downloads, registration
from podium.store import MB, safe_filename, save_upload

router = APIRouter(prefix="/challenges", tags=["challenges"], route_class=UploadRoute)


@router.get("", response_model=list[ChallengePublic])
def list_challenges(session: SessionDep, user: OptionalUser) -> list[ChallengePublic]:
    """Every challenge the caller can see, newest first."""
    return [
        challenge_views.challenge_public(session, challenge=c)
        for c in crud.visible_challenges(session, user=user)
    ]


@router.get("/{slug}", response_model=ChallengeDetail)
def read_challenge(
    challenge: ChallengeDep, session: SessionDep, store: StoreDep
) -> ChallengeDetail:
    """A challenge's statement, phases, metrics, limits and public data."""
    return challenge_views.challenge_detail(session, challenge=challenge, store=store)


@router.post("", response_model=ChallengeDetail, status_code=status.HTTP_201_CREATED)
@upload("max_bundle_mb", authorise=require_challenge_creator)  # caller checked before the body
async def create_challenge(
    bundle: Annotated[UploadFile, File(description="the bundle: a zip or tar.gz archive")],
    user: ChallengeCreator,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    published: Annotated[bool, Form()] = True,
) -> ChallengeDetail:
    """Upload a challenge bundle; every problem with it is answered at once (422)."""
    max_bytes = settings.max_bundle_mb * MB
    folder = store.new_upload_dir()
    try:
        target = folder / safe_filename(bundle.filename, "bundle.zip")
        stored = await save_upload(bundle, target, max_bytes=max_bytes)
        challenge = await run_in_threadpool(
            partial(
                registration.register_challenge,
                session,
                bundle_path=stored.path,
                owner=user,
                store=store,
                published=published,
            )
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return challenge_views.challenge_detail(session, challenge=challenge, store=store)


@router.put("/{slug}", response_model=ChallengeDetail)
def update_challenge(
    body: ChallengeUpdate,
    challenge: OrganiserChallenge,
    user: CurrentUser,
    session: SessionDep,
    store: StoreDep,
) -> ChallengeDetail:
    """Change title, summary, tags, publication or the private reveal (organisers; audited)."""
    updated = crud.update_challenge(session, challenge=challenge, update=body, actor=user)
    return challenge_views.challenge_detail(session, challenge=updated, store=store)


def _file_answer(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    """A download's answer in the OpenAPI schema (FastAPI documents none for a FileResponse)."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {200: {"description": description, "content": {media_type: binary}}}


@router.get(
    "/{slug}/starting-kit",
    response_class=FileResponse,
    responses=_file_answer("application/zip", "the starting kit, zipped"),
)
def starting_kit(challenge: ChallengeDep, store: StoreDep) -> FileResponse:
    """The starting kit, as a zip."""
    found = downloads.starting_kit(challenge, store)
    return FileResponse(found.path, media_type=found.media_type, filename=found.filename)


@router.get(
    "/{slug}/files/{path:path}",
    response_class=FileResponse,
    responses=_file_answer(
        "application/octet-stream",
        "the file, typed by its name (text/csv, application/json, ...); a folder as a zip",
    ),
)
def public_file(path: str, challenge: ChallengeDep, store: StoreDep) -> FileResponse:
    """A public file (``name``), a folder as a zip, or a file in it (``name/inner/path``)."""
    found = downloads.public_download(challenge, store, path)
    return FileResponse(found.path, media_type=found.media_type, filename=found.filename)
