"""A real uvicorn on loopback for tests that need a real server's streaming, and what they count.

No tests here. ``serve(app)`` runs the app in a thread on a free port; ``ReadCounter`` wraps an
app and counts the body bytes it pulled from the server; ``Feed`` is a request body that counts
how much the client was asked for.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

KB = 1024
MB = 1024 * KB
BOUNDARY = "podium-test-boundary"
STARTUP_SECONDS = 30.0


class ReadCounter:
    """ASGI wrapper: how many body bytes the wrapped app pulled from the server."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.body_bytes = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counting() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                self.body_bytes += len(message.get("body", b""))
            return message

        await self.app(scope, counting, send)


class Feed:
    """A multipart upload of ``file_bytes`` zeros, generated lazily; ``pulled`` counts what the
    client took from it (file bytes only)."""

    def __init__(self, file_bytes: int, fields: dict[str, str], chunk: int = 64 * KB) -> None:
        self.file_bytes, self.chunk, self.pulled = file_bytes, chunk, 0
        head = "".join(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in fields.items()
        )
        self.head = (
            f"{head}--{BOUNDARY}\r\nContent-Disposition: form-data; name=file; "
            'filename="context.tar"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        self.tail = f"\r\n--{BOUNDARY}--\r\n".encode()

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={BOUNDARY}"

    @property
    def length(self) -> int:
        return len(self.head) + self.file_bytes + len(self.tail)

    def __iter__(self) -> Iterator[bytes]:
        yield self.head
        while self.pulled < self.file_bytes:
            size = min(self.chunk, self.file_bytes - self.pulled)
            self.pulled += size
            yield b"\0" * size
        yield self.tail


@contextmanager
def serve(app: ASGIApp, **options: Any) -> Iterator[str]:
    """Run ``app`` under uvicorn on 127.0.0.1 (a free port; ``options`` go to
    ``uvicorn.Config``); yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", **options))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(STARTUP_SECONDS)
        sock.close()
