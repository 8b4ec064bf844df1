"""Who advances into the next round: the top N of a ranking, a judges' shortlist, or both.

Pure: the ranking arrives as ``(team_id, rank)`` pairs of ranked teams (baselines and unranked
entries already left out), the shortlist as team ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

TOP_N = "top_n"
SHORTLIST = "shortlist"
BOTH = "both"


@dataclass(frozen=True)
class Advancing:
    """One team that advances: why, and its rank in the previous round (None: not ranked)."""

    team_id: int
    how: str
    rank: int | None


def advancing(
    ranked: Sequence[tuple[int, int]],
    *,
    top_n: int | None,
    shortlist: Iterable[int] = (),
) -> list[Advancing]:
    """The teams that advance: ranked teams with rank <= ``top_n`` (ties at the cut all
    advance), then shortlisted teams; by rank, then by team id.

    Args:
        ranked: ``(team_id, rank)`` of each ranked team of the previous round.
        top_n: How many of the best advance; None when the rule has no top N.
        shortlist: The team ids the judges put forward (empty when the rule has none).

    Returns:
        One entry per advancing team; ``how`` is ``top_n``, ``shortlist`` or ``both``.
    """
    ranks = dict(ranked)
    top = {t for t, r in ranked if top_n is not None and r <= top_n}
    chosen = set(shortlist)
    result = [
        Advancing(t, BOTH if t in top and t in chosen else TOP_N if t in top else SHORTLIST,
                  ranks.get(t))
        for t in top | chosen
    ]  # fmt: skip
    return sorted(result, key=lambda a: (a.rank is None, a.rank or 0, a.team_id))
