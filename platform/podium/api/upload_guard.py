"""Request bodies are capped while they arrive; an upload needs credentials before it is read.

Starlette parses a multipart body (spooling its files to disk) before FastAPI runs a route's
dependencies, so a size or login check inside the route comes after the whole body arrived,
even from an anonymous caller. Two pieces close that door:

* :class:`CappedBodies`, a pure ASGI middleware, counts every request body as the app reads it,
  against ``max_request_kb`` unless the route raised the cap. A declared ``Content-Length`` over
  the cap is refused (413) on the first read, before a byte is taken; a body without one
  (chunked) is cut off (413) as soon as it passes the cap. Any answer given while the body is
  unread or cut off carries ``Connection: close`` (HTTP/1), so the server drops the connection
  instead of draining the rest.
* :class:`UploadRoute` runs an endpoint marked ``@upload(...)`` only after its caller passed the
  API's own checks (``get_current_user`` on the bearer token, then the route's ``authorise``
  rule): 401 or 403 without reading the body. Then it raises the body cap to the route's
  setting (``max_upload_mb``, ``max_bundle_mb``, plus room for the multipart framing).

The exact cap on the file itself is still checked where it is stored (``store.save_upload``)::

    router = APIRouter(route_class=UploadRoute)

    @router.post("/things")
    @upload("max_upload_mb")
    async def create_thing(file: Annotated[UploadFile, File()], user: CurrentUser) -> ...
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from podium.api.deps import get_current_user, get_db, get_optional_user, oauth2_scheme
from podium.db.models import User
from podium.settings import Settings
from podium.store import MB

KB = 1024
MULTIPART_ROOM_BYTES = 64 * KB  # boundaries, part headers and the small form fields
SCOPE_KEY = "podium.body_limit"

CapSetting = Literal["max_upload_mb", "max_bundle_mb", "max_deliverable_mb"]
Authorise = Callable[[User], object]
Handler = Callable[[Request], Coroutine[Any, Any, Response]]
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
_MARK = "__podium_upload__"


class BodyTooLarge(HTTPException):
    """The request body passed its cap (413; answered by the API's HTTP error handler)."""

    def __init__(self, message: str) -> None:
        super().__init__(status_code=413, detail=message)


@dataclass
class BodyLimit:
    """One request's cap, and what was read against it."""

    max_bytes: int
    message: str
    declared: int | None
    has_body: bool
    received: int = 0
    finished: bool = False
    over: bool = False

    @classmethod
    def for_scope(cls, scope: Scope, max_kb: int) -> BodyLimit:
        headers = Headers(scope=scope)
        declared = _content_length(headers.get("content-length"))
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        message = f"the request body is larger than {max_kb} KB, the limit here; send less"
        has_body = chunked or bool(declared)
        return cls(max_kb * KB, message, declared, has_body)

    def raise_to(self, max_bytes: int, message: str) -> None:
        """Let this request's body grow to ``max_bytes`` (an upload route, before reading)."""
        self.max_bytes, self.message = max_bytes, message

    def check_declared(self) -> None:
        if self.declared is not None and self.declared > self.max_bytes:
            self.over = True
            raise BodyTooLarge(self.message)

    def count(self, message: Message) -> None:
        if message["type"] != "http.request":
            return
        self.received += len(message.get("body", b""))
        self.finished = not message.get("more_body", False)
        if self.received > self.max_bytes:
            self.over = True
            raise BodyTooLarge(self.message)

    @property
    def must_close(self) -> bool:
        """Whether the connection has body bytes the app will never read."""
        return self.over or (self.has_body and not self.finished)


def _content_length(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


class CappedBodies:
    """ASGI middleware: every request body is counted against its cap while it arrives."""

    def __init__(self, app: ASGIApp, max_request_kb: int) -> None:
        self.app = app
        self.max_request_kb = max_request_kb

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = BodyLimit.for_scope(scope, self.max_request_kb)
        scope[SCOPE_KEY] = limit
        http1 = scope.get("http_version", "1.1") in ("1.0", "1.1")  # HTTP/2 has no Connection

        async def capped_receive() -> Message:
            limit.check_declared()  # before a byte is read
            message = await receive()
            limit.count(message)
            return message

        async def closing_send(message: Message) -> None:
            if message["type"] == "http.response.start" and http1 and limit.must_close:
                headers = [*message.get("headers", []), (b"connection", b"close")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, capped_receive, closing_send)


@dataclass(frozen=True)
class UploadRule:
    """What an upload route accepts: the settings field of its cap, and who may send."""

    cap_setting: CapSetting
    authorise: Authorise | None = None

    def max_mb(self, settings: Settings) -> int:
        return int(getattr(settings, self.cap_setting))

    def check_caller(self, request: Request, token: str | None) -> None:
        """The API's own rules: a valid token (401), then ``authorise`` (403)."""
        with contextmanager(get_db)(request) as session:
            user = get_current_user(get_optional_user(session, token))
        if self.authorise is not None:
            self.authorise(user)


def upload(
    cap_setting: CapSetting, *, authorise: Authorise | None = None
) -> Callable[[Endpoint], Endpoint]:
    """Mark an endpoint as an upload (put it below ``@router.post``; the router's
    ``route_class`` must be :class:`UploadRoute`)."""

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _MARK, UploadRule(cap_setting, authorise))
        return endpoint

    return mark


class UploadRoute(APIRoute):
    """A route that checks an upload's caller and raises its body cap before reading it."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()
        rule: UploadRule | None = getattr(self.endpoint, _MARK, None)
        if rule is None:
            return handler

        async def guarded(request: Request) -> Response:
            token = await oauth2_scheme(request)  # the bearer header, parsed as the API does
            await run_in_threadpool(rule.check_caller, request, token)
            limit: BodyLimit | None = request.scope.get(SCOPE_KEY)
            if limit is not None:
                settings: Settings = request.app.state.settings
                max_mb = rule.max_mb(settings)
                limit.raise_to(
                    max_mb * MB + MULTIPART_ROOM_BYTES,
                    f"the upload is larger than the limit of {max_mb} MB; make it smaller "
                    "(leave data and caches out) and try again",
                )
            return await handler(request)

        return guarded
