"""Leaderboard rows for people: displayed (rounded) values only, as dicts or CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

from leaderboard.models import EFFICIENCY_COLUMNS
from leaderboard.ranking import Leaderboard, LeaderboardEntry

# A cell starting with one of these is a formula in spreadsheet programs (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def columns(leaderboard: Leaderboard) -> list[str]:
    """The column names of :func:`rows` and :func:`to_csv`, in order."""
    return [
        "rank",
        "tie_group",
        "team_id",
        "team",
        "submission_id",
        "baseline",
        leaderboard.primary,
        *leaderboard.secondary,
        "ci_low",
        "ci_high",
        *EFFICIENCY_COLUMNS,
        "submissions",
        "last_submission_at",
    ]


def row(leaderboard: Leaderboard, entry: LeaderboardEntry) -> dict[str, Any]:
    """One entry as a public row: only rounded scores and intervals, never the raw values.

    Args:
        leaderboard: The entry's leaderboard (for metric names).
        entry: The entry.

    Returns:
        ``{column: value}`` with the names of :func:`columns`.
    """
    interval = entry.display_interval
    values: dict[str, Any] = {
        "rank": entry.rank,
        "tie_group": entry.tie_group,
        "team_id": entry.team_id,
        "team": entry.team_name,
        "submission_id": entry.submission_id,
        "baseline": entry.baseline,
        **dict(entry.display_scores),
        "ci_low": None if interval is None else interval.low,
        "ci_high": None if interval is None else interval.high,
        **{c: entry.efficiency.get(c) for c in EFFICIENCY_COLUMNS},
        "submissions": entry.submission_count,
        "last_submission_at": entry.last_submission_at,
    }
    return {name: values[name] for name in columns(leaderboard)}


def rows(leaderboard: Leaderboard) -> list[dict[str, Any]]:
    """Every entry as a public row (see :func:`row`)."""
    return [row(leaderboard, e) for e in leaderboard.entries]


def to_csv(leaderboard: Leaderboard) -> str:
    """The leaderboard as CSV: a header, then one line per entry, top first.

    Scores and intervals are written with exactly ``decimals`` digits; empty cells mean
    "none"; times are ISO 8601; team names that a spreadsheet would run as a formula are
    prefixed with a quote.

    Args:
        leaderboard: The leaderboard.

    Returns:
        The CSV text (``\\r\\n`` line ends, as the csv module writes).
    """
    names = columns(leaderboard)
    score_columns = {leaderboard.primary, *leaderboard.secondary, "ci_low", "ci_high"}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(names)
    for values in rows(leaderboard):
        writer.writerow(
            [
                _cell(name, values[name], name in score_columns, leaderboard.decimals)
                for name in names
            ]
        )
    return out.getvalue()


def _cell(name: str, value: Any, is_score: bool, decimals: int) -> str:
    if value is None:
        return ""
    if is_score:
        return f"{value:.{decimals}f}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    text = str(value)
    return "'" + text if name == "team" and text.startswith(_FORMULA_START) else text
