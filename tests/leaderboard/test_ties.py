"""Statistical tie groups with stub significance sources."""

from __future__ import annotations

from leaderboard import SubmissionScore, rank
from tests.leaderboard.factory import entry

ACC = {"accuracy": True}


def five_teams() -> list[SubmissionScore]:
    values = [0.90, 0.89, 0.80, 0.79, 0.60]
    return [entry(i, i, i, public={"accuracy": v}) for i, v in enumerate(values, start=1)]


def close_is_noise(a: SubmissionScore, b: SubmissionScore) -> float:
    """Stub paired test: differences under 0.05 are not significant."""
    gap = abs(a.score("public", "accuracy") - b.score("public", "accuracy"))  # type: ignore[operator]
    return 0.5 if gap < 0.05 else 0.01


def test_adjacent_entries_that_do_not_differ_share_a_group() -> None:
    board = rank(
        five_teams(),
        primary="accuracy",
        split="public",
        greater_is_better=ACC,
        significance=close_is_noise,
    )
    # 0.90~0.89 | 0.80~0.79 | 0.60
    assert [e.tie_group for e in board.entries] == [1, 1, 2, 2, 3]
    assert [e.tied_with_next for e in board.entries] == [True, False, True, False, False]
    assert [e.p_value_to_next for e in board.entries] == [0.5, 0.01, 0.5, 0.01, None]


def test_groups_chain_through_neighbours() -> None:
    values = [0.90, 0.87, 0.84, 0.81]  # each gap 0.03: the whole table is one group
    data = [entry(i, i, i, public={"accuracy": v}) for i, v in enumerate(values, start=1)]
    board = rank(
        data, primary="accuracy", split="public", greater_is_better=ACC, significance=close_is_noise
    )
    assert [e.tie_group for e in board.entries] == [1, 1, 1, 1]


def test_precomputed_p_values_in_either_order_and_missing_pairs_differ() -> None:
    p_values = {(2, 1): 0.30, (3, 4): 0.049}
    board = rank(
        five_teams(),
        primary="accuracy",
        split="public",
        greater_is_better=ACC,
        significance=p_values,
    )
    # (1,2) tied via the reversed key; (2,3) unknown: different; (3,4) p < 0.05: different
    assert [e.tie_group for e in board.entries] == [1, 1, 2, 3, 4]
    assert [e.p_value_to_next for e in board.entries] == [0.30, None, 0.049, None, None]


def test_baselines_and_unscored_entries_stay_outside_the_groups() -> None:
    data = [
        *five_teams()[:2],
        entry(9, 0, 0, public={"accuracy": 0.895}, baseline=True),
        entry(10, 7, 0, public={"accuracy": None}),
    ]
    board = rank(
        data, primary="accuracy", split="public", greater_is_better=ACC, significance=close_is_noise
    )
    assert [(e.submission_id, e.tie_group) for e in board.entries] == [
        (1, 1),
        (9, None),
        (2, 1),
        (10, None),
    ]


def test_without_a_significance_source_no_groups_are_claimed() -> None:
    board = rank(five_teams(), primary="accuracy", split="public", greater_is_better=ACC)
    assert {e.tie_group for e in board.entries} == {None}
    assert not any(e.tied_with_next for e in board.entries)


def test_paired_bootstrap_from_evaluators_plugs_in_as_the_significance_source() -> None:
    import numpy as np

    from evaluators.bootstrap import paired_bootstrap
    from evaluators.metrics import MetricContext, get_metric

    rng = np.random.default_rng(0)
    y = rng.normal(size=400)
    preds = {
        1: y + rng.normal(scale=0.10, size=400),  # rmse ~0.10
        2: y + rng.normal(scale=0.101, size=400),  # indistinguishable from 1
        3: y + rng.normal(scale=0.50, size=400),
    }  # clearly worse
    rmse = get_metric("rmse")
    context = MetricContext(kind="value")
    data = [entry(i, i, i, public={"rmse": rmse(y, p, context)}) for i, p in preds.items()]

    def p_value(a: SubmissionScore, b: SubmissionScore) -> float:
        return paired_bootstrap(
            rmse, y, preds[a.submission_id], preds[b.submission_id], context, resamples=300
        ).p_value

    board = rank(
        data,
        primary="rmse",
        split="public",
        greater_is_better={"rmse": False},
        significance=p_value,
    )
    assert [e.team_id for e in board.entries][2] == 3
    assert board.entries[0].tied_with_next
    assert [e.tie_group for e in board.entries] == [1, 1, 2]
