"""A submission (timeline, scores, logs), "my submissions", and cancel / re-run buttons.

Authorisation is the API's: ``get_owned_submission`` (404 unless the caller may see it),
``access_for``, ``require_cancel_access`` and ``require_rerun_access`` (which also audit staff
actions); the actions call the pipeline's dispatch.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from podium.api.deps import (
    SessionDep,
    SettingsDep,
    StoreDep,
    get_owned_submission,
    may_cancel,
    require_cancel_access,
    require_rerun_access,
)
from podium.api.ids import SubmissionId
from podium.crud.submission_views import access_for
from podium.db.models import IN_FLIGHT_STATUSES
from podium.pipeline import dispatch
from podium.web.errors import PageRoute
from podium.web.pages_public import CsrfField, safe_next
from podium.web.queries import submission_page, submissions_of_user
from podium.web.render import render
from podium.web.session import LoggedInUser, check_csrf

router = APIRouter(route_class=PageRoute, include_in_schema=False)
BackField = Annotated[str, Form()]


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
def submission(
    request: Request,
    submission_id: SubmissionId,
    session: SessionDep,
    store: StoreDep,
    user: LoggedInUser,
) -> Response:
    """Status timeline, visible scores, and logs where the phase shows them."""
    owned = get_owned_submission(submission_id, session, user)
    access = access_for(session, submission=owned, user=user)
    data = submission_page(session, access=access, store=store)
    context = {
        "s": data.detail,
        "logs": data.logs,
        "logs_hidden": data.logs_hidden,
        "challenge": access.challenge,
        "staff": access.staff,
        "can_cancel": may_cancel(session, access, user),
        "in_flight": owned.status in IN_FLIGHT_STATUSES,
    }
    return render(request, "submission.html", context)


@router.get("/me/submissions", response_class=HTMLResponse)
def my_submissions(
    request: Request, session: SessionDep, store: StoreDep, user: LoggedInUser
) -> Response:
    """The submissions of every team the user is in."""
    rows = submissions_of_user(session, user=user, store=store)
    return render(request, "my_submissions.html", {"rows": rows})


@router.post("/submissions/{submission_id}/cancel")
def cancel(
    request: Request,
    submission_id: SubmissionId,
    session: SessionDep,
    user: LoggedInUser,
    csrf_token: CsrfField,
    back: BackField = "",
) -> Response:
    """Cancel a queued or running submission (its team, organisers and admins)."""
    check_csrf(request, csrf_token)
    owned = get_owned_submission(submission_id, session, user)
    access = access_for(session, submission=owned, user=user)
    dispatch.cancel(session, require_cancel_access(access, session, user).submission)
    target = back or f"/submissions/{submission_id}"
    return RedirectResponse(safe_next(target), status.HTTP_303_SEE_OTHER)


@router.post("/submissions/{submission_id}/rerun")
def rerun(
    request: Request,
    submission_id: SubmissionId,
    session: SessionDep,
    settings: SettingsDep,
    user: LoggedInUser,
    csrf_token: CsrfField,
    back: BackField = "",
) -> Response:
    """Evaluate an ended submission again (organisers, judges, admins)."""
    check_csrf(request, csrf_token)
    owned = get_owned_submission(submission_id, session, user)
    access = require_rerun_access(access_for(session, submission=owned, user=user), session, user)
    dispatch.rerun(session, access.submission, settings)
    target = back or f"/submissions/{submission_id}"
    return RedirectResponse(safe_next(target), status.HTTP_303_SEE_OTHER)
