"""The API killed in the middle of an upload, then started again.

A real ``uvicorn`` serves the API on Redis and PostgreSQL; a participant's large multipart
upload is streamed to it over a raw socket, and the server is SIGKILLed twice: while the body is
still arriving, and while the route copies the received file into the store (``.part`` in
``<store>/uploads``). Afterwards no half-registered submission remains (no row, or a row that
ends like any other), nothing is left in the server's temporary folder (Starlette spools
uploads to unlinked temporary files), and the partial file in the store is removed when the API
starts again (``stale_upload_seconds``).
"""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable
from pathlib import Path

import docker
import httpx
import pytest
from sqlmodel import col, select

from podium.db.models import Submission
from podium.store import Store
from tests.pipeline.harness import REPO, Platform, Worker, constant_model, free_port
from tests.platform.factories import auth_headers
from tests.reliability.audit import audit
from tests.reliability.conftest import Row
from tests.reliability.stack import MakePlatform, redis_server, stack_platform  # noqa: F401

BOUNDARY = "podium-fault-boundary"
STALE_SECONDS = 2


class Api:
    """``uvicorn podium.app:create_app`` for ``platform``, with a temporary folder of its own."""

    def __init__(self, platform: Platform, folder: Path) -> None:
        self.platform = platform
        self.folder = folder
        self.tmp = folder / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Api:
        env = {**os.environ, **self.platform.env, "TMPDIR": str(self.tmp),
               "PODIUM_STALE_UPLOAD_SECONDS": str(STALE_SECONDS)}  # fmt: skip
        command = [sys.executable, "-m", "uvicorn", "podium.app:create_app", "--factory",
                   "--host", "127.0.0.1", "--port", str(self.port)]  # fmt: skip
        self.process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=(self.folder / "api.log").open("ab"),
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz").status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError((self.folder / "api.log").read_text()[-3000:])

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)


def _padded_model(size_bytes: int) -> bytes:
    """A valid build context (the constant model) padded with a file to ``size_bytes``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        with tarfile.open(fileobj=io.BytesIO(constant_model())) as model:
            for member in model.getmembers():
                archive.addfile(member, model.extractfile(member))
        pad = tarfile.TarInfo("padding.bin")
        pad.size = size_bytes
        archive.addfile(pad, io.BytesIO(bytes(size_bytes)))
    return buffer.getvalue()


def _open_upload(api: Api, token: str, content_length: int) -> socket.socket:
    """Send the request head and the multipart preamble; the caller streams the file."""
    head = (
        f"POST /api/v1/challenges/quick-check/submissions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"{token}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {content_length}\r\n\r\n"
    )
    sock = socket.create_connection(("127.0.0.1", api.port))
    sock.sendall(head.encode())
    return sock


def _multipart(content: bytes) -> tuple[bytes, bytes]:
    preamble = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nbuild\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="m.tar"\r\n'
        "Content-Type: application/x-tar\r\n\r\n"
    ).encode()
    return preamble, f"\r\n--{BOUNDARY}--\r\n".encode()


def _kill_mid_body(api: Api, token: str, content: bytes) -> None:
    preamble, end = _multipart(content)
    sock = _open_upload(api, token, len(preamble) + len(content) + len(end))
    sock.sendall(preamble + content[: len(content) // 2])
    api.kill()
    sock.close()


def _kill_mid_copy(api: Api, token: str, content: bytes, uploads: Path) -> bool:
    """Kill the API once the route's ``.part`` file appears; True if it was caught there."""
    preamble, end = _multipart(content)
    sock = _open_upload(api, token, len(preamble) + len(content) + len(end))
    sock.sendall(preamble + content + end)
    sock.settimeout(0.002)
    deadline = time.monotonic() + 120
    caught = False
    while time.monotonic() < deadline and not caught:
        caught = uploads.is_dir() and any(p.suffix == ".part" for p in uploads.iterdir())
        try:
            if sock.recv(1):  # the answer came first: the submission was made
                break
        except TimeoutError:
            continue
    api.kill()
    sock.close()
    return caught


def _rows_of(platform: Platform, user_id: int) -> list[int]:
    with platform.session() as session:
        query = select(Submission.id).where(col(Submission.user_id) == user_id)
        return [sid for sid in session.exec(query).all() if sid is not None]


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.postgres
def test_an_api_killed_mid_upload_leaves_no_half_registered_submission(
    tmp_path: Path, quick: Path, stack_platform: MakePlatform,  # noqa: F811
    docker_client: docker.DockerClient, scale: str, report_row: Callable[[Row], None],
) -> None:  # fmt: skip
    started = time.monotonic()
    platform = stack_platform(queued_stale_seconds="5", reaper_interval_seconds="1")
    platform.register(quick)
    user = platform.participant()
    with platform.session() as session:
        token = "Authorization: " + auth_headers(session, user)["Authorization"]
    uploads = Store.from_settings(platform.settings).uploads_dir()
    content = _padded_model((32 if scale == "small" else 256) << 20)
    api = Api(platform, tmp_path / "api").start()
    _kill_mid_body(api, token, content)
    assert _rows_of(platform, user.id or 0) == []
    assert list(api.tmp.iterdir()) == []  # Starlette's spooled file died with the process
    assert not uploads.exists() or list(uploads.iterdir()) == []
    api.start()
    caught = _kill_mid_copy(api, token, content, uploads)
    left = sorted(uploads.iterdir()) if uploads.is_dir() else []
    time.sleep(STALE_SECONDS + 0.5)  # the leftover must be older than stale_upload_seconds
    api.start()
    api.stop()
    after = sorted(uploads.iterdir()) if uploads.is_dir() else []
    rows = _rows_of(platform, user.id or 0)
    if rows:  # the answer beat the kill: the submission must end like any other
        worker = Worker(platform, tmp_path / "worker.log", reaper=True).wait_ready()
        try:
            for sid in rows:
                platform.wait(sid, timeout=300)
        finally:
            worker.stop()
    found = audit(platform, rows)
    note = (
        f"2 uploads cut ({len(content) >> 20} MB): mid-body, and "
        f"{'mid-copy into the store' if caught else 'after the answer'}; {len(left)} partial "
        f"file(s) left, {len(left) - len(after)} removed at restart; {len(rows)} row(s)"
    )
    seconds = time.monotonic() - started
    report_row(found.row("API killed mid-upload, restarted", injected=2, seconds=seconds,
                         note=note))  # fmt: skip
    found.assert_clean()
    assert after == []
    assert list(api.tmp.iterdir()) == []
    if caught:
        assert rows == [] and len(left) == 1


def test_only_uploads_left_untouched_are_removed(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    old = store.new_upload_path()
    old.write_bytes(b"cut short")
    extracting = store.new_upload_dir()
    (extracting / "deep").mkdir()
    (extracting / "deep" / "fresh.csv").write_text("a,b\n")  # still being written
    fresh = store.new_upload_path()
    fresh.write_bytes(b"arriving")
    long_ago = time.time() - 7200
    for path in (old, extracting, extracting / "deep"):
        os.utime(path, (long_ago, long_ago))
    assert store.remove_stale_uploads(3600) == [old]
    assert sorted(store.uploads_dir().iterdir()) == sorted([extracting, fresh])
