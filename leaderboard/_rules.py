"""Ordering of submissions and the per-team choice of the one that counts."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from leaderboard.models import RankingRule, SubmissionScore, display_value

SortKey = tuple[float | datetime, ...]


@dataclass(frozen=True)
class Ordering:
    """How submissions compare on one split.

    Scores are compared at the displayed precision, so the order never reveals a difference
    the table hides; equal displayed primaries go to the secondary metrics in declared order
    (a missing secondary counts as worst), then to the earlier submission.
    """

    split: str
    metrics: tuple[str, ...]
    greater_is_better: Mapping[str, bool]
    decimals: int

    def key(self, entry: SubmissionScore) -> SortKey:
        """Sort key: smaller is better; entries without a valid primary sort after all others."""
        parts: list[float | datetime] = []
        for metric in self.metrics:
            value = display_value(entry.score(self.split, metric), self.decimals)
            if value is None:
                parts.append(math.inf)
            else:
                parts.append(-value if self.greater_is_better[metric] else value)
        parts.append(entry.submitted_at)
        return tuple(parts)

    def valid(self, entry: SubmissionScore) -> bool:
        """Whether the entry has a valid primary score on this split."""
        return entry.score(self.split, self.metrics[0]) is not None

    def on(self, split: str) -> Ordering:
        """The same ordering on another split."""
        return Ordering(split, self.metrics, self.greater_is_better, self.decimals)


def choose(
    team: Sequence[SubmissionScore], rule: RankingRule, ordering: Ordering, choose_on: Ordering
) -> SubmissionScore:
    """The submission that represents a team.

    Args:
        team: The team's eligible submissions (not disqualified, in the phase window), not empty.
        rule: The ranking rule.
        ordering: The ranked split's ordering.
        choose_on: The ordering that picks "best" (rule ``best`` and the fallback of
            ``selected``); the ranked ordering unless the caller asks otherwise.

    Returns:
        The counted submission; when none has a valid score, the latest one (shown unranked).
    """
    by_time = sorted(team, key=lambda e: (e.submitted_at, e.submission_id))
    if rule.kind == "latest":
        scored = [e for e in by_time if ordering.valid(e)]
        return scored[-1] if scored else by_time[-1]
    if rule.kind == "best":
        return _best(by_time, choose_on, fallback=by_time[-1])
    limit = rule.max_selected or 1
    candidates = [e for e in by_time if e.selected][:limit]
    if not candidates:  # Kaggle: a team that selects nothing gets its best ones
        scored = sorted((e for e in by_time if choose_on.valid(e)), key=choose_on.key)
        candidates = scored[:limit]
    return _best(candidates, ordering, fallback=(candidates or by_time)[-1])


def _best(
    entries: Sequence[SubmissionScore], ordering: Ordering, fallback: SubmissionScore
) -> SubmissionScore:
    scored = [e for e in entries if ordering.valid(e)]
    return min(scored, key=ordering.key) if scored else fallback
