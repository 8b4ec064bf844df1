"""Errors on pages: a login redirect or an HTML page, never the API's JSON.

Pages use :class:`PageRoute`, which catches what dependencies and handlers raise (domain
errors, HTTP errors, invalid forms) and renders ``error.html`` with the same status the API
would answer; the API's JSON handlers stay untouched for ``/api``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from podium.api.errors import STATUS_OF
from podium.errors import PodiumError
from podium.web.render import render
from podium.web.session import LoginRequired

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def status_of(error: PodiumError) -> int:
    """The HTTP status the API answers ``error`` with."""
    for cls in type(error).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return status.HTTP_400_BAD_REQUEST


def login_redirect(request: Request) -> RedirectResponse:
    """Send the visitor to the login page, coming back here afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status.HTTP_303_SEE_OTHER)


def error_page(request: Request, status_code: int, message: str) -> Response:
    """The error page, with a sentence saying what to do."""
    return render(request, "error.html", {"status": status_code, "message": message}, status_code)


class PageRoute(APIRoute):
    """A route whose errors become pages (or a redirect to the login page)."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                return login_redirect(request)
            except PodiumError as error:
                return error_page(request, status_of(error), error.message)
            except HTTPException as error:
                return error_page(request, error.status_code, str(error.detail))
            except RequestValidationError:
                message = "the form is incomplete or malformed; go back, fill it in and resend"
                return error_page(request, status.HTTP_422_UNPROCESSABLE_CONTENT, message)

        return page_handler
