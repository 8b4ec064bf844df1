"""Judges' rubrics: criteria, per-criterion scores, conflicts of interest, team means."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from leaderboard.errors import InvalidRubricScore, JudgeConflict


@dataclass(frozen=True)
class Criterion:
    """One rubric criterion, scored from 0 to ``max_points``; ``weight`` in the rubric mean."""

    name: str
    max_points: float
    weight: float = 1.0


@dataclass(frozen=True)
class Rubric:
    """A challenge's rubric: distinct criteria, positive maxima, weights >= 0 (sum > 0)."""

    criteria: tuple[Criterion, ...]

    def __post_init__(self) -> None:
        names = [c.name for c in self.criteria]
        if not names:
            raise InvalidRubricScore("a rubric needs at least one criterion")
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise InvalidRubricScore(f"criteria listed twice: {', '.join(repeated)}")
        bad = [c.name for c in self.criteria if c.max_points <= 0 or c.weight < 0]
        if bad:
            raise InvalidRubricScore(
                f"criteria need max_points > 0 and weight >= 0: {', '.join(bad)}"
            )
        if sum(c.weight for c in self.criteria) <= 0:
            raise InvalidRubricScore("criterion weights sum to 0; give one a positive weight")

    def criterion(self, name: str) -> Criterion:
        """The criterion called ``name``.

        Raises:
            InvalidRubricScore: No such criterion (the message lists them).
        """
        for criterion in self.criteria:
            if criterion.name == name:
                return criterion
        known = ", ".join(c.name for c in self.criteria)
        raise InvalidRubricScore(f"unknown criterion {name!r}; the rubric has: {known}")


@dataclass(frozen=True)
class RubricScore:
    """One judge's points for one team on one criterion."""

    judge_id: int
    team_id: int
    criterion: str
    points: float
    comment: str = ""


@dataclass(frozen=True)
class TeamRubric:
    """A team's rubric result.

    Attributes:
        score: Weighted mean over criteria of (mean points / max points), in [0, 1]; a
            criterion no judge scored counts 0.
        mean_points: Per criterion, the mean over the judges who scored it (None: nobody).
        judges: How many distinct judges scored the team.
        incomplete: Whether some criterion has no score.
    """

    team_id: int
    score: float
    mean_points: Mapping[str, float | None]
    judges: int
    incomplete: bool


def judge_conflicts(
    judge_id: int, team_member_ids: Collection[int], team_name: str = "this team"
) -> None:
    """Refuse a judge who belongs to the team they would score.

    Args:
        judge_id: The judge's user id.
        team_member_ids: User ids of the team's members.
        team_name: For the message.

    Raises:
        JudgeConflict: The judge is a member of the team.
    """
    if judge_id in team_member_ids:
        raise JudgeConflict(
            f"judge {judge_id} is a member of {team_name} and cannot score it; "
            "ask another judge to score this team"
        )


def validate_score(
    rubric: Rubric, score: RubricScore, team_member_ids: Collection[int] | None = None
) -> None:
    """Check one score against the rubric and, when members are given, the judge's conflicts.

    Args:
        rubric: The challenge's rubric.
        score: The score.
        team_member_ids: User ids of the scored team's members.

    Raises:
        InvalidRubricScore: Unknown criterion or points outside [0, max_points].
        JudgeConflict: The judge belongs to the team.
    """
    criterion = rubric.criterion(score.criterion)
    if not 0 <= score.points <= criterion.max_points:
        raise InvalidRubricScore(
            f"{score.points:g} points for {criterion.name!r} is outside 0 to "
            f"{criterion.max_points:g}; give a value in that range"
        )
    if team_member_ids is not None:
        judge_conflicts(score.judge_id, team_member_ids, f"team {score.team_id}")


def team_rubrics(rubric: Rubric, scores: Iterable[RubricScore]) -> dict[int, TeamRubric]:
    """Validate every score and combine them per team.

    Args:
        rubric: The challenge's rubric.
        scores: Every judge's scores.

    Returns:
        ``{team_id: TeamRubric}`` for each team with at least one score.

    Raises:
        InvalidRubricScore: A score is invalid, or a judge scored a team's criterion twice.
    """
    points: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    judges: dict[int, set[int]] = defaultdict(set)
    seen: set[tuple[int, int, str]] = set()
    for score in scores:
        validate_score(rubric, score)
        key = (score.judge_id, score.team_id, score.criterion)
        if key in seen:
            raise InvalidRubricScore(
                f"judge {score.judge_id} scored {score.criterion!r} of "
                f"team {score.team_id} twice; keep one score"
            )
        seen.add(key)
        points[score.team_id][score.criterion].append(score.points)
        judges[score.team_id].add(score.judge_id)
    return {team: _team(rubric, team, per, len(judges[team])) for team, per in points.items()}


def _team(rubric: Rubric, team_id: int, per: Mapping[str, list[float]], judges: int) -> TeamRubric:
    means = {
        c.name: (sum(per[c.name]) / len(per[c.name]) if per.get(c.name) else None)
        for c in rubric.criteria
    }
    total_weight = sum(c.weight for c in rubric.criteria)
    score = (
        sum(c.weight * (means[c.name] or 0.0) / c.max_points for c in rubric.criteria)
        / total_weight
    )
    return TeamRubric(
        team_id, score, means, judges, incomplete=any(m is None for m in means.values())
    )
