"""How the CLI shows values: scores at the challenge's decimals, costs, times and free text.

One place for every figure the CLI prints, so that a table, a status line and the demo's
leaderboards round alike: scores and intervals to the challenge's ``metrics.decimals``, seconds
to 0.1 s (two significant digits below that), memory in whole MB.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import Any

DEFAULT_DECIMALS = 4  # the challenge schema's default for metrics.decimals
NONE = "-"


def printable(text: str) -> str:
    """``text`` on one line with control characters (escape sequences too) shown as ``?``.

    Names and reasons come from other people: an ESC in a team name must not recolour, move
    the cursor or rewrite a judge's terminal.
    """
    shown = ("?" if _hidden(ch) else ch for ch in text)
    return " ".join("".join(shown).split())


def _hidden(ch: str) -> bool:
    # control characters, and format characters such as bidi overrides (not the joiners that
    # compose emoji and some scripts); whitespace becomes one space in ``printable``
    category = unicodedata.category(ch)
    if category == "Cc":
        return ch not in "\t\n\r"
    return category == "Cf" and ch not in "\u200c\u200d"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def score_text(value: Any, decimals: int = DEFAULT_DECIMALS) -> str:
    """A score with exactly ``decimals`` digits (``0.9712``), ``-`` when there is none."""
    number = _number(value)
    return NONE if number is None else f"{number:.{decimals}f}"


def interval_text(interval: Any, decimals: int = DEFAULT_DECIMALS) -> str:
    """An interval ``{low, high}`` as ``[0.9712, 0.9934]``, ``-`` when there is none."""
    if not isinstance(interval, Mapping):
        return NONE
    low, high = _number(interval.get("low")), _number(interval.get("high"))
    if low is None or high is None:
        return NONE
    return f"[{low:.{decimals}f}, {high:.{decimals}f}]"


def seconds_text(value: Any) -> str:
    """Seconds to 0.1 s (``2.0``), or two significant digits below 0.1 s (``0.012``)."""
    number = _number(value)
    if number is None:
        return NONE
    return f"{number:.1f}" if abs(number) >= 0.1 or number == 0 else f"{number:.2g}"


def megabytes_text(value: Any) -> str:
    """Memory in whole MB (``110``)."""
    number = _number(value)
    return NONE if number is None else f"{number:.0f}"


def size_text(num_bytes: Any) -> str:
    """A size in B, KB, MB or GB (``3.2 MB``)."""
    number = _number(num_bytes)
    if number is None:
        return NONE
    for unit in ("B", "KB", "MB"):
        if abs(number) < 1024:
            return f"{number:.0f} {unit}" if unit == "B" else f"{number:.1f} {unit}"
        number /= 1024
    return f"{number:.1f} GB"


def points_text(value: Any) -> str:
    """Rubric points to one decimal (``7.5``)."""
    number = _number(value)
    return NONE if number is None else f"{number:.1f}"


def p_value_text(value: Any) -> str:
    """A p-value to two significant digits (``0.031``); the API's 4 decimals bound it below."""
    number = _number(value)
    if number is None:
        return NONE
    return "<0.0001" if number < 0.0001 else f"{number:.2g}"


def when(value: Any) -> str:
    """An ISO time from the API as ``YYYY-MM-DD HH:MM`` (UTC), or ``-``."""
    if not value:
        return NONE
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return printable(str(value))


def cell(value: Any) -> str:
    """Any value as one line of text: ``-`` for none, yes/no, floats to four significant
    digits (columns that know their unit format their own), times shortened."""
    if value is None or value == "":
        return NONE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        return when(value)
    if isinstance(value, (list, dict)):
        return printable(json.dumps(value))
    return printable(str(value))


def decimals_of(answer: Any) -> int:
    """The ``decimals`` an answer carries (leaderboard, final ranking, challenge metrics)."""
    if isinstance(answer, Mapping):
        for source in (answer, answer.get("metrics")):
            if isinstance(source, Mapping) and isinstance(source.get("decimals"), int):
                return int(source["decimals"])
    return DEFAULT_DECIMALS


def score_line(scores: Any, decimals: int = DEFAULT_DECIMALS, primary: str | None = None) -> str:
    """Scores of a submission (a list of ``{split, metric, value, ...}``) as one short line."""
    if not isinstance(scores, list) or not scores:
        return "no scores yet"
    parts = []
    for item in scores:
        if not isinstance(item, Mapping):
            continue
        interval = interval_text({"low": item.get("ci_low"), "high": item.get("ci_high")}, decimals)
        shown = "" if interval == NONE else f" {interval}"
        star = "*" if primary and item.get("metric") == primary else ""
        name = printable(f"{item.get('split')}/{item.get('metric')}")
        parts.append(f"{name}{star}: {score_text(item.get('value'), decimals)}{shown}")
    return "; ".join(parts) or "no scores yet"


def timings_line(timings: Any) -> str | None:
    """``2.0 s wall, 0.4 s CPU, 110 MB peak memory``; None before any run was measured."""
    if not isinstance(timings, Mapping) or _number(timings.get("wall_seconds")) is None:
        return None
    parts = [f"{seconds_text(timings.get('wall_seconds'))} s wall"]
    if _number(timings.get("cpu_seconds")) is not None:
        parts.append(f"{seconds_text(timings.get('cpu_seconds'))} s CPU")
    if _number(timings.get("peak_memory_mb")) is not None:
        parts.append(f"{megabytes_text(timings.get('peak_memory_mb'))} MB peak memory")
    return ", ".join(parts)
