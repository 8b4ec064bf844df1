"""One phase rule for the judging page and the API: during the development phase both rank it,
both publish it, and every view names its phase and its teams (issue 12, item 1)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from podium.db.models.judging import PublishedRanking
from tests.platform.factories import auth_headers
from tests.web.conftest import csrf_of, log_in
from tests.web.data import HOSTILE_TEAM, SLUG, World

API = f"/api/v1/challenges/{SLUG}"
TEAMS = {"Alpha team", "Beta & co", HOSTILE_TEAM}


def _score(client: TestClient, headers: dict[str, str], team_id: int | None) -> None:
    body = {"team_id": team_id, "scores": [{"criterion": "report", "points": 6}]}
    answer = client.put(f"{API}/rubric-scores", json=body, headers=headers)
    assert answer.status_code == 200, answer.text


def _final(client: TestClient, headers: dict[str, str], **query: str) -> dict[str, Any]:
    answer = client.get(f"{API}/final-ranking", params=query, headers=headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_page_and_api_rank_and_publish_the_phase_open_now(
    client: TestClient, world: World, session: Session
) -> None:
    judge = auth_headers(session, world.judge)
    _score(client, judge, world.teams["alpha"].id)
    ranking = _final(client, judge)
    assert ranking["phase"] == "development"  # the phase open now, not the last one
    assert {e["team"] for e in ranking["entries"]} == TEAMS
    assert all(e["leaderboard_score"] is not None for e in ranking["entries"])

    log_in(client, "judy")
    page = client.get(f"/challenges/{SLUG}/judging")
    assert "Private leaderboard · development" in page.text
    assert "Final ranking · development" in page.text
    assert 'name="phase" value="development"' in page.text
    assert '<a href="?phase=development" aria-current="page">development</a>' in page.text
    assert '<a href="?phase=final">final</a>' in page.text  # the other phase, one click away

    organiser = auth_headers(session, world.organiser)
    published = client.post(f"{API}/publish", json={"reveal": True}, headers=organiser)
    assert published.status_code == 201, published.text
    assert published.json()["phase"] == "development"
    row = session.exec(select(PublishedRanking)).one()
    assert row.phase == "development" and row.ranking["phase"] == "development"


def test_a_named_phase_is_shown_with_team_names_never_ids(
    client: TestClient, world: World, session: Session
) -> None:
    judge = auth_headers(session, world.judge)
    _score(client, judge, world.teams["alpha"].id)
    _score(client, judge, world.teams["beta"].id)
    final = _final(client, judge, phase="final")  # judged teams, nobody submitted there yet
    assert final["phase"] == "final"
    names = [e["team"] for e in final["entries"]]
    assert sorted(names) == ["Alpha team", "Beta & co"]
    assert all(e["leaderboard_score"] is None for e in final["entries"])
    assert not any(name.startswith("team ") for name in names)

    log_in(client, "judy")
    page = client.get(f"/challenges/{SLUG}/judging?phase=final")
    assert "Final ranking · final" in page.text and "Alpha team" in page.text
    assert '<a href="?phase=final" aria-current="page">final</a>' in page.text


def test_everyone_reads_the_published_phase_and_is_told_when_another_is_not(
    client: TestClient, world: World, session: Session
) -> None:
    organiser = auth_headers(session, world.organiser)
    answer = client.post(f"{API}/publish?phase=development", json={"reveal": True},
                         headers=organiser)  # fmt: skip
    assert answer.status_code == 201, answer.text
    assert client.get(f"{API}/final-ranking").json()["phase"] == "development"
    refused = client.get(f"{API}/final-ranking", params={"phase": "final"})
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        f"the final ranking of {SLUG} is not published yet for phase 'final'; "
        "its judges and organisers see it meanwhile"
    )
    unknown = client.get(f"{API}/final-ranking", params={"phase": "nope"}, headers=organiser)
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == (
        f"no phase 'nope' in {SLUG}; phases: 'development', 'final'"
    )
    log_in(client, "orga")
    page = client.get(f"/challenges/{SLUG}/judging")
    form = {"csrf_token": csrf_of(page.text), "phase": "development"}
    assert client.post(f"/challenges/{SLUG}/judging/publish", data=form).status_code == 200
    versions = session.exec(select(PublishedRanking.phase)).all()
    assert versions == ["development", "development"]
