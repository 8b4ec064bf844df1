"""Team pages: create a team for a challenge, invite by username, accept or decline, leave,
and the team's profile (affiliation, country, category).

Every rule is the API's: ``crud.teams`` (one team per challenge, the size cap, only the owner
invites, staff do not compete, no leaving after submitting), ``TeamCreate``/``TeamUpdate``'s
checks of the profile, ``get_team`` for who may see a team and ``team_profiles`` for who sees
its profile.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from podium.api.deps import SessionDep, StoreDep, get_challenge, get_team
from podium.api.ids import TeamId
from podium.crud import edition_views, team_views, teams, users
from podium.crud.challenges import require_challenge_by_id
from podium.crud.roles import is_staff
from podium.crud.teams import membership
from podium.db.models import Challenge, Team, TeamCreate, TeamRole, TeamUpdate, User
from podium.errors import InvalidInput
from podium.web.deliverables import team_context as team_deliverables
from podium.web.errors import PageRoute
from podium.web.forms import CsrfField, FormText, parse_form
from podium.web.participation import CATEGORIES, country_choices
from podium.web.render import render
from podium.web.session import LoggedInUser, check_csrf

router = APIRouter(route_class=PageRoute, include_in_schema=False)
ProfileText = Annotated[str, Form()]


def _see_team(session: Session, team_id: int, user: User) -> Team:
    return get_team(team_id, session, user)


def _back(team: Team) -> RedirectResponse:
    return RedirectResponse(f"/teams/{team.id}", status.HTTP_303_SEE_OTHER)


def _choices() -> dict[str, Any]:
    return {"countries": country_choices(), "categories": CATEGORIES}


@router.get("/me/teams", response_class=HTMLResponse)
def my_teams(request: Request, session: SessionDep, user: LoggedInUser) -> Response:
    """The user's teams and the invitations waiting for an answer."""
    context = {
        "teams": team_views.teams_of_user(session, user=user),
        "invites": team_views.pending_invites(session, user=user),
    }
    return render(request, "my_teams.html", context)


@router.get("/challenges/{slug}/team", response_class=HTMLResponse)
def new_team_page(request: Request, slug: str, session: SessionDep, user: LoggedInUser) -> Response:
    """The form that creates a team (or the user's team, if they have one)."""
    challenge = get_challenge(slug, session, user)
    found = teams.team_of(session, user=user, challenge=challenge)
    if found is not None:
        return _back(found)
    return _new_team_form(request, challenge, {}, [])


def _new_team_form(
    request: Request, challenge: Challenge, values: dict[str, str], found: list[str]
) -> Response:
    context = {"challenge": challenge, "values": values, "problems": found, **_choices()}
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if found else status.HTTP_200_OK
    return render(request, "team_new.html", context, code)


@router.post("/challenges/{slug}/teams", response_class=HTMLResponse)
def create_team(
    request: Request,
    slug: str,
    session: SessionDep,
    user: LoggedInUser,
    name: FormText,
    csrf_token: CsrfField,
    affiliation: ProfileText = "",
    country: ProfileText = "",
    category: ProfileText = "",
) -> Response:
    """Create the team with its profile; the user becomes its owner."""
    check_csrf(request, csrf_token)
    challenge = get_challenge(slug, session, user)
    values = {"name": name, "affiliation": affiliation, "country": country, "category": category}
    body, found = parse_form(TeamCreate, **values)
    if body is None:
        return _new_team_form(request, challenge, values, found)
    team = teams.create_team(session, challenge=challenge, user=user, name=body.name, profile=body)
    return _back(team)


@router.get("/teams/{team_id}", response_class=HTMLResponse)
def team_page(
    request: Request,
    team_id: TeamId,
    session: SessionDep,
    user: LoggedInUser,
    handed_in: str | None = None,
) -> Response:
    """The team: members, profile, and what the visitor may do with it."""
    team = _see_team(session, team_id, user)
    challenge = require_challenge_by_id(session, challenge_id=team.challenge_id)
    own = membership(session, team=team, user=user)
    invited = any(i.team_id == team.id for i in team_views.pending_invites(session, user=user))
    owner = own is not None and own.role == TeamRole.OWNER
    context = {
        "team": team_views.team_public(session, team=team, challenge=challenge, viewer=user),
        "challenge": challenge,
        "member": own is not None,
        "owner": owner,
        "invited": invited,
        "pending": team_views.invites_of_team(session, team=team) if owner else [],
        "standing": edition_views.team_status(session, team=team, challenge=challenge)
        if own is not None or is_staff(session, user=user, challenge=challenge)
        else None,
        **_choices(),
        **team_deliverables(
            session, team=team, challenge=challenge, user=user, handed_in=handed_in
        ),
    }
    return render(request, "team.html", context)


@router.post("/teams/{team_id}/invites")
def invite(
    request: Request,
    team_id: TeamId,
    session: SessionDep,
    user: LoggedInUser,
    username: FormText,
    csrf_token: CsrfField,
) -> Response:
    """Invite a user by username (the team's owner only)."""
    check_csrf(request, csrf_token)
    team = _see_team(session, team_id, user)
    challenge = require_challenge_by_id(session, challenge_id=team.challenge_id)
    invitee = users.require_user(session, username=username)
    teams.invite(session, team=team, challenge=challenge, inviter=user, invitee=invitee)
    return _back(team)


@router.post("/teams/{team_id}/join")
def join(
    request: Request,
    team_id: TeamId,
    session: SessionDep,
    user: LoggedInUser,
    csrf_token: CsrfField,
) -> Response:
    """Accept an invitation: join the team."""
    check_csrf(request, csrf_token)
    team = _see_team(session, team_id, user)
    challenge = require_challenge_by_id(session, challenge_id=team.challenge_id)
    teams.join(session, team=team, challenge=challenge, user=user)
    return _back(team)


@router.post("/teams/{team_id}/decline")
def decline(
    request: Request,
    team_id: TeamId,
    session: SessionDep,
    user: LoggedInUser,
    csrf_token: CsrfField,
) -> Response:
    """Decline an invitation."""
    check_csrf(request, csrf_token)
    team = _see_team(session, team_id, user)
    teams.decline(session, team=team, user=user)
    return RedirectResponse("/me/teams", status.HTTP_303_SEE_OTHER)


@router.post("/teams/{team_id}/leave")
def leave(
    request: Request,
    team_id: TeamId,
    session: SessionDep,
    user: LoggedInUser,
    csrf_token: CsrfField,
    store: StoreDep,
) -> Response:
    """Leave the team (refused once the user has submitted with it)."""
    check_csrf(request, csrf_token)
    team = _see_team(session, team_id, user)
    teams.leave(session, team=team, user=user, store=store)
    return RedirectResponse("/me/teams", status.HTTP_303_SEE_OTHER)


@router.post("/teams/{team_id}/profile")
def update_profile(
    request: Request,
    team_id: TeamId,
    session: SessionDep,
    user: LoggedInUser,
    csrf_token: CsrfField,
    affiliation: ProfileText = "",
    country: ProfileText = "",
    category: ProfileText = "",
) -> Response:
    """Change the team's affiliation, country and category (its owner only)."""
    check_csrf(request, csrf_token)
    team = _see_team(session, team_id, user)
    body, found = parse_form(
        TeamUpdate, affiliation=affiliation, country=country, category=category
    )
    if body is None:
        raise InvalidInput("; ".join(found))
    teams.update_profile(session, team=team, user=user, update=body)
    return _back(team)
