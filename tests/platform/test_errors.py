"""Every error is JSON with a readable detail; never a traceback."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from podium.api.errors import INTERNAL_ERROR
from podium.db.types import utcnow
from podium.errors import QuotaExceeded


def test_unexpected_errors_are_logged_and_answered_plainly(
    app: FastAPI, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals /srv/hidden/labels.csv")

    with caplog.at_level(logging.ERROR, logger="podium.api"):
        answer = client.get("/boom")
    assert answer.status_code == 500
    assert answer.json() == {"detail": INTERNAL_ERROR}
    assert "labels.csv" not in answer.text
    assert "secret internals" in caplog.text


def test_quota_errors_say_when_to_retry(app: FastAPI, client: TestClient) -> None:
    retry_at = utcnow().replace(microsecond=0)

    @app.get("/quota")
    def quota() -> None:
        raise QuotaExceeded("3 submissions in 24 hours; the next is allowed later", retry_at)

    answer = client.get("/quota")
    assert answer.status_code == 429
    assert answer.json()["retry_at"] == retry_at.isoformat()
    assert int(answer.headers["retry-after"]) >= 1


def test_unknown_routes_and_methods_are_json(client: TestClient) -> None:
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.json() == {"detail": "Not Found"}
    wrong = client.delete("/api/v1/challenges")
    assert wrong.status_code == 405 and wrong.json() == {"detail": "Method Not Allowed"}


def test_malformed_json_is_a_readable_422(client: TestClient) -> None:
    answer = client.post(
        "/api/v1/auth/register", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith("invalid request: body")


def test_openapi_documents_the_paths(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/auth/register",
        "/api/v1/auth/token",
        "/api/v1/challenges",
        "/api/v1/challenges/{slug}",
        "/api/v1/challenges/{slug}/files/{path}",
        "/api/v1/challenges/{slug}/starting-kit",
        "/api/v1/users/me/tokens",
        "/api/v1/teams/{team_id}/join",
    ):
        assert path in paths
