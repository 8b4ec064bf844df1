"""Every API answer is described in the OpenAPI schema, and the answers are what it says.

The leaderboard and its history are answered as bytes made when the ranking was built (no model
is serialised per request), so these tests read the JSON back through the response models: a
field the model lacks, or one the answer lacks, fails.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from sqlmodel import Session

from podium.api.deps import get_rerun
from podium.services.board_models import (
    FinalRanking,
    HistoryOut,
    LeaderboardOut,
    PublishedOut,
    ReproductionOut,
)
from podium.store import Store
from tests.platform.leaderboard_helpers import World, make_team, make_world, scored

JSON = "application/json"


def _undescribed(schema: dict[str, Any] | None) -> bool:
    """No schema, an empty one, or a bare object that names none of its fields."""
    if not schema:
        return True
    if schema.get("type") == "object" and not schema.get("properties"):
        return schema.get("additionalProperties", True) in (True, {})
    return False


def _problems(openapi: dict[str, Any]) -> list[str]:
    found = []
    for path, item in openapi["paths"].items():
        for method, operation in item.items():
            for code, answer in operation["responses"].items():
                if not code.startswith("2") or code == "204":
                    continue
                content = answer.get("content") or {}
                if not content:
                    found.append(f"{method.upper()} {path} {code}: no content")
                for media, body in content.items():
                    if _undescribed(body.get("schema")):
                        found.append(f"{method.upper()} {path} {code} {media}: no schema")
    return found


def test_every_successful_answer_has_a_schema(app: FastAPI) -> None:
    assert _problems(app.openapi()) == []


def test_the_schema_check_finds_a_free_form_answer() -> None:
    free = {"schema": {"type": "object", "additionalProperties": True}}
    openapi = {
        "paths": {
            "/a": {"get": {"responses": {"200": {"content": {JSON: free}}}}},
            "/b": {"get": {"responses": {"200": {"description": "no content"}}}},
            "/c": {"post": {"responses": {"204": {"description": "nothing, as it should"}}}},
            "/d": {"get": {"responses": {"200": {"content": {JSON: {"schema": {}}}}}}},
        }
    }
    assert _problems(openapi) == [
        f"GET /a 200 {JSON}: no schema",
        "GET /b 200: no content",
        f"GET /d 200 {JSON}: no schema",
    ]


def test_the_leaderboard_documents_its_json_and_its_csv(app: FastAPI) -> None:
    content = app.openapi()["paths"]["/api/v1/challenges/{slug}/leaderboard"]["get"]
    answers = content["responses"]["200"]["content"]
    assert answers[JSON]["schema"] == {"$ref": "#/components/schemas/LeaderboardOut"}
    assert answers["text/csv"]["schema"] == {"type": "string"}


def exactly(kind: Any, body: bytes) -> Any:
    """``body`` read through ``kind``, checking that it holds exactly the model's fields."""
    adapter: TypeAdapter[Any] = TypeAdapter(kind)
    value = adapter.validate_json(body)
    assert adapter.dump_python(value, mode="json", exclude_unset=True) == json.loads(body)
    return value


@pytest.fixture
def world(session: Session, store: Store, tmp_path: Path) -> World:
    world = make_world(session, store, tmp_path)
    scored(session, world, make_team(session, world, "a"), 0.2, minutes=1)
    scored(session, world, make_team(session, world, "b"), 0.3, minutes=2)
    return world


def test_leaderboard_answers_are_their_model_on_every_path(
    client: TestClient, world: World
) -> None:
    url = f"/api/v1/challenges/{world.slug}/leaderboard"
    built = client.get(url)  # builds the ranking (the full path)
    cached = client.get(url)  # anonymous, cached: straight from the cached bytes
    staff = client.get(url, params={"split": "private"}, headers=world.headers["judge"])
    weighted = client.get(url, params={"weights": "rmse:4,wall_seconds:1"})

    for answer in (built, cached, staff, weighted):
        assert answer.status_code == 200, answer.text
    assert cached.content == built.content
    board = exactly(LeaderboardOut, cached.content)
    assert [(e.rank, e.team) for e in board.entries] == [(1, "a"), (2, "b")]
    assert board.weights is None and "composite" not in cached.json()
    assert exactly(LeaderboardOut, staff.content).split == "private"
    composite = exactly(LeaderboardOut, weighted.content)
    assert composite.weights == {"rmse": 4.0, "wall_seconds": 1.0}
    assert [c.team for c in composite.composite or []] == ["a", "b"]


def test_history_is_its_model(client: TestClient, world: World) -> None:
    answer = client.get(f"/api/v1/challenges/{world.slug}/leaderboard/history")
    assert answer.status_code == 200
    history = exactly(HistoryOut, answer.content)
    assert [(t.team, [p.best for p in t.points]) for t in history.teams] == [
        ("a", [0.2]),
        ("b", [0.3]),
    ]


@pytest.mark.parametrize("judged", [True, False], ids=["judged", "plain"])
def test_final_and_published_rankings_are_their_models(
    client: TestClient, session: Session, store: Store, tmp_path: Path, judged: bool
) -> None:
    world = make_world(session, store, tmp_path, judging=judged)
    scored(session, world, make_team(session, world, "a"), 0.2)
    organiser = world.headers["organiser"]
    base = f"/api/v1/challenges/{world.slug}"

    final = client.get(f"{base}/final-ranking", headers=organiser)
    assert final.status_code == 200, final.text
    ranking = exactly(FinalRanking, final.content)
    assert (ranking.judged, [e.team for e in ranking.entries]) == (judged, ["a"])
    published = client.post(f"{base}/publish", json={"reveal": True}, headers=organiser)
    assert published.status_code == 201, published.text
    assert exactly(PublishedOut, published.content).ranking == ranking
    read = client.get(f"{base}/published")
    assert exactly(PublishedOut, read.content).ranking == ranking
    everyone = client.get(f"{base}/final-ranking")  # anonymous: the published version
    assert exactly(FinalRanking, everyone.content) == ranking


def test_reproductions_are_their_model(
    client: TestClient, app: FastAPI, session: Session, world: World
) -> None:
    app.dependency_overrides[get_rerun] = lambda: lambda session, _: session.commit()
    submission = scored(session, world, make_team(session, world, "c"), 0.25)
    url = f"/api/v1/submissions/{submission.id}"

    started = client.post(f"{url}/reproduce", headers=world.headers["judge"])
    assert started.status_code == 202, started.text
    read = client.get(f"{url}/reproduction", headers=world.headers["judge"])
    assert exactly(ReproductionOut, started.content) == exactly(ReproductionOut, read.content)
    assert exactly(ReproductionOut, read.content).state == "pending"
