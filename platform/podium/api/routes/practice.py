"""Practice runs: a team's model on the phase's public sample, scored there, never ranked.

A practice run is read, followed and cancelled like a submission (``GET /submissions/{id}``,
``/logs``, ``/cancel``: the same owner checks); the rules that set it apart live in
:mod:`podium.crud.practice`.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from podium.api.deps import ChallengeDep, CurrentUser, SessionDep, SettingsDep, StoreDep
from podium.api.submission_upload import EnqueueDep, receive_submission
from podium.api.upload_guard import UploadRoute, upload
from podium.crud.phases import submission_phase
from podium.crud.practice import practice_left, practice_refusal, practice_runs
from podium.crud.submission_views import SubmissionSummary, access_for, submission_summary
from podium.crud.teams import team_of
from podium.db.models import SubmissionKind
from podium.errors import Conflict

router = APIRouter(tags=["practice"], route_class=UploadRoute)


class PracticeRuns(BaseModel):
    """The caller's team's practice runs in a challenge, and what is left of today's quota."""

    items: list[SubmissionSummary]
    left_today: int = Field(description="practice runs the team may still start (24 hours)")
    per_day: int
    available: bool = Field(description="whether the challenge offers practice runs at all")
    note: str | None = Field(description="why not, when it does not")


@router.post(
    "/challenges/{slug}/practice",
    response_model=SubmissionSummary,
    status_code=status.HTTP_201_CREATED,
)
@upload("max_upload_mb")  # the caller is checked before the body is read
async def create_practice_run(
    response: Response,
    challenge: ChallengeDep,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    enqueue: EnqueueDep,
    file: Annotated[UploadFile, File(description="image archive, build context or model file")],
    kind: Annotated[SubmissionKind, Form(description="image, build or model")],
    phase: Annotated[str | None, Form(description="default: the phase open now")] = None,
    description: Annotated[str, Form(max_length=2000)] = "",
) -> SubmissionSummary:
    """Start a practice run on the public sample (poll GET /submissions/{id})."""
    run = await receive_submission(
        session, challenge=challenge, user=user, settings=settings, store=store,
        enqueue=enqueue, file=file, kind=kind, phase=phase, description=description,
        practice=True,
    )  # fmt: skip
    response.headers["Location"] = f"/api/v1/submissions/{run.id}"
    access = await run_in_threadpool(partial(access_for, session, submission=run, user=user))
    return await run_in_threadpool(partial(submission_summary, session, access=access, store=store))


@router.get("/challenges/{slug}/practice", response_model=PracticeRuns)
def list_practice_runs(
    challenge: ChallengeDep, user: CurrentUser, session: SessionDep, store: StoreDep
) -> PracticeRuns:
    """The caller's team's practice runs (newest first) and its practice quota left today."""
    team = team_of(session, user=user, challenge=challenge)
    runs = practice_runs(session, challenge=challenge, team_id=team.id if team else None)
    items = [
        submission_summary(
            session, access=access_for(session, submission=r, user=user), store=store
        )
        for r in runs
    ]
    note = practice_refusal(challenge)
    try:
        phase = submission_phase(session, challenge=challenge, name=None, baseline=False)
    except Conflict as closed:  # no phase is open: nothing to practise in now
        return PracticeRuns(
            items=items, left_today=0, per_day=0, available=False, note=closed.message
        )
    left, per_day = practice_left(session, challenge=challenge, team=team, phase=phase)
    return PracticeRuns(
        items=items, left_today=left, per_day=per_day, available=note is None, note=note
    )
