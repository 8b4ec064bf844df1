"""Read and validate prediction files, and score them with honest uncertainty."""

from evaluators.errors import (
    EvaluatorError,
    IncompatibleMetric,
    InvalidLabels,
    InvalidPredictions,
    UnknownMetric,
)
from evaluators.evaluate import MetricScore, ScoreReport, score
from evaluators.formats import ColumnSpec, LabelsFormat, PredictionFormat
from evaluators.metrics import Metric, get_metric, metric_names

__all__ = [
    "ColumnSpec",
    "EvaluatorError",
    "IncompatibleMetric",
    "InvalidLabels",
    "InvalidPredictions",
    "LabelsFormat",
    "Metric",
    "MetricScore",
    "PredictionFormat",
    "ScoreReport",
    "UnknownMetric",
    "get_metric",
    "metric_names",
    "score",
]
