"""The platform on a real PostgreSQL server, which this module starts and stops itself."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from podium.app import create_app
from podium.crud.challenges import register_challenge
from podium.db import migrate
from podium.settings import Settings
from podium.store import Store
from tests.platform.bundles import write_bundle

pytestmark = pytest.mark.postgres


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_postgres(args: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root: drop to the postgres system user then
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _run(args: list[str]) -> None:
    done = subprocess.run(_as_postgres(args), capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{args[0]} failed: {done.stdout}\n{done.stderr}"


def _ensure_postgres_user() -> None:
    if os.geteuid() != 0:
        return
    if subprocess.run(["id", "postgres"], capture_output=True, check=False).returncode != 0:
        subprocess.run(["useradd", "--system", "postgres"], check=True)


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    if shutil.which("initdb") is None or shutil.which("pg_ctl") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("initdb/pg_ctl are not on the PATH; install PostgreSQL", pytrace=False)
        pytest.skip("initdb/pg_ctl are not on the PATH")
    _ensure_postgres_user()
    root = Path(tempfile.mkdtemp(prefix="podium-pg-"))
    data, sockets = root / "data", root / "sock"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    port = _free_port()
    _run(["initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"])
    options = f"-p {port} -k {sockets} -c listen_addresses='' -c fsync=off"
    _run(["pg_ctl", "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"])
    try:
        yield f"postgresql+psycopg://postgres@/postgres?host={sockets}&port={port}"
    finally:
        _run(["pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(root, ignore_errors=True)


def test_migrations_match_the_models_on_postgres(postgres_url: str) -> None:
    migrate.upgrade(postgres_url)
    assert migrate.current_revision(postgres_url) == migrate.head_revision()
    assert migrate.schema_differences(postgres_url) == []


def test_register_token_team_flow_on_postgres(postgres_url: str, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", database_url=postgres_url)
    app = create_app(settings)
    with TestClient(app) as client:  # starting the app applies the migrations
        user = {"username": "pgadmin", "email": "pg@example.org", "password": "pg-password"}
        assert client.post("/api/v1/auth/register", json=user).status_code == 201
        again = client.post("/api/v1/auth/register", json=user)
        assert again.status_code == 409
        token = client.post(
            "/api/v1/auth/token", data={"username": "pg@example.org", "password": "pg-password"}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        with Session(app.state.engine) as session:
            register_challenge(
                session,
                bundle_path=write_bundle(tmp_path / "bundle", slug="pg-tiny"),
                owner=None,
                store=Store.from_settings(settings),
            )
        created = client.post(
            "/api/v1/challenges/pg-tiny/teams", json={"name": "Elephants"}, headers=headers
        )
        assert created.status_code == 201, created.text
        listed = client.get("/api/v1/challenges/pg-tiny/teams", headers=headers).json()
        assert [(t["name"], [m["username"] for m in t["members"]]) for t in listed] == [
            ("Elephants", ["pgadmin"])
        ]
        detail = client.get("/api/v1/challenges/pg-tiny").json()
        assert detail["phases"][0]["start"] == "2020-01-01T00:00:00Z"
        assert detail["phases"][0]["limits"]["wall_seconds"] == 60
