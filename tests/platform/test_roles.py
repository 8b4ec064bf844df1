"""Per-challenge roles granted by organisers and admins."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session

from podium.crud.roles import roles_of
from podium.db.models import ChallengeRoleKind
from podium.store import Store
from tests.platform.factories import auth_headers, make_challenge, make_user


def test_organisers_grant_list_and_revoke_roles(
    client: TestClient, session: Session, store: Store, tmp_path: Path
) -> None:
    organiser, judge = make_user(session), make_user(session, username="judy")
    challenge = make_challenge(session, store, tmp_path, slug="judged", owner=organiser)
    headers = auth_headers(session, organiser)
    url = "/api/v1/challenges/judged/roles"
    granted = client.post(url, json={"username": "judy", "role": "judge"}, headers=headers)
    assert granted.status_code == 201 and granted.json()["role"] == "judge"
    assert roles_of(session, user=judge, challenge=challenge) == {ChallengeRoleKind.JUDGE}
    listed = client.get(url, headers=headers).json()
    assert [(r["username"], r["role"]) for r in listed] == [
        (organiser.username, "organiser"),
        ("judy", "judge"),
    ]
    assert client.delete(f"{url}/judy/judge", headers=headers).status_code == 204
    assert roles_of(session, user=judge, challenge=challenge) == set()
    assert client.delete(f"{url}/judy/judge", headers=headers).status_code == 404


def test_participants_and_judges_cannot_grant(
    client: TestClient, session: Session, store: Store, tmp_path: Path
) -> None:
    organiser, judge, participant = make_user(session), make_user(session), make_user(session)
    make_challenge(session, store, tmp_path, slug="judged", owner=organiser)
    url = "/api/v1/challenges/judged/roles"
    client.post(
        url,
        json={"username": judge.username, "role": "judge"},
        headers=auth_headers(session, organiser),
    )
    body = {"username": participant.username, "role": "organiser"}
    assert client.post(url, json=body).status_code == 401
    for user in (participant, judge):
        answer = client.post(url, json=body, headers=auth_headers(session, user))
        assert answer.status_code == 403
        assert "only organisers of judged" in answer.json()["detail"]


def test_admins_grant_anywhere_and_bad_input_is_clear(
    client: TestClient, session: Session, store: Store, tmp_path: Path
) -> None:
    admin, user = make_user(session, is_admin=True), make_user(session)
    make_challenge(session, store, tmp_path, slug="judged")
    headers = auth_headers(session, admin)
    url = "/api/v1/challenges/judged/roles"
    ok = client.post(url, json={"username": user.username, "role": "organiser"}, headers=headers)
    assert ok.status_code == 201
    bad_role = client.post(url, json={"username": user.username, "role": "king"}, headers=headers)
    assert bad_role.status_code == 422 and "body.role" in bad_role.json()["detail"]
    ghost = client.post(url, json={"username": "ghost", "role": "judge"}, headers=headers)
    assert ghost.status_code == 404 and "no user named 'ghost'" in ghost.json()["detail"]
