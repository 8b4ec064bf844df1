"""Each team's best score over time, for plots."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from leaderboard.models import SubmissionScore


@dataclass(frozen=True)
class HistoryPoint:
    """The team's best displayed score after the submission made at ``at``."""

    at: datetime
    best: float


def best_over_time(
    entries: Iterable[SubmissionScore],
    primary: str,
    greater_is_better: bool,
    *,
    split: str = "public",
    phase: str | None = None,
    phase_end: datetime | None = None,
    decimals: int = 4,
) -> dict[int, list[HistoryPoint]]:
    """Per team, the best-so-far primary score after each of its scored submissions.

    Baselines, disqualified submissions, submissions without a valid score and those outside
    the phase window are left out. Values are rounded to ``decimals``, as on the leaderboard.

    Args:
        entries: Scored submissions.
        primary: The primary metric.
        greater_is_better: Its direction.
        split: The split to follow (``public`` unless the viewer may see ``private``).
        phase: When given, only submissions of this phase.
        phase_end: When given, only submissions before it.
        decimals: Display precision.

    Returns:
        ``{team_id: [HistoryPoint, ...]}`` in time order; the values never get worse.
    """
    per_team: dict[int, list[tuple[datetime, float]]] = defaultdict(list)
    for e in entries:
        value = e.score(split, primary)
        if (
            value is None
            or e.baseline
            or e.disqualified
            or (phase is not None and e.phase != phase)
            or (phase_end is not None and e.submitted_at >= phase_end)
        ):
            continue
        per_team[e.team_id].append((e.submitted_at, round(value, decimals)))
    pick = max if greater_is_better else min
    history: dict[int, list[HistoryPoint]] = {}
    for team, points in per_team.items():
        best: float | None = None
        history[team] = []
        for at, value in sorted(points):
            best = value if best is None else pick(best, value)
            history[team].append(HistoryPoint(at, best))
    return history
