"""The caller's account and API tokens; admin flags."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from podium.crud.tokens import issue_token
from podium.db.types import utcnow
from tests.platform.factories import auth_headers, make_user

ME = "/api/v1/users/me"
TOKENS = "/api/v1/users/me/tokens"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", ME),
        ("PATCH", ME),
        ("GET", TOKENS),
        ("POST", TOKENS),
        ("DELETE", f"{TOKENS}/1"),
        ("GET", "/api/v1/users/me/teams"),
        ("GET", "/api/v1/users/me/invites"),
        ("PATCH", "/api/v1/users/someone"),
    ],
)
def test_user_routes_need_a_token(client: TestClient, method: str, path: str) -> None:
    answer = client.request(method, path, json={})
    assert answer.status_code == 401
    assert "log in first" in answer.json()["detail"]
    assert answer.headers["www-authenticate"] == "Bearer"


def test_a_bad_token_is_401_even_on_public_routes(client: TestClient) -> None:
    answer = client.get("/api/v1/challenges", headers={"Authorization": "Bearer pdm_nope"})
    assert answer.status_code == 401
    assert "invalid, expired or revoked" in answer.json()["detail"]


def test_me_shows_the_account_without_secrets(client: TestClient, session: Session) -> None:
    user = make_user(session, username="grace", email="grace@example.org")
    body = client.get(ME, headers=auth_headers(session, user)).json()
    assert body["username"] == "grace" and body["email"] == "grace@example.org"
    assert not {"password_hash", "password"} & set(body)


def test_update_me_changes_email_and_refuses_a_taken_one(
    client: TestClient, session: Session
) -> None:
    user = make_user(session)
    other = make_user(session)
    headers = auth_headers(session, user)
    answer = client.patch(ME, json={"email": "New@Example.org"}, headers=headers)
    assert answer.status_code == 200 and answer.json()["email"] == "new@example.org"
    taken = client.patch(ME, json={"email": other.email}, headers=headers)
    assert taken.status_code == 409
    assert "exists already" in taken.json()["detail"]


def test_tokens_are_created_listed_and_revoked(client: TestClient, session: Session) -> None:
    user = make_user(session)
    headers = auth_headers(session, user)
    created = client.post(TOKENS, json={"name": "ci", "expires_in_hours": 2}, headers=headers)
    assert created.status_code == 201
    secret, token_id = created.json()["token"], created.json()["id"]
    assert created.json()["prefix"] == secret[:12]
    listed = client.get(TOKENS, headers=headers).json()
    assert [t["name"] for t in listed] == ["ci", "test"]
    assert all("token" not in t and "token_hash" not in t for t in listed)
    new_headers = {"Authorization": f"Bearer {secret}"}
    assert client.get(ME, headers=new_headers).status_code == 200
    revoked = client.delete(f"{TOKENS}/{token_id}", headers=headers)
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    assert client.get(ME, headers=new_headers).status_code == 401
    assert client.get(ME, headers=headers).status_code == 200


def test_a_user_cannot_revoke_someone_elses_token(client: TestClient, session: Session) -> None:
    owner, other = make_user(session), make_user(session)
    row, _ = issue_token(session, user=owner, name="mine")
    answer = client.delete(f"{TOKENS}/{row.id}", headers=auth_headers(session, other))
    assert answer.status_code == 404
    assert f"you have no token with id {row.id}" in answer.json()["detail"]


def test_token_validation_errors(client: TestClient, session: Session) -> None:
    headers = auth_headers(session, make_user(session))
    answer = client.post(TOKENS, json={"name": "", "expires_in_hours": 0}, headers=headers)
    assert answer.status_code == 422
    assert "body.name" in answer.json()["detail"]
    assert "body.expires_in_hours" in answer.json()["detail"]


def test_expired_tokens_are_refused(client: TestClient, session: Session) -> None:
    user = make_user(session)
    _, secret = issue_token(session, user=user, name="old", expires_at=utcnow() - timedelta(1))
    answer = client.get(ME, headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 401


def test_tokens_of_deactivated_users_stop_working(client: TestClient, session: Session) -> None:
    user = make_user(session)
    headers = auth_headers(session, user)
    user.is_active = False
    session.add(user)
    session.commit()
    assert client.get(ME, headers=headers).status_code == 401


def test_only_admins_set_site_flags(client: TestClient, session: Session) -> None:
    admin = make_user(session, is_admin=True)
    target = make_user(session, username="maker")
    denied = client.patch(
        "/api/v1/users/maker",
        json={"can_create_challenges": True},
        headers=auth_headers(session, target),
    )
    assert denied.status_code == 403
    assert denied.json()["detail"] == "only site administrators can do this"
    allowed = client.patch(
        "/api/v1/users/maker",
        json={"can_create_challenges": True},
        headers=auth_headers(session, admin),
    )
    assert allowed.status_code == 200 and allowed.json()["can_create_challenges"] is True
    missing = client.patch(
        "/api/v1/users/ghost", json={"is_admin": True}, headers=auth_headers(session, admin)
    )
    assert missing.status_code == 404
