"""Server-rendered SVG geometry: interval bars for leaderboard rows and the score-history plot.

Pure functions from numbers to coordinates; templates draw the ``<svg>`` (names go through
autoescaping there, coordinates are numbers formatted here).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from leaderboard import HistoryPoint

PALETTE = (
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
    "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
)  # fmt: skip
BAR_WIDTH = 160
BAR_HEIGHT = 18
BAR_PAD = 6


@dataclass(frozen=True)
class IntervalBar:
    """One row's interval bar: from ``x_low`` to ``x_high``, with the score's dot at ``x_score``."""

    x_low: float
    x_high: float
    x_score: float
    width: int = BAR_WIDTH
    height: int = BAR_HEIGHT


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class Series:
    """One team's step line, as SVG ``points``."""

    name: str
    colour: str
    points: str
    last_x: float
    last_y: float


@dataclass(frozen=True)
class Plot:
    width: int
    height: int
    left: int
    top: int
    right: int
    bottom: int
    series: tuple[Series, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    y_label: str


def _domain(values: Sequence[float]) -> tuple[float, float]:
    low, high = min(values), max(values)
    if high == low:  # a flat domain still needs a width to draw in
        pad = abs(low) * 0.01 or 0.5
        return low - pad, high + pad
    pad = (high - low) * 0.05
    return low - pad, high + pad


def _scale(value: float, domain: tuple[float, float], start: float, end: float) -> float:
    low, high = domain
    return round(start + (value - low) / (high - low) * (end - start), 2)


def interval_bars(
    rows: Mapping[int, tuple[float, float, float]],
) -> dict[int, IntervalBar]:
    """Bars on one shared scale: ``{row_id: (low, score, high)}`` to ``{row_id: bar}``."""
    if not rows:
        return {}
    domain = _domain([v for triple in rows.values() for v in triple])
    end = BAR_WIDTH - BAR_PAD
    return {
        key: IntervalBar(
            _scale(low, domain, BAR_PAD, end),
            _scale(high, domain, BAR_PAD, end),
            _scale(score, domain, BAR_PAD, end),
        )
        for key, (low, score, high) in rows.items()
    }


def _ticks(domain: tuple[float, float], count: int, decimals: int) -> list[float]:
    low, high = domain
    step = (high - low) / (count - 1)
    return [round(low + i * step, decimals + 1) for i in range(count)]


def _time_ticks(start: float, end: float, count: int = 4) -> list[float]:
    step = (end - start) / (count - 1)
    return [start + i * step for i in range(count)]


def history_plot(
    history: Mapping[int, Sequence[HistoryPoint]],
    names: Mapping[int, str],
    *,
    y_label: str,
    decimals: int,
    until: datetime,
    width: int = 640,
    height: int = 300,
) -> Plot | None:
    """A step line per team of its best score over time, up to ``until``; None with no points."""
    points = [p for team in history.values() for p in team]
    if not points:
        return None
    left, top, right, bottom = 64, 16, width - 16, height - 40
    times = [p.at.timestamp() for p in points] + [until.timestamp()]
    x_domain = _domain(times)
    y_domain = _domain([p.best for p in points])
    series = [
        _series(names.get(team, f"team {team}"), PALETTE[i % len(PALETTE)], history[team],
                x_domain, y_domain, (left, top, right, bottom), until.timestamp())
        for i, team in enumerate(sorted(history, key=lambda t: names.get(t, "")))
    ]  # fmt: skip
    x_ticks = [
        Tick(
            _scale(t, x_domain, left, right), datetime.fromtimestamp(t, UTC).strftime("%b %d %H:%M")
        )
        for t in _time_ticks(min(times), max(times))
    ]
    y_ticks = [
        Tick(_scale(v, y_domain, bottom, top), f"{v:.{decimals}f}")
        for v in _ticks(y_domain, 5, decimals)
    ]
    return Plot(width, height, left, top, right, bottom, tuple(series),
                tuple(x_ticks), tuple(y_ticks), y_label)  # fmt: skip


def _series(
    name: str,
    colour: str,
    points: Sequence[HistoryPoint],
    x_domain: tuple[float, float],
    y_domain: tuple[float, float],
    box: tuple[int, int, int, int],
    until: float,
) -> Series:
    left, top, right, bottom = box
    coords: list[tuple[float, float]] = []
    for point in points:
        x = _scale(point.at.timestamp(), x_domain, left, right)
        y = _scale(point.best, y_domain, bottom, top)
        if coords:  # a step: the best score holds until the next improvement
            coords.append((x, coords[-1][1]))
        coords.append((x, y))
    end_x = _scale(max(until, points[-1].at.timestamp()), x_domain, left, right)
    coords.append((end_x, coords[-1][1]))
    text = " ".join(f"{x:g},{y:g}" for x, y in coords)
    return Series(name, colour, text, coords[-2][0], coords[-2][1])
