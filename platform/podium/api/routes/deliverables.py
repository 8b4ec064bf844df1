"""Deliverables: a team hands in its report, slides or links per phase; staff read them.

Who may do what is :mod:`podium.crud.deliverables`' rule, applied by :func:`get_readable_team`:
the team's members and the challenge's organisers, judges and admins read (anyone else: 404);
only members hand in, while the phase is open.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, UploadFile, status
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from podium.api.deliverable_upload import file_response, receive_deliverable
from podium.api.deps import CurrentUser, SessionDep, SettingsDep, StaffChallenge, StoreDep
from podium.api.ids import TeamId
from podium.api.upload_guard import UploadRoute, upload
from podium.crud import deliverables
from podium.crud.phases import select_phase
from podium.db.models import Challenge, Team
from podium.db.models.deliverables import DeliverablePublic, DeliverableUpload, TeamDeliverables

router = APIRouter(tags=["deliverables"], route_class=UploadRoute)
T = "/teams/{team_id}/deliverables"
_BINARY = {"schema": {"type": "string", "format": "binary"}}


def get_readable_team(
    team_id: TeamId, session: SessionDep, user: CurrentUser
) -> tuple[Team, Challenge]:
    """The team and its challenge, for its members and the challenge's staff (404 for others)."""
    return deliverables.readable_team(session, team_id=team_id, user=user)


ReadableTeam = Annotated[tuple[Team, Challenge], Depends(get_readable_team)]


def _one(
    session: SessionDep, team: Team, challenge: Challenge, phase: str, key: str
) -> DeliverablePublic:
    found = deliverables.team_deliverables(session, team=team, challenge=challenge).deliverables
    return next(d for d in found if d.phase == phase and d.key == key)


@router.get(T, response_model=TeamDeliverables)
def list_team_deliverables(readable: ReadableTeam, session: SessionDep) -> TeamDeliverables:
    """What each phase asks the team to hand in, what it handed in, what is missing."""
    team, challenge = readable
    return deliverables.team_deliverables(session, team=team, challenge=challenge)


@router.post(
    T + "/{phase}/{key}", response_model=DeliverablePublic, status_code=status.HTTP_201_CREATED
)
@upload("max_deliverable_mb")  # the caller is checked before the body is read
async def upload_deliverable(
    phase: str,
    key: str,
    readable: ReadableTeam,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    file: Annotated[UploadFile, File(description="the report or slides (PDF, .pptx, .odp)")],
) -> DeliverablePublic:
    """Hand in a file deliverable (members, while the phase is open); it replaces the last."""
    team, challenge = readable
    await receive_deliverable(
        session, team=team, challenge=challenge, user=user, phase=phase, key=key, file=file,
        settings=settings, store=store,
    )  # fmt: skip
    return await run_in_threadpool(_one, session, team, challenge, phase, key)


@router.post(
    T + "/{phase}/{key}/link",
    response_model=DeliverablePublic,
    status_code=status.HTTP_201_CREATED,
)
def put_deliverable_link(
    phase: str,
    key: str,
    body: DeliverableUpload,
    readable: ReadableTeam,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
) -> DeliverablePublic:
    """Hand in a link deliverable (video, repository); it replaces the last."""
    team, challenge = readable
    chosen = deliverables.plan(
        session, team=team, challenge=challenge, user=user, phase_name=phase, key=key,
        max_mb=settings.max_deliverable_mb,
    )  # fmt: skip
    deliverables.put_link(session, chosen=chosen, user=user, url=body.url, store=store)
    return _one(session, team, challenge, phase, key)


@router.get(
    T + "/{phase}/{key}/file",
    response_class=FileResponse,
    responses={200: {"description": "the file, as an attachment (PDF, .pptx or .odp)",
                     "content": {"application/pdf": _BINARY, "application/octet-stream": _BINARY}}},
)  # fmt: skip
def download_deliverable(
    phase: str, key: str, readable: ReadableTeam, session: SessionDep, store: StoreDep
) -> FileResponse:
    """Download a file the team handed in (as an attachment, never shown inline)."""
    team, challenge = readable
    found = deliverables.open_file(
        session, team=team, challenge=challenge, phase_name=phase, key=key, store=store
    )
    return file_response(found)


@router.get("/challenges/{slug}/deliverables", response_model=list[TeamDeliverables])
def list_challenge_deliverables(
    challenge: StaffChallenge,
    session: SessionDep,
    phase: Annotated[str | None, Query(description="one phase; default: every phase")] = None,
) -> list[TeamDeliverables]:
    """Every team's deliverables (judges, organisers and admins)."""
    chosen = select_phase(session, challenge=challenge, name=phase) if phase else None
    return deliverables.challenge_deliverables(session, challenge=challenge, phase=chosen)
