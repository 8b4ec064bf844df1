"""Vectorised confusion-matrix metrics equal scikit-learn's weighted metrics per resample."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from evaluators.bootstrap import _groups, bootstrap_interval, paired_bootstrap
from evaluators.metrics import Metric, MetricContext, get_metric, make_context

NAMES = [
    "f1_macro",
    "f1_micro",
    "f1_weighted",
    "precision_macro",
    "recall_macro",
    "balanced_accuracy",
    "mcc",
    "cohen_kappa",
]
BINARY_NAMES = ["f1", *NAMES]


def _generic(metric: Metric) -> Metric:
    return type(metric)(**{**metric.__dict__, "resampled": None})


def _sklearn(
    metric: Metric, y: np.ndarray, pred: np.ndarray, context: MetricContext, row: np.ndarray
) -> float:
    """The generic path's value: the metric on the kept rows with the counts as weights."""
    keep = row > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return metric(y[keep], pred[keep], context, sample_weight=row[keep])
        except ValueError:
            return float("nan")


def _check(
    name: str, y: np.ndarray, pred: np.ndarray, context: MetricContext, counts: np.ndarray
) -> np.ndarray:
    metric = get_metric(name)
    assert metric.resampled is not None
    got = metric.resampled(y, pred, context, counts)
    expected = np.array([_sklearn(metric, y, pred, context, row) for row in counts])
    assert np.array_equal(np.isnan(got), np.isnan(expected)), name
    ok = ~np.isnan(expected)
    assert np.all(np.abs(got[ok] - expected[ok]) < 1e-12), name
    return got


def _rare(rng: np.random.Generator, n: int, p: list[float], hit: float) -> np.ndarray:
    y = rng.choice(len(p), size=n, p=p)
    pred = np.where(rng.random(n) < hit, y, rng.choice(len(p), size=n, p=p))
    return np.stack([y, pred])


@pytest.mark.parametrize("name", NAMES)
def test_multiclass_with_rare_and_only_predicted_classes(name: str) -> None:
    rng = np.random.default_rng(5)
    y, pred = _rare(rng, 60, [0.55, 0.3, 0.1, 0.04, 0.01], 0.6)
    pred[:2] = 7  # a class no row has as truth
    context = make_context("label", y, None)
    counts = rng.multinomial(60, np.full(60, 1 / 60), size=300)
    _check(name, y, pred, context, counts)


@pytest.mark.parametrize("name", BINARY_NAMES)
def test_binary_with_a_rare_positive_class(name: str) -> None:
    rng = np.random.default_rng(0)
    y, pred = _rare(rng, 30, [0.95, 0.05], 0.5)  # two positives, two predicted
    context = make_context("label", y, None)
    counts = rng.multinomial(30, np.full(30, 1 / 30), size=400)  # 22 without the positive
    got = _check(name, y, pred, context, counts)
    if name == "f1":
        assert (got == 0.0).sum() > 20


@pytest.mark.parametrize("name", BINARY_NAMES)
def test_degenerate_resamples(name: str) -> None:
    """One label only, the positive class missing, all right, all wrong."""
    y = np.array(["no", "no", "yes", "yes", "no"], dtype=object)
    pred = np.array(["no", "yes", "yes", "no", "no"], dtype=object)
    context = make_context("label", y, None)
    counts = np.array(
        [
            [5, 0, 0, 0, 0],  # only "no": kappa undefined (NaN), mcc 0, f1 0
            [0, 0, 4, 0, 0],  # only "yes", all right
            [0, 3, 0, 2, 0],  # all wrong
            [1, 1, 1, 1, 1],
            [2, 0, 0, 0, 3],
            [0, 2, 0, 0, 0],  # truth "no", predicted "yes"
        ]
    )
    got = _check(name, y, pred, context, counts)
    if name == "cohen_kappa":
        assert np.isnan(got[0]) and np.isnan(got[1])
    if name == "mcc":
        assert got[0] == got[1] == 0.0


def test_binary_f1_with_labels_outside_the_classes_fails_like_sklearn() -> None:
    y = np.array([0, 1, 0, 1, 0, 1])
    pred = np.array([0, 1, 2, 1, 0, 0])  # 2 is no class: scikit-learn raises (multiclass)
    context = make_context("label", y, None)
    counts = np.array([[1, 1, 1, 1, 1, 1], [1, 1, 0, 1, 1, 1], [3, 0, 3, 0, 0, 0]])
    got = _check("f1", y, pred, context, counts)
    assert np.isnan(got[0]) and not np.isnan(got[1]) and np.isnan(got[2])


@pytest.mark.filterwarnings("ignore::UserWarning")  # balanced accuracy: a class not in y_true
@pytest.mark.parametrize("name", BINARY_NAMES)
def test_interval_equals_the_generic_path(name: str) -> None:
    rng = np.random.default_rng(13)
    classes = [0.9, 0.1] if name == "f1" else [0.5, 0.3, 0.15, 0.05]
    for n in (30, 1_000):  # 30 rows do not compress: one weight per row
        y, pred = _rare(rng, n, classes, 0.7)
        context = make_context("label", y, None)
        metric = get_metric(name)
        fast = bootstrap_interval(metric, y, pred, context, resamples=200, seed=4)
        slow = bootstrap_interval(_generic(metric), y, pred, context, resamples=200, seed=4)
        assert abs(fast.low - slow.low) < 1e-12 and abs(fast.high - slow.high) < 1e-12, n
        assert (fast.failed, fast.method) == (slow.failed, slow.method), n


def test_paired_comparison_equals_the_generic_path() -> None:
    rng = np.random.default_rng(17)
    y, good = _rare(rng, 500, [0.6, 0.3, 0.1], 0.8)
    poor = np.where(rng.random(500) < 0.5, y, rng.integers(0, 3, 500))
    context = make_context("label", y, None)
    for name in ("mcc", "f1_macro", "cohen_kappa"):
        metric = get_metric(name)
        fast = paired_bootstrap(metric, y, good, poor, context, resamples=100, seed=2)
        slow = paired_bootstrap(_generic(metric), y, good, poor, context, resamples=100, seed=2)
        assert abs(fast.interval.low - slow.interval.low) < 1e-12, name
        assert abs(fast.interval.high - slow.interval.high) < 1e-12, name
        assert fast.p_value == slow.p_value, name


def test_row_groups_equal_numpy_unique() -> None:
    """The compression's O(n) grouping returns what ``np.unique`` does, in the same order."""
    rng = np.random.default_rng(21)
    for _ in range(100):
        n, k = int(rng.integers(1, 3_000)), int(rng.integers(1, 60))
        key = rng.integers(0, k, n) * int(rng.integers(1, 9))
        _, first, counts = np.unique(key, return_index=True, return_counts=True)
        got_first, got_counts = _groups(key)
        assert np.array_equal(got_first, first) and np.array_equal(got_counts, counts)
