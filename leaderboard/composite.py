"""A Dynascore-style composite of the primary metric and the efficiency columns.

Dynaboard's algorithm (Ma et al., 2021):

1. Convert every column to "higher is better": ``x' = direction * x + offset``. Here the
   offset is 0 for higher-is-better columns and the largest value for lower-is-better ones,
   so ``x' = max - x >= 0``; an offset moves every model alike and changes no ranking.
2. Sort the models by performance (the leaderboard's primary metric).
3. For each other column, the average marginal rate of substitution against performance:
   ``AMRS = mean over adjacent models of |delta column' / delta performance|`` (pairs with
   equal performance are skipped: their rate is undefined).
4. Divide each column by its AMRS, which turns its unit into "performance points"
   (performance's own AMRS is 1).
5. The score is the weighted sum with the user's weights, normalised to sum to 1.

Degenerate cases: with fewer than two distinct performances the AMRS is undefined, and when
it is 0 the column does not move against performance; in both cases the column contributes
nothing (its ``amrs`` is reported as None or 0). Only entries with every weighted column are
ranked; the others are listed after them, unranked, with the columns they miss. Baselines are
left out. Metric columns use the displayed (rounded) values, as the leaderboard does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from leaderboard.errors import InvalidRanking
from leaderboard.models import EFFICIENCY_COLUMNS
from leaderboard.ranking import Leaderboard, LeaderboardEntry

DEFAULT_PERFORMANCE_WEIGHT = 4.0
DEFAULT_OTHER_WEIGHT = 1.0


@dataclass(frozen=True)
class CompositeEntry:
    """One row of the composite ranking.

    Attributes:
        rank: 1, 2, ... by score (equal scores keep the leaderboard's order); None when a
            column is missing.
        score: The composite in performance points; None when unranked.
        display_score: ``score`` rounded to the leaderboard's decimals.
        values: Every weighted column as compared (metrics at display precision, efficiency
            raw); None when missing.
        contributions: ``weight * x' / AMRS`` per column, the parts of ``score``.
        missing: Weighted columns this entry has no value for.
        leaderboard_rank: The entry's rank on the leaderboard it came from.
    """

    rank: int | None
    submission_id: int
    team_id: int
    team_name: str
    score: float | None
    display_score: float | None
    values: Mapping[str, float | None]
    contributions: Mapping[str, float]
    missing: tuple[str, ...]
    leaderboard_rank: int | None


def default_weights(
    primary: str,
    columns: Sequence[str] = EFFICIENCY_COLUMNS,
    performance: float = DEFAULT_PERFORMANCE_WEIGHT,
    other: float = DEFAULT_OTHER_WEIGHT,
) -> dict[str, float]:
    """Dynaboard's defaults: performance 4, every other column 1.

    Args:
        primary: The primary metric (the performance column).
        columns: The other columns.
        performance: Weight of the primary metric.
        other: Weight of each other column.

    Returns:
        ``{column: weight}``.
    """
    return {primary: performance, **{c: other for c in columns}}


def average_marginal_rate(performance: Sequence[float], column: Sequence[float]) -> float | None:
    """AMRS of ``column`` against ``performance``, both already higher-is-better.

    Args:
        performance: Performance of each model.
        column: The column's value for the same models, in the same order.

    Returns:
        The mean of ``|delta column / delta performance|`` over models adjacent in performance
        order, skipping equal performances; None when no pair is usable.
    """
    pairs = sorted(zip(performance, column, strict=True))
    rates = [
        abs((c2 - c1) / (p2 - p1))
        for (p1, c1), (p2, c2) in zip(pairs, pairs[1:], strict=False)
        if p2 != p1
    ]
    return sum(rates) / len(rates) if rates else None


def composite(
    leaderboard: Leaderboard, weights: Mapping[str, float] | None = None
) -> list[CompositeEntry]:
    """Rank the leaderboard's teams on a weighted composite of performance and efficiency.

    Args:
        leaderboard: A leaderboard from :func:`leaderboard.rank`; its primary metric is
            performance.
        weights: ``{column: weight >= 0}`` over the leaderboard's metrics and
            ``wall_seconds``, ``cpu_seconds``, ``peak_memory_mb``; default
            :func:`default_weights`. A column left out has weight 0.

    Returns:
        Ranked entries by score, then the unranked ones (missing a column).

    Raises:
        InvalidRanking: An unknown column, a negative weight or weights summing to 0.
    """
    weights = dict(weights or default_weights(leaderboard.primary))
    columns = _checked_columns(leaderboard, weights)
    rows = [e for e in leaderboard.entries if not e.baseline]
    values = {e.submission_id: {c: _value(e, c) for c in columns} for e in rows}
    complete = [e for e in rows if all(v is not None for v in values[e.submission_id].values())]
    converted = _higher_is_better(leaderboard, columns, [values[e.submission_id] for e in complete])
    scaled = _scaled(leaderboard.primary, columns, converted)
    total = sum(weights.values())
    scored = []
    for e, column_values in zip(complete, scaled, strict=True):
        parts = {c: weights[c] / total * column_values[c] for c in columns}
        scored.append((e, sum(parts.values()), parts))
    scored.sort(key=lambda item: (-round(item[1], leaderboard.decimals), _rank_key(item[0].rank)))
    ranked = [
        _entry(e, i, score, parts, values[e.submission_id], leaderboard.decimals)
        for i, (e, score, parts) in enumerate(scored, start=1)
    ]
    done = {e.submission_id for e in complete}
    rest = [
        _entry(e, None, None, {}, values[e.submission_id], leaderboard.decimals)
        for e in rows
        if e.submission_id not in done
    ]
    return ranked + rest


def _checked_columns(leaderboard: Leaderboard, weights: dict[str, float]) -> list[str]:
    known = [leaderboard.primary, *leaderboard.secondary, *EFFICIENCY_COLUMNS]
    unknown = sorted(set(weights) - set(known))
    if unknown:
        raise InvalidRanking(
            f"unknown composite column(s) {', '.join(unknown)}; use {', '.join(known)}"
        )
    negative = sorted(c for c, w in weights.items() if w < 0)
    if negative:
        raise InvalidRanking(f"weights must be 0 or more; negative: {', '.join(negative)}")
    weights.setdefault(leaderboard.primary, 0.0)
    if sum(weights.values()) <= 0:
        raise InvalidRanking("weights sum to 0; give at least one column a positive weight")
    return [c for c in known if c in weights]


def _value(entry: LeaderboardEntry, column: str) -> float | None:
    if column in EFFICIENCY_COLUMNS:
        return entry.efficiency.get(column)
    return entry.display_scores.get(column)


def _higher_is_better(
    leaderboard: Leaderboard, columns: list[str], rows: list[dict[str, float | None]]
) -> list[dict[str, float]]:
    converted: list[dict[str, float]] = [{} for _ in rows]
    for column in columns:
        raw = [float(row[column] or 0.0) for row in rows]
        greater = leaderboard.greater_is_better.get(column, False)  # efficiency: lower
        offset = 0.0 if greater or not raw else max(raw)
        for out, x in zip(converted, raw, strict=True):
            out[column] = x if greater else offset - x
    return converted


def _scaled(
    primary: str, columns: list[str], rows: list[dict[str, float]]
) -> list[dict[str, float]]:
    performance = [row[primary] for row in rows]
    scaled: list[dict[str, float]] = [dict(row) for row in rows]
    for column in columns:
        if column == primary:
            continue
        amrs = average_marginal_rate(performance, [row[column] for row in rows])
        for row in scaled:
            row[column] = row[column] / amrs if amrs else 0.0
    return scaled


def _rank_key(rank: int | None) -> float:
    return float("inf") if rank is None else float(rank)


def _entry(
    e: LeaderboardEntry,
    rank: int | None,
    score: float | None,
    parts: Mapping[str, float],
    values: Mapping[str, float | None],
    decimals: int,
) -> CompositeEntry:
    return CompositeEntry(
        rank=rank,
        submission_id=e.submission_id,
        team_id=e.team_id,
        team_name=e.team_name,
        score=score,
        display_score=None if score is None else round(score, decimals),
        values=dict(values),
        contributions=dict(parts),
        missing=tuple(c for c, v in values.items() if v is None),
        leaderboard_rank=e.rank,
    )
