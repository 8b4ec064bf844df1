"""Uploads from pages: the caller and the CSRF token are checked before the body is read.

The API's :class:`~podium.api.upload_guard.UploadRoute` does this for bearer tokens; a page's
upload comes with the session cookie instead, and its CSRF token travels in the
``X-CSRF-Token`` header (the page's script) or the form action's query (no script), since the
form fields arrive only with the body. Then the body cap is raised to the route's setting, as
the API's guard does; an answer given before the body was read closes the connection
(``CappedBodies``).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from typing import Any, TypeVar

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from podium.api.deps import get_db
from podium.api.upload_guard import MULTIPART_ROOM_BYTES, SCOPE_KEY, BodyLimit, CapSetting
from podium.crud.tokens import user_for_token
from podium.errors import PodiumError
from podium.settings import Settings
from podium.store import MB
from podium.web.errors import Handler, PageRoute, error_page, login_redirect, status_of
from podium.web.session import CSRF_FIELD, SESSION_COOKIE, LoginRequired, check_csrf

CSRF_HEADER = "X-CSRF-Token"
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
_MARK = "__podium_page_upload__"


def page_upload(cap_setting: CapSetting) -> Callable[[Endpoint], Endpoint]:
    """Mark a page endpoint as an upload (below ``@router.post``; the router's ``route_class``
    must be :class:`PageUploadRoute`)."""

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _MARK, cap_setting)
        return endpoint

    return mark


def _check_caller(request: Request) -> None:
    """A logged-in session (else the login page) and its CSRF token (else 403)."""
    with contextmanager(get_db)(request) as session:
        token = request.cookies.get(SESSION_COOKIE)
        user = user_for_token(session, token=token) if token else None
    if user is None:
        raise LoginRequired()
    request.state.page_user = user
    submitted = request.headers.get(CSRF_HEADER) or request.query_params.get(CSRF_FIELD)
    check_csrf(request, submitted)


class PageUploadRoute(PageRoute):
    """A page route whose marked endpoints check their caller, then raise the body cap."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()
        cap_setting: CapSetting | None = getattr(self.endpoint, _MARK, None)
        if cap_setting is None:
            return handler

        async def guarded(request: Request) -> Response:
            try:
                await run_in_threadpool(_check_caller, request)
            except LoginRequired:
                return login_redirect(request)
            except PodiumError as error:
                return error_page(request, status_of(error), error.message)
            limit: BodyLimit | None = request.scope.get(SCOPE_KEY)
            if limit is not None:
                settings: Settings = request.app.state.settings
                max_mb = int(getattr(settings, cap_setting))
                limit.raise_to(
                    max_mb * MB + MULTIPART_ROOM_BYTES,
                    f"the upload is larger than the limit of {max_mb} MB; make it smaller "
                    "(leave data and caches out) and try again",
                )
            return await handler(request)

        return guarded
