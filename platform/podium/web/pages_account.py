"""Account pages: register, API tokens for the CLI, and password resets through an organiser.

Every rule is the API's own function: ``users.create_user`` (and ``UserCreate``'s checks),
``tokens.issue_token`` / ``list_tokens`` / ``revoke_token``, and
:mod:`podium.crud.password_resets` (who may reset whom, one use, expiry, audit).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from podium.api.deps import SessionDep, SettingsDep
from podium.api.ids import TokenId
from podium.api.ratelimit import limit_login, limit_registration
from podium.crud import password_resets, tokens, users
from podium.crud.challenges import visible_challenges
from podium.crud.roles import is_organiser
from podium.db.models import ApiTokenCreate, Challenge, User, UserCreate, UserUpdate
from podium.db.types import utcnow
from podium.errors import InvalidInput, PermissionDenied
from podium.web.errors import PageRoute
from podium.web.forms import CsrfField, FormText, parse_form
from podium.web.pages_public import safe_next
from podium.web.render import render
from podium.web.session import LoggedInUser, PageUser, check_csrf, start_session

router = APIRouter(route_class=PageRoute, include_in_schema=False)
CLOSED = "registration is closed here; ask an administrator for an account"


@router.get("/register", response_class=HTMLResponse)
def register_page(
    request: Request, user: PageUser, settings: SettingsDep, next: str = "/"
) -> Response:
    """The registration form."""
    if user is not None:
        return RedirectResponse(safe_next(next), status.HTTP_303_SEE_OTHER)
    context: dict[str, Any] = {
        "next": safe_next(next),
        "values": {},
        "problems": [],
        "closed": None,
    }
    if not settings.open_registration:
        context["closed"] = CLOSED
    return render(request, "register.html", context)


@router.post("/register", response_class=HTMLResponse, dependencies=[Depends(limit_registration)])
def register(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
    username: FormText,
    email: FormText,
    password: FormText,
    password_again: FormText,
    csrf_token: CsrfField,
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Create the account (the API's rules), then log in."""
    check_csrf(request, csrf_token)
    if not settings.open_registration:
        raise PermissionDenied(CLOSED)
    body, found = parse_form(UserCreate, username=username, email=email, password=password)
    if password != password_again:
        found.append("password again: the two passwords differ; type the same one twice")
    if body is None or found:
        values = {"username": username, "email": email}
        context = {"next": safe_next(next), "values": values, "problems": found, "closed": None}
        return render(request, "register.html", context, status.HTTP_422_UNPROCESSABLE_CONTENT)
    account = users.create_user(session, user_create=body)
    response = RedirectResponse(safe_next(next), status.HTTP_303_SEE_OTHER)
    start_session(session, request, response, account)
    return response


def _tokens_page(
    request: Request, session: Session, user: User, created: str | None = None, code: int = 200
) -> Response:
    rows = tokens.list_tokens(session, user=user)
    context = {"tokens": rows, "created": created, "now": utcnow(), "problems": []}
    return render(request, "tokens.html", context, code)


@router.get("/me/tokens", response_class=HTMLResponse)
def token_list(request: Request, session: SessionDep, user: LoggedInUser) -> Response:
    """The user's API tokens (never their secrets) and a form for a new one."""
    return _tokens_page(request, session, user)


@router.post("/me/tokens", response_class=HTMLResponse)
def token_create(
    request: Request,
    session: SessionDep,
    user: LoggedInUser,
    name: FormText,
    csrf_token: CsrfField,
    expires_in_hours: Annotated[str, Form()] = "",
) -> Response:
    """Create a token; its secret is on this answer only."""
    check_csrf(request, csrf_token)
    hours = expires_in_hours.strip() or None
    body, found = parse_form(ApiTokenCreate, name=name, expires_in_hours=hours)
    if body is None:
        raise InvalidInput("; ".join(found))
    expires_at = (
        utcnow() + timedelta(hours=body.expires_in_hours) if body.expires_in_hours else None
    )
    _, secret = tokens.issue_token(session, user=user, name=body.name, expires_at=expires_at)
    return _tokens_page(request, session, user, created=secret, code=status.HTTP_201_CREATED)


@router.post("/me/tokens/{token_id}/revoke")
def token_revoke(
    request: Request,
    token_id: TokenId,
    session: SessionDep,
    user: LoggedInUser,
    csrf_token: CsrfField,
) -> Response:
    """Revoke one of the user's tokens (it stops working at once)."""
    check_csrf(request, csrf_token)
    tokens.revoke_token(session, user=user, token_id=token_id)
    return RedirectResponse("/me/tokens", status.HTTP_303_SEE_OTHER)


def _organised(session: Session, user: User) -> list[Challenge]:
    return [
        c
        for c in visible_challenges(session, user=user)
        if is_organiser(session, user=user, challenge=c)
    ]


@router.get("/password-resets", response_class=HTMLResponse)
def reset_issue_page(request: Request, session: SessionDep, user: LoggedInUser) -> Response:
    """Organisers and admins: issue a one-time password-reset code for a participant."""
    challenges = _organised(session, user)
    if not challenges:
        raise PermissionDenied("only organisers of a challenge (or an admin) can reset passwords")
    context: dict[str, Any] = {
        "challenges": challenges,
        "issued": None,
        "target": None,
        "values": {},
    }
    return render(request, "password_resets.html", context)


@router.post("/password-resets", response_class=HTMLResponse)
def reset_issue(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: LoggedInUser,
    username: FormText,
    challenge: FormText,
    csrf_token: CsrfField,
) -> Response:
    """Issue the code (the rule and the audit are ``password_resets.issue_reset``'s)."""
    check_csrf(request, csrf_token)
    chosen = {c.slug: c for c in _organised(session, user)}.get(challenge)
    if chosen is None:
        raise PermissionDenied(f"you are not an organiser of {challenge!r}")
    target = users.require_user(session, username=username)
    row, code = password_resets.issue_reset(
        session, issuer=user, target=target, challenge=chosen,
        minutes=settings.password_reset_minutes,
    )  # fmt: skip
    link = str(request.url_for("reset_page").include_query_params(code=code))
    issued = {"code": code, "link": link, "expires_at": row.expires_at}
    context = {
        "challenges": _organised(session, user),
        "issued": issued,
        "target": target.username,
        "values": {"challenge": chosen.slug},
    }
    return render(request, "password_resets.html", context, status.HTTP_201_CREATED)


@router.get("/reset-password", response_class=HTMLResponse, name="reset_page")
def reset_page(request: Request, user: PageUser, code: str = "") -> Response:
    """The form where a user sets a new password with the code an organiser gave them."""
    return render(request, "reset_password.html", {"code": code, "problems": []})


@router.post("/reset-password", response_class=HTMLResponse, dependencies=[Depends(limit_login)])
def reset_password(
    request: Request,
    session: SessionDep,
    user: PageUser,
    code: FormText,
    password: FormText,
    password_again: FormText,
    csrf_token: CsrfField,
) -> Response:
    """Set the new password (the code works once), then log in afresh."""
    check_csrf(request, csrf_token)
    body, found = parse_form(UserUpdate, password=password)
    if password != password_again:
        found.append("password again: the two passwords differ; type the same one twice")
    if body is None or found or body.password is None:
        context = {"code": code, "problems": found}
        return render(
            request, "reset_password.html", context, status.HTTP_422_UNPROCESSABLE_CONTENT
        )
    account = password_resets.use_reset(session, code=code.strip(), password=body.password)
    response = RedirectResponse("/", status.HTTP_303_SEE_OTHER)
    start_session(session, request, response, account)
    return response
