"""Edition pages: the list, one edition (problem statements, hosts, rounds, who advanced, the
visitor's own teams' standing), and the staff's page that previews and commits advancement
into a round and keeps its judges' shortlist.

Every rule is the API's: ``edition_views`` for what is shown, ``api.edition_deps`` for who may
act, ``services.advancement`` and ``crud.advancement`` for the acts themselves.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from podium.api.deps import SessionDep
from podium.api.edition_deps import (
    get_edition,
    get_round_of_challenge,
    require_round_organiser,
    require_round_staff,
)
from podium.api.ids import in_id_range
from podium.crud import edition_views, editions, roles, teams
from podium.crud.advancement import RoundOfChallenge, set_shortlisted, shortlist_of
from podium.crud.challenges import get_challenge_by_slug
from podium.crud.teams import BASELINE_TEAM
from podium.db.models import Team, User
from podium.db.models.editions import EditionPublic
from podium.errors import NotFound, PodiumError
from podium.services import advancement
from podium.web.errors import PageRoute
from podium.web.forms import CsrfField
from podium.web.render import render
from podium.web.session import LoggedInUser, PageUser, check_csrf

router = APIRouter(route_class=PageRoute, include_in_schema=False)
ROUND = "/editions/{slug}/rounds/{round_name}/challenges/{challenge}"
TeamField = Annotated[int, Form()]
ListedField = Annotated[str, Form()]


def round_url(slug: str, round_name: str, challenge: str) -> str:
    return f"/editions/{quote(slug)}/rounds/{quote(round_name)}/challenges/{quote(challenge)}"


@router.get("/editions", response_class=HTMLResponse)
def editions_page(request: Request, session: SessionDep, user: PageUser) -> Response:
    """Every edition."""
    found = edition_views.edition_summaries(
        session, editions=editions.list_editions(session), user=user
    )
    return render(request, "editions.html", {"editions": found})


@router.get("/editions/{slug}", response_class=HTMLResponse)
def edition_page(request: Request, slug: str, session: SessionDep, user: PageUser) -> Response:
    """Problem statements with host, state and deadlines; rounds and who advanced."""
    edition = get_edition(slug, session)
    shown = edition_views.edition_public(session, edition=edition, user=user)
    context = {
        "edition": shown,
        "mine": _my_standing(session, shown, user),
        "staff_of": _staff_of(session, shown, user),
        "round_url": round_url,
    }
    return render(request, "edition.html", context)


def _my_standing(session: Session, shown: EditionPublic, user: User | None) -> list[Any]:
    """The visitor's teams in the edition's challenges, each with its standing."""
    if user is None:
        return []
    found = []
    for problem in shown.problem_statements:
        challenge = get_challenge_by_slug(session, slug=problem.challenge)
        team = teams.team_of(session, user=user, challenge=challenge) if challenge else None
        if challenge is not None and team is not None:
            found.append((team, edition_views.team_status(session, team=team, challenge=challenge)))
    return found


def _staff_of(session: Session, shown: EditionPublic, user: User | None) -> set[str]:
    slugs = set()
    for problem in shown.problem_statements:
        challenge = get_challenge_by_slug(session, slug=problem.challenge)
        if challenge is not None and roles.is_staff(session, user=user, challenge=challenge):
            slugs.add(challenge.slug)
    return slugs


def _staff_round(
    session: Session, slug: str, round_name: str, challenge: str, user: User
) -> RoundOfChallenge:
    where = get_round_of_challenge(get_edition(slug, session), round_name, challenge, session, user)
    return require_round_staff(where, session, user)


@router.get(ROUND, response_class=HTMLResponse)
def advance_page(
    request: Request, slug: str, round_name: str, challenge: str, session: SessionDep,
    user: LoggedInUser,
) -> Response:  # fmt: skip
    """The preview of who advances, the shortlist, and the commit (staff; organisers commit)."""
    where = _staff_round(session, slug, round_name, challenge, user)
    try:
        preview, problem = advancement.preview(session, where=where), None
    except PodiumError as error:  # an open round, or no round before: say so on the page
        preview, problem = None, error.message
    everyone = session.exec(
        select(Team).where(Team.challenge_id == where.challenge.id).order_by(col(Team.name))
    ).all()
    context = {
        "where": where,
        "preview": preview,
        "problem": problem,
        "shortlist": shortlist_of(session, where=where),
        "teams": [t for t in everyone if t.name != BASELINE_TEAM],
        "organiser": roles.is_organiser(session, user=user, challenge=where.challenge),
        "url": round_url(slug, round_name, challenge),
    }
    return render(request, "advance.html", context)


@router.post(f"{ROUND}/advance")
def advance(
    request: Request, slug: str, round_name: str, challenge: str, session: SessionDep,
    user: LoggedInUser, csrf_token: CsrfField,
) -> Response:  # fmt: skip
    """Advance the teams the preview names (organisers; audited; idempotent)."""
    check_csrf(request, csrf_token)
    where = _staff_round(session, slug, round_name, challenge, user)
    where = require_round_organiser(where, session, user)
    advancement.commit(session, where=where, actor=user)
    return RedirectResponse(round_url(slug, round_name, challenge), status.HTTP_303_SEE_OTHER)


@router.post(f"{ROUND}/shortlist")
def shortlist(
    request: Request, slug: str, round_name: str, challenge: str, session: SessionDep,
    user: LoggedInUser, team_id: TeamField, listed: ListedField, csrf_token: CsrfField,
) -> Response:  # fmt: skip
    """Put a team on the round's shortlist or take it off (judges and organisers; audited)."""
    check_csrf(request, csrf_token)
    where = _staff_round(session, slug, round_name, challenge, user)
    team = session.get(Team, in_id_range("team")(team_id))
    if team is None:
        raise NotFound(f"no team {team_id} in {where.challenge.slug}")
    set_shortlisted(session, where=where, team=team, actor=user, listed=listed == "yes")
    return RedirectResponse(round_url(slug, round_name, challenge), status.HTTP_303_SEE_OTHER)
