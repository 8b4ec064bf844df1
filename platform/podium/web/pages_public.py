"""Pages anyone reaches: log in and out, the challenge list, a challenge."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from podium.api.deps import SessionDep, SettingsDep, StoreDep, get_challenge
from podium.api.ratelimit import limit_login
from podium.crud import roles, users
from podium.crud.challenge_views import challenge_detail, challenge_public
from podium.crud.challenges import visible_challenges
from podium.crud.editions import edition_of_challenge
from podium.crud.team_profiles import profile_filter
from podium.errors import NotFound
from podium.web.boards import board_view
from podium.web.deliverables import missing_now
from podium.web.errors import PageRoute
from podium.web.participation import CATEGORIES, countries_present, participation, submit_form
from podium.web.practice import practice_form
from podium.web.render import render
from podium.web.session import (
    CSRF_FIELD,
    LoggedInUser,
    PageUser,
    check_csrf,
    end_session,
    start_session,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)
FormText = Annotated[str, Form()]
CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]


def safe_next(target: str | None) -> str:
    """A local path to go to after logging in ("/" for anything else: no open redirect)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, user: PageUser, next: str = "/") -> Response:
    """The login form."""
    if user is not None:
        return RedirectResponse(safe_next(next), status.HTTP_303_SEE_OTHER)
    return render(request, "login.html", {"next": safe_next(next), "login": "", "error": None})


@router.post("/login", response_class=HTMLResponse, dependencies=[Depends(limit_login)])
def login(
    request: Request,
    session: SessionDep,
    user: PageUser,
    login: FormText,
    password: FormText,
    csrf_token: CsrfField,
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the password, then start a cookie session."""
    check_csrf(request, csrf_token)
    account = users.authenticate(session, login=login, password=password)
    if account is None:
        context = {"next": safe_next(next), "login": login, "error": "wrong username or password"}
        return render(request, "login.html", context, status.HTTP_401_UNAUTHORIZED)
    response = RedirectResponse(safe_next(next), status.HTTP_303_SEE_OTHER)
    start_session(session, request, response, account)
    return response


@router.post("/logout")
def logout(
    request: Request, session: SessionDep, user: LoggedInUser, csrf_token: CsrfField
) -> Response:
    """End the session (its token is revoked)."""
    check_csrf(request, csrf_token)
    response = RedirectResponse("/", status.HTTP_303_SEE_OTHER)
    end_session(session, request, response, user)
    return response


@router.get("/", response_class=HTMLResponse)
def challenge_list(request: Request, session: SessionDep, user: PageUser) -> Response:
    """Every challenge the visitor may see."""
    shown = [challenge_public(session, challenge=c) for c in visible_challenges(session, user=user)]
    return render(request, "challenges.html", {"challenges": shown})


@router.get("/challenges/{slug}", response_class=HTMLResponse)
def challenge_page(
    request: Request,
    slug: str,
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
    user: PageUser,
    phase: str | None = None,
    split: str = "public",
    country: str | None = None,
    category: str | None = None,
) -> Response:
    """Overview, phases, downloads, taking part, the leaderboard and its plot."""
    challenge = get_challenge(slug, session, user)
    detail = challenge_detail(session, challenge=challenge, store=store)
    wanted = profile_filter(challenge, country=country, category=category)
    try:
        board = board_view(
            request, session, challenge=challenge, user=user, phase_name=phase, split=split,
            wanted=wanted,
        )  # fmt: skip
    except NotFound:  # a challenge without phases still shows the rest
        if phase is not None:
            raise
        board = None
    me = participation(session, challenge=challenge, user=user)
    context = {
        "detail": detail,
        "board": board,
        "decimals": board.config.decimals if board and board.config else 4,
        "staff": roles.is_staff(session, user=user, challenge=challenge),
        "organiser": roles.is_organiser(session, user=user, challenge=challenge),
        "me": me,
        "submit": submit_form(session, challenge=challenge, me=me, settings=settings),
        "practice": practice_form(session, challenge=challenge, me=me, settings=settings),
        "filter_countries": countries_present(
            [p.country for p in (board.profiles or {}).values()] if board else []
        ),
        "filter_categories": CATEGORIES,
        "edition": edition_of_challenge(session, challenge=challenge),
        "missing_deliverables": missing_now(
            session, challenge=challenge, team_id=me.team.id if me.team else None
        ),
    }
    return render(request, "challenge.html", context)
