"""The judges' page (private leaderboard, rubric, disqualify, reproduce, publish) and the
organisers' page (queue state, every submission, reveal).

Every action calls the function the API calls (``crud.judging``, ``services.boards``'s final
ranking and publishing, ``services.reproductions``), behind the same authorisation
dependencies, called as plain functions.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from leaderboard import PRIVATE
from podium.api.deps import (
    RerunDep,
    SessionDep,
    SettingsDep,
    StoreDep,
    get_challenge,
    get_judged_submission,
    get_owned_submission,
    require_judge_or_organiser,
    require_organiser,
)
from podium.api.ids import SubmissionId, TeamId
from podium.crud import judging, publishing
from podium.crud.challenges import phases_of
from podium.crud.roles import is_organiser
from podium.db.models import Challenge, Submission, User
from podium.errors import InvalidInput, NotFound
from podium.health import health_report
from podium.services import boards, reproductions
from podium.web.boards import board_view
from podium.web.deliverables import for_judging as judged_deliverables
from podium.web.errors import PageRoute
from podium.web.pages_public import CsrfField
from podium.web.queries import status_counts, submissions_of_challenge
from podium.web.render import render
from podium.web.session import LoggedInUser, check_csrf

router = APIRouter(route_class=PageRoute, include_in_schema=False)
TextList = Annotated[list[str], Form()]
PhaseField = Annotated[str, Form()]
AUDIT_SHOWN = 30


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status.HTTP_303_SEE_OTHER)


def _judging_url(slug: str, phase: str, anchor: str = "") -> str:
    return f"/challenges/{quote(slug)}/judging?phase={quote(phase)}{anchor}"


def _staff_challenge(session: Session, slug: str, user: User) -> Challenge:
    return require_judge_or_organiser(get_challenge(slug, session, user), session, user)


def _rubric_context(session: Session, challenge: Challenge, user: User) -> dict[str, Any]:
    if challenge.parsed_spec.judging is None:
        return {"rubric": None, "mine": {}}
    rows = judging.rubric_rows(session, challenge=challenge, judge_id=user.id)
    mine = {(row.team_id, row.criterion): row for row, _, _ in rows}
    return {"rubric": judging.judging_of(challenge).rubric, "mine": mine}


@router.get("/challenges/{slug}/judging", response_class=HTMLResponse)
def judging_page(
    request: Request, slug: str, session: SessionDep, user: LoggedInUser, phase: str | None = None
) -> Response:
    """The private leaderboard, the rubric per team, the final ranking, the audit log."""
    challenge = _staff_challenge(session, slug, user)
    board = board_view(
        request, session, challenge=challenge, user=user, phase_name=phase, split=PRIVATE
    )
    context = {
        "challenge": challenge,
        "board": board,
        "phases": phases_of(session, challenge=challenge),
        "decimals": board.config.decimals if board.config else 4,
        "final": boards.final_ranking(session, challenge, board.phase.name),
        "published": boards.published_ranking(session, challenge=challenge),
        "audit": judging.audit_entries(session, challenge=challenge, viewer=user)[-AUDIT_SHOWN:],
        "organiser": is_organiser(session, user=user, challenge=challenge),
        **_rubric_context(session, challenge, user),
        "deliverables": judged_deliverables(
            session,
            challenge=challenge,
            phase=board.phase,
            team_ids=[row.entry.team_id for row in board.rows if not row.entry.baseline],
        ),
    }
    return render(request, "judging.html", context)


def _points(
    criteria: list[str], points: list[str], comments: list[str]
) -> list[tuple[str, float, str]]:
    if not (len(criteria) == len(points) == len(comments)):
        raise InvalidInput("the rubric form is incomplete; reload the page and score again")
    scores = []
    for name, text, comment in zip(criteria, points, comments, strict=True):
        if not text.strip():
            continue  # left blank: not scored yet
        try:
            value = float(text)
        except ValueError:
            raise InvalidInput(f"points for {name!r} must be a number, not {text!r}") from None
        scores.append((name, value, comment.strip()))
    if not scores:
        raise InvalidInput("give points for at least one criterion")
    return scores


@router.post("/challenges/{slug}/judging/teams/{team_id}/rubric")
def score_team(
    request: Request,
    slug: str,
    team_id: TeamId,
    session: SessionDep,
    user: LoggedInUser,
    csrf_token: CsrfField,
    phase: PhaseField,
    criterion: TextList,
    points: TextList,
    comment: TextList,
) -> Response:
    """Record this judge's rubric points and comments for one team."""
    check_csrf(request, csrf_token)
    challenge = _staff_challenge(session, slug, user)
    team = judging.challenge_team(session, challenge=challenge, team_id=team_id)
    scores = _points(criterion, points, comment)
    judging.put_rubric_scores(session, challenge=challenge, judge=user, team=team, scores=scores)
    return _see_other(_judging_url(slug, phase, f"#team-{team_id}"))


def _judged(session: Session, slug: str, submission_id: int, user: User) -> Submission:
    owned = get_owned_submission(submission_id, session, user)  # 404 unless they may see it
    submission, challenge = get_judged_submission(owned, session, user)
    if challenge.slug != slug:
        raise NotFound(f"no submission {submission_id} in {slug}")
    return submission


@router.post("/challenges/{slug}/judging/submissions/{submission_id}/disqualify")
def disqualify(
    request: Request,
    slug: str,
    submission_id: SubmissionId,
    session: SessionDep,
    user: LoggedInUser,
    csrf_token: CsrfField,
    phase: PhaseField,
    reason: Annotated[str, Form(min_length=1, max_length=2000)],
) -> Response:
    """Exclude a submission from every ranking, with a reason its team reads."""
    check_csrf(request, csrf_token)
    submission = _judged(session, slug, submission_id, user)
    judging.disqualify(session, submission=submission, actor=user, reason=reason.strip())
    return _see_other(_judging_url(slug, phase))


@router.post("/challenges/{slug}/judging/submissions/{submission_id}/reinstate")
def reinstate(
    request: Request,
    slug: str,
    submission_id: SubmissionId,
    session: SessionDep,
    user: LoggedInUser,
    csrf_token: CsrfField,
    phase: PhaseField,
) -> Response:
    """Bring a disqualified submission back."""
    check_csrf(request, csrf_token)
    submission = _judged(session, slug, submission_id, user)
    judging.reinstate(session, submission=submission, actor=user)
    return _see_other(_judging_url(slug, phase))


@router.post("/challenges/{slug}/judging/submissions/{submission_id}/reproduce")
def reproduce(
    request: Request,
    slug: str,
    submission_id: SubmissionId,
    session: SessionDep,
    user: LoggedInUser,
    rerun: RerunDep,
    csrf_token: CsrfField,
    phase: PhaseField,
) -> Response:
    """Re-run a submission from its stored image and compare the scores."""
    check_csrf(request, csrf_token)
    submission = _judged(session, slug, submission_id, user)
    challenge = get_challenge(slug, session, user)
    reproductions.reproduce(
        session, submission=submission, challenge=challenge, actor=user, rerun=rerun
    )
    return _see_other(_judging_url(slug, phase))


@router.post("/challenges/{slug}/judging/publish")
def publish(
    request: Request,
    slug: str,
    session: SessionDep,
    user: LoggedInUser,
    csrf_token: CsrfField,
    phase: PhaseField,
    reveal: Annotated[bool, Form()] = False,
) -> Response:
    """Freeze the current final ranking as a new published version (organisers); the private
    leaderboard must be revealed already, or with it (the ``reveal`` box)."""
    check_csrf(request, csrf_token)
    challenge = require_organiser(get_challenge(slug, session, user), session, user)
    boards.publish_final(session, challenge=challenge, actor=user, phase=phase, reveal=reveal)
    return _see_other(_judging_url(slug, phase, "#final"))


@router.get("/challenges/{slug}/organise", response_class=HTMLResponse)
def organise_page(
    request: Request,
    slug: str,
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
    user: LoggedInUser,
) -> Response:
    """Queue state, every submission with re-run and cancel, the reveal switch, the platform."""
    challenge = require_organiser(get_challenge(slug, session, user), session, user)
    context = {
        "challenge": challenge,
        "counts": status_counts(session, challenge=challenge),
        "rows": submissions_of_challenge(session, challenge=challenge, store=store),
        "platform": health_report(session, settings, user),
    }
    return render(request, "organise.html", context)


@router.post("/challenges/{slug}/organise/reveal")
def reveal(
    request: Request, slug: str, session: SessionDep, user: LoggedInUser, csrf_token: CsrfField
) -> Response:
    """Show the private leaderboard to everyone."""
    check_csrf(request, csrf_token)
    challenge = require_organiser(get_challenge(slug, session, user), session, user)
    publishing.reveal(session, challenge=challenge, actor=user)
    return _see_other(f"/challenges/{quote(slug)}/organise")
