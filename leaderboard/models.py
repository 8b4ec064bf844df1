"""The plain data the library ranks: one scored submission, its interval and its cost."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from leaderboard.errors import InvalidRanking

FINISHED = "finished"
EFFICIENCY_COLUMNS: tuple[str, ...] = ("wall_seconds", "cpu_seconds", "peak_memory_mb")
RuleKind = Literal["best", "latest", "selected"]


@dataclass(frozen=True)
class ScoreInterval:
    """A confidence interval of a score (95% percentile bootstrap on the platform)."""

    low: float
    high: float


@dataclass(frozen=True)
class Efficiency:
    """What one evaluation cost; None when it was not measured. Lower is better."""

    wall_seconds: float | None = None
    cpu_seconds: float | None = None
    peak_memory_mb: float | None = None

    def get(self, column: str) -> float | None:
        """The value of one of :data:`EFFICIENCY_COLUMNS` if it is a finite number."""
        return valid_number(getattr(self, column))


@dataclass(frozen=True)
class SubmissionScore:
    """One submission as the leaderboard sees it.

    Attributes:
        submission_id: The submission.
        team_id: Its team.
        team_name: The team's display name.
        submitted_at: When it was submitted (timezone-aware on the platform).
        phase: The phase it was submitted to.
        scores: ``{split: {metric: value}}``; None or NaN means "no valid score".
        intervals: ``{split: interval of the primary metric}``.
        efficiency: Wall and CPU seconds and peak memory of its evaluation.
        status: Only ``"finished"`` submissions have valid scores.
        baseline: An organiser's reference solution: shown, marked, never ranked.
        disqualified: Excluded from every ranking.
        selected: Chosen by its team as a final submission (rule ``selected``).
    """

    submission_id: int
    team_id: int
    team_name: str
    submitted_at: datetime
    phase: str = ""
    scores: Mapping[str, Mapping[str, float | None]] = field(default_factory=dict)
    intervals: Mapping[str, ScoreInterval] = field(default_factory=dict)
    efficiency: Efficiency = field(default_factory=Efficiency)
    status: str = FINISHED
    baseline: bool = False
    disqualified: bool = False
    selected: bool = False

    def score(self, split: str, metric: str) -> float | None:
        """The value of ``metric`` on ``split``, or None when there is no valid score.

        Args:
            split: A split name such as ``"public"``.
            metric: A metric name.

        Returns:
            A finite float, or None when the submission did not finish or the value is
            missing, None, NaN or infinite.
        """
        if self.status != FINISHED:
            return None
        return valid_number(self.scores.get(split, {}).get(metric))


@dataclass(frozen=True)
class RankingRule:
    """Which submission of a team counts.

    ``best`` (default): the team's best scored submission. ``latest``: its most recent
    submission with a valid score. ``selected``: the best of the submissions the team marked
    as final (at most ``max_selected``, the earliest submitted ones when more are marked); a
    team that selected none gets its ``max_selected`` best ones, as Kaggle does.
    """

    kind: RuleKind = "best"
    max_selected: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("best", "latest", "selected"):
            raise InvalidRanking(f"unknown rule {self.kind!r}; use best, latest or selected")
        if self.kind == "selected" and (self.max_selected is None or self.max_selected < 1):
            raise InvalidRanking("rule 'selected' needs max_selected of at least 1")


def valid_number(value: object) -> float | None:
    """``value`` as a float when it is a finite real number, else None."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def display_value(value: float | None, decimals: int) -> float | None:
    """``value`` rounded to the challenge's precision (what anyone but the platform sees)."""
    return None if value is None else round(value, decimals)
