"""Teams: create, invite, join, leave, size cap, personal teams."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from podium.crud.challenges import phases_of
from podium.crud.teams import get_or_create_personal_team, team_of
from podium.db.models import Challenge, User
from podium.store import Store
from tests.platform.factories import auth_headers, make_challenge, make_submission, make_user


@pytest.fixture
def challenge(session: Session, store: Store, tmp_path: Path) -> Challenge:
    return make_challenge(session, store, tmp_path, slug="teamwork", max_size=2)


def _create(client: TestClient, session: Session, user: User, name: str = "Owls") -> dict:
    answer = client.post(
        "/api/v1/challenges/teamwork/teams",
        json={"name": name},
        headers=auth_headers(session, user),
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def _invite(client: TestClient, session: Session, team_id: int, by: User, who: str) -> int:
    answer = client.post(
        f"/api/v1/teams/{team_id}/invites",
        json={"username": who},
        headers=auth_headers(session, by),
    )
    return answer.status_code


def test_create_makes_the_creator_owner(
    client: TestClient, session: Session, challenge: Challenge
) -> None:
    owner = make_user(session, username="olive")
    body = _create(client, session, owner)
    assert body["name"] == "Owls" and body["challenge"] == "teamwork" and body["max_size"] == 2
    assert body["members"] == [
        {"username": "olive", "role": "owner", "joined_at": body["members"][0]["joined_at"]}
    ]


def test_one_team_per_user_and_unique_names(
    client: TestClient, session: Session, challenge: Challenge
) -> None:
    owner, other = make_user(session), make_user(session)
    _create(client, session, owner)
    again = client.post(
        "/api/v1/challenges/teamwork/teams",
        json={"name": "Larks"},
        headers=auth_headers(session, owner),
    )
    assert again.status_code == 409
    assert "already in team 'Owls'" in again.json()["detail"]
    clash = client.post(
        "/api/v1/challenges/teamwork/teams",
        json={"name": "Owls"},
        headers=auth_headers(session, other),
    )
    assert clash.status_code == 409
    assert "a team named 'Owls' exists" in clash.json()["detail"]


def test_create_validation_and_auth(
    client: TestClient, session: Session, challenge: Challenge
) -> None:
    url = "/api/v1/challenges/teamwork/teams"
    assert client.post(url, json={"name": "X"}).status_code == 401
    headers = auth_headers(session, make_user(session))
    assert client.post(url, json={"name": ""}, headers=headers).status_code == 422
    missing = client.post("/api/v1/challenges/nope/teams", json={"name": "X"}, headers=headers)
    assert missing.status_code == 404


def test_invite_join_and_the_size_cap(
    client: TestClient, session: Session, challenge: Challenge
) -> None:
    owner = make_user(session)
    friend, third = make_user(session, username="friend"), make_user(session, username="third")
    team_id = _create(client, session, owner)["id"]
    assert _invite(client, session, team_id, owner, "friend") == 201
    assert _invite(client, session, team_id, owner, "third") == 201
    invites = client.get("/api/v1/users/me/invites", headers=auth_headers(session, friend)).json()
    assert [(i["team_name"], i["invited_by"]) for i in invites] == [("Owls", owner.username)]
    joined = client.post(f"/api/v1/teams/{team_id}/join", headers=auth_headers(session, friend))
    assert joined.status_code == 200
    assert [m["username"] for m in joined.json()["members"]] == [owner.username, "friend"]
    full = client.post(f"/api/v1/teams/{team_id}/join", headers=auth_headers(session, third))
    assert full.status_code == 409
    assert full.json()["detail"] == (
        "team 'Owls' is full: teamwork allows at most 2 members per team"
    )
    assert _invite(client, session, team_id, owner, make_user(session).username) == 409


def test_only_the_owner_invites_and_only_invitees_join(
    client: TestClient, session: Session, challenge: Challenge
) -> None:
    owner, member, stranger = make_user(session), make_user(session), make_user(session)
    team_id = _create(client, session, owner)["id"]
    _invite(client, session, team_id, owner, member.username)
    client.post(f"/api/v1/teams/{team_id}/join", headers=auth_headers(session, member))
    denied = client.post(
        f"/api/v1/teams/{team_id}/invites",
        json={"username": stranger.username},
        headers=auth_headers(session, member),
    )
    assert denied.status_code == 403
    assert "only the owner of team 'Owls'" in denied.json()["detail"]
    crasher = client.post(f"/api/v1/teams/{team_id}/join", headers=auth_headers(session, stranger))
    assert crasher.status_code == 403
    assert "no pending invitation" in crasher.json()["detail"]
    assert _invite(client, session, team_id, owner, "ghost") == 404
    assert (
        client.post("/api/v1/teams/999/join", headers=auth_headers(session, owner)).status_code
        == 404
    )


def test_joining_needs_leaving_the_current_team_first(
    client: TestClient, session: Session, challenge: Challenge
) -> None:
    owner, other = make_user(session), make_user(session)
    team_id = _create(client, session, owner, "First")["id"]
    _create(client, session, other, "Second")
    _invite(client, session, team_id, owner, other.username)
    answer = client.post(f"/api/v1/teams/{team_id}/join", headers=auth_headers(session, other))
    assert answer.status_code == 409
    assert "leave it first" in answer.json()["detail"]


def test_leaving_hands_ownership_over_and_empty_teams_go(
    client: TestClient, session: Session, challenge: Challenge
) -> None:
    owner, member = make_user(session), make_user(session)
    team_id = _create(client, session, owner)["id"]
    _invite(client, session, team_id, owner, member.username)
    client.post(f"/api/v1/teams/{team_id}/join", headers=auth_headers(session, member))
    left = client.post(f"/api/v1/teams/{team_id}/leave", headers=auth_headers(session, owner))
    assert left.status_code == 204
    team = client.get(f"/api/v1/teams/{team_id}", headers=auth_headers(session, member)).json()
    assert team["members"] == [
        {"username": member.username, "role": "owner", "joined_at": team["members"][0]["joined_at"]}
    ]
    again = client.post(f"/api/v1/teams/{team_id}/leave", headers=auth_headers(session, owner))
    assert again.status_code == 404
    client.post(f"/api/v1/teams/{team_id}/leave", headers=auth_headers(session, member))
    gone = client.get(f"/api/v1/teams/{team_id}", headers=auth_headers(session, member))
    assert gone.status_code == 404


def test_members_who_submitted_cannot_leave(
    client: TestClient, session: Session, challenge: Challenge
) -> None:
    owner = make_user(session)
    team = get_or_create_personal_team(session, owner, challenge)
    make_submission(
        session,
        challenge=challenge,
        phase=phases_of(session, challenge=challenge)[0],
        team=team,
        user=owner,
    )
    answer = client.post(f"/api/v1/teams/{team.id}/leave", headers=auth_headers(session, owner))
    assert answer.status_code == 409
    assert "you have submissions in team" in answer.json()["detail"]


def test_personal_team_is_made_once(session: Session, challenge: Challenge) -> None:
    user = make_user(session, username="solo")
    make_user(session, username="other")
    first = get_or_create_personal_team(session, user, challenge)
    assert first.personal and first.name == "solo"
    assert get_or_create_personal_team(session, user, challenge).id == first.id
    assert team_of(session, user=user, challenge=challenge) == first


def test_personal_team_name_avoids_taken_names(
    client: TestClient, session: Session, challenge: Challenge
) -> None:
    _create(client, session, make_user(session), name="solo")
    user = make_user(session, username="solo")
    assert get_or_create_personal_team(session, user, challenge).name == "solo-solo"


def test_teams_of_unpublished_challenges_are_hidden(
    client: TestClient, session: Session, store: Store, tmp_path: Path
) -> None:
    organiser, stranger = make_user(session), make_user(session)
    draft = make_challenge(session, store, tmp_path, slug="draft", owner=organiser, published=False)
    team = get_or_create_personal_team(session, organiser, draft)
    assert (
        client.get(f"/api/v1/teams/{team.id}", headers=auth_headers(session, stranger)).status_code
        == 404
    )
    listed = client.get("/api/v1/challenges/draft/teams", headers=auth_headers(session, organiser))
    assert [t["name"] for t in listed.json()] == [organiser.username]
