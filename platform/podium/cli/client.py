"""A small client for the Podium REST API, used by the CLI commands.

Every failure comes out as one :class:`ApiError` whose message a person can act on; httpx's
errors and the server's answers are translated in one place (:meth:`PodiumClient._send`)::

    ApiError
      - server unreachable, timed out, or broke the connection
      - 401: the token was refused
      - other 4xx: the server's ``detail``
      - 5xx, or an answer that is not JSON
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO, Any, cast
from urllib.parse import unquote

import httpx

API_PREFIX = "/api/v1"
CHUNK_BYTES = 1 << 16
Progress = Callable[[int], None]  # called with the number of bytes just moved


class ApiError(Exception):
    """A request failed; ``message`` is the one line to show."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:300] or response.reason_phrase
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, list):  # FastAPI's validation errors: one message per field
        parts = []
        for item in detail:
            where = (
                ".".join(str(p) for p in item.get("loc", [])[1:]) if isinstance(item, dict) else ""
            )
            message = item.get("msg", item) if isinstance(item, dict) else item
            parts.append(f"{where}: {message}" if where else str(message))
        return "; ".join(parts)
    return str(detail) if detail else response.reason_phrase


class ProgressReader:
    """A file object that reports each chunk read (httpx streams multipart files through it)."""

    def __init__(self, handle: IO[bytes], progress: Progress | None) -> None:
        self._handle = handle
        self._progress = progress

    def read(self, size: int = -1) -> bytes:
        chunk = self._handle.read(size)
        if self._progress is not None and chunk:
            self._progress(len(chunk))
        return chunk

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._handle.seek(offset, whence)

    def tell(self) -> int:
        return self._handle.tell()

    def fileno(self) -> int:
        return self._handle.fileno()


class PodiumClient:
    """The API at ``server`` (e.g. ``http://127.0.0.1:8000``), with an optional bearer token.

    ``transport`` is the seam for tests that do not run a server.
    """

    def __init__(
        self,
        server: str,
        token: str | None = None,
        *,
        timeout_seconds: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.server = server.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(
            base_url=self.server + API_PREFIX,
            headers=headers,
            timeout=httpx.Timeout(timeout_seconds, write=None),
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PodiumClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except httpx.ConnectError:
            raise ApiError(
                f"cannot reach the Podium server at {self.server}; is it running (`podium up`)?"
            ) from None
        except httpx.TimeoutException:
            raise ApiError(
                f"the Podium server at {self.server} did not answer in time; try again later"
            ) from None
        except httpx.HTTPError as exc:
            raise ApiError(
                f"talking to the Podium server at {self.server} failed ({type(exc).__name__}: "
                f"{exc}); check the address and try again"
            ) from None
        except OSError as exc:  # a file being uploaded or downloaded
            name = getattr(exc, "filename", None) or "a local file"
            raise ApiError(f"cannot use {name}: {exc.strerror or exc}") from None

    def _check(self, response: httpx.Response, *, login: bool = False) -> httpx.Response:
        code = response.status_code
        if code < 400:
            return response
        if code == 401 and not login:
            raise ApiError("your token was refused; run `podium login`", code)
        if code < 500:
            raise ApiError(_detail(response), code)
        raise ApiError(
            f"the Podium server at {self.server} failed (HTTP {code}); try again later "
            "or tell its operators",
            code,
        )

    def _send(
        self, method: str, path: str, *, login: bool = False, **kwargs: Any
    ) -> httpx.Response:
        with self._translated():
            response = self._http.request(method, path, **kwargs)
        return self._check(response, login=login)

    def _json(self, response: httpx.Response) -> Any:
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ApiError(
                f"the server at {self.server} answered with something that is not JSON; "
                "is PODIUM_SERVER the address of a Podium server?"
            ) from None

    def get(self, path: str, **params: Any) -> Any:
        """GET ``path`` (under /api/v1) and return the decoded JSON."""
        query = {k: v for k, v in params.items() if v is not None}
        return self._json(self._send("GET", path, params=query))

    def get_text(self, path: str, **params: Any) -> str:
        """GET ``path`` and return the body as text (CSV, logs)."""
        query = {k: v for k, v in params.items() if v is not None}
        return self._send("GET", path, params=query).text

    def send_json(self, method: str, path: str, body: Any = None) -> Any:
        """POST/PUT/PATCH ``body`` as JSON and return the decoded answer."""
        return self._json(self._send(method, path, json=body))

    def login(self, username: str, password: str) -> str:
        """Exchange a username and password for a token."""
        form = {"username": username, "password": password}
        answer = self._json(self._send("POST", "/auth/token", login=True, data=form))
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token:
            raise ApiError(f"the server at {self.server} answered the login without a token")
        return token

    def upload(
        self,
        method: str,
        path: str,
        file: Path,
        *,
        field: str = "file",
        data: dict[str, str] | None = None,
        progress: Progress | None = None,
    ) -> Any:
        """Send ``file`` as a multipart field, streamed from disk; returns the decoded answer."""
        with self._translated(), file.open("rb") as handle:
            reader = ProgressReader(handle, progress)
            parts = {field: (file.name, cast(IO[bytes], reader), "application/octet-stream")}
            response = self._http.request(method, path, files=parts, data=data or {})
        return self._json(self._check(response))

    def download(
        self,
        path: str,
        folder: Path,
        fallback_name: str,
        *,
        on_start: Callable[[int | None], None] | None = None,
        progress: Progress | None = None,
    ) -> Path:
        """Stream ``path`` into ``folder`` under the server's file name (whole or not at all)."""
        with self._translated(), self._http.stream("GET", path) as response:
            if response.status_code >= 400:
                response.read()
                self._check(response)
            dest = folder / _file_name(response, fallback_name)
            length = response.headers.get("content-length", "")
            if on_start is not None:
                on_start(int(length) if length.isdigit() else None)
            folder.mkdir(parents=True, exist_ok=True)
            partial = dest.with_name(dest.name + ".part")
            try:
                with partial.open("wb") as out:
                    for chunk in response.iter_bytes(CHUNK_BYTES):
                        out.write(chunk)
                        if progress is not None:
                            progress(len(chunk))
                partial.replace(dest)
            finally:
                partial.unlink(missing_ok=True)
        return dest


def _file_name(response: httpx.Response, fallback: str) -> str:
    """The attachment's name from Content-Disposition, reduced to a safe base name."""
    header = response.headers.get("content-disposition", "")
    found = re.search(r"filename\*?=(?:UTF-8'')?\"?([^\";]+)", header, re.I)
    name = unquote(found.group(1)) if found else fallback
    name = PurePosixPath(name.replace("\\", "/")).name
    return name if name not in ("", ".", "..") else fallback
