"""Confusion-matrix metrics of many bootstrap resamples at once.

Each ``*_resampled`` function takes ``(y_true, y_pred, context, weights)`` with ``weights`` of
shape (resamples, n) and returns the metric of every resample, equal (to rounding) to the
registry's metric called with that row of ``weights`` as ``sample_weight``, as the bootstrap's
generic weighted path calls it. The rows are grouped once by true label, by predicted label and
(for the diagonal) by correct label; per resample, the weight sums of those groups are the
per-label true positives, supports and predicted counts, everything these metrics need. Only
labels present in a resample (as truth or prediction) count in its averages, as scikit-learn
sees only the rows with positive weight. No (resamples, C, C) array is built, so many classes
cost no more memory than the weights themselves.

Edge cases follow scikit-learn 1.9 with the registry's options: a zero division gives 0.0
(precision, recall, F1), Matthews' coefficient is 0.0 when either variance is zero, Cohen's
kappa is NaN when the expected disagreement is zero, binary F1 is NaN where scikit-learn
raises (more than two labels, or two labels without the positive one), and every resample is
NaN when scikit-learn cannot score the labels at all (continuous or mixed label types).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.multiclass import type_of_target, unique_labels

from evaluators._metric_functions import MetricContext, _binary_pos

Resampled = Callable[[np.ndarray, np.ndarray, MetricContext, np.ndarray], np.ndarray]
_CHUNK_CELLS = 2_000_000  # weights gathered at once per grouping (~16 MB)


@dataclass(frozen=True)
class LabelSums:
    """Per-resample weight sums per label, each of shape (resamples, labels).

    Attributes:
        tp: Weight of rows whose prediction is the label and right (true positives).
        true: Weight of rows whose true class is the label (support).
        pred: Weight of rows predicted as the label.
        labels: The labels, in column order (order of first appearance).
    """

    tp: np.ndarray
    true: np.ndarray
    pred: np.ndarray
    labels: np.ndarray

    @property
    def present(self) -> np.ndarray:
        """Labels a resample contains as truth or prediction: scikit-learn's label set."""
        return np.asarray((self.true > 0) | (self.pred > 0))

    @property
    def total(self) -> np.ndarray:
        """Rows (total weight) of each resample."""
        return np.asarray(self.true.sum(axis=1))


@dataclass(frozen=True)
class _Grouping:
    """Rows grouped by an integer key, for summing weight columns per group."""

    order: np.ndarray  # rows sorted by key
    starts: np.ndarray  # first position of each group in ``order``
    keys: np.ndarray  # the key of each group
    size: int  # number of possible keys (output columns)

    @classmethod
    def of(cls, keys: np.ndarray, size: int) -> _Grouping:
        order = np.argsort(keys, kind="stable")
        ranked = keys[order]
        starts = np.flatnonzero(np.concatenate(([True], ranked[1:] != ranked[:-1])))
        return cls(order, starts, ranked[starts], size)

    def sums(self, weights: np.ndarray) -> np.ndarray:
        """Sum the columns of ``weights`` (resamples, rows) per group: (resamples, size)."""
        out = np.zeros((len(weights), self.size))
        if len(self.order):
            out[:, self.keys] = np.add.reduceat(weights[:, self.order], self.starts, axis=1)
        return out


def _scorable(y_true: np.ndarray, y_pred: np.ndarray) -> bool:
    """Whether scikit-learn takes these as class labels (not continuous, not mixed types)."""
    try:
        unique_labels(y_true, y_pred)
        kinds = {type_of_target(y_true), type_of_target(y_pred)}
    except ValueError:
        return False
    return kinds <= {"binary", "multiclass"}


def label_sums(y_true: np.ndarray, y_pred: np.ndarray, weights: np.ndarray) -> list[LabelSums]:
    """Per-label weight sums of every row of ``weights``, in chunks of resamples.

    Args:
        y_true: True labels, one per row.
        y_pred: Predicted labels, one per row.
        weights: Integer weights (resamples, rows); integer sums stay exact in float64.

    Returns:
        One :class:`LabelSums` per chunk of resamples, in order.
    """
    codes, labels = pd.factorize(np.concatenate([y_true, y_pred]))
    size = len(labels)
    truth, pred = codes[: len(y_true)], codes[len(y_true) :]
    right = np.flatnonzero(truth == pred)
    by_true, by_pred = _Grouping.of(truth, size), _Grouping.of(pred, size)
    by_right = _Grouping.of(truth[right], size)
    step = max(1, _CHUNK_CELLS // max(1, len(y_true)))
    chunks = []
    for lo in range(0, len(weights), step):
        w = np.asarray(weights[lo : lo + step])
        chunks.append(
            LabelSums(by_right.sums(w[:, right]), by_true.sums(w), by_pred.sums(w), labels)
        )
    return chunks


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator``, 0.0 where the denominator is 0 (``zero_division=0``)."""
    out = np.zeros(np.broadcast_shapes(numerator.shape, denominator.shape))
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def _mean_present(values: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Mean over the labels present in each resample (scikit-learn's macro average)."""
    return np.asarray(np.where(present, values, 0.0).sum(axis=1) / present.sum(axis=1))


def _f1_per_label(s: LabelSums) -> np.ndarray:
    return _divide(2.0 * s.tp, s.true + s.pred)


def f1_macro(s: LabelSums) -> np.ndarray:
    """Unweighted mean F1 over the labels present."""
    return _mean_present(_f1_per_label(s), s.present)


def f1_micro(s: LabelSums) -> np.ndarray:
    """F1 of the pooled counts."""
    return _divide(2.0 * s.tp.sum(axis=1), s.true.sum(axis=1) + s.pred.sum(axis=1))


def f1_weighted(s: LabelSums) -> np.ndarray:
    """Mean F1 weighted by support."""
    return np.asarray((_f1_per_label(s) * s.true).sum(axis=1) / s.true.sum(axis=1))


def precision_macro(s: LabelSums) -> np.ndarray:
    """Unweighted mean precision over the labels present."""
    return _mean_present(_divide(s.tp, s.pred), s.present)


def recall_macro(s: LabelSums) -> np.ndarray:
    """Unweighted mean recall over the labels present."""
    return _mean_present(_divide(s.tp, s.true), s.present)


def balanced_accuracy(s: LabelSums) -> np.ndarray:
    """Mean recall over the labels with support (labels only predicted are left out)."""
    return _mean_present(_divide(s.tp, s.true), s.true > 0)


def mcc(s: LabelSums) -> np.ndarray:
    """Matthews correlation coefficient; 0.0 when either variance is zero."""
    n = s.pred.sum(axis=1)
    cov_ytyp = s.tp.sum(axis=1) * n - (s.true * s.pred).sum(axis=1)
    cov_ypyp = n**2 - (s.pred * s.pred).sum(axis=1)
    cov_ytyt = n**2 - (s.true * s.true).sum(axis=1)
    product = cov_ypyp * cov_ytyt
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(product == 0, 0.0, cov_ytyp / np.sqrt(product))


def cohen_kappa(s: LabelSums) -> np.ndarray:
    """Cohen's kappa; NaN when the expected disagreement is zero (one label in common)."""
    n = s.total
    observed = n - s.tp.sum(axis=1)  # weight off the diagonal
    expected = (n * n - (s.true * s.pred).sum(axis=1)) / n  # exact zero when undefined
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(expected == 0, np.nan, 1.0 - observed / expected)


def f1_binary(s: LabelSums, pos_label: Any) -> np.ndarray:
    """F1 of ``pos_label``; NaN where scikit-learn's ``average="binary"`` raises."""
    present = s.present.sum(axis=1)
    found = np.flatnonzero(s.labels == pos_label)
    if len(found) == 0:  # never seen: F1 0.0 while at most one label is present
        return np.where(present >= 2, np.nan, 0.0)
    j = int(found[0])
    f1 = _divide(2.0 * s.tp[:, j], s.true[:, j] + s.pred[:, j])
    invalid = (present > 2) | ((present == 2) & ~s.present[:, j])
    return np.where(invalid, np.nan, f1)


def _run(
    score: Callable[[LabelSums], np.ndarray],
    y_true: np.ndarray,
    y_pred: np.ndarray,
    weights: np.ndarray,
) -> np.ndarray:
    if not _scorable(y_true, y_pred):
        return np.full(len(weights), np.nan)
    parts = [score(s) for s in label_sums(y_true, y_pred, weights)]
    return np.concatenate(parts) if parts else np.empty(0)


def resampled(score: Callable[[LabelSums], np.ndarray]) -> Resampled:
    """Turn a score of :class:`LabelSums` into a ``Metric.resampled`` function."""

    def metric(
        y_true: np.ndarray, y_pred: np.ndarray, context: MetricContext, weights: np.ndarray
    ) -> np.ndarray:
        return _run(score, y_true, y_pred, weights)

    return metric


def f1_binary_resampled(
    y_true: np.ndarray, y_pred: np.ndarray, context: MetricContext, weights: np.ndarray
) -> np.ndarray:
    """Binary F1 of the context's positive class for every row of ``weights``."""
    pos = _binary_pos(context, "f1")
    return _run(lambda s: f1_binary(s, pos), y_true, y_pred, weights)
