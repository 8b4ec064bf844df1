"""Submissions: upload, list, read, logs, edit, cancel, re-run.

Who may do what is decided by the dependencies in ``podium.api.deps`` (on top of
``get_owned_submission``, which answers 404 to anyone who may not know the submission exists):
the team and the challenge's staff read; the team, organisers and admins cancel (judges do
not); only the team edits; only staff re-run (staff cancels and every re-run are audited);
logs go to the team only where the phase's ``show_logs`` allows, and never the output of the
run on hidden data (:mod:`podium.crud.submission_logs`).
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status
from starlette.concurrency import run_in_threadpool

from podium.api.deps import (
    AccessDep,
    CancelAccess,
    ChallengeDep,
    CurrentUser,
    ListingScopeDep,
    LogsAccess,
    RerunAccess,
    SessionDep,
    SettingsDep,
    StoreDep,
    TeamAccess,
)
from podium.api.ids import Offset
from podium.api.submission_upload import EnqueueDep, Enqueuer, get_enqueuer, receive_submission
from podium.api.upload_guard import UploadRoute, upload
from podium.crud.submission_edits import update_submission
from podium.crud.submission_logs import SubmissionLogs, read_logs
from podium.crud.submission_views import (
    SubmissionDetail,
    SubmissionPage,
    SubmissionSummary,
    access_for,
    list_submissions,
    submission_detail,
    submission_summary,
)
from podium.db.models import SubmissionKind, SubmissionStatus, SubmissionUpdate
from podium.pipeline import dispatch

router = APIRouter(tags=["submissions"], route_class=UploadRoute)
__all__ = ["Enqueuer", "get_enqueuer", "router"]  # get_enqueuer: the seam tests override


@router.post(
    "/challenges/{slug}/submissions",
    response_model=SubmissionSummary,
    status_code=status.HTTP_201_CREATED,
)
@upload("max_upload_mb")  # the caller is checked before the body is read
async def create_submission(
    response: Response,
    challenge: ChallengeDep,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    enqueue: EnqueueDep,
    file: Annotated[
        UploadFile, File(description="image archive, build context, model or predictions file")
    ],
    kind: Annotated[SubmissionKind, Form(description="image, build, model or predictions")],
    phase: Annotated[
        str | None, Form(description="the phase (it must be open); default: the one open now")
    ] = None,
    description: Annotated[str, Form(max_length=2000)] = "",
    baseline: Annotated[
        bool,
        Form(
            description="an organiser's reference submission (organisers and admins): any "
            "phase, at any time; shown on leaderboards, never ranked, never charged"
        ),
    ] = False,
) -> SubmissionSummary:
    """Upload a submission; it is queued for evaluation (poll GET /submissions/{id})."""
    submission = await receive_submission(
        session, challenge=challenge, user=user, settings=settings, store=store,
        enqueue=enqueue, file=file, kind=kind, phase=phase, description=description,
        baseline=baseline,
    )  # fmt: skip
    response.headers["Location"] = f"/api/v1/submissions/{submission.id}"
    access = await run_in_threadpool(partial(access_for, session, submission=submission, user=user))
    return await run_in_threadpool(partial(submission_summary, session, access=access, store=store))


@router.get("/challenges/{slug}/submissions", response_model=SubmissionPage)
def list_challenge_submissions(
    scope: ListingScopeDep,
    session: SessionDep,
    store: StoreDep,
    status: SubmissionStatus | None = None,
    phase: Annotated[str | None, Query(description="a phase name")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> SubmissionPage:
    """The caller's team's submissions; every team's for organisers, judges and admins."""
    return list_submissions(
        session, scope=scope, store=store, status=status, phase=phase, limit=limit, offset=offset
    )


@router.get("/submissions/{submission_id}", response_model=SubmissionDetail)
def read_submission(access: AccessDep, session: SessionDep, store: StoreDep) -> SubmissionDetail:
    """Status, reason, timeline, visible scores, timings and the MLflow run id."""
    return submission_detail(session, access=access, store=store)


@router.get("/submissions/{submission_id}/logs", response_model=SubmissionLogs)
def read_submission_logs(
    access: LogsAccess, session: SessionDep, store: StoreDep
) -> SubmissionLogs:
    """The tails of the latest evaluation's stdout, stderr and build log."""
    return read_logs(session, access=access, store=store)


@router.patch("/submissions/{submission_id}", response_model=SubmissionSummary)
def edit_submission(
    body: SubmissionUpdate, access: TeamAccess, session: SessionDep, store: StoreDep
) -> SubmissionSummary:
    """Change the description, or select the submission for the final ranking."""
    update_submission(session, submission=access.submission, phase=access.phase, update=body)
    return submission_summary(session, access=access, store=store)


@router.post("/submissions/{submission_id}/cancel", response_model=SubmissionSummary)
def cancel_submission(
    access: CancelAccess, session: SessionDep, store: StoreDep
) -> SubmissionSummary:
    """Cancel a submission that has not ended; ``charged`` says whether it counts (it does
    once its container started)."""
    dispatch.cancel(session, access.submission)
    return submission_summary(session, access=access, store=store)


@router.post(
    "/submissions/{submission_id}/rerun",
    response_model=SubmissionSummary,
    status_code=status.HTTP_202_ACCEPTED,
)
def rerun_submission(
    access: RerunAccess, session: SessionDep, settings: SettingsDep, store: StoreDep
) -> SubmissionSummary:
    """Evaluate an ended submission again (organisers, judges and admins)."""
    dispatch.rerun(session, access.submission, settings)
    return submission_summary(session, access=access, store=store)
