"""The leaderboard through the API, on crafted data with hand-checked rankings."""

from __future__ import annotations

import csv
import io
import math
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from podium.services.board_cache import LeaderboardCache
from podium.store import Store
from tests.platform.leaderboard_helpers import World, make_team, make_world, scored


@pytest.fixture
def world(session: Session, store: Store, tmp_path: Path) -> World:
    return make_world(session, store, tmp_path)


def board(client: TestClient, world: World, who: str = "anonymous", **params: str) -> dict:
    """The board once it shows every change made so far: a read after a change gets the
    previous board and starts its rebuild in the background; the next read, once that rebuild
    has finished, gets the new one."""

    def read() -> dict:
        answer = client.get(
            f"/api/v1/challenges/{world.slug}/leaderboard",
            params=params,
            headers=world.headers[who],
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    read()
    assert get_board_cache_of(client).settle()
    return read()


def get_board_cache_of(client: TestClient) -> LeaderboardCache:
    cache = client.app.state.leaderboard_cache  # type: ignore[attr-defined]
    assert isinstance(cache, LeaderboardCache)
    return cache


def order(answer: dict) -> list[tuple[int | None, str]]:
    return [(e["rank"], e["team"]) for e in answer["entries"]]


def test_best_per_team_with_secondary_tie_break_and_a_marked_baseline(
    client: TestClient, session: Session, world: World
) -> None:
    alpha, beta, gamma = (make_team(session, world, n) for n in ("alpha", "beta", "gamma"))
    organisers = make_team(session, world, "organisers")
    scored(session, world, alpha, 0.30, mae=0.2, minutes=1)
    scored(session, world, alpha, 0.2500004, mae=0.2, minutes=2, wall_seconds=12.5)
    scored(session, world, beta, 0.25, mae=0.1, minutes=3)  # same rmse shown, better mae
    scored(session, world, gamma, 0.40, minutes=4)
    scored(session, world, organisers, 0.35, minutes=0, baseline=True)

    answer = board(client, world)

    assert order(answer) == [(1, "beta"), (2, "alpha"), (None, "organisers"), (3, "gamma")]
    assert (answer["primary"], answer["split"], answer["total"]) == ("rmse", "public", 4)
    beta_row, alpha_row, base_row, _ = answer["entries"]
    assert alpha_row["scores"] == {"rmse": 0.25, "mae": 0.2}  # rounded to 4 decimals
    assert alpha_row["interval"] == {"low": 0.24, "high": 0.26}
    assert alpha_row["efficiency"] == {
        "wall_seconds": 12.5,
        "cpu_seconds": 5.0,
        "peak_memory_mb": 100.0,
    }
    assert alpha_row["submission_count"] == 2
    assert alpha_row["last_submission_at"].startswith("2024-01-01T00:02:00")
    assert base_row["baseline"] is True and base_row["submission_count"] == 0
    assert beta_row["team_id"] == beta.id


def test_adjacent_entries_whose_intervals_overlap_are_statistically_tied(
    client: TestClient, session: Session, world: World
) -> None:
    a, b, c = (make_team(session, world, n) for n in ("a", "b", "c"))
    scored(session, world, a, 0.25, ci=0.05)
    scored(session, world, b, 0.26, ci=0.05)
    scored(session, world, c, 0.60, ci=0.05)

    first, second, third = board(client, world)["entries"]

    sigma = 0.05 / 1.959963984540054
    expected = math.erfc(0.01 / (math.sqrt(2) * math.hypot(sigma, sigma)))  # ≈ 0.78
    assert first["p_value_to_next"] == pytest.approx(expected, abs=1e-4)
    assert (first["tied_with_next"], first["tie_group"], second["tie_group"]) == (True, 1, 1)
    assert (second["tied_with_next"], third["tie_group"]) == (False, 2)
    assert second["p_value_to_next"] < 0.05


def test_private_split_is_for_staff_until_the_organiser_reveals_it(
    client: TestClient, session: Session, world: World
) -> None:
    a, b = make_team(session, world, "a"), make_team(session, world, "b")
    scored(session, world, a, 0.2, private=0.5)
    scored(session, world, b, 0.3, private=0.1)
    url = f"/api/v1/challenges/{world.slug}/leaderboard?split=private"

    for who in ("anonymous", "participant", "outsider"):
        refused = client.get(url, headers=world.headers[who])
        assert refused.status_code == 403
        assert "after the organisers reveal it" in refused.json()["detail"]
    assert order(board(client, world, "judge", split="private")) == [(1, "b"), (2, "a")]
    assert order(board(client, world, "participant")) == [(1, "a"), (2, "b")]

    revealed = client.post(
        f"/api/v1/challenges/{world.slug}/reveal", headers=world.headers["organiser"]
    )
    assert revealed.status_code == 204
    assert order(board(client, world, "participant", split="private")) == [(1, "b"), (2, "a")]


def test_hidden_leaderboards_are_for_staff_only(
    client: TestClient, session: Session, world: World
) -> None:
    world.phase.leaderboard = {**world.phase.leaderboard, "visibility": "hidden"}
    session.add(world.phase)
    session.commit()
    scored(session, world, make_team(session, world, "a"), 0.2)

    refused = client.get(
        f"/api/v1/challenges/{world.slug}/leaderboard", headers=world.headers["participant"]
    )
    assert refused.status_code == 403
    assert "is hidden" in refused.json()["detail"]
    assert order(board(client, world, "judge")) == [(1, "a")]


def test_disqualified_entries_leave_the_board_and_come_back_when_reinstated(
    client: TestClient, session: Session, world: World
) -> None:
    a, b = make_team(session, world, "a"), make_team(session, world, "b")
    best = scored(session, world, a, 0.1, minutes=1)
    scored(session, world, a, 0.3, minutes=2)
    scored(session, world, b, 0.2)
    assert order(board(client, world)) == [(1, "a"), (2, "b")]
    judge = world.headers["judge"]

    out = client.post(
        f"/api/v1/submissions/{best.id}/disqualify",
        json={"reason": "used test labels"},
        headers=judge,
    )
    assert out.status_code == 200, out.text
    assert (out.json()["disqualified"], out.json()["disqualified_reason"]) == (
        True,
        "used test labels",
    )
    after = board(client, world)
    assert order(after) == [(1, "b"), (2, "a")]  # a's next best (0.3) counts now
    assert after["entries"][1]["scores"]["rmse"] == 0.3

    back = client.post(f"/api/v1/submissions/{best.id}/reinstate", headers=judge)
    assert back.status_code == 200 and back.json()["disqualified"] is False
    assert order(board(client, world)) == [(1, "a"), (2, "b")]


def test_submissions_after_the_phase_end_never_change_its_ranking(
    client: TestClient, session: Session, world: World
) -> None:
    world.phase.end = datetime(2024, 1, 2, tzinfo=UTC)
    session.add(world.phase)
    session.commit()
    a, b = make_team(session, world, "a"), make_team(session, world, "b")
    scored(session, world, a, 0.3)
    scored(session, world, b, 0.2)
    scored(session, world, a, 0.01, minutes=2 * 24 * 60)  # two days later: after the end

    assert order(board(client, world, phase=world.phase.name)) == [(1, "b"), (2, "a")]


def test_csv_has_a_header_and_rounded_rows(
    client: TestClient, session: Session, world: World
) -> None:
    scored(session, world, make_team(session, world, "=cmd"), 0.123456, mae=0.1)
    answer = client.get(f"/api/v1/challenges/{world.slug}/leaderboard?format=csv")

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    header, row = list(csv.reader(io.StringIO(answer.text)))
    assert header[:8] == [
        "rank",
        "tie_group",
        "team_id",
        "team",
        "submission_id",
        "baseline",
        "rmse",
        "mae",
    ]
    assert row[0] == "1" and row[3] == "'=cmd"  # no spreadsheet formula
    assert (row[6], row[7]) == ("0.1235", "0.1000")


def test_composite_ranks_on_weighted_performance_and_cost(
    client: TestClient, session: Session, world: World
) -> None:
    # rmse' = 0.3 - rmse: p .2, q .1, r 0; wall' = 30 - wall: p 0, q 20, r 10.
    # AMRS(wall) = mean(|20-10|/.1, |0-20|/.1) = 150; wall'/150: p 0, q .1333, r .0667.
    # weights 1:1 -> p .1, q .1167, r .0333; weights 4:1 -> p .16, q .1067, r .0133.
    for name, rmse, wall in (("p", 0.1, 30.0), ("q", 0.2, 10.0), ("r", 0.3, 20.0)):
        scored(session, world, make_team(session, world, name), rmse, wall_seconds=wall)

    even = board(client, world, weights="rmse:1,wall_seconds:1")
    assert [(c["rank"], c["team"], c["score"]) for c in even["composite"]] == [
        (1, "q", 0.1167),
        (2, "p", 0.1),
        (3, "r", 0.0333),
    ]
    assert even["weights"] == {"rmse": 1.0, "wall_seconds": 1.0}
    leaning = board(client, world, weights="rmse:4,wall_seconds:1")
    assert [c["team"] for c in leaning["composite"]] == ["p", "q", "r"]
    defaults = board(client, world, weights="")
    assert defaults["weights"] == {
        "rmse": 4.0,
        "wall_seconds": 1.0,
        "cpu_seconds": 1.0,
        "peak_memory_mb": 1.0,
    }
    assert "composite" not in board(client, world)


def test_history_is_each_teams_best_so_far(
    client: TestClient, session: Session, world: World
) -> None:
    team = make_team(session, world, "a")
    for minute, value in enumerate((0.4, 0.3, 0.35, 0.2)):
        scored(session, world, team, value, minutes=minute)

    answer = client.get(f"/api/v1/challenges/{world.slug}/leaderboard/history")

    assert answer.status_code == 200
    (only,) = answer.json()["teams"]
    assert [p["best"] for p in only["points"]] == [0.4, 0.3, 0.3, 0.2]
    refused = client.get(f"/api/v1/challenges/{world.slug}/leaderboard/history?split=private")
    assert refused.status_code == 403


def test_a_new_score_shows_at_once_despite_the_cache(
    client: TestClient, session: Session, world: World
) -> None:
    scored(session, world, make_team(session, world, "a"), 0.3)
    assert order(board(client, world)) == [(1, "a")]
    scored(session, world, make_team(session, world, "b"), 0.2)
    assert order(board(client, world)) == [(1, "b"), (2, "a")]


def test_pages_of_entries(client: TestClient, session: Session, world: World) -> None:
    for i in range(5):
        scored(session, world, make_team(session, world, f"t{i}"), 0.1 * (i + 1))
    page = board(client, world, offset="1", limit="2")
    assert (page["total"], page["offset"], page["limit"]) == (5, 1, 2)
    assert order(page) == [(2, "t1"), (3, "t2")]


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("?phase=final", 404, "no phase 'final'"),
        ("?split=all", 422, "unknown split 'all'"),
        ("?weights=rmse", 422, "is not name:number"),
        ("?weights=speed:1", 422, "unknown composite column(s) speed"),
        ("?format=xml", 422, "format"),
    ],
)
def test_bad_requests_say_what_is_wrong(
    client: TestClient, world: World, query: str, status: int, message: str
) -> None:
    answer = client.get(f"/api/v1/challenges/{world.slug}/leaderboard{query}")
    assert answer.status_code == status
    assert message in answer.json()["detail"]


def test_unknown_challenge_is_404(client: TestClient) -> None:
    answer = client.get("/api/v1/challenges/nope/leaderboard")
    assert answer.status_code == 404 and "no challenge 'nope'" in answer.json()["detail"]
