"""Read and validate prediction files, and score them with honest uncertainty."""

from evaluators.metrics import get_metric, metric_names

__all__ = ["get_metric", "metric_names"]
