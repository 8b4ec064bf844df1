"""How a phase ranks: its settings, who may see which split, and the ranked table.

The ranking itself is the pure ``leaderboard`` library; the entries come from
:mod:`podium.crud.leaderboards`, statistical ties from :mod:`podium.services.significance`
(paired bootstrap on saved predictions) or, where that has no answer, from the entries' stored
intervals (:func:`interval_p_value`). Cached views are :mod:`podium.services.boards`'.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from sqlmodel import Session

from leaderboard import (
    PRIVATE,
    PUBLIC,
    Leaderboard,
    LeaderboardError,
    RankingRule,
    SubmissionScore,
    directions_from_registry,
    rank,
    visible_splits,
)
from podium.crud.board_entries import Candidates, Choice, load_candidates, with_activity
from podium.db.models import Challenge, Phase
from podium.errors import InvalidInput, PermissionDenied
from podium.services.significance import paired_significance
from podium.store import Store

Z_95 = 1.959963984540054  # the 97.5% quantile of the standard normal: a 95% interval is ±Z σ


@dataclass(frozen=True)
class BoardConfig:
    """How one phase of a challenge ranks: metrics, directions, precision, rule, visibility."""

    primary: str
    secondary: tuple[str, ...]
    greater_is_better: Mapping[str, bool]
    decimals: int
    rule: RankingRule
    visibility: str


def board_config(challenge: Challenge, phase: Phase) -> BoardConfig:
    """The ranking settings of ``phase``: the challenge's metrics, the phase's rules.

    Raises:
        InvalidInput: The phase's leaderboard rules are invalid.
    """
    metrics = challenge.parsed_spec.metrics
    names = tuple(metrics.names)
    program = metrics.scoring_program
    directions = (
        {m.name: m.greater_is_better for m in program.metrics}
        if program is not None
        else _registry_directions(names)
    )
    rules = phase.leaderboard_rules
    try:
        rule = RankingRule(rules.rule, rules.max_selected)
    except LeaderboardError as error:
        raise InvalidInput(
            f"phase {phase.name!r} has an invalid leaderboard rule: {error}"
        ) from None
    return BoardConfig(
        metrics.primary,
        tuple(metrics.secondary),
        {n: directions[n] for n in names},
        metrics.decimals,
        rule,
        rules.visibility,
    )


@lru_cache(maxsize=256)
def _registry_directions(names: tuple[str, ...]) -> dict[str, bool]:
    return directions_from_registry(names)


def check_visible(challenge: Challenge, config: BoardConfig, role: str | None, split: str) -> None:
    """Refuse a view the caller may not see.

    Raises:
        PermissionDenied: Hidden leaderboard for a non-staff caller, or a split not yet revealed.
        InvalidInput: An unknown split.
    """
    refused = refusal(challenge.slug, config.visibility, challenge.revealed_private, role, split)
    if refused is not None:
        raise refused


def refusal(
    slug: str, visibility: str, revealed: bool, role: str | None, split: str
) -> InvalidInput | PermissionDenied | None:
    """Why a caller with ``role`` may not see ``split`` of a board (None: they may)."""
    if split not in (PUBLIC, PRIVATE):
        return InvalidInput(f"unknown split {split!r}; use public or private")
    staff = role is not None
    if visibility == "hidden" and not staff:
        return PermissionDenied(
            f"the leaderboard of {slug} is hidden; only its organisers and judges see it"
        )
    if visibility == "private-until-reveal" and not staff and not revealed:
        return PermissionDenied(
            f"the leaderboard of {slug} is shown after the organisers reveal it"
        )
    if split not in visible_splits(role, revealed):
        return PermissionDenied(
            f"the private leaderboard of {slug} is shown after the organisers reveal "
            "it; ask for split=public"
        )
    return None


def interval_p_value(
    split: str, primary: str
) -> Callable[[SubmissionScore, SubmissionScore], float]:
    """P-values of "no difference" from the two entries' stored 95% intervals.

    An approximation, not the paired bootstrap the issue asks for: each interval's half-width
    divided by 1.96 is taken as that score's standard error, the two scores are treated as
    independent, and ``p = erfc(|a - b| / sqrt(2 (σa² + σb²)))`` (two-sided normal test).
    Scores on the same test rows are positively correlated, so the true standard error of the
    difference is smaller: this p-value is too large, which claims ties more often (it never
    invents a significant difference). The pipeline can later store paired p-values; the
    library accepts a ``{(id_a, id_b): p}`` mapping for that. NaN: no interval, no claim.
    """

    def p_value(a: SubmissionScore, b: SubmissionScore) -> float:
        va, vb = a.score(split, primary), b.score(split, primary)
        ia, ib = a.intervals.get(split), b.intervals.get(split)
        if va is None or vb is None or ia is None or ib is None:
            return math.nan
        sigma = math.hypot((ia.high - ia.low) / (2 * Z_95), (ib.high - ib.low) / (2 * Z_95))
        if sigma == 0:
            return 1.0 if va == vb else 0.0
        return math.erfc(abs(va - vb) / (sigma * math.sqrt(2)))

    return p_value


def board_candidates(
    session: Session,
    *,
    phase: Phase,
    config: BoardConfig,
    split: str,
    previous: Candidates | None = None,
) -> Candidates:
    """The submissions that can represent a team on ``split`` of ``phase``, and the teams'
    counts: ``previous`` brought up to date, or read whole (see
    :func:`podium.crud.board_entries.load_candidates`)."""
    metrics = (config.primary, *config.secondary)
    splits = (split, PUBLIC) if split == PRIVATE else (split,)
    choose_on = PUBLIC if split == PRIVATE else split
    choice = Choice(
        config.rule, split, choose_on, config.primary,
        config.greater_is_better[config.primary], config.decimals,
    )  # fmt: skip
    return load_candidates(
        session, phase=phase, metrics=metrics, splits=splits, choice=choice, previous=previous
    )


def build_leaderboard(
    session: Session,
    *,
    phase: Phase,
    config: BoardConfig,
    split: str,
    store: Store | None = None,
    candidates: Candidates | None = None,
) -> Leaderboard:
    """Rank ``phase`` on ``split`` (the private split picks each team's entry on public scores).

    Statistical ties come from a paired bootstrap on the entries' saved predictions when
    ``store`` is given, and from their stored intervals where predictions are missing.
    ``candidates`` are :func:`board_candidates` (read here when not given).

    Raises:
        InvalidInput: The challenge's ranking settings are invalid.
    """
    if candidates is None:
        candidates = board_candidates(session, phase=phase, config=config, split=split)
    entries = candidates.entries()
    # leaderboard.tie_groups fails on an empty ranking: no significance when nothing ranks
    rankable = any(
        e.score(split, config.primary) is not None
        and not (e.baseline or e.disqualified)
        and e.submitted_at < phase.end
        for e in entries
    )
    try:
        board = rank(
            entries,
            primary=config.primary,
            split=split,
            greater_is_better=config.greater_is_better,
            secondary=config.secondary,
            rule=config.rule,
            phase_end=phase.end,
            decimals=config.decimals,
            significance=_significance(session, store, phase, split, config, entries)
            if rankable
            else None,
            choose_on=PUBLIC if split == PRIVATE else None,
        )
    except LeaderboardError as error:
        raise InvalidInput(f"the leaderboard cannot be ranked: {error}") from None
    return with_activity(board, candidates.activity)


def _significance(
    session: Session,
    store: Store | None,
    phase: Phase,
    split: str,
    config: BoardConfig,
    entries: list[SubmissionScore],
) -> Callable[[SubmissionScore, SubmissionScore], float]:
    approximate = interval_p_value(split, config.primary)
    challenge = session.get(Challenge, phase.challenge_id)
    if store is None or challenge is None:
        return approximate
    scored = [e.submission_id for e in entries if e.score(split, config.primary) is not None]
    return paired_significance(
        session, store=store, challenge=challenge, phase=phase, split=split,
        fallback=approximate, submission_ids=scored,
    )  # fmt: skip
