"""Page sessions: the login cookie, the page-level user dependency and CSRF tokens.

The session cookie holds an ordinary login token (``crud.tokens``), so logging out revokes a
database row and an admin sees web sessions next to API tokens. The cookie is HttpOnly and
SameSite=Lax; API routes keep bearer auth and never read it.

CSRF: every POST form carries ``csrf_token`` = HMAC(server secret, session id), where the
session id is the login token when logged in, else a random pre-session cookie (so the login
form is protected too). Forms are checked server-side with a constant-time comparison.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request, Response
from sqlmodel import Session, select

from podium.api.deps import SessionDep
from podium.crud.tokens import issue_token, revoke_token, user_for_token
from podium.db.models import ApiToken, User
from podium.db.types import utcnow
from podium.errors import PermissionDenied
from podium.security import hash_token
from podium.settings import Settings

SESSION_COOKIE = "podium_session"
PRE_SESSION_COOKIE = "podium_presession"
CSRF_FIELD = "csrf_token"
WEB_TOKEN_NAME = "web session"


class LoginRequired(Exception):
    """Raised by page dependencies; the page router answers with a redirect to /login."""


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_page_user(request: Request, session: SessionDep) -> User | None:
    """The user of the session cookie, or None (a stale cookie counts as logged out)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    user = user_for_token(session, token=token)
    request.state.page_user = user
    return user


PageUser = Annotated[User | None, Depends(get_page_user)]


def require_page_user(user: PageUser) -> User:
    """The logged-in user; anonymous visitors are sent to the login page."""
    if user is None:
        raise LoginRequired()
    return user


LoggedInUser = Annotated[User, Depends(require_page_user)]


def _session_id(request: Request) -> str | None:
    if getattr(request.state, "page_user", None) is not None:
        return request.cookies.get(SESSION_COOKIE)
    return request.cookies.get(PRE_SESSION_COOKIE) or getattr(request.state, "new_presession", None)


def csrf_token(request: Request) -> str:
    """The CSRF token of this browser session (creates a pre-session when there is none)."""
    session_id = _session_id(request)
    if session_id is None:
        session_id = secrets.token_urlsafe(32)
        request.state.new_presession = session_id
    key = _settings(request).get_secret_key().encode()
    return hmac.new(key, f"csrf|{session_id}".encode(), hashlib.sha256).hexdigest()


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse a form whose CSRF token does not belong to this browser session.

    Raises:
        PermissionDenied: The token is missing or wrong.
    """
    session_id = _session_id(request)
    if not submitted or session_id is None:
        raise PermissionDenied(_CSRF_MESSAGE)
    key = _settings(request).get_secret_key().encode()
    expected = hmac.new(key, f"csrf|{session_id}".encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, submitted):
        raise PermissionDenied(_CSRF_MESSAGE)


_CSRF_MESSAGE = (
    "this form has expired or did not come from this site; reload the page and send it again"
)


def _set_cookie(
    request: Request, response: Response, name: str, value: str, max_age: int | None = None
) -> None:
    secure = request.url.scheme == "https"
    response.set_cookie(
        name, value, max_age=max_age, path="/", httponly=True, samesite="lax", secure=secure
    )


def remember_presession(request: Request, response: Response) -> None:
    """Set the pre-session cookie that :func:`csrf_token` created for this page, if any."""
    value = getattr(request.state, "new_presession", None)
    if value is not None:
        _set_cookie(request, response, PRE_SESSION_COOKIE, value)


def start_session(session: Session, request: Request, response: Response, user: User) -> None:
    """Issue a login token for ``user`` and put it in the session cookie."""
    hours = _settings(request).token_ttl_hours
    expires_at = utcnow() + timedelta(hours=hours)
    _, secret = issue_token(session, user=user, name=WEB_TOKEN_NAME, expires_at=expires_at)
    _set_cookie(request, response, SESSION_COOKIE, secret, max_age=hours * 3600)
    response.delete_cookie(PRE_SESSION_COOKIE, path="/")


def end_session(session: Session, request: Request, response: Response, user: User) -> None:
    """Revoke the session's token and clear the cookie."""
    token = request.cookies.get(SESSION_COOKIE, "")
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).first()
    if row is not None and row.id is not None:
        revoke_token(session, user=user, token_id=row.id)
    response.delete_cookie(SESSION_COOKIE, path="/")
