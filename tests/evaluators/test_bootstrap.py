"""Bootstrap intervals and paired comparisons."""

from __future__ import annotations

import numpy as np

from evaluators.bootstrap import bootstrap_interval, paired_bootstrap
from evaluators.metrics import get_metric, make_context

RNG = np.random.default_rng(3)
N = 5_000
Y = RNG.integers(0, 4, N)
GOOD = np.where(RNG.random(N) < 0.8, Y, RNG.integers(0, 4, N))
POOR = np.where(RNG.random(N) < 0.5, Y, RNG.integers(0, 4, N))
LABEL = make_context("label", Y, None)
YR = RNG.normal(size=N)
PR = (YR + RNG.normal(size=N)).reshape(-1, 1)
VALUE = make_context("value", YR, None)


def test_interval_contains_the_estimate_on_every_path() -> None:
    yb = RNG.integers(0, 2, N)
    scores = np.clip(yb * 0.3 + RNG.random(N) * 0.7, 0, 1)
    proba = np.column_stack([1 - scores, scores])
    cases = [
        ("accuracy", Y, GOOD, LABEL, "per-row"),
        ("f1_macro", Y, GOOD, LABEL, "weighted"),
        ("rmse", YR, PR, VALUE, "per-row"),
        ("r2", YR, PR, VALUE, "weighted-subsample (2000 of 5000 rows)"),
        (
            "roc_auc",
            yb,
            proba,
            make_context("probabilities", yb, ["0", "1"]),
            "weighted-subsample (2000 of 5000 rows)",
        ),
    ]
    for name, y, pred, context, method in cases:
        metric = get_metric(name)
        value = metric(y, pred, context)
        interval = bootstrap_interval(
            metric, y, pred, context, resamples=300, max_generic_rows=2000
        )
        assert interval.low <= value <= interval.high, name
        assert interval.high - interval.low < 0.2, name
        assert (interval.method, interval.resamples, interval.failed) == (method, 300, 0)


def test_accuracy_interval_has_the_binomial_width() -> None:
    metric = get_metric("accuracy")
    interval = bootstrap_interval(metric, Y, GOOD, LABEL, resamples=2000)
    p = metric(Y, GOOD, LABEL)
    expected = 2 * 1.96 * np.sqrt(p * (1 - p) / N)
    assert abs((interval.high - interval.low) - expected) < 0.15 * expected


def test_block_resampling_has_the_right_spread() -> None:
    metric = get_metric("mae")
    big = RNG.normal(size=70_000)  # more than two blocks of 2**15 rows, one partial
    pred = np.zeros((70_000, 1))
    context = make_context("value", big, None)
    interval = bootstrap_interval(metric, big, pred, context, resamples=1000)
    sd = np.abs(big).std() / np.sqrt(len(big))
    assert abs((interval.high - interval.low) - 2 * 1.96 * sd) < 0.15 * 2 * 1.96 * sd


def test_seeded_runs_repeat_and_seeds_differ() -> None:
    metric = get_metric("rmse")
    a = bootstrap_interval(metric, YR, PR, VALUE, resamples=200, seed=1)
    b = bootstrap_interval(metric, YR, PR, VALUE, resamples=200, seed=1)
    c = bootstrap_interval(metric, YR, PR, VALUE, resamples=200, seed=2)
    assert a == b and a != c


def test_paired_identical_predictions_do_not_differ() -> None:
    for name in ("accuracy", "f1_macro"):
        result = paired_bootstrap(get_metric(name), Y, GOOD, GOOD.copy(), LABEL, resamples=150)
        assert result.difference == 0.0 and result.p_value == 1.0 and not result.differs


def test_paired_clearly_different_predictions_differ() -> None:
    for name in ("accuracy", "mcc"):
        result = paired_bootstrap(get_metric(name), Y, GOOD, POOR, LABEL, resamples=150)
        assert result.difference > 0.2 and result.differs, name
        assert result.p_value == 2 / 151 and result.interval.low > 0, name  # the floor


def test_paired_on_rmse_and_subsampled_r2() -> None:
    worse = PR + RNG.normal(size=PR.shape)
    for name in ("rmse", "r2"):
        result = paired_bootstrap(
            get_metric(name), YR, PR, worse, VALUE, resamples=300, max_generic_rows=2000
        )
        assert result.differs, name
        assert result.interval.low <= result.difference <= result.interval.high, name
