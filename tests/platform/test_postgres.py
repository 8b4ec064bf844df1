"""The platform on a real PostgreSQL server, which this module starts and stops itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from podium.app import create_app
from podium.db import migrate
from podium.services.registration import register_challenge
from podium.settings import Settings
from podium.store import Store
from tests.platform.bundles import write_bundle

pytestmark = pytest.mark.postgres


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
