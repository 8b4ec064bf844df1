"""Reproduction tolerance, best-so-far history and the CSV export."""

from __future__ import annotations

import csv
import io
import math

import pytest

from leaderboard import InvalidRanking, best_over_time, rank, reproduces, to_csv
from tests.leaderboard.factory import at, entry


@pytest.mark.parametrize(
    ("original", "rerun", "tolerance", "within", "difference"),
    [
        (0.81, 0.82, 0.01, True, 0.01),  # 0.010000000000000009 in floats: still within
        (0.81, 0.8, 0.01, True, -0.01),
        (0.81, 0.8201, 0.01, False, 0.0101),
        (0.81, 0.81, 0.0, True, 0.0),
        (0.81, None, 0.01, False, None),
        (0.81, math.nan, 0.01, False, None),
    ],
)
def test_reproduction_tolerance(
    original: float, rerun: float | None, tolerance: float, within: bool, difference: float | None
) -> None:
    result = reproduces(original, rerun, tolerance)
    assert result.within_tolerance is within
    if difference is None:
        assert result.difference is None
    else:
        assert result.difference == pytest.approx(difference)


def test_negative_tolerance_is_refused() -> None:
    with pytest.raises(InvalidRanking, match="tolerance"):
        reproduces(0.8, 0.8, -0.1)


def test_history_is_the_best_so_far_per_team_and_never_gets_worse() -> None:
    data = [
        entry(1, 1, 0, public={"rmse": 3.0}),
        entry(2, 1, 10, public={"rmse": 2.5}),
        entry(3, 1, 20, public={"rmse": 2.8}),
        entry(4, 1, 30, public={"rmse": None}),
        entry(5, 1, 40, public={"rmse": 1.0}, disqualified=True),
        entry(6, 1, 50, public={"rmse": 2.123456}),
        entry(7, 2, 5, public={"rmse": 4.0}),
        entry(8, 0, 5, public={"rmse": 0.1}, baseline=True),
        entry(9, 2, 70, public={"rmse": 0.5}),
    ]
    history = best_over_time(data, "rmse", greater_is_better=False, phase_end=at(60))
    assert sorted(history) == [1, 2]
    assert [(p.at, p.best) for p in history[1]] == [
        (at(0), 3.0),
        (at(10), 2.5),
        (at(20), 2.5),
        (at(50), 2.1235),
    ]
    assert [(p.at, p.best) for p in history[2]] == [(at(5), 4.0)]
    values = [p.best for p in history[1]]
    assert values == sorted(values, reverse=True)


def test_csv_has_a_header_and_rounded_rows_only() -> None:
    data = [
        entry(
            1,
            1,
            0,
            public={"accuracy": 0.912345, "f1": 0.5},
            interval=(0.9, 0.93333),
            efficiency=(12.5, 30.0, 512.0),
        ),
        entry(2, 0, 1, public={"accuracy": 0.8}, baseline=True, team_name="=HYPERLINK(1)"),
        entry(3, 2, 2, public={"accuracy": None}),
    ]
    board = rank(
        data,
        primary="accuracy",
        secondary=["f1"],
        split="public",
        greater_is_better={"accuracy": True, "f1": True},
        decimals=3,
    )
    lines = list(csv.reader(io.StringIO(to_csv(board))))
    assert lines[0] == [
        "rank",
        "tie_group",
        "team_id",
        "team",
        "submission_id",
        "baseline",
        "accuracy",
        "f1",
        "ci_low",
        "ci_high",
        "wall_seconds",
        "cpu_seconds",
        "peak_memory_mb",
        "submissions",
        "last_submission_at",
    ]
    assert lines[1] == [
        "1",
        "",
        "1",
        "team-1",
        "1",
        "no",
        "0.912",
        "0.500",
        "0.900",
        "0.933",
        "12.5",
        "30.0",
        "512.0",
        "1",
        at(0).isoformat(),
    ]
    assert lines[2][:7] == ["", "", "0", "'=HYPERLINK(1)", "2", "yes", "0.800"]
    assert lines[3][:8] == ["", "", "2", "team-2", "3", "no", "", ""]
    assert len(lines) == 4
    assert "0.912345" not in to_csv(board)
