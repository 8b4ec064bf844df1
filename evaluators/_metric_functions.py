"""Metric implementations: thin wrappers over scikit-learn where it has the metric.

Every function takes ``(y_true, y_pred, context, sample_weight)`` and returns a float. Integer
``sample_weight`` counts give exactly the metric of the data with rows repeated, which is what
the bootstrap relies on. ``per_row_*`` functions return one value per row whose mean (then
``finish``) is the metric, for the bootstrap's fast path.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn import metrics as skm
from sklearn.exceptions import UndefinedMetricWarning

from evaluators.errors import IncompatibleMetric
from evaluators.formats import PredictionKind

Weights = np.ndarray | None
DEFAULT_TOP_K = 3  # k for top-k metrics computed from probabilities
_AUC_CHUNK_CELLS = 2_000_000  # weights handled at once by roc_auc_resampled (~16 MB each)


@dataclass(frozen=True)
class MetricContext:
    """What a metric needs to know beyond the two arrays, fixed once before any resampling.

    Attributes:
        kind: The prediction kind the arrays came from.
        classes: Sorted classes, typed like the labels (probability columns follow this order).
        pos_label: The positive class for binary metrics: the second of the sorted classes.
        column_order: For probabilities, the file's columns in sorted class order.
    """

    kind: PredictionKind
    classes: np.ndarray | None = None
    pos_label: Any = None
    column_order: np.ndarray | None = None


def _binary_pos(context: MetricContext, name: str) -> Any:
    if context.classes is None or len(context.classes) != 2:
        found = 0 if context.classes is None else len(context.classes)
        raise IncompatibleMetric(
            f"{name} needs exactly two classes; found {found}; "
            "use a macro-averaged metric for more classes"
        )
    return context.pos_label


def label_metric(function: Any, **options: Any) -> Any:
    """Wrap a scikit-learn ``f(y_true, y_pred, sample_weight=)`` metric."""

    def metric(
        y_true: np.ndarray,
        y_pred: np.ndarray,
        context: MetricContext,
        sample_weight: Weights = None,
    ) -> float:
        return float(function(y_true, y_pred, sample_weight=sample_weight, **options))

    return metric


def f1_binary(
    y_true: np.ndarray, y_pred: np.ndarray, context: MetricContext, sample_weight: Weights = None
) -> float:
    """F1 of the positive class (the second class in sorted order)."""
    pos = _binary_pos(context, "f1")
    return float(
        skm.f1_score(
            y_true,
            y_pred,
            pos_label=pos,
            average="binary",
            sample_weight=sample_weight,
            zero_division=0.0,
        )
    )


def roc_auc_binary(
    y_true: np.ndarray, y_pred: np.ndarray, context: MetricContext, sample_weight: Weights = None
) -> float:
    """ROC AUC of the positive class's probability."""
    pos = _binary_pos(context, "roc_auc")
    assert context.classes is not None
    column = int(np.flatnonzero(context.classes == pos)[0])
    return float(skm.roc_auc_score(y_true == pos, y_pred[:, column], sample_weight=sample_weight))


def roc_auc_resampled(
    y_true: np.ndarray, y_pred: np.ndarray, context: MetricContext, weights: np.ndarray
) -> np.ndarray:
    """:func:`roc_auc_binary` with each row of ``weights`` (resamples, n) as sample weights.

    The scores are sorted once; per resample, the weights of positives and negatives summed
    per group of tied scores give the Mann-Whitney statistic (a tie counts one half), which
    equals the area under the weighted ROC curve. A resample with no positive or no negative
    weight gets NaN, where :func:`roc_auc_binary` raises ValueError.
    """
    pos = _binary_pos(context, "roc_auc")
    assert context.classes is not None
    column = int(np.flatnonzero(context.classes == pos)[0])
    scores = np.asarray(y_pred[:, column], dtype=np.float64)
    order = np.argsort(scores, kind="stable")
    ranked = scores[order]
    starts = np.flatnonzero(np.concatenate(([True], ranked[1:] != ranked[:-1])))
    positive = np.asarray(y_true == pos)[order]
    out = np.empty(len(weights))
    step = max(1, _AUC_CHUNK_CELLS // max(1, len(scores)))
    for lo in range(0, len(weights), step):
        w = np.asarray(weights[lo : lo + step], dtype=np.float64)[:, order]
        w_pos = np.add.reduceat(np.where(positive, w, 0.0), starts, axis=1)
        w_neg = np.add.reduceat(np.where(positive, 0.0, w), starts, axis=1)
        below = np.cumsum(w_neg, axis=1) - w_neg  # negative weight strictly below each group
        pairs = (w_pos * (below + 0.5 * w_neg)).sum(axis=1)
        total = w_pos.sum(axis=1) * w_neg.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[lo : lo + step] = np.where(total > 0, pairs / total, np.nan)
    return out


def roc_auc_ovr(
    y_true: np.ndarray, y_pred: np.ndarray, context: MetricContext, sample_weight: Weights = None
) -> float:
    """Macro one-vs-rest ROC AUC over every class (binary: the positive class's AUC)."""
    if context.classes is not None and len(context.classes) == 2:
        return roc_auc_binary(y_true, y_pred, context, sample_weight)
    return float(
        skm.roc_auc_score(
            y_true,
            y_pred,
            multi_class="ovr",
            average="macro",
            labels=context.classes,
            sample_weight=sample_weight,
        )
    )


def log_loss(
    y_true: np.ndarray, y_pred: np.ndarray, context: MetricContext, sample_weight: Weights = None
) -> float:
    """Cross-entropy of the probabilities (clipped to [eps, 1-eps] like scikit-learn)."""
    return float(skm.log_loss(y_true, y_pred, labels=context.classes, sample_weight=sample_weight))


def per_row_log_loss(y_true: np.ndarray, y_pred: np.ndarray, context: MetricContext) -> np.ndarray:
    """Per-row ``-log p(true class)``, clipped as scikit-learn clips."""
    assert context.classes is not None
    column = np.searchsorted(context.classes, y_true)
    eps = np.finfo(np.float64).eps
    picked = np.clip(y_pred[np.arange(len(y_true)), column], eps, 1 - eps)
    return np.asarray(-np.log(picked))


def _ranks(y_pred: np.ndarray, context: MetricContext, k: int | None) -> np.ndarray:
    """Return a (n, k) ranking: the given one, or the k most probable classes."""
    if context.kind == "ranking":
        return y_pred if k is None else y_pred[:, :k]
    assert context.classes is not None
    k = min(k or DEFAULT_TOP_K, len(context.classes))
    # Stable sort of the negated scores: ties go to the earlier (smaller) class.
    order = np.argsort(-y_pred, axis=1, kind="stable")[:, :k]
    return np.asarray(context.classes[order])


def per_row_top_k(k: int | None) -> Any:
    """Per-row hit (1.0 or 0.0): the true label is among the first ``k`` ranked."""

    def rows(y_true: np.ndarray, y_pred: np.ndarray, context: MetricContext) -> np.ndarray:
        ranks = _ranks(y_pred, context, k)
        return np.asarray((ranks == y_true[:, None]).any(axis=1), dtype=np.float64)

    return rows


def top_k_accuracy(k: int | None) -> Any:
    """Top-k accuracy: from probabilities via scikit-learn (k defaults to 3), from a ranking
    as the share of rows whose true label is among the first k (k defaults to its width)."""

    def metric(
        y_true: np.ndarray,
        y_pred: np.ndarray,
        context: MetricContext,
        sample_weight: Weights = None,
    ) -> float:
        if context.kind == "ranking":
            hits = per_row_top_k(k)(y_true, y_pred, context)
            return float(np.average(hits, weights=sample_weight))
        assert context.classes is not None
        kk = min(k or DEFAULT_TOP_K, len(context.classes))
        score = y_pred[:, 1] if len(context.classes) == 2 else y_pred
        with warnings.catch_warnings():
            # k >= number of classes is a perfect score; scikit-learn warns, we accept it.
            warnings.simplefilter("ignore", UndefinedMetricWarning)
            return float(
                skm.top_k_accuracy_score(
                    y_true, score, k=kk, labels=context.classes, sample_weight=sample_weight
                )
            )

    return metric


def per_row_beam(k: int | None) -> Any:
    """Per-row mean over j=1..K of the top-j hit: ``(K - r) / K`` for a hit at rank r."""

    def rows(y_true: np.ndarray, y_pred: np.ndarray, context: MetricContext) -> np.ndarray:
        ranks = _ranks(y_pred, context, k)
        width = ranks.shape[1]
        hit = ranks == y_true[:, None]
        first_hit = np.where(hit.any(axis=1), hit.argmax(axis=1), width)
        return np.asarray((width - first_hit) / width, dtype=np.float64)

    return rows


def beam_topk_accuracy(k: int | None) -> Any:
    """ITU beam-selection score: the mean of top-1..top-K accuracy."""

    def metric(
        y_true: np.ndarray,
        y_pred: np.ndarray,
        context: MetricContext,
        sample_weight: Weights = None,
    ) -> float:
        return float(np.average(per_row_beam(k)(y_true, y_pred, context), weights=sample_weight))

    return metric


def per_row_correct(y_true: np.ndarray, y_pred: np.ndarray, context: MetricContext) -> np.ndarray:
    """Per-row correctness, 1.0 or 0.0."""
    return np.asarray(y_true == y_pred, dtype=np.float64)


def _errors(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    return np.asarray(y_pred, dtype=np.float64).reshape(len(y_pred), -1) - np.asarray(
        y_true, dtype=np.float64
    ).reshape(len(y_true), -1)


def per_row_abs(y_true: np.ndarray, y_pred: np.ndarray, context: MetricContext) -> np.ndarray:
    """Per-row absolute error, averaged over outputs."""
    return np.asarray(np.abs(_errors(y_true, y_pred)).mean(axis=1))


def per_row_sq(y_true: np.ndarray, y_pred: np.ndarray, context: MetricContext) -> np.ndarray:
    """Per-row squared error, averaged over outputs."""
    return np.asarray((_errors(y_true, y_pred) ** 2).mean(axis=1))


def per_row_ape(y_true: np.ndarray, y_pred: np.ndarray, context: MetricContext) -> np.ndarray:
    """Per-row absolute percentage error (as a fraction), as scikit-learn guards zeros."""
    truth = np.abs(np.asarray(y_true, dtype=np.float64).reshape(len(y_true), -1))
    ratio = np.abs(_errors(y_true, y_pred)) / np.maximum(truth, np.finfo(np.float64).eps)
    return np.asarray(ratio.mean(axis=1))


def regression_metric(function: Any) -> Any:
    """Wrap a scikit-learn regression metric; one-output arrays are flattened."""

    def metric(
        y_true: np.ndarray,
        y_pred: np.ndarray,
        context: MetricContext,
        sample_weight: Weights = None,
    ) -> float:
        truth, pred = np.asarray(y_true, dtype=np.float64), np.asarray(y_pred, np.float64)
        if pred.ndim == 2 and pred.shape[1] == 1:
            pred = pred[:, 0]
        if truth.ndim == 2 and truth.shape[1] == 1:
            truth = truth[:, 0]
        return float(function(truth, pred, sample_weight=sample_weight))

    return metric
