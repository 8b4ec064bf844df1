"""Score one prediction file against reference labels: the library's single entry point.

:func:`score` knows nothing of challenge bundles; the caller passes the formats, metrics and
split settings. Values are rounded to ``decimals`` (the leaderboard is an oracle: finer digits
help participants probe the hidden labels).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from evaluators.bootstrap import bootstrap_interval
from evaluators.errors import IncompatibleMetric
from evaluators.formats import LabelsFormat, PredictionFormat
from evaluators.labels import Labels, read_labels
from evaluators.metrics import Metric, MetricContext, get_metric, make_context, prepare
from evaluators.predictions import Predictions, read_predictions
from evaluators.split import split_mask_cached

SplitName = Literal["public", "private", "all"]
_SPLITS: tuple[SplitName, ...] = ("public", "private", "all")


class MetricScore(BaseModel):
    """One metric on one split; None where it cannot be computed (e.g. an empty split)."""

    model_config = ConfigDict(frozen=True)

    value: float | None
    ci_low: float | None
    ci_high: float | None
    n_rows: int
    greater_is_better: bool


class ScoreReport(BaseModel):
    """Scores per split (``public``, ``private``, ``all``) and per metric."""

    model_config = ConfigDict(frozen=True)

    primary: str
    splits: dict[SplitName, dict[str, MetricScore]]
    resamples: int
    methods: dict[str, str]  # metric -> bootstrap path used on the full set

    def to_dict(self) -> dict[str, Any]:
        """Return plain JSON-ready data."""
        return self.model_dump(mode="json")


def score(
    predictions_path: str | os.PathLike[str],
    labels_path: str | os.PathLike[str],
    fmt: PredictionFormat,
    labels_fmt: LabelsFormat,
    metrics: Sequence[str],
    *,
    split_secret: str | bytes,
    public_fraction: float,
    decimals: int = 4,
    resamples: int = 1000,
    seed: int = 0,
) -> ScoreReport:
    """Validate a prediction file and score it on the public, private and full test set.

    Args:
        predictions_path: The file the model wrote.
        labels_path: The hidden reference labels.
        fmt: Prediction format.
        labels_fmt: Reference label format.
        metrics: Metric names; the first is the primary metric.
        split_secret: Per-challenge secret of the public/private split.
        public_fraction: Share of rows on the public side.
        decimals: Rounding of every reported number.
        resamples: Bootstrap resamples per metric and split (0: no intervals).
        seed: Bootstrap seed.

    Returns:
        The report.

    Raises:
        InvalidPredictions: The prediction file is unusable (the participant's fault).
        InvalidLabels: The reference file is unusable.
        UnknownMetric: A metric name is not registered.
        IncompatibleMetric: A metric cannot score this kind of prediction or these labels.
    """
    if not metrics:
        raise ValueError("at least one metric is needed")
    chosen = [get_metric(name) for name in metrics]
    labels = read_labels(labels_path, labels_fmt)
    predictions = read_predictions(predictions_path, fmt, labels.ids)
    y_true = _reference(labels, predictions)
    context = make_context(fmt.kind, y_true, fmt.classes)
    masks = {"public": split_mask_cached(labels.ids, split_secret, public_fraction)}
    masks["private"] = ~masks["public"]
    masks["all"] = np.ones(len(y_true), dtype=bool)
    splits: dict[SplitName, dict[str, MetricScore]] = {s: {} for s in _SPLITS}
    methods: dict[str, str] = {}
    for m, metric in enumerate(chosen):
        y_pred = prepare(metric, predictions.values, context)
        for s, split in enumerate(_SPLITS):
            rng = np.random.default_rng([seed, m, s])
            result, method = _one(
                metric,
                y_true[masks[split]],
                y_pred[masks[split]],
                context,
                resamples,
                rng,
                decimals,
            )
            splits[split][metric.name] = result
            if split == "all":
                methods[metric.name] = method
    return ScoreReport(primary=chosen[0].name, splits=splits, resamples=resamples, methods=methods)


def _reference(labels: Labels, predictions: Predictions) -> np.ndarray:
    """Return the labels in a shape and type the predictions can be compared with."""
    values = labels.values
    if predictions.kind == "value":
        width = predictions.values.shape[1]
        found = 1 if values.ndim == 1 else values.shape[1]
        if found != width:
            raise IncompatibleMetric(
                f"the labels have {found} columns but the predictions have {width} value columns"
            )
        return np.asarray(values, dtype=np.float64)
    if values.ndim != 1:
        raise IncompatibleMetric("class predictions need exactly one reference label column")
    # Probability columns are named by class, so text or numeric labels both match them.
    if predictions.kind == "probabilities":
        return values
    text_labels = values.dtype == object
    text_preds = predictions.values.dtype == object
    if text_labels != text_preds:
        raise IncompatibleMetric(
            "the label column and the prediction columns must both be "
            "text or both be numbers; fix the column types"
        )
    return values


def _one(
    metric: Metric,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    context: MetricContext,
    resamples: int,
    rng: np.random.Generator,
    decimals: int,
) -> tuple[MetricScore, str]:
    """Score one split; a split the metric cannot score (one class only) gets None."""
    n = len(y_true)
    value: float | None = None
    low: float | None = None
    high: float | None = None
    method = "none"
    if n:
        try:
            value = metric(y_true, y_pred, context)
        except ValueError:
            value = None
    if value is not None and resamples > 0:
        interval = bootstrap_interval(
            metric, y_true, y_pred, context, resamples=resamples, seed=rng
        )
        low, high, method = interval.low, interval.high, interval.method
    return MetricScore(
        value=_round(value, decimals),
        ci_low=_round(low, decimals),
        ci_high=_round(high, decimals),
        n_rows=n,
        greater_is_better=metric.greater_is_better,
    ), method


def _round(value: float | None, decimals: int) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, decimals)
