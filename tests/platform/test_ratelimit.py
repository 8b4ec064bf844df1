"""Registration and login are rate-limited per client address: 429, Retry-After, then allowed.

The allowances here are 3 per 30 seconds, so no window passes while a test runs, except where
a test waits for one to pass (3 per 2 seconds, filled with quick requests). Counts are per
address (TestClient's ``client=``, uvicorn's trusted X-Forwarded-For), and shared through a
real Redis between two apps when the broker is Redis.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from itertools import count
from pathlib import Path

import httpx
import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from podium.app import create_app
from podium.settings import Settings
from tests.platform.factories import PASSWORD, make_user
from tests.platform.live_server import serve

REGISTER = "/api/v1/auth/register"
TOKEN = "/api/v1/auth/token"
ALLOWANCE = "3 per 30 seconds"
_names = count(1)


@pytest.fixture
def settings(tmp_path: Path, migrated_template: Path) -> Settings:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(migrated_template, home / "podium.db")
    return Settings(
        home=home,
        migrate_on_start=False,
        register_rate_limit=ALLOWANCE,
        login_rate_limit=ALLOWANCE,
    )


def _register(client: TestClient | httpx.Client, **headers: str) -> httpx.Response:
    n = next(_names)
    body = {"username": f"rl{n}", "email": f"rl{n}@example.org", "password": PASSWORD}
    return client.post(REGISTER, json=body, headers=headers)


def _assert_limited(answer: httpx.Response, what: str, seconds: int = 30) -> int:
    assert answer.status_code == 429
    detail = answer.json()["detail"]
    assert detail.startswith(
        f"too many {what} from your address (at most 3 per {seconds} second); "
    )
    wait = int(answer.headers["retry-after"])
    said = re.search(r"; try again in (\d+) s$", detail)
    assert 1 <= wait <= seconds and said and abs(int(said.group(1)) - wait) <= 1
    assert answer.json()["retry_at"]
    return wait


def test_registration_is_limited_per_address_then_allowed_again(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"register_rate_limit": "3 per 2 seconds"}))
    with (
        TestClient(app, client=("192.0.2.1", 5000)) as first,
        TestClient(app, client=("192.0.2.2", 5000)) as second,
    ):
        # malformed registrations count too, and are quick: the window cannot pass meanwhile
        assert [first.post(REGISTER, json={}).status_code for _ in range(3)] == [422] * 3
        wait = _assert_limited(_register(first), "registrations", seconds=2)
        assert _register(second).status_code == 201  # another address has its own count
        time.sleep(wait)
        assert _register(first).status_code == 201


def test_logins_are_limited_across_the_api_and_the_login_page(
    app: FastAPI, session: Session
) -> None:
    user = make_user(session)
    form = {"username": user.username, "password": PASSWORD}
    with TestClient(app, client=("192.0.2.3", 5000)) as client:
        assert client.post(TOKEN, data={**form, "password": "wrong"}).status_code == 401
        assert client.post(TOKEN, data=form).status_code == 200
        wrong_form = {"login": "x", "password": "y", "csrf_token": "forged"}
        assert client.post("/login", data=wrong_form).status_code == 403  # counted all the same
        _assert_limited(client.post(TOKEN, data=form), "login attempts")  # right password, too
        page = client.post("/login", data={"login": user.username, "password": PASSWORD})
        assert page.status_code == 429 and "too many login attempts" in page.text


def test_behind_a_proxy_the_forwarded_address_counts_only_when_trusted(app: FastAPI) -> None:
    def three_then(client: httpx.Client, forwarded: str) -> int:
        for _ in range(3):
            _register(client, **{"X-Forwarded-For": forwarded})
        return _register(client, **{"X-Forwarded-For": forwarded}).status_code

    with serve(app, forwarded_allow_ips="127.0.0.1") as url, httpx.Client(base_url=url) as trusted:
        assert three_then(trusted, "198.51.100.7") == 429
        assert _register(trusted, **{"X-Forwarded-For": "198.51.100.8"}).status_code == 201
    with serve(app, forwarded_allow_ips="192.0.2.99") as url, httpx.Client(base_url=url) as direct:
        # an untrusted peer's header is ignored: every request counts against 127.0.0.1
        assert three_then(direct, "198.51.100.9") == 429
        assert _register(direct, **{"X-Forwarded-For": "198.51.100.10"}).status_code == 429


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A real Redis on a free port, for this test only."""
    if shutil.which("redis-server") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is not on the PATH; install redis-server", pytrace=False)
        pytest.skip("redis-server is not on the PATH")
    port = _free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_for_redis(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_redis(port: int) -> None:
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            return
        except redis.ConnectionError:
            time.sleep(0.1)
    pytest.fail(f"redis-server did not answer on port {port}", pytrace=False)


def test_api_processes_share_counts_through_redis(settings: Settings, redis_url: str) -> None:
    shared = settings.model_copy(update={"broker_url": redis_url})
    one, two = create_app(shared), create_app(shared)
    with (
        TestClient(one, client=("192.0.2.5", 1)) as first,
        TestClient(two, client=("192.0.2.5", 2)) as second,
    ):
        assert [_register(c).status_code for c in (first, second, first)] == [201, 201, 201]
        _assert_limited(_register(second), "registrations")
    assert redis.Redis.from_url(redis_url).keys("LIMITS*podium*register*192.0.2.5*")


def test_a_malformed_allowance_stops_the_app_with_a_clear_message(settings: Settings) -> None:
    wrong = settings.model_copy(update={"login_rate_limit": "lots"})
    with pytest.raises(ValueError, match=r"PODIUM_LOGIN_RATE_LIMIT='lots' is not a rate limit"):
        create_app(wrong)
