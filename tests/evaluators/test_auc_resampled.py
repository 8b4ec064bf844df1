"""The vectorised ROC AUC of many resamples equals scikit-learn's weighted ROC AUC."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from evaluators._metric_functions import roc_auc_resampled
from evaluators.bootstrap import bootstrap_interval
from evaluators.metrics import get_metric, make_context


def test_matches_sklearn_with_counts_as_weights_and_ties() -> None:
    rng = np.random.default_rng(7)
    n = 3_000
    y = rng.integers(0, 2, n)
    scores = np.round(np.clip(y * 0.2 + rng.random(n) * 0.8, 0, 1), 2)  # many ties
    proba = np.column_stack([1 - scores, scores])
    context = make_context("probabilities", y, ["0", "1"])
    counts = rng.multinomial(n, np.full(n, 1 / n), size=40)
    got = roc_auc_resampled(y, proba, context, counts)
    for row, value in zip(counts, got, strict=True):
        keep = row > 0
        expected = roc_auc_score(y[keep] == 1, scores[keep], sample_weight=row[keep])
        assert abs(value - expected) < 1e-12


def test_text_labels_and_one_class_resamples() -> None:
    y = np.array(["no", "yes", "yes", "no"], dtype=object)
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.4, 0.6]])
    context = make_context("probabilities", y, ["no", "yes"])
    weights = np.array([[1, 1, 1, 1], [2, 0, 0, 2], [0, 3, 1, 0], [1, 0, 2, 1]])
    got = roc_auc_resampled(y, proba, context, weights)
    assert abs(got[0] - roc_auc_score(y == "yes", proba[:, 1])) < 1e-12
    assert np.isnan(got[1]) and np.isnan(got[2])
    assert abs(got[3] - roc_auc_score(y == "yes", proba[:, 1], sample_weight=[1, 0, 2, 1])) < 1e-12


def test_interval_agrees_with_one_call_per_resample() -> None:
    rng = np.random.default_rng(11)
    n = 2_000
    y = rng.integers(0, 2, n)
    scores = np.clip(y * 0.3 + rng.random(n) * 0.7, 0, 1)
    proba = np.column_stack([1 - scores, scores])
    context = make_context("probabilities", y, ["0", "1"])
    metric = get_metric("roc_auc")
    slow = type(metric)(**{**metric.__dict__, "resampled": None})
    fast_interval = bootstrap_interval(metric, y, proba, context, resamples=200, seed=4)
    slow_interval = bootstrap_interval(slow, y, proba, context, resamples=200, seed=4)
    assert abs(fast_interval.low - slow_interval.low) < 1e-12
    assert abs(fast_interval.high - slow_interval.high) < 1e-12
    assert fast_interval.method == slow_interval.method == "weighted"
