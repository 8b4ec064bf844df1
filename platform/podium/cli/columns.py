"""The columns of each table the CLI (and `make run`'s demo) prints, most important first.

Priority 0 columns are always shown in full (see :mod:`podium.cli.tables`): on a leaderboard
the rank, the team, the primary score and its interval; on a final ranking the rank, the team,
the final score and the leaderboard score. Scores are shown at the ``decimals`` the answer
carries (the challenge's ``metrics.decimals``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from podium.cli.figures import (
    NONE,
    decimals_of,
    interval_text,
    megabytes_text,
    p_value_text,
    points_text,
    score_text,
    seconds_text,
    size_text,
    when,
)
from podium.cli.tables import Column, field

TIE_NOTE = "=: tied with a neighbour (their difference is not significant)"
BASELINE_NOTE = "B: a baseline (not ranked)"


def _entries(answer: Any) -> list[dict[str, Any]]:
    entries = answer.get("entries") if isinstance(answer, Mapping) else None
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def board_rows(answer: Any) -> list[dict[str, Any]]:
    """A leaderboard's entries, each with its ``place``: ``3``, ``3=`` (tied), ``B``, ``-``."""
    entries = _entries(answer)
    groups = Counter(e.get("tie_group") for e in entries if e.get("tie_group") is not None)
    rows = []
    for entry in entries:
        rank = entry.get("rank")
        tied = groups.get(entry.get("tie_group"), 0) > 1
        if rank is None:
            place = "B" if entry.get("baseline") else NONE
        else:
            place = f"{rank}=" if tied else str(rank)
        rows.append({**entry, "place": place})
    return rows


def board_notes(rows: Sequence[Mapping[str, Any]], answer: Any) -> list[str]:
    """What the marks in the place column mean, and how much of the board is shown."""
    notes = []
    if any(str(r.get("place", "")).endswith("=") for r in rows):
        notes.append(TIE_NOTE)
    if any(r.get("place") == "B" for r in rows):
        notes.append(BASELINE_NOTE)
    return notes + page_notes(answer, len(rows))


def page_notes(answer: Any, shown: int, what: str = "entries") -> list[str]:
    """``showing the first 100 of 250 entries`` when a paged answer holds part of the list."""
    total = answer.get("total") if isinstance(answer, Mapping) else None
    if isinstance(total, int) and total > shown:
        return [f"showing the first {shown} of {total} {what}"]
    return []


def leaderboard_columns(answer: Any) -> list[Column]:
    """Rank, team, primary score and its 95% interval; then the secondary metrics, costs,
    submission counts and the rest, in the order they give way."""
    decimals = decimals_of(answer)
    score = partial(score_text, decimals=decimals)
    primary = str(answer.get("primary") or "score") if isinstance(answer, Mapping) else "score"
    secondary = answer.get("secondary") if isinstance(answer, Mapping) else None
    columns = [
        field("place", "rank", justify="right"),
        field("team"),
        field(f"scores.{primary}", primary, show=score, justify="right"),
        field("interval", "95% CI", show=partial(interval_text, decimals=decimals)),
    ]
    for name in secondary if isinstance(secondary, list) else []:
        columns.append(field(f"scores.{name}", str(name), show=score, priority=2, justify="right"))
    return columns + [
        field("efficiency.wall_seconds", "wall s", show=seconds_text, priority=3, justify="right"),
        field("efficiency.peak_memory_mb", "MB", show=megabytes_text, priority=4, justify="right"),
        field("submission_count", "subs", priority=4, justify="right"),
        field("efficiency.cpu_seconds", "cpu s", show=seconds_text, priority=5, justify="right"),
        field("last_submission_at", "last", priority=5),
        field("submission_id", "sub", priority=6, justify="right"),
        field("p_value_to_next", "p next", show=p_value_text, priority=6, justify="right"),
        field("team_id", "team id", priority=7, justify="right"),
    ]


def final_rows(answer: Any) -> list[dict[str, Any]]:
    """A final ranking's entries, each with its ``place`` (``-`` while unranked)."""
    return [
        {**e, "place": NONE if e.get("rank") is None else str(e["rank"])} for e in _entries(answer)
    ]


def final_columns(answer: Any) -> list[Column]:
    """Rank, team, final score and leaderboard score first; then both parts, the leaderboard
    rank and each rubric criterion's mean points."""
    decimals = decimals_of(answer)
    score = partial(score_text, decimals=decimals)
    judged = isinstance(answer, Mapping) and bool(answer.get("judged"))
    primary = str(answer.get("primary") or "score") if isinstance(answer, Mapping) else "score"
    columns = [field("place", "rank", justify="right"), field("team")]
    if judged:
        columns.append(field("final_score", "final", show=score, justify="right"))
    columns += [
        field("leaderboard_score", primary, show=score, justify="right"),
        field("leaderboard_rank", "lb rank", priority=2, justify="right"),
    ]
    if not judged:
        return columns
    columns += [
        field("leaderboard_part", "lb part", show=score, priority=1, justify="right"),
        field("rubric_part", "rubric part", show=score, priority=1, justify="right"),
    ]
    rubric = answer.get("rubric") if isinstance(answer, Mapping) else None
    for criterion in rubric if isinstance(rubric, list) else []:
        name = str(criterion.get("name")) if isinstance(criterion, Mapping) else "?"
        key = f"rubric.mean_points.{name}"
        columns.append(field(key, name, show=points_text, priority=3, justify="right"))
    return columns + [
        field("rubric.judges", "judges", priority=4, justify="right"),
        field("rubric.incomplete", "incomplete", priority=4),
    ]


def submission_columns(*, staff: bool) -> list[Column]:
    """A listing of submissions: id, status, when and why first; the team first too for staff
    (a participant sees only their own team's)."""
    team_priority = 0 if staff else 5
    return [
        field("id", justify="right"),
        field("team_name", "team", priority=team_priority),
        field("status"),
        field("created_at", "submitted", show=when, priority=1),
        field("reason", priority=2, min_width=12),
        field("phase", priority=3),
        field("kind", priority=4),
        field("disqualified", "dq", show=lambda v: "yes" if v else "", priority=1 if staff else 4),
        field("description", priority=5, min_width=12),
        field("username", "by", priority=6),
        field("filename", "file", priority=7),
        field("team_id", "team id", priority=7, justify="right"),
    ]


def phases_text(phases: Any) -> str:
    """``development (ends 2030-06-30 00:00), final (ends ...)``."""
    items = phases if isinstance(phases, list) else []
    return ", ".join(
        f"{p.get('name')} (ends {when(p.get('end'))})" for p in items if isinstance(p, Mapping)
    )


CHALLENGE_COLUMNS = [
    field("slug"),
    field("title", priority=1, min_width=12),
    field("phases", show=phases_text, priority=2, min_width=16),
    field(
        "tags",
        show=lambda v: ", ".join(map(str, v)) if isinstance(v, list) else "",
        priority=3,
        min_width=8,
    ),
]

EVENT_COLUMNS = [
    field("at", show=when),
    field("status"),
    field("detail", priority=1, min_width=16),
]


def limits_text(limits: Any) -> str:
    """A phase's main limits: ``120 s wall, 1024 MB, 1 CPU`` (and ``GPU`` when it has one)."""
    if not isinstance(limits, Mapping):
        return NONE
    parts = []
    for key, unit in (("wall_seconds", "s wall"), ("memory_mb", "MB"), ("cpus", "CPU")):
        if isinstance(limits.get(key), (int, float)):
            parts.append(f"{limits[key]:g} {unit}")
    if limits.get("gpu") or limits.get("gpus"):
        parts.append("GPU")
    return ", ".join(parts) or NONE


PHASE_COLUMNS = [
    field("name", "phase"),
    field("start", show=when, priority=2),
    field("end", show=when),
    field(
        "submission_kinds",
        "kinds",
        show=lambda v: ", ".join(map(str, v)) if isinstance(v, list) else NONE,
        priority=2,
        min_width=8,
    ),
    field("limits", show=limits_text, priority=1, min_width=16),
]

FILE_COLUMNS = [
    field("name"),
    field("kind", priority=2),
    field("size_bytes", "size", show=size_text, priority=1, justify="right"),
    field("description", priority=1, min_width=16),
]
