"""The metric registry, in the style of scikit-learn's ``metrics/_scorer.py``.

Each :class:`Metric` is a named ``f(y_true, y_pred, context, sample_weight) -> float`` that
records whether greater is better and which prediction kinds it accepts. Label metrics given
probabilities score the most probable class (argmax); given a ranking, its first column.

Parametrised names: ``top_<k>_accuracy`` (e.g. ``top_5_accuracy``) and ``beam_top<k>_accuracy``
fix k; plain ``top_k_accuracy`` and ``beam_topk_accuracy`` use the ranking's width, or k=3 for
probabilities.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn import metrics as skm

from evaluators import _confusion as cm
from evaluators import _metric_functions as fn
from evaluators._metric_functions import MetricContext
from evaluators.errors import IncompatibleMetric, UnknownMetric
from evaluators.formats import PredictionKind

__all__ = ["Metric", "MetricContext", "get_metric", "metric_names", "prepare"]

PerRow = Callable[[np.ndarray, np.ndarray, MetricContext], np.ndarray]
_CLASS_KINDS: frozenset[PredictionKind] = frozenset({"label", "probabilities", "ranking"})
_PROBA: frozenset[PredictionKind] = frozenset({"probabilities"})
_RANKED: frozenset[PredictionKind] = frozenset({"ranking", "probabilities"})
_VALUE: frozenset[PredictionKind] = frozenset({"value"})


def _identity(x: float) -> float:
    return x


@dataclass(frozen=True)
class Metric:
    """A named metric.

    Attributes:
        name: Registry name.
        function: ``f(y_true, y_pred, context, sample_weight=None) -> float``.
        greater_is_better: Whether a larger value is a better score.
        accepts: Prediction kinds the metric can score.
        description: One line for people.
        uses: What ``function`` takes as ``y_pred``: ``"label"`` (one class per row) or the
            prediction's own values (``"raw"``).
        per_row: When set, the metric equals ``finish(mean(per_row(...)))``; the bootstrap
            uses it to resample cheaply.
        finish: Applied to the mean of ``per_row`` (``sqrt`` for RMSE).
        resampled: When set, ``resampled(y_true, y_pred, context, weights)`` returns the
            metric for every row of ``weights`` (resamples, n) at once, NaN where a resample
            cannot be scored; the bootstrap's weighted path uses it instead of one call each.
    """

    name: str
    function: Callable[..., float]
    greater_is_better: bool
    accepts: frozenset[PredictionKind]
    description: str
    uses: str = "raw"
    per_row: PerRow | None = None
    finish: Callable[[float], float] = _identity
    resampled: Callable[..., np.ndarray] | None = None

    def __call__(
        self,
        y_true: np.ndarray,
        y_pred: np.ndarray,
        context: MetricContext,
        sample_weight: np.ndarray | None = None,
    ) -> float:
        """Score prepared arrays (see :func:`prepare`)."""
        return float(self.function(y_true, y_pred, context, sample_weight))


def _label(
    name: str,
    function: Any,
    description: str,
    per_row: PerRow | None = None,
    score: Callable[[cm.LabelSums], np.ndarray] | None = None,
    **options: Any,
) -> Metric:
    return Metric(
        name,
        fn.label_metric(function, **options),
        True,
        _CLASS_KINDS,
        description,
        uses="label",
        per_row=per_row,
        resampled=None if score is None else cm.resampled(score),
    )


def _regression(
    name: str,
    function: Any,
    description: str,
    per_row: PerRow | None,
    finish: Callable[[float], float] = _identity,
) -> Metric:
    return Metric(
        name,
        fn.regression_metric(function),
        name == "r2",
        _VALUE,
        description,
        per_row=per_row,
        finish=finish,
    )


def _top_k(k: int | None) -> Metric:
    name = "top_k_accuracy" if k is None else f"top_{k}_accuracy"
    return Metric(
        name,
        fn.top_k_accuracy(k),
        True,
        _RANKED,
        f"share of rows whose true label is among the first {k or 'k'} ranked",
        per_row=fn.per_row_top_k(k),
    )


def _beam(k: int | None) -> Metric:
    name = "beam_topk_accuracy" if k is None else f"beam_top{k}_accuracy"
    return Metric(
        name,
        fn.beam_topk_accuracy(k),
        True,
        _RANKED,
        "mean of top-1..top-K accuracy (ITU beam selection)",
        per_row=fn.per_row_beam(k),
    )


def _sqrt(x: float) -> float:
    return float(np.sqrt(x))


_MACRO: dict[str, Any] = {"average": "macro", "zero_division": 0.0}
_REGISTRY: dict[str, Metric] = {
    m.name: m
    for m in [
        _label(
            "accuracy",
            skm.accuracy_score,
            "share of rows predicted right",
            per_row=fn.per_row_correct,
        ),
        _label(
            "balanced_accuracy",
            skm.balanced_accuracy_score,
            "mean recall over classes",
            score=cm.balanced_accuracy,
        ),
        Metric(
            "f1",
            fn.f1_binary,
            True,
            _CLASS_KINDS,
            "F1 of the positive class (second class in sorted order)",
            uses="label",
            resampled=cm.f1_binary_resampled,
        ),
        _label(
            "f1_macro",
            skm.f1_score,
            "unweighted mean F1 over classes",
            score=cm.f1_macro,
            **_MACRO,
        ),
        _label(
            "f1_micro",
            skm.f1_score,
            "F1 of pooled counts",
            score=cm.f1_micro,
            average="micro",
            zero_division=0.0,
        ),
        _label(
            "f1_weighted",
            skm.f1_score,
            "mean F1 over classes weighted by support",
            score=cm.f1_weighted,
            average="weighted",
            zero_division=0.0,
        ),
        _label(
            "precision_macro",
            skm.precision_score,
            "unweighted mean precision",
            score=cm.precision_macro,
            **_MACRO,
        ),
        _label(
            "recall_macro",
            skm.recall_score,
            "unweighted mean recall",
            score=cm.recall_macro,
            **_MACRO,
        ),
        _label("mcc", skm.matthews_corrcoef, "Matthews correlation coefficient", score=cm.mcc),
        _label(
            "cohen_kappa", skm.cohen_kappa_score, "Cohen's kappa agreement", score=cm.cohen_kappa
        ),
        Metric(
            "roc_auc",
            fn.roc_auc_binary,
            True,
            _PROBA,
            "ROC AUC of the positive class's probability (binary)",
            resampled=fn.roc_auc_resampled,
        ),
        Metric("roc_auc_ovr", fn.roc_auc_ovr, True, _PROBA, "macro one-vs-rest ROC AUC"),
        Metric(
            "log_loss",
            fn.log_loss,
            False,
            _PROBA,
            "cross-entropy of the probabilities",
            per_row=fn.per_row_log_loss,
        ),
        _top_k(None),
        _beam(None),
        _regression("mae", skm.mean_absolute_error, "mean absolute error", fn.per_row_abs),
        _regression("mse", skm.mean_squared_error, "mean squared error", fn.per_row_sq),
        _regression(
            "rmse", skm.root_mean_squared_error, "root mean squared error", fn.per_row_sq, _sqrt
        ),
        _regression(
            "mape",
            skm.mean_absolute_percentage_error,
            "mean absolute percentage error (a fraction, not %)",
            fn.per_row_ape,
        ),
        _regression("r2", skm.r2_score, "coefficient of determination", None),
    ]
}
_PARAMETRISED = [
    (re.compile(r"top_([1-9][0-9]{0,3})_accuracy"), _top_k),
    (re.compile(r"beam_top([1-9][0-9]{0,3})_accuracy"), _beam),
]


def metric_names() -> list[str]:
    """Return every registered metric name, sorted (parametrised forms not listed)."""
    return sorted(_REGISTRY)


def get_metric(name: str) -> Metric:
    """Look a metric up by name.

    Args:
        name: A registered name, or ``top_<k>_accuracy`` / ``beam_top<k>_accuracy``.

    Returns:
        The metric.

    Raises:
        UnknownMetric: Listing the valid names and the closest one.
    """
    if name in _REGISTRY:
        return _REGISTRY[name]
    for pattern, build in _PARAMETRISED:
        match = pattern.fullmatch(name)
        if match:
            return build(int(match.group(1)))
    close = difflib.get_close_matches(name, metric_names(), n=1)
    raise UnknownMetric(name, metric_names(), close[0] if close else None)


def make_context(
    kind: PredictionKind, y_true: np.ndarray, classes: Sequence[str] | None
) -> MetricContext:
    """Fix the sorted classes and positive class once, before any resampling.

    Args:
        kind: Prediction kind.
        y_true: Reference labels (their dtype types the classes).
        classes: Declared classes (as text), or None to use those found in ``y_true``.

    Returns:
        The context.
    """
    if kind == "value":
        return MetricContext(kind=kind)
    order = None
    if classes is not None:
        typed = np.asarray(list(classes), dtype=object).astype(y_true.dtype)
        order = np.argsort(typed, kind="stable")
        found = typed[order]
    else:
        found = np.asarray(sorted(set(y_true.tolist())), dtype=y_true.dtype)
    return MetricContext(
        kind=kind,
        classes=found,
        pos_label=found[1] if len(found) == 2 else None,
        column_order=order if kind == "probabilities" else None,
    )


def prepare(metric: Metric, values: np.ndarray, context: MetricContext) -> np.ndarray:
    """Turn prediction values into what ``metric`` scores.

    Args:
        metric: The metric.
        values: Prediction values of ``context.kind``.
        context: From :func:`make_context`.

    Returns:
        Labels for label metrics; probabilities with columns in sorted class order; else
        ``values`` unchanged.

    Raises:
        IncompatibleMetric: If the metric does not accept this prediction kind.
    """
    if context.kind not in metric.accepts:
        raise IncompatibleMetric(
            f"metric {metric.name} cannot score {context.kind} predictions;"
            f" it takes {', '.join(sorted(metric.accepts))}"
        )
    if context.kind == "probabilities":
        assert context.classes is not None and context.column_order is not None
        values = values[:, context.column_order]
        if metric.uses == "label":
            return np.asarray(context.classes[np.argmax(values, axis=1)])
    if context.kind == "ranking" and metric.uses == "label":
        return np.asarray(values[:, 0])
    return values
