"""Upload caps apply while the body streams, and uploads need credentials before it is read.

Through a real uvicorn on loopback: a declared length over the cap, a chunked body passing it,
anonymous and unauthorised uploads. ``ReadCounter`` counts what the app pulled from the server
and ``Feed`` what the client was asked to send, so "not read" is measured, not assumed.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from podium.db.models import Challenge, Submission
from podium.settings import Settings
from podium.store import Store
from tests.platform.factories import auth_headers, make_user
from tests.platform.live_server import KB, MB, Feed, ReadCounter, serve
from tests.platform.submission_helpers import (
    URL,
    Recorder,
    World,
    build_tar,
    files_under,
    make_world,
    record_recorder,
)

UPLOAD_CAP = MB + 64 * KB  # max_upload_mb=1 plus the room left for the multipart framing
BIG = 64 * MB  # far past the cap and past what loopback socket buffers hold


@pytest.fixture
def settings(tmp_path: Path, migrated_template: Path) -> Settings:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(migrated_template, home / "podium.db")
    return Settings(
        home=home, migrate_on_start=False, max_upload_mb=1, max_bundle_mb=1, max_request_kb=64
    )


@pytest.fixture
def world(session: Session, store: Store, tmp_path: Path) -> World:
    return make_world(session, store, tmp_path)


@pytest.fixture
def recorder(app: FastAPI) -> Recorder:
    return record_recorder(app)


@pytest.fixture
def spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary folder Starlette spools multipart files into, for this test only."""
    folder = tmp_path / "spool"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def live(app: FastAPI) -> Iterator[tuple[str, ReadCounter]]:
    counter = ReadCounter(app)
    with serve(counter) as base_url:
        yield base_url, counter


def _send(url: str, feed: Feed, headers: dict[str, str], *, declared: bool) -> httpx.Response:
    sent = {**headers, "Content-Type": feed.content_type}
    if declared:
        sent["Content-Length"] = str(feed.length)
    with httpx.Client(timeout=60) as client:
        return client.post(url, content=iter(feed), headers=sent)


def _nothing_kept(session: Session, store: Store, spool: Path, recorder: Recorder) -> None:
    assert files_under(spool) == []
    assert files_under(store.uploads_dir()) == []
    assert session.exec(select(Submission)).all() == [] and recorder.ids == []


def test_a_declared_length_over_the_cap_is_refused_before_a_byte_is_read(
    live: tuple[str, ReadCounter],
    session: Session,
    store: Store,
    world: World,
    spool: Path,
    recorder: Recorder,
) -> None:
    base_url, counter = live
    feed = Feed(BIG, {"kind": "build"})
    answer = _send(base_url + URL, feed, world.headers(session, world.alice), declared=True)
    assert answer.status_code == 413
    assert answer.json()["detail"].startswith("the upload is larger than the limit of 1 MB;")
    assert answer.headers["connection"] == "close"
    assert counter.body_bytes == 0
    assert feed.pulled < BIG  # the server closed the connection instead of draining it
    _nothing_kept(session, store, spool, recorder)


def test_a_chunked_body_is_cut_off_once_it_passes_the_cap(
    live: tuple[str, ReadCounter],
    session: Session,
    store: Store,
    world: World,
    spool: Path,
    recorder: Recorder,
) -> None:
    base_url, counter = live
    feed = Feed(BIG, {"kind": "build"})
    answer = _send(base_url + URL, feed, world.headers(session, world.alice), declared=False)
    assert answer.status_code == 413
    assert answer.json()["detail"].startswith("the upload is larger than the limit of 1 MB;")
    assert answer.headers["connection"] == "close"
    assert UPLOAD_CAP < counter.body_bytes <= UPLOAD_CAP + MB  # stopped at the first read past
    assert feed.pulled < BIG
    _nothing_kept(session, store, spool, recorder)


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
@pytest.mark.parametrize(
    ("token", "message"),
    [(None, "log in first"), ("not-a-token", "the bearer token is invalid, expired or revoked")],
    ids=["anonymous", "bad-token"],
)
def test_an_upload_without_valid_credentials_is_a_401_unread(
    live: tuple[str, ReadCounter],
    session: Session,
    store: Store,
    world: World,
    spool: Path,
    recorder: Recorder,
    declared: bool,
    token: str | None,
    message: str,
) -> None:
    base_url, counter = live
    feed = Feed(BIG, {"kind": "build"})
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = _send(base_url + URL, feed, headers, declared=declared)
    assert answer.status_code == 401
    assert answer.json()["detail"].startswith(message)
    assert answer.headers["www-authenticate"] == "Bearer"
    assert answer.headers["connection"] == "close"
    assert counter.body_bytes == 0
    assert feed.pulled < BIG
    _nothing_kept(session, store, spool, recorder)


def test_a_bundle_upload_checks_the_creator_then_its_own_cap(
    live: tuple[str, ReadCounter], session: Session, spool: Path
) -> None:
    base_url, counter = live
    url = base_url + "/api/v1/challenges"
    anonymous = _send(url, Feed(BIG, {}), {}, declared=True)
    assert anonymous.status_code == 401
    participant = auth_headers(session, make_user(session))
    refused = _send(url, Feed(BIG, {}), participant, declared=True)
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("you may not create challenges")
    creator = auth_headers(session, make_user(session, can_create_challenges=True))
    too_big = _send(url, Feed(BIG, {}), creator, declared=False)
    assert too_big.status_code == 413
    assert too_big.json()["detail"].startswith("the upload is larger than the limit of 1 MB;")
    assert counter.body_bytes <= UPLOAD_CAP + MB  # only the last request read, to its cap
    assert files_under(spool) == []
    assert session.exec(select(Challenge)).all() == []


def test_uploads_within_the_cap_still_arrive(
    live: tuple[str, ReadCounter], session: Session, world: World, recorder: Recorder
) -> None:
    base_url, counter = live
    headers = world.headers(session, world.alice)
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
        sized = client.post(URL, data={"kind": "build"}, files={"file": ("c.tar", build_tar())})
        assert sized.status_code == 201, sized.text
        assert "connection" not in sized.headers  # kept alive: the body was read to its end
        assert client.get(f"/api/v1/submissions/{sized.json()['id']}").status_code == 200
    assert len(recorder.ids) == 1 and counter.body_bytes > len(build_tar())


def test_other_bodies_are_capped_at_max_request_kb(client: TestClient) -> None:
    padding = "x" * (65 * KB)
    body = {"username": "ada", "email": "ada@example.org", "password": "pw-" + padding}
    register = client.post("/api/v1/auth/register", json=body)
    assert register.status_code == 413
    assert register.json()["detail"] == (
        "the request body is larger than 64 KB, the limit here; send less"
    )
    login = client.post("/api/v1/auth/token", data={"username": "ada", "password": padding})
    assert login.status_code == 413
    page = client.post("/login", files={"login": ("x", b"\0" * 65 * KB)})
    assert page.status_code == 413 and "larger than 64 KB" in page.text
    assert page.headers["content-type"].startswith("text/html")
    small = client.post("/api/v1/auth/register", json={**body, "password": "correct-horse-1"})
    assert small.status_code == 201
