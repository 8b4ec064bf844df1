"""The Dynascore-style composite on small examples computed by hand."""

from __future__ import annotations

import pytest

from leaderboard import InvalidRanking, Leaderboard, rank
from leaderboard.composite import average_marginal_rate, composite, default_weights
from tests.leaderboard.factory import entry

ACC = {"accuracy": True}


def board() -> Leaderboard:
    data = [
        entry(1, 1, 0, public={"accuracy": 0.90}, efficiency=(10.0, 20.0, 500.0)),
        entry(2, 2, 1, public={"accuracy": 0.80}, efficiency=(4.0, 8.0, 300.0)),
        entry(3, 3, 2, public={"accuracy": 0.70}, efficiency=(2.0, 3.0, 100.0)),
        entry(4, 4, 3, public={"accuracy": 0.85}, efficiency=(None, 5.0, 200.0)),
        entry(5, 0, 4, public={"accuracy": 0.95}, efficiency=(1.0, 1.0, 1.0), baseline=True),
    ]
    return rank(data, primary="accuracy", split="public", greater_is_better=ACC)


# Hand computation for accuracy and wall_seconds (team 4 has no wall time: left out).
# wall' = max(wall) - wall = 10 - wall: A (0.90) 0, B (0.80) 6, C (0.70) 8.
# Sorted by accuracy: C (0.70, 8), B (0.80, 6), A (0.90, 0).
# Rates: |6 - 8| / 0.10 = 20 and |0 - 6| / 0.10 = 60, so AMRS = 40.
# wall' / AMRS: A 0, B 0.15, C 0.20.


def test_average_marginal_rate_by_hand() -> None:
    assert average_marginal_rate([0.90, 0.80, 0.70], [0.0, 6.0, 8.0]) == pytest.approx(40.0)


def test_default_weights_favour_performance_over_efficiency() -> None:
    board_ = board()
    # weights 4 and 1 normalised: 0.8 and 0.2
    # A: 0.8*0.90 + 0.2*0 = 0.72; B: 0.8*0.80 + 0.2*0.15 = 0.67; C: 0.8*0.70 + 0.2*0.20 = 0.60
    rows = composite(board_, {"accuracy": 4, "wall_seconds": 1})
    assert [(r.rank, r.team_id) for r in rows] == [(1, 1), (2, 2), (3, 3), (None, 4)]
    assert [r.score for r in rows[:3]] == pytest.approx([0.72, 0.67, 0.60])
    assert rows[1].contributions == pytest.approx({"accuracy": 0.64, "wall_seconds": 0.03})


def test_equal_weights_let_efficiency_change_the_order() -> None:
    # weights 0.5/0.5: A 0.45, B 0.40 + 0.075 = 0.475, C 0.35 + 0.10 = 0.45 (ties with A at
    # the display precision; A keeps its better leaderboard rank)
    rows = composite(board(), {"accuracy": 1, "wall_seconds": 1})
    assert [(r.rank, r.team_id) for r in rows] == [(1, 2), (2, 1), (3, 3), (None, 4)]
    assert [r.display_score for r in rows] == [0.475, 0.45, 0.45, None]


def test_only_entries_with_every_column_are_ranked() -> None:
    rows = composite(board(), {"accuracy": 4, "cpu_seconds": 1})
    # every team has CPU seconds: team 4 (0.85) is ranked now; baselines never are
    assert {r.team_id for r in rows if r.rank is not None} == {1, 2, 3, 4}
    unranked = composite(board(), {"accuracy": 4, "wall_seconds": 1})[-1]
    assert (unranked.team_id, unranked.missing, unranked.score) == (4, ("wall_seconds",), None)


def test_default_weights_cover_every_efficiency_column() -> None:
    assert default_weights("accuracy") == {
        "accuracy": 4.0,
        "wall_seconds": 1.0,
        "cpu_seconds": 1.0,
        "peak_memory_mb": 1.0,
    }
    rows = composite(board())
    assert [r.team_id for r in rows if r.rank is not None] == [1, 2, 3]


def test_lower_is_better_primary_is_flipped() -> None:
    data = [
        entry(1, 1, 0, public={"rmse": 1.0}, efficiency=(9.0, None, None)),
        entry(2, 2, 1, public={"rmse": 2.0}, efficiency=(3.0, None, None)),
    ]
    board_ = rank(data, primary="rmse", split="public", greater_is_better={"rmse": False})
    # rmse' = 2 - rmse: 1.0, 0.0; wall' = 9 - wall: 0, 6; AMRS = |0 - 6| / 1 = 6
    # weights 1/1: team 1: 0.5*1 + 0.5*0 = 0.5; team 2: 0.5*0 + 0.5*1 = 0.5 -> rank order kept
    rows = composite(board_, {"rmse": 1, "wall_seconds": 1})
    assert [(r.rank, r.team_id, r.score) for r in rows] == [(1, 1, 0.5), (2, 2, 0.5)]


def test_single_model_and_equal_performance_have_no_rate() -> None:
    assert average_marginal_rate([0.5], [3.0]) is None
    assert average_marginal_rate([0.5, 0.5], [3.0, 1.0]) is None
    data = [entry(1, 1, 0, public={"accuracy": 0.8}, efficiency=(5.0, 5.0, 5.0))]
    board_ = rank(data, primary="accuracy", split="public", greater_is_better=ACC)
    (only,) = composite(board_)
    # efficiency cannot be converted to performance points: performance alone, 4/7 * 0.8
    assert only.rank == 1
    assert only.score == pytest.approx(4 / 7 * 0.8)


def test_zero_rate_column_contributes_nothing() -> None:
    data = [
        entry(1, 1, 0, public={"accuracy": 0.9}, efficiency=(5.0, None, None)),
        entry(2, 2, 0, public={"accuracy": 0.8}, efficiency=(5.0, None, None)),
    ]
    board_ = rank(data, primary="accuracy", split="public", greater_is_better=ACC)
    rows = composite(board_, {"accuracy": 1, "wall_seconds": 1})
    assert [r.contributions["wall_seconds"] for r in rows] == [0.0, 0.0]


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"accuracy": 1, "gpu_hours": 1}, "unknown composite column"),
        ({"accuracy": -1}, "negative: accuracy"),
        ({"accuracy": 0, "wall_seconds": 0}, "sum to 0"),
    ],
)
def test_bad_weights_are_refused(weights: dict[str, float], message: str) -> None:
    with pytest.raises(InvalidRanking, match=message):
        composite(board(), weights)
