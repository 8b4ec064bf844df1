"""Who may use each judges' endpoint: 401 anonymous, 403 participants and other judges, 404."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from podium.store import Store
from tests.platform.leaderboard_helpers import World, make_team, make_world, scored

STAFF_ONLY: list[tuple[str, str, Any]] = [
    ("GET", "/challenges/{slug}/rubric-scores", None),
    (
        "PUT",
        "/challenges/{slug}/rubric-scores",
        {"team_id": 1, "scores": [{"criterion": "demo", "points": 1}]},
    ),
    ("GET", "/challenges/{slug}/audit-log", None),
]
ORGANISER_ONLY: list[tuple[str, str, Any]] = [
    ("POST", "/challenges/{slug}/publish", None),
    ("POST", "/challenges/{slug}/reveal", None),
]
ON_SUBMISSIONS: list[tuple[str, str, Any]] = [
    ("POST", "/submissions/{sid}/disqualify", {"reason": "r"}),
    ("POST", "/submissions/{sid}/reinstate", None),
    ("POST", "/submissions/{sid}/reproduce", None),
    ("GET", "/submissions/{sid}/reproduction", None),
]


@pytest.fixture
def world(session: Session, store: Store, tmp_path: Path) -> World:
    return make_world(session, store, tmp_path)


@pytest.fixture
def sid(session: Session, world: World) -> int:
    team = make_team(session, world, "mine", [world.participant])
    submission = scored(session, world, team, 0.3)
    assert submission.id is not None
    return submission.id


def call(
    client: TestClient, world: World, who: str, method: str, path: str, body: Any, **names: Any
) -> Any:
    url = "/api/v1" + path.format(slug=names.get("slug", world.slug), sid=names.get("sid", 0))
    return client.request(method, url, json=body, headers=world.headers[who])


@pytest.mark.parametrize(("method", "path", "body"), STAFF_ONLY + ORGANISER_ONLY)
def test_challenge_endpoints_refuse_everyone_but_staff(
    client: TestClient, world: World, method: str, path: str, body: Any
) -> None:
    anonymous = call(client, world, "anonymous", method, path, body)
    assert anonymous.status_code == 401 and "log in first" in anonymous.json()["detail"]
    for who in ("participant", "outsider"):
        refused = call(client, world, who, method, path, body)
        assert refused.status_code == 403, (who, refused.text)
        assert f"of {world.slug} (or an admin) can do this" in refused.json()["detail"]
    unknown = call(client, world, "organiser", method, path, body, slug="no-such")
    assert unknown.status_code == 404 and "no challenge 'no-such'" in unknown.json()["detail"]


@pytest.mark.parametrize(("method", "path", "body"), ORGANISER_ONLY)
def test_publishing_and_revealing_are_for_organisers_not_judges(
    client: TestClient, world: World, method: str, path: str, body: Any
) -> None:
    refused = call(client, world, "judge", method, path, body)
    assert refused.status_code == 403
    assert f"only organisers of {world.slug}" in refused.json()["detail"]


@pytest.mark.parametrize(("method", "path", "body"), ON_SUBMISSIONS)
def test_submission_endpoints_refuse_everyone_but_staff(
    client: TestClient, world: World, sid: int, method: str, path: str, body: Any
) -> None:
    anonymous = call(client, world, "anonymous", method, path, body, sid=sid)
    assert anonymous.status_code == 401
    own = call(client, world, "participant", method, path, body, sid=sid)  # their team's
    assert own.status_code == 403, own.text
    assert "only judges and organisers" in own.json()["detail"]
    # a judge of another challenge learns nothing: 404 for this id as for an unknown one
    for who, target in (("outsider", sid), ("judge", 999_999), ("outsider", 999_999)):
        unknown = call(client, world, who, method, path, body, sid=target)
        assert unknown.status_code == 404, (who, target, unknown.text)
        assert unknown.json()["detail"] == f"no submission {target} that you can see"


def test_submissions_of_an_unpublished_challenge_are_not_revealed(
    client: TestClient, session: Session, world: World, sid: int
) -> None:
    world.challenge.published = False
    session.add(world.challenge)
    session.commit()
    answer = client.post(f"/api/v1/submissions/{sid}/reinstate", headers=world.headers["outsider"])
    assert answer.status_code == 404


def test_final_ranking_and_published_need_no_login_but_a_known_challenge(
    client: TestClient, world: World
) -> None:
    early = client.get(f"/api/v1/challenges/{world.slug}/final-ranking")
    assert early.status_code == 403 and "not published yet" in early.json()["detail"]
    nothing = client.get(f"/api/v1/challenges/{world.slug}/published")
    assert nothing.status_code == 404 and "has published nothing yet" in nothing.json()["detail"]
    for path in ("final-ranking", "published", "leaderboard", "leaderboard/history"):
        assert client.get(f"/api/v1/challenges/no-such/{path}").status_code == 404
