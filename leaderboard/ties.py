"""Statistical ties: adjacent entries whose difference is noise share a tie group."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from leaderboard.models import SubmissionScore

PValue = Callable[[SubmissionScore, SubmissionScore], float]
PairPValues = Mapping[tuple[int, int], float]
Significance = PValue | PairPValues
ALPHA = 0.05


def pair_p_value(
    significance: Significance, better: SubmissionScore, worse: SubmissionScore
) -> float | None:
    """The p-value of "no difference" between two adjacent entries.

    Args:
        significance: A callable ``(a, b) -> p`` (e.g. wrapping
            :func:`evaluators.bootstrap.paired_bootstrap` on the two prediction sets), or a
            mapping ``{(submission_id_a, submission_id_b): p}`` looked up in either order.
        better: The higher-placed entry.
        worse: The entry right below it.

    Returns:
        The p-value, or None when the mapping has no value for the pair.
    """
    if callable(significance):
        return float(significance(better, worse))
    pair = (better.submission_id, worse.submission_id)
    value = significance.get(pair, significance.get((pair[1], pair[0])))
    return None if value is None else float(value)


def tie_groups(
    ranked: Sequence[SubmissionScore], significance: Significance, alpha: float = ALPHA
) -> list[tuple[int, float | None]]:
    """Chain adjacent entries that are not significantly different into groups.

    Entry ``i`` joins the group of entry ``i - 1`` when their p-value is at least ``alpha``;
    otherwise it opens a new group. Groups are numbered 1, 2, ... from the top. A pair with
    no known p-value is treated as different (no tie is claimed without evidence).

    Args:
        ranked: Ranked entries, best first.
        significance: See :func:`pair_p_value`.
        alpha: Significance level.

    Returns:
        Per entry, its group and the p-value against the next entry (None for the last).
    """
    groups: list[int] = []
    p_next: list[float | None] = []
    for i, entry in enumerate(ranked):
        if i == 0:
            groups.append(1)
            continue
        p = pair_p_value(significance, ranked[i - 1], entry)
        p_next.append(p)
        tied = p is not None and p >= alpha
        groups.append(groups[-1] if tied else groups[-1] + 1)
    p_next.append(None)
    return list(zip(groups, p_next, strict=True))
