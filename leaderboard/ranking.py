"""Rank teams on one split of one phase: rules, ties, baselines, rounding, intervals."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from leaderboard._rules import Ordering, SortKey, choose
from leaderboard.errors import InvalidRanking
from leaderboard.models import (
    Efficiency,
    RankingRule,
    ScoreInterval,
    SubmissionScore,
    display_value,
)
from leaderboard.ties import ALPHA, Significance, tie_groups

PUBLIC = "public"
PRIVATE = "private"
STAFF_ROLES = frozenset({"admin", "organiser", "judge"})


@dataclass(frozen=True)
class LeaderboardEntry:
    """One row of a leaderboard.

    Attributes:
        rank: Competition rank ("1224": equal only when every compared value and the
            submission time are equal); None for baselines and entries without a valid score.
        scores: Raw values, primary metric first, then the secondary metrics.
        display_scores: The same rounded to the challenge's decimals: what people may see.
        interval: Raw interval of the primary score on the split; ``display_interval`` rounded.
        submission_count: The team's submissions in the phase (any status); 0 for baselines.
        last_submission_at: The team's latest submission in the phase.
        tie_group: Statistical tie group (None without a significance source or for unranked).
        tied_with_next: Whether the next ranked entry is in the same tie group.
        p_value_to_next: The p-value of "no difference" with the next ranked entry.
    """

    rank: int | None
    submission_id: int
    team_id: int
    team_name: str
    baseline: bool
    scores: Mapping[str, float | None]
    display_scores: Mapping[str, float | None]
    interval: ScoreInterval | None
    display_interval: ScoreInterval | None
    efficiency: Efficiency
    submitted_at: datetime
    submission_count: int
    last_submission_at: datetime | None
    tie_group: int | None = None
    tied_with_next: bool = False
    p_value_to_next: float | None = None


@dataclass(frozen=True)
class Leaderboard:
    """A ranked table: ranked entries and baselines by score, then entries with no score."""

    split: str
    primary: str
    secondary: tuple[str, ...]
    greater_is_better: Mapping[str, bool]
    decimals: int
    rule: RankingRule
    entries: tuple[LeaderboardEntry, ...]

    @property
    def ranked(self) -> tuple[LeaderboardEntry, ...]:
        """Entries with a rank (no baselines, no entries without a valid score)."""
        return tuple(e for e in self.entries if e.rank is not None)


def visible_splits(role: str | None, revealed: bool) -> frozenset[str]:
    """The splits a viewer may rank on.

    Args:
        role: ``"admin"``, ``"organiser"`` or ``"judge"`` of the challenge see everything;
            any other value (participant, anonymous, None) is an ordinary viewer.
        revealed: Whether the organiser has revealed the private ranking.

    Returns:
        ``{"public", "private"}`` for staff and after the reveal, else ``{"public"}``.
    """
    if role in STAFF_ROLES or revealed:
        return frozenset({PUBLIC, PRIVATE})
    return frozenset({PUBLIC})


def directions_from_registry(metrics: Iterable[str]) -> dict[str, bool]:
    """``{metric: greater_is_better}`` for metrics of the evaluators registry.

    Args:
        metrics: Registry names.

    Returns:
        The direction of each metric.

    Raises:
        evaluators.UnknownMetric: A name is not in the registry (the message lists them).
    """
    # Imported here: evaluators pulls in scikit-learn, which plain rankings do not need.
    from evaluators.metrics import get_metric

    return {name: get_metric(name).greater_is_better for name in metrics}


def rank(
    entries: Iterable[SubmissionScore],
    *,
    primary: str,
    split: str,
    greater_is_better: Mapping[str, bool],
    secondary: Sequence[str] = (),
    rule: RankingRule | None = None,
    phase: str | None = None,
    phase_end: datetime | None = None,
    decimals: int = 4,
    significance: Significance | None = None,
    alpha: float = ALPHA,
    choose_on: str | None = None,
) -> Leaderboard:
    """Rank one entry per team on ``split``.

    Args:
        entries: Scored submissions (any status; baselines and disqualified ones included).
        primary: The primary metric.
        split: The split to rank on (see :func:`visible_splits`).
        greater_is_better: Direction of the primary and every secondary metric.
        secondary: Tie-breaking metrics, in declared order.
        rule: Which submission of a team counts (default: best).
        phase: When given, submissions of other phases are ignored.
        phase_end: When given, submissions at or after it are ignored (a phase is
            ``[start, end)``), so late ones never change the phase's ranking.
        decimals: Display precision; ranking compares values at this precision.
        significance: P-values of adjacent pairs (see :mod:`leaderboard.ties`); None: no groups.
        alpha: Level below which adjacent entries differ.
        choose_on: Split whose scores pick a team's best submission (e.g. ``"public"`` for
            the private ranking, as participants choose on what they see); default ``split``.

    Returns:
        The leaderboard.

    Raises:
        InvalidRanking: A metric has no direction, a metric is listed twice, bad decimals.
    """
    metrics = (primary, *secondary)
    _check(metrics, greater_is_better, decimals, alpha)
    ordering = Ordering(split, metrics, greater_is_better, decimals)
    chooser = ordering if choose_on is None else ordering.on(choose_on)
    window = [e for e in entries if _in_window(e, phase, phase_end)]
    teams: dict[int, list[SubmissionScore]] = defaultdict(list)
    for entry in window:
        if not entry.baseline:
            teams[entry.team_id].append(entry)
    chosen = [
        choose(eligible, rule or RankingRule(), ordering, chooser)
        for eligible in ([e for e in team if not e.disqualified] for team in teams.values())
        if eligible
    ]
    baselines = [e for e in window if e.baseline and not e.disqualified]
    table = _place(chosen + baselines, ordering)
    rows = _rows(table, ordering, teams, significance, alpha)
    return Leaderboard(
        split,
        primary,
        tuple(secondary),
        dict(greater_is_better),
        decimals,
        rule or RankingRule(),
        tuple(rows),
    )


def _check(
    metrics: tuple[str, ...], greater_is_better: Mapping[str, bool], decimals: int, alpha: float
) -> None:
    missing = [m for m in metrics if m not in greater_is_better]
    if missing:
        raise InvalidRanking(
            f"no direction for {', '.join(missing)}; pass greater_is_better "
            "for the primary and every secondary metric"
        )
    repeated = sorted({m for m in metrics if metrics.count(m) > 1})
    if repeated:
        raise InvalidRanking(f"metrics listed twice: {', '.join(repeated)}")
    if not 0 <= decimals <= 12:
        raise InvalidRanking(f"decimals must be between 0 and 12, not {decimals}")
    if not 0 < alpha < 1:
        raise InvalidRanking(f"alpha must be between 0 and 1, not {alpha}")


def _in_window(entry: SubmissionScore, phase: str | None, phase_end: datetime | None) -> bool:
    if phase is not None and entry.phase != phase:
        return False
    return phase_end is None or entry.submitted_at < phase_end


def _place(entries: list[SubmissionScore], ordering: Ordering) -> list[SubmissionScore]:
    """Scored entries by score (a team before a baseline with the same key), then the rest."""
    scored = [e for e in entries if ordering.valid(e)]
    scored.sort(key=lambda e: (ordering.key(e), e.baseline, e.submission_id))
    unscored = sorted(
        (e for e in entries if not ordering.valid(e)),
        key=lambda e: (e.baseline, e.team_name, e.submission_id),
    )
    return scored + unscored


def _competition_ranks(ranked: list[SubmissionScore], ordering: Ordering) -> list[int]:
    ranks: list[int] = []
    previous: SortKey | None = None
    for position, entry in enumerate(ranked, start=1):
        key = ordering.key(entry)
        ranks.append(ranks[-1] if key == previous else position)
        previous = key
    return ranks


def _rows(
    table: list[SubmissionScore],
    ordering: Ordering,
    teams: Mapping[int, list[SubmissionScore]],
    significance: Significance | None,
    alpha: float,
) -> list[LeaderboardEntry]:
    ranked = [e for e in table if not e.baseline and ordering.valid(e)]
    ranks = dict(
        zip((e.submission_id for e in ranked), _competition_ranks(ranked, ordering), strict=True)
    )
    groups: dict[int, tuple[int, float | None]] = {}
    if significance is not None:
        groups = dict(
            zip(
                (e.submission_id for e in ranked),
                tie_groups(ranked, significance, alpha),
                strict=True,
            )
        )
    rows = []
    for entry in table:
        team = [] if entry.baseline else teams[entry.team_id]
        group, p_next = groups.get(entry.submission_id, (None, None))
        tied = p_next is not None and p_next >= alpha
        rows.append(
            _row(entry, ordering, team, ranks.get(entry.submission_id), group, p_next, tied)
        )
    return rows


def _row(
    entry: SubmissionScore,
    ordering: Ordering,
    team: list[SubmissionScore],
    rank_: int | None,
    group: int | None,
    p_next: float | None,
    tied_with_next: bool,
) -> LeaderboardEntry:
    raw = {m: entry.score(ordering.split, m) for m in ordering.metrics}
    interval = entry.intervals.get(ordering.split) if raw[ordering.metrics[0]] is not None else None
    shown = (
        None
        if interval is None
        else ScoreInterval(
            round(interval.low, ordering.decimals), round(interval.high, ordering.decimals)
        )
    )
    return LeaderboardEntry(
        rank=rank_,
        submission_id=entry.submission_id,
        team_id=entry.team_id,
        team_name=entry.team_name,
        baseline=entry.baseline,
        scores=raw,
        display_scores={m: display_value(v, ordering.decimals) for m, v in raw.items()},
        interval=interval,
        display_interval=shown,
        efficiency=entry.efficiency,
        submitted_at=entry.submitted_at,
        submission_count=len(team),
        last_submission_at=max((e.submitted_at for e in team), default=None),
        tie_group=group,
        tied_with_next=tied_with_next,
        p_value_to_next=p_next,
    )
