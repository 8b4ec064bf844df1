"""Percentile bootstrap confidence intervals and paired comparisons.

Three paths, chosen per metric and data; the result records which one ran (``method``):

``per-row``
    Metrics that are ``finish(mean(per_row))`` (accuracy, top-k, log loss, MAE, MSE, RMSE,
    MAPE). When the per-row values take few distinct values (accuracy: 0 and 1), resampling
    rows is exactly a multinomial draw over those values, which costs O(resamples x distinct).
    Otherwise row indices are drawn with ``rng.integers`` in chunks of a few million cells,
    so memory stays bounded: O(resamples x n) time.
``weighted``
    Any other metric, called once per resample with the resample's row counts as
    ``sample_weight`` (integer weights equal repeated rows for every registered metric).
    Label predictions compress to distinct (true, predicted) pairs, so a confusion-matrix
    metric costs O(resamples x classes^2) whatever n is.
``weighted-subsample``
    When rows do not compress and n exceeds ``max_generic_rows`` (ROC AUC, R2 on large sets),
    a single call costs O(n log n) (ROC AUC sorts the scores), so 1,000 calls on 1,000,000 rows
    would take minutes. The bootstrap then runs on a random subsample of ``max_generic_rows``
    rows and the spread of the resampled values around the subsample's value is scaled by
    sqrt(m / n) and centred on the full-data value (valid for smooth, root-n metrics).

A metric with ``Metric.resampled`` takes the ``weighted`` paths with every resample scored in
one vectorised call instead of one call per resample: ROC AUC (the scores sorted once) and the
confusion-matrix metrics (F1, macro precision and recall, balanced accuracy, MCC, Cohen's kappa:
per-label weight sums of all resamples at once, see ``evaluators._confusion``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluators.metrics import Metric, MetricContext

Seed = int | np.random.Generator
_DISTINCT_LIMIT = 256  # at most this many distinct per-row values: use the multinomial draw
_CHUNK_CELLS = 2_000_000  # indices drawn at once (~20 MB with the gathered values)
_BLOCK_BITS = 15  # rows per block: 2**15 float64 = 256 KiB, an L2 cache's worth
DEFAULT_MAX_GENERIC_ROWS = 10_000


@dataclass(frozen=True)
class Interval:
    """A bootstrap interval.

    Attributes:
        low: Lower bound (NaN when no resample could be scored).
        high: Upper bound.
        resamples: Resamples drawn.
        failed: Resamples the metric could not score (e.g. one class only); ignored.
        method: ``per-row``, ``weighted`` or ``weighted-subsample (m of n rows)``.
    """

    low: float
    high: float
    resamples: int
    failed: int
    method: str


@dataclass(frozen=True)
class PairedComparison:
    """Metric of A minus metric of B on the same rows, with a paired bootstrap.

    Attributes:
        difference: ``metric(a) - metric(b)`` on all rows.
        interval: Percentile interval of the difference.
        p_value: Two-sided bootstrap p-value for "no difference".
        differs: Whether ``p_value < 0.05`` (alpha of the call).
    """

    difference: float
    interval: Interval
    p_value: float
    differs: bool


def bootstrap_interval(
    metric: Metric,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    context: MetricContext,
    *,
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: Seed = 0,
    max_generic_rows: int = DEFAULT_MAX_GENERIC_ROWS,
) -> Interval:
    """Percentile bootstrap interval of ``metric`` on prepared arrays.

    Args:
        metric: The metric.
        y_true: Reference values.
        y_pred: Predictions prepared with :func:`evaluators.metrics.prepare`.
        context: The metric context.
        resamples: Number of resamples.
        confidence: Interval coverage, e.g. 0.95.
        seed: Seed or numpy Generator; equal seeds give equal intervals.
        max_generic_rows: Above this many rows that do not compress, the weighted path
            subsamples (see the module docstring).

    Returns:
        The interval, with the path that computed it.
    """
    rng = np.random.default_rng(seed)
    stats, method = _resampled(metric, y_true, [y_pred], context, resamples, rng, max_generic_rows)
    return _interval(stats[0], confidence, method)


def paired_bootstrap(
    metric: Metric,
    y_true: np.ndarray,
    pred_a: np.ndarray,
    pred_b: np.ndarray,
    context: MetricContext,
    *,
    resamples: int = 1000,
    confidence: float = 0.95,
    alpha: float = 0.05,
    seed: Seed = 0,
    max_generic_rows: int = DEFAULT_MAX_GENERIC_ROWS,
) -> PairedComparison:
    """Compare two prediction sets on the same rows with the same resamples.

    Args:
        metric: The metric.
        y_true: Reference values.
        pred_a: Predictions of entry A (prepared).
        pred_b: Predictions of entry B (prepared).
        context: The metric context.
        resamples: Number of resamples.
        confidence: Coverage of the interval of the difference.
        alpha: Significance level for ``differs``.
        seed: Seed or numpy Generator.
        max_generic_rows: As in :func:`bootstrap_interval`.

    Returns:
        The difference A - B, its interval and a two-sided p-value.
    """
    rng = np.random.default_rng(seed)
    difference = metric(y_true, pred_a, context) - metric(y_true, pred_b, context)
    stats, method = _resampled(
        metric,
        y_true,
        [pred_a, pred_b],
        context,
        resamples,
        rng,
        max_generic_rows,
        centre=[difference],
    )
    diffs = stats[0] - stats[1] if len(stats) == 2 else stats[0]
    valid = diffs[~np.isnan(diffs)]
    # Share of resamples on each side of zero; +1 keeps p above 0 with finite resamples.
    tail = min(int((valid <= 0).sum()), int((valid >= 0).sum()))
    p_value = min(1.0, 2.0 * (tail + 1) / (len(valid) + 1))
    return PairedComparison(
        difference=float(difference),
        interval=_interval(diffs, confidence, method),
        p_value=p_value,
        differs=p_value < alpha,
    )


def _interval(stats: np.ndarray, confidence: float, method: str) -> Interval:
    valid = stats[~np.isnan(stats)]
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(valid, [tail, 100.0 - tail]) if len(valid) else (np.nan, np.nan)
    return Interval(
        low=float(low),
        high=float(high),
        resamples=len(stats),
        failed=len(stats) - len(valid),
        method=method,
    )


def _resampled(
    metric: Metric,
    y_true: np.ndarray,
    preds: list[np.ndarray],
    context: MetricContext,
    resamples: int,
    rng: np.random.Generator,
    max_rows: int,
    centre: list[float] | None = None,
) -> tuple[list[np.ndarray], str]:
    """Return the metric on each resample, one array per prediction set, and the path.

    With ``centre`` (paired, subsampled), one array of rescaled differences comes back.
    """
    if metric.per_row is not None:
        rows = np.column_stack([metric.per_row(y_true, p, context) for p in preds])
        means = _resampled_means(rows, resamples, rng)
        return [np.asarray([metric.finish(m) for m in col]) for col in means.T], "per-row"
    groups = _compress(y_true, preds)
    if groups is not None:
        first, counts = groups
        return _weighted(
            metric, y_true[first], [p[first] for p in preds], context, counts, resamples, rng
        ), "weighted"
    n = len(y_true)
    if n <= max_rows:
        return _weighted(
            metric, y_true, preds, context, np.ones(n, dtype=np.int64), resamples, rng
        ), "weighted"
    return _subsampled(metric, y_true, preds, context, resamples, rng, max_rows, centre)


def _resampled_means(rows: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Means of ``rows`` (n, sets) over resamples of its rows: shape (resamples, sets)."""
    n = len(rows)
    # A look at the first rows avoids sorting a million continuous values for nothing.
    few = len(np.unique(rows[: 4 * _DISTINCT_LIMIT], axis=0)) <= _DISTINCT_LIMIT
    distinct, inverse = np.unique(rows, axis=0, return_inverse=True) if few else (rows, None)
    if inverse is not None and len(distinct) <= _DISTINCT_LIMIT:
        counts = np.bincount(inverse.ravel(), minlength=len(distinct))
        draws = rng.multinomial(n, counts / n, size=resamples)
        return np.asarray(draws @ distinct / n)
    return _block_means(rows, resamples, rng)


def _block_means(rows: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Resampled means by index resampling, drawn block by block to stay in cache.

    Drawing n uniform row indices is the same as first drawing how many fall in each block
    (a multinomial over block sizes), then drawing uniformly inside each block. Blocks of
    2**15 rows fit in a core's L2 cache, so the gathers are cheap, and an index inside a full
    block is 15 random bits: no rejection sampling needed.
    """
    n, sets = rows.shape
    block = 1 << _BLOCK_BITS
    starts = np.arange(0, n, block)
    sizes = np.minimum(block, n - starts)
    counts = rng.multinomial(n, sizes / n, size=resamples)
    sums = np.zeros((resamples, sets))
    for j, (start, size) in enumerate(zip(starts, sizes, strict=True)):
        part = rows[start : start + size]
        per_chunk = max(1, _CHUNK_CELLS // int(size))
        for lo in range(0, resamples, per_chunk):
            drawn = counts[lo : lo + per_chunk, j]
            total = int(drawn.sum())
            if total == 0:
                continue
            idx: np.ndarray
            if size == block:
                # 64 raw bits give four 16-bit draws; their top 15 bits are a uniform index.
                raw = rng.bit_generator.random_raw(-(-total // 4)).view(np.uint16)[:total]
                idx = raw >> np.uint16(16 - _BLOCK_BITS)
            else:
                idx = rng.integers(0, size, total)
            offsets = np.minimum(np.concatenate(([0], np.cumsum(drawn)[:-1])), total - 1)
            block_sums = np.add.reduceat(part[idx], offsets, axis=0)
            block_sums[drawn == 0] = 0.0  # reduceat yields an element for an empty group
            sums[lo : lo + per_chunk] += block_sums
    sums /= n
    return sums


def _compress(y_true: np.ndarray, preds: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
    """Group rows with equal (true, predicted...) values when that shrinks the data a lot.

    Returns:
        ``(first row of each group, group sizes)``, or None for 2-D or barely repeating data.
    """
    if y_true.ndim != 1 or any(p.ndim != 1 for p in preds):
        return None
    codes = [pd.factorize(a)[0] for a in (y_true, *preds)]
    key = np.zeros(len(y_true), dtype=np.int64)
    for code in codes:
        key = key * (int(code.max()) + 1) + code
    first, counts = _groups(key)
    return (first, counts) if len(first) * 4 <= len(y_true) else None


def _groups(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(key, return_index=True, return_counts=True)[1:]`` without sorting n keys.

    Hashing numbers the groups in order of first appearance, so a group's first row is where
    the running maximum of those numbers grows; only the groups are then sorted by key.
    """
    codes, uniques = pd.factorize(key)
    if len(codes) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    peak = np.maximum.accumulate(codes)
    first = np.flatnonzero(np.concatenate(([True], peak[1:] > peak[:-1])))
    order = np.argsort(uniques, kind="stable")
    return first[order], np.bincount(codes, minlength=len(uniques))[order]


def _weighted(
    metric: Metric,
    y_true: np.ndarray,
    preds: list[np.ndarray],
    context: MetricContext,
    counts: np.ndarray,
    resamples: int,
    rng: np.random.Generator,
) -> list[np.ndarray]:
    """Call the metric per resample with multinomial row counts as weights."""
    n = int(counts.sum())
    draws = rng.multinomial(n, counts / n, size=resamples)
    if metric.resampled is not None:
        return [metric.resampled(y_true, pred, context, draws) for pred in preds]
    stats = np.full((len(preds), resamples), np.nan)
    for b, weights in enumerate(draws):
        keep = weights > 0  # absent rows must not add their labels to the label set
        for j, pred in enumerate(preds):
            stats[j, b] = _safe(metric, y_true[keep], pred[keep], context, weights[keep])
    return list(stats)


def _subsampled(
    metric: Metric,
    y_true: np.ndarray,
    preds: list[np.ndarray],
    context: MetricContext,
    resamples: int,
    rng: np.random.Generator,
    max_rows: int,
    centre: list[float] | None,
) -> tuple[list[np.ndarray], str]:
    """Bootstrap a subsample of ``max_rows`` rows, rescaling the spread to n rows."""
    n = len(y_true)
    rows = np.sort(rng.choice(n, size=max_rows, replace=False))
    sub_true, sub_preds = y_true[rows], [p[rows] for p in preds]
    stats = _weighted(
        metric, sub_true, sub_preds, context, np.ones(max_rows, dtype=np.int64), resamples, rng
    )
    shrink = np.sqrt(max_rows / n)
    sub_values = [metric(sub_true, p, context) for p in sub_preds]
    if centre is not None:  # paired: rescale the differences around the full difference
        diffs = stats[0] - stats[1]
        rescaled = [centre[0] + (diffs - (sub_values[0] - sub_values[1])) * shrink]
    else:
        full = [metric(y_true, p, context) for p in preds]
        rescaled = [f + (s - v) * shrink for f, s, v in zip(full, stats, sub_values, strict=True)]
    return rescaled, f"weighted-subsample ({max_rows} of {n} rows)"


def _safe(
    metric: Metric,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    context: MetricContext,
    weights: np.ndarray,
) -> float:
    """Return the weighted score, or NaN when a resample cannot be scored (one class only)."""
    try:
        return metric(y_true, y_pred, context, sample_weight=weights)
    except ValueError:
        return float("nan")
