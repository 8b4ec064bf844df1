"""Rankings on crafted data; every expected order below was worked out by hand."""

from __future__ import annotations

import math

import pytest

from leaderboard import (
    InvalidRanking,
    Leaderboard,
    RankingRule,
    rank,
    visible_splits,
)
from tests.leaderboard.factory import at, entry

ACC = {"accuracy": True}


def order(board: Leaderboard) -> list[tuple[int | None, int]]:
    """(rank, submission id) from the top of the table."""
    return [(e.rank, e.submission_id) for e in board.entries]


def rules_data() -> list:
    return [
        entry(1, 1, 0, public={"accuracy": 0.70}),
        entry(2, 1, 10, public={"accuracy": 0.90}),
        entry(3, 1, 20, public={"accuracy": 0.80}),
        entry(4, 2, 5, public={"accuracy": 0.85}),
        entry(5, 2, 15, public={"accuracy": 0.60}, selected=True),
        entry(6, 3, 1, public={"accuracy": 0.75}, selected=True),
        entry(7, 3, 30, public={"accuracy": 0.95}, selected=True),
        entry(8, 3, 31, public={"accuracy": 0.50}),
    ]


def test_best_rule_takes_each_teams_best_submission() -> None:
    board = rank(rules_data(), primary="accuracy", split="public", greater_is_better=ACC)
    # team 3: 0.95 (s7), team 1: 0.90 (s2), team 2: 0.85 (s4)
    assert order(board) == [(1, 7), (2, 2), (3, 4)]


def test_latest_rule_takes_each_teams_latest_scored_submission() -> None:
    board = rank(
        rules_data(),
        primary="accuracy",
        split="public",
        greater_is_better=ACC,
        rule=RankingRule("latest"),
    )
    # team 1: s3 0.80, team 2: s5 0.60, team 3: s8 0.50
    assert order(board) == [(1, 3), (2, 5), (3, 8)]


def test_selected_rule_takes_the_best_selected_and_falls_back_to_the_best() -> None:
    board = rank(
        rules_data(),
        primary="accuracy",
        split="public",
        greater_is_better=ACC,
        rule=RankingRule("selected", max_selected=2),
    )
    # team 3 selected s6 (0.75), s7 (0.95): s7; team 1 selected none: its best, s2 (0.90);
    # team 2 selected s5 (0.60) although s4 (0.85) is better: s5 counts.
    assert order(board) == [(1, 7), (2, 2), (3, 5)]


def test_selected_rule_counts_only_the_earliest_max_selected() -> None:
    board = rank(
        rules_data(),
        primary="accuracy",
        split="public",
        greater_is_better=ACC,
        rule=RankingRule("selected", max_selected=1),
    )
    # team 3 marked two, only the earlier s6 (0.75) counts; team 1: s2 0.90; team 2: s5 0.60
    assert order(board) == [(1, 2), (2, 6), (3, 5)]


def test_selected_rule_needs_a_limit() -> None:
    with pytest.raises(InvalidRanking, match="max_selected"):
        RankingRule("selected")


def test_lower_is_better_metric_ranks_the_smallest_first() -> None:
    data = [
        entry(1, 1, 0, public={"rmse": 1.5}),
        entry(2, 2, 1, public={"rmse": 1.2}),
        entry(3, 3, 2, public={"rmse": 2.0}),
    ]
    low = rank(data, primary="rmse", split="public", greater_is_better={"rmse": False})
    high = rank(data, primary="rmse", split="public", greater_is_better={"rmse": True})
    assert order(low) == [(1, 2), (2, 1), (3, 3)]
    assert order(high) == [(1, 3), (2, 1), (3, 2)]


def test_best_rule_with_lower_is_better_picks_the_smallest_per_team() -> None:
    data = [
        entry(1, 1, 0, public={"rmse": 3.0}),
        entry(2, 1, 5, public={"rmse": 2.0}),
        entry(3, 2, 1, public={"rmse": 2.5}),
    ]
    board = rank(data, primary="rmse", split="public", greater_is_better={"rmse": False})
    assert order(board) == [(1, 2), (2, 3)]


def test_ties_at_display_precision_go_to_the_secondary_metric_then_to_time() -> None:
    data = [
        # raw 0.81234 beats 0.81226, but both show 0.8123: the order must not reveal more
        entry(1, 1, 0, public={"accuracy": 0.81234, "f1": 0.70}),
        entry(2, 2, 10, public={"accuracy": 0.81226, "f1": 0.72}),
        entry(3, 3, 5, public={"accuracy": 0.8123, "f1": 0.72}),
        entry(4, 4, 1, public={"accuracy": 0.8123, "f1": None}),
    ]
    board = rank(
        data,
        primary="accuracy",
        secondary=["f1"],
        split="public",
        greater_is_better={"accuracy": True, "f1": True},
    )
    # f1 0.72 (team 3 earlier, then team 2), 0.70 (team 1), missing f1 counts as worst
    assert order(board) == [(1, 3), (2, 2), (3, 1), (4, 4)]


def test_identical_keys_and_time_share_a_competition_rank() -> None:
    data = [
        entry(1, 1, 0, public={"accuracy": 0.9}),
        entry(2, 2, 0, public={"accuracy": 0.9}),
        entry(3, 3, 0, public={"accuracy": 0.8}),
    ]
    board = rank(data, primary="accuracy", split="public", greater_is_better=ACC)
    assert order(board) == [(1, 1), (1, 2), (3, 3)]


@pytest.mark.parametrize("greater", [True, False])
def test_entries_without_a_valid_score_are_never_above_scored_ones(greater: bool) -> None:
    data = [
        entry(1, 1, 0, public={"m": None}),
        entry(2, 2, 1, public={"m": math.nan}),
        entry(3, 3, 2, public={"m": 0.99}, status="failed"),
        entry(4, 4, 3, public={"m": 0.10}),
        entry(5, 5, 4, public={}),
        entry(6, 6, 5, public={"m": math.inf}),
    ]
    board = rank(data, primary="m", split="public", greater_is_better={"m": greater})
    assert order(board)[0] == (1, 4)
    assert [e.rank for e in board.entries[1:]] == [None] * 5
    assert [e.team_name for e in board.entries[1:]] == [f"team-{i}" for i in (1, 2, 3, 5, 6)]
    assert board.entries[1].display_scores == {"m": None}
    assert [e.submission_id for e in board.ranked] == [4]


def test_a_team_whose_best_has_no_score_keeps_its_scored_submission() -> None:
    data = [
        entry(1, 1, 0, public={"accuracy": 0.4}),
        entry(2, 1, 5, public={"accuracy": None}),
        entry(3, 2, 1, public={"accuracy": 0.5}),
    ]
    latest = rank(
        data, primary="accuracy", split="public", greater_is_better=ACC, rule=RankingRule("latest")
    )
    assert order(latest) == [(1, 3), (2, 1)]


def test_disqualified_submissions_are_excluded() -> None:
    data = [
        entry(1, 1, 0, public={"accuracy": 0.99}, disqualified=True),
        entry(2, 1, 1, public={"accuracy": 0.70}),
        entry(3, 2, 2, public={"accuracy": 0.95}, disqualified=True),
        entry(4, 3, 3, public={"accuracy": 0.80}),
    ]
    board = rank(data, primary="accuracy", split="public", greater_is_better=ACC)
    # team 2 has nothing left; team 1 falls back to its 0.70
    assert order(board) == [(1, 4), (2, 2)]
    assert board.entries[1].submission_count == 2  # disqualified ones were still submitted


def test_baselines_are_shown_by_score_marked_and_not_ranked() -> None:
    data = [
        entry(1, 1, 0, public={"accuracy": 0.90}),
        entry(2, 2, 1, public={"accuracy": 0.85}),
        entry(3, 0, 2, public={"accuracy": 0.80}, baseline=True, team_name="Organisers"),
        entry(4, 3, 3, public={"accuracy": 0.70}),
        entry(5, 0, 4, public={"accuracy": 0.99}, baseline=True, disqualified=True),
    ]
    board = rank(data, primary="accuracy", split="public", greater_is_better=ACC)
    assert order(board) == [(1, 1), (2, 2), (None, 3), (3, 4)]
    assert [e.baseline for e in board.entries] == [False, False, True, False]
    assert board.entries[2].submission_count == 0


def test_submissions_after_the_phase_end_or_in_other_phases_never_count() -> None:
    end = at(60)
    data = [
        entry(1, 1, 30, public={"accuracy": 0.50}),
        entry(2, 1, 61, public={"accuracy": 0.99}),
        entry(3, 2, 20, public={"accuracy": 0.60}),
        entry(4, 2, 60, public={"accuracy": 0.98}),  # exactly at the end: the phase is closed
        entry(5, 3, 10, public={"accuracy": 0.97}, phase="warmup"),
    ]
    board = rank(
        data,
        primary="accuracy",
        split="public",
        greater_is_better=ACC,
        phase="final",
        phase_end=end,
    )
    assert order(board) == [(1, 3), (2, 1)]
    assert [e.submission_count for e in board.entries] == [1, 1]
    assert board.entries[1].last_submission_at == at(30)


def test_scores_and_intervals_are_rounded_for_display_and_kept_raw() -> None:
    data = [entry(1, 1, 0, public={"accuracy": 0.123456}, interval=(0.1004999, 0.14567))]
    row = rank(data, primary="accuracy", split="public", greater_is_better=ACC, decimals=3).entries[
        0
    ]
    assert row.scores == {"accuracy": 0.123456}
    assert row.display_scores == {"accuracy": 0.123}
    assert row.display_interval is not None
    assert (row.display_interval.low, row.display_interval.high) == (0.1, 0.146)
    assert row.interval is not None and row.interval.low == 0.1004999


def test_counts_and_last_submission_include_failed_runs() -> None:
    data = [entry(1, 1, 0, public={"accuracy": 0.5}), entry(2, 1, 40, public={}, status="failed")]
    row = rank(data, primary="accuracy", split="public", greater_is_better=ACC).entries[0]
    assert (row.submission_id, row.submission_count, row.last_submission_at) == (1, 2, at(40))


def test_private_ranking_can_choose_on_the_public_split() -> None:
    data = [
        entry(1, 1, 0, public={"accuracy": 0.90}, private={"accuracy": 0.70}),
        entry(2, 1, 5, public={"accuracy": 0.80}, private={"accuracy": 0.95}),
        entry(3, 2, 1, public={"accuracy": 0.85}, private={"accuracy": 0.80}),
    ]
    own = rank(data, primary="accuracy", split="private", greater_is_better=ACC)
    chosen = rank(
        data, primary="accuracy", split="private", greater_is_better=ACC, choose_on="public"
    )
    assert order(own) == [(1, 2), (2, 3)]  # team 1's best private is s2 (0.95)
    assert order(chosen) == [(1, 3), (2, 1)]  # team 1's best public is s1: private 0.70


def test_a_metric_without_direction_is_refused() -> None:
    with pytest.raises(InvalidRanking, match="no direction for f1"):
        rank([], primary="accuracy", secondary=["f1"], split="public", greater_is_better=ACC)


def test_empty_input_gives_an_empty_board() -> None:
    board = rank([], primary="accuracy", split="public", greater_is_better=ACC)
    assert board.entries == ()


@pytest.mark.parametrize(
    ("role", "revealed", "expected"),
    [
        ("participant", False, {"public"}),
        (None, False, {"public"}),
        ("participant", True, {"public", "private"}),
        ("judge", False, {"public", "private"}),
        ("organiser", False, {"public", "private"}),
        ("admin", False, {"public", "private"}),
    ],
)
def test_visible_splits(role: str | None, revealed: bool, expected: set[str]) -> None:
    assert visible_splits(role, revealed) == expected
