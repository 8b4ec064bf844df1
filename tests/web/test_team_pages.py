"""Team pages: create with a profile, invite, accept, decline, leave; the API's rules on them;
who sees a profile; leaderboards filtered by country and category where the challenge says so."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from podium.db.models import Team, TeamInvite
from podium.store import Store
from tests.platform.factories import auth_headers, make_user
from tests.web.conftest import csrf_of, log_in
from tests.web.data import HOSTILE_TEAM, SLUG, World, build_world

CHALLENGE = f"/challenges/{SLUG}"


def _post(client: TestClient, url: str, page: str, **form: str) -> tuple[int, str]:
    token = csrf_of(client.get(page).text)
    answer = client.post(url, data={"csrf_token": token, **form}, follow_redirects=True)
    return answer.status_code, answer.text


def _team_id(session: Session, name: str) -> int:
    session.expire_all()
    team = session.exec(select(Team).where(Team.name == name)).one()
    assert team.id is not None
    return team.id


def test_a_team_is_formed_in_the_browser(
    client: TestClient, world: World, session: Session
) -> None:
    make_user(session, username="ana")
    make_user(session, username="ben")
    owner = client
    log_in(owner, "ana")
    assert "create a team" in owner.get(CHALLENGE).text
    status, text = _post(
        owner, f"{CHALLENGE}/teams", f"{CHALLENGE}/team",
        name="Nairobi <ML>", affiliation="University of Nairobi", country="ke", category="student",
    )  # fmt: skip
    assert status == 200 and "Nairobi &lt;ML&gt;" in text and "University of Nairobi" in text
    team_id = _team_id(session, "Nairobi <ML>")
    status, text = _post(owner, f"/teams/{team_id}/invites", f"/teams/{team_id}", username="ben")
    assert status == 200 and 'id="pending-invites"' in text and "ben" in text

    member = TestClient(client.app)
    log_in(member, "ben")
    invites = member.get("/me/teams").text
    assert f'data-team-id="{team_id}"' in invites and "Nairobi &lt;ML&gt;" in invites
    status, text = _post(member, f"/teams/{team_id}/join", "/me/teams")
    assert status == 200 and text.count('class="member"') == 2
    assert "Your team: <a" in member.get(CHALLENGE).text
    # the API sees the same team
    api = member.get(f"/api/v1/teams/{team_id}", headers=auth_headers(session, world.student))
    assert [m["username"] for m in api.json()["members"]] == ["ana", "ben"]
    status, text = _post(member, f"/teams/{team_id}/leave", f"/teams/{team_id}")
    assert status == 200 and "You are in no team yet" in text


def test_declining_removes_the_invitation(
    client: TestClient, world: World, session: Session
) -> None:
    alpha = world.teams["alpha"].id
    log_in(client, "stud")
    _post(client, f"/teams/{alpha}/invites", f"/teams/{alpha}", username="outsider")
    outsider = TestClient(client.app)
    log_in(outsider, "outsider")
    assert "Accept the invitation" in outsider.get(f"/teams/{alpha}").text
    status, text = _post(outsider, f"/teams/{alpha}/decline", "/me/teams")
    assert status == 200 and "No invitation waiting" in text
    assert session.exec(select(TeamInvite).where(TeamInvite.team_id == alpha)).first() is None
    status, text = _post(outsider, f"/teams/{alpha}/join", "/me/teams")
    assert status == 403 and "no pending invitation" in text


def test_the_apis_team_rules_hold_on_the_pages(
    client: TestClient, world: World, session: Session
) -> None:
    alpha, beta = world.teams["alpha"].id, world.teams["beta"].id
    log_in(client, "rival")  # owner of beta, not of alpha
    status, text = _post(client, f"/teams/{alpha}/invites", f"/teams/{alpha}", username="outsider")
    assert status == 403 and "only the owner" in text
    status, text = _post(client, f"{CHALLENGE}/teams", "/me/teams", name="Second team")
    assert status == 409 and "one team per challenge" in text
    judge = TestClient(client.app)
    log_in(judge, "judy")
    status, _ = _post(judge, f"{CHALLENGE}/teams", "/me/teams", name="Judges team")
    assert status == 403
    for n in range(3):  # the example allows 3 members: beta has 1
        make_user(session, username=f"extra{n}")
    for n in range(2):
        _post(client, f"/teams/{beta}/invites", f"/teams/{beta}", username=f"extra{n}")
        joiner = TestClient(client.app)
        log_in(joiner, f"extra{n}")
        assert _post(joiner, f"/teams/{beta}/join", "/me/teams")[0] == 200
    status, text = _post(client, f"/teams/{beta}/invites", f"/teams/{beta}", username="extra2")
    assert status == 409 and "is full" in text
    status, text = _post(client, f"/teams/{beta}/profile", f"/teams/{beta}", country="ZZ")
    assert status == 422 and "is not an ISO 3166-1 alpha-2 code" in text


def test_a_hostile_team_name_and_profile_are_escaped(
    client: TestClient, world: World, session: Session
) -> None:
    evil = world.teams["evil"]
    log_in(client, "hacker")
    _post(
        client,
        f"/teams/{evil.id}/profile",
        f"/teams/{evil.id}",
        affiliation="<img src=x onerror=alert(1)>",
    )
    page = client.get(f"/teams/{evil.id}").text
    assert HOSTILE_TEAM not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_a_profile_is_private_unless_the_challenge_shows_it(
    client: TestClient, world: World, session: Session
) -> None:
    alpha = world.teams["alpha"]
    log_in(client, "stud")
    _post(
        client, f"/teams/{alpha.id}/profile", f"/teams/{alpha.id}", country="KE", category="student"
    )
    mine = client.get(f"/api/v1/teams/{alpha.id}", headers=auth_headers(session, world.student))
    assert (mine.json()["country"], mine.json()["category"]) == ("KE", "student")
    theirs = client.get(f"/api/v1/teams/{alpha.id}", headers=auth_headers(session, world.rival))
    assert (theirs.json()["country"], theirs.json()["category"]) == ("", "")
    staff = client.get(f"/api/v1/teams/{alpha.id}", headers=auth_headers(session, world.judge))
    assert staff.json()["country"] == "KE"
    board = client.get(f"/api/v1/challenges/{SLUG}/leaderboard", params={"country": "KE"})
    assert board.status_code == 422 and "does not show teams' countries" in board.text
    assert client.get(CHALLENGE, params={"country": "KE"}).status_code == 422
    assert 'name="country"' not in client.get(CHALLENGE).text.split('id="leaderboard"')[1]


@pytest.fixture
def shown(session: Session, store: Store, built_example: Path, tmp_path: Path) -> World:
    """The world on a copy of the example whose bundle shows team profiles."""
    copy = tmp_path / "shown"
    shutil.copytree(built_example, copy)
    spec = yaml.safe_load((copy / "challenge.yaml").read_text())
    spec["teams"]["show_profile"] = True
    (copy / "challenge.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    world = build_world(session, store, copy, tmp_path)
    for key, country, category in (("alpha", "KE", "student"), ("beta", "BR", "professional")):
        team = world.teams[key]
        team.country, team.category = country, category
        session.add(team)
    session.commit()
    return world


def test_leaderboards_filter_by_country_and_category_where_shown(
    client: TestClient, shown: World
) -> None:
    url = f"/api/v1/challenges/{SLUG}/leaderboard"
    every = client.get(url).json()
    ranks = {e["team"]: e["rank"] for e in every["entries"]}
    kenya = client.get(url, params={"country": "ke"}).json()
    assert [(e["team"], e["rank"]) for e in kenya["entries"]] == [
        ("Alpha team", ranks["Alpha team"])
    ]
    assert kenya["total"] == 1
    professional = client.get(url, params={"category": "professional"}).json()
    assert [e["team"] for e in professional["entries"]] == ["Beta & co"]
    assert client.get(url, params={"country": "BR", "category": "student"}).json()["entries"] == []
    assert client.get(url, params={"country": "ZZ"}).status_code == 422
    csv = client.get(url, params={"country": "BR", "format": "csv"}).text
    assert "Beta & co" in csv and "Alpha team" not in csv
    page = client.get(CHALLENGE, params={"country": "KE"}).text
    table = page.split('class="board"')[1]
    assert "Alpha team" in table and "Beta &amp; co" not in table
    assert '<td class="country"' in table and ">student<" in table
    assert '<option value="KE" selected>Kenya</option>' in page


def test_the_api_changes_a_profile_for_the_owner_and_declines_invitations(
    client: TestClient, world: World, session: Session
) -> None:
    alpha = world.teams["alpha"].id
    owner, rival = auth_headers(session, world.student), auth_headers(session, world.rival)
    answer = client.patch(f"/api/v1/teams/{alpha}", json={"country": "br"}, headers=rival)
    assert answer.status_code == 403 and "only the owner" in answer.json()["detail"]
    answer = client.patch(f"/api/v1/teams/{alpha}", json={"country": "XX"}, headers=owner)
    assert answer.status_code == 422
    answer = client.patch(
        f"/api/v1/teams/{alpha}", json={"country": "br", "affiliation": "USP"}, headers=owner
    )
    assert (answer.json()["country"], answer.json()["affiliation"]) == ("BR", "USP")
    outsider = auth_headers(session, world.outsider)
    assert client.post(f"/api/v1/teams/{alpha}/decline", headers=outsider).status_code == 404
    client.post(f"/api/v1/teams/{alpha}/invites", json={"username": "outsider"}, headers=owner)
    assert client.post(f"/api/v1/teams/{alpha}/decline", headers=outsider).status_code == 204
    assert client.get("/api/v1/users/me/invites", headers=outsider).json() == []
