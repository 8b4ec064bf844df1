"""One place that turns every error into JSON ``{"detail": "<what to do>"}``, never a traceback.

Domain errors (:mod:`podium.errors`) map to their status; HTTPException keeps its own;
request validation becomes a 422 whose ``detail`` is one readable sentence (and ``errors`` the
list, without echoing the submitted values: they may be passwords); anything else is logged
and answered with a plain 500.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from podium.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PodiumError,
    QuotaExceeded,
    TooLarge,
)

logger = logging.getLogger("podium.api")

STATUS_OF: dict[type[PodiumError], int] = {
    NotFound: status.HTTP_404_NOT_FOUND,
    PermissionDenied: status.HTTP_403_FORBIDDEN,
    Conflict: status.HTTP_409_CONFLICT,
    InvalidInput: status.HTTP_422_UNPROCESSABLE_CONTENT,
    TooLarge: status.HTTP_413_CONTENT_TOO_LARGE,
    QuotaExceeded: status.HTTP_429_TOO_MANY_REQUESTS,
}
INTERNAL_ERROR = "internal error; it has been logged"


def _status(error: PodiumError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return status.HTTP_400_BAD_REQUEST


async def podium_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PodiumError)
    body: dict[str, object] = {"detail": exc.message}
    headers: dict[str, str] = {}
    if isinstance(exc, InvalidInput) and exc.problems:
        body["problems"] = exc.problems
    if isinstance(exc, QuotaExceeded) and exc.retry_at is not None:
        body["retry_at"] = exc.retry_at.isoformat()
        wait = (exc.retry_at - datetime.now(UTC)).total_seconds()
        headers["Retry-After"] = str(max(1, int(wait) + 1))
    return JSONResponse(body, status_code=_status(exc), headers=headers or None)


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


def _where(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "request"


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
    summary = "; ".join(f"{_where(tuple(e['loc']))}: {e['msg']}" for e in errors[:5])
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return JSONResponse(
        {"detail": f"invalid request: {summary}{more}", "errors": errors},
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )


async def internal_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse({"detail": INTERNAL_ERROR}, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(PodiumError, podium_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, internal_error)
