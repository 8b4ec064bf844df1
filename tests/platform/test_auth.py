"""Registration and login."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from podium.api.deps import get_settings_dep
from podium.db.models import ApiToken, User
from podium.settings import Settings
from tests.platform.factories import PASSWORD, make_user

REGISTER = "/api/v1/auth/register"
TOKEN = "/api/v1/auth/token"


def _register(client: TestClient, **overrides: str) -> tuple[int, dict[str, object]]:
    body = {"username": "Ada", "email": "Ada@Example.org", "password": "analytical-1"}
    body.update(overrides)
    answer = client.post(REGISTER, json=body)
    return answer.status_code, answer.json()


def test_register_creates_an_account_with_a_hashed_password(
    client: TestClient, session: Session
) -> None:
    code, body = _register(client)
    assert code == 201
    assert body["username"] == "ada" and body["email"] == "ada@example.org"
    assert "password" not in body and "password_hash" not in body
    user = session.exec(select(User).where(User.username == "ada")).one()
    assert user.password_hash.startswith("$argon2id$")
    assert "analytical-1" not in user.password_hash


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("username", "a", "username must be 3 to 32 characters"),
        ("username", "bad name!", "username must be 3 to 32 characters"),
        ("email", "not-an-email", "email must look like name@example.org"),
        ("password", "short", "at least 8 characters"),
    ],
)
def test_register_rejects_invalid_fields(
    client: TestClient, field: str, value: str, message: str
) -> None:
    code, body = _register(client, **{field: value})
    assert code == 422
    assert message in str(body["detail"])
    assert f"body.{field}" in str(body["detail"])
    assert "short" not in str(body.get("errors")) or field != "password"


def test_register_does_not_echo_the_password_in_errors(client: TestClient) -> None:
    code, body = _register(client, password="seven77")
    assert code == 422
    assert "seven77" not in str(body)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"username": "ADA", "email": "other@example.org"}, "the username 'ada' is taken"),
        ({"username": "other", "email": "ada@EXAMPLE.org"}, "an account with the email"),
    ],
)
def test_duplicate_registration_is_a_clear_409(
    client: TestClient, overrides: dict[str, str], message: str
) -> None:
    assert _register(client)[0] == 201
    code, body = _register(client, **overrides)
    assert code == 409
    assert message in str(body["detail"])


def test_registration_can_be_closed(client: TestClient, app: object, settings: Settings) -> None:
    closed = settings.model_copy(update={"open_registration": False})
    client.app.dependency_overrides[get_settings_dep] = lambda: closed  # type: ignore[attr-defined]
    code, body = _register(client)
    assert code == 403
    assert "registration is closed" in str(body["detail"])


@pytest.mark.parametrize("login", ["ada", "ADA@example.org"])
def test_login_by_username_or_email_returns_a_bearer_token(
    client: TestClient, session: Session, login: str
) -> None:
    _register(client)
    answer = client.post(TOKEN, data={"username": login, "password": "analytical-1"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "bearer"
    assert body["access_token"].startswith("pdm_")
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["username"] == "ada"
    stored = session.exec(select(ApiToken)).one()
    assert stored.token_hash != body["access_token"] and len(stored.token_hash) == 64
    assert stored.expires_at is not None


@pytest.mark.parametrize(
    ("login", "password"), [("ada", "wrong-password"), ("nobody", PASSWORD), ("", "x")]
)
def test_login_fails_with_401_or_422(client: TestClient, login: str, password: str) -> None:
    _register(client)
    answer = client.post(TOKEN, data={"username": login, "password": password})
    if login:
        assert answer.status_code == 401
        assert answer.json() == {"detail": "wrong username/email or password"}
        assert answer.headers["www-authenticate"] == "Bearer"
    else:
        assert answer.status_code == 422


def test_inactive_users_cannot_log_in(client: TestClient, session: Session) -> None:
    make_user(session, username="sleepy", is_active=False)
    answer = client.post(TOKEN, data={"username": "sleepy", "password": PASSWORD})
    assert answer.status_code == 401
