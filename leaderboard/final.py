"""The judged final ranking: normalised leaderboard score combined with the rubric."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Literal

from leaderboard.errors import InvalidRanking
from leaderboard.judging import Rubric, RubricScore, TeamRubric, team_rubrics
from leaderboard.ranking import Leaderboard

Normalisation = Literal["min-max", "rank"]


@dataclass(frozen=True)
class FinalEntry:
    """One team in the final ranking, with both parts shown.

    Attributes:
        rank: 1, 2, ... by final score (equal scores keep the leaderboard order); None when
            the team has no rubric score or no leaderboard score.
        leaderboard_rank: The team's leaderboard rank.
        leaderboard_score: Its displayed primary score.
        leaderboard_part: The normalised leaderboard score in [0, 1] (best 1).
        rubric_part: The rubric score in [0, 1]; None when no judge scored the team.
        final_score: ``(lw * leaderboard_part + rw * rubric_part) / (lw + rw)``.
    """

    rank: int | None
    team_id: int
    team_name: str
    leaderboard_rank: int | None
    leaderboard_score: float | None
    leaderboard_part: float | None
    rubric_part: float | None
    rubric: TeamRubric | None
    final_score: float | None


def normalised_scores(
    leaderboard: Leaderboard, method: Normalisation = "min-max"
) -> dict[int, float]:
    """Each ranked team's leaderboard score mapped to [0, 1], best 1 and worst 0.

    Args:
        leaderboard: The leaderboard (normally the private split).
        method: ``"min-max"``: linear in the displayed primary score between the worst and
            best ranked entries (distances matter); ``"rank"``: ``(n - rank) / (n - 1)``
            (only the order matters). With one entry, or all scores equal, everyone gets 1.

    Returns:
        ``{team_id: normalised score}`` over ranked entries (baselines excluded).
    """
    ranked = leaderboard.ranked
    if method == "rank":
        n = len(ranked)
        return {e.team_id: 1.0 if n == 1 else (n - (e.rank or n)) / (n - 1) for e in ranked}
    values = {e.team_id: e.display_scores[leaderboard.primary] or 0.0 for e in ranked}
    low, high = min(values.values(), default=0.0), max(values.values(), default=0.0)
    if high == low:
        return {team: 1.0 for team in values}
    greater = leaderboard.greater_is_better[leaderboard.primary]
    return {
        team: (v - low) / (high - low) if greater else (high - v) / (high - low)
        for team, v in values.items()
    }


def final_ranking(
    leaderboard: Leaderboard,
    rubric: Rubric,
    scores: Iterable[RubricScore],
    leaderboard_weight: float = 0.6,
    rubric_weight: float = 0.4,
    *,
    normalisation: Normalisation = "min-max",
    team_names: Mapping[int, str] | None = None,
) -> list[FinalEntry]:
    """Combine the leaderboard and the judges' rubric into the final ranking.

    Args:
        leaderboard: The deciding leaderboard (the private split).
        rubric: The challenge's rubric.
        scores: Every judge's rubric scores.
        leaderboard_weight: Weight of the normalised leaderboard score (ITU: e.g. 0.6).
        rubric_weight: Weight of the rubric score (e.g. 0.4). Weights are divided by their sum.
        normalisation: See :func:`normalised_scores`; it runs over every ranked team.
        team_names: ``{team_id: name}`` for judged teams missing from the leaderboard (a
            team with rubric scores but no entry in this phase); the leaderboard's names win.

    Returns:
        Ranked teams (with both parts) by final score, then unranked ones: ranked on the
        leaderboard but not judged, in leaderboard order, then judged teams without a
        leaderboard score.

    Raises:
        InvalidRanking: A negative weight or weights summing to 0.
        InvalidRubricScore: An invalid or repeated rubric score.
    """
    if leaderboard_weight < 0 or rubric_weight < 0 or leaderboard_weight + rubric_weight <= 0:
        raise InvalidRanking(
            "leaderboard and rubric weights must be 0 or more, not both 0; "
            f"got {leaderboard_weight} and {rubric_weight}"
        )
    judged = team_rubrics(rubric, scores)
    parts = normalised_scores(leaderboard, normalisation)
    total = leaderboard_weight + rubric_weight
    rows = []
    for e in leaderboard.ranked:
        team = judged.get(e.team_id)
        final = (
            None
            if team is None
            else (leaderboard_weight * parts[e.team_id] + rubric_weight * team.score) / total
        )
        rows.append(
            FinalEntry(
                None,
                e.team_id,
                e.team_name,
                e.rank,
                e.display_scores[leaderboard.primary],
                parts[e.team_id],
                None if team is None else team.score,
                team,
                final,
            )
        )
    ranked_teams = {e.team_id for e in leaderboard.ranked}
    names = {**(team_names or {}), **{e.team_id: e.team_name for e in leaderboard.entries}}
    orphans = [
        FinalEntry(None, t, names.get(t, f"team {t}"), None, None, None, r.score, r, None)
        for t, r in sorted(judged.items())
        if t not in ranked_teams
    ]
    return _ranked(rows) + orphans


def _ranked(rows: list[FinalEntry]) -> list[FinalEntry]:
    scored = sorted(
        (r for r in rows if r.final_score is not None),
        key=lambda r: (-(r.final_score or 0.0), r.leaderboard_rank or 0),
    )
    out = [replace(r, rank=i) for i, r in enumerate(scored, start=1)]
    return out + [r for r in rows if r.final_score is None]
