"""The answers of the ranking views, as the API's response models: leaderboard, composite,
history, final ranking, published ranking and reproduction.

They are the allow-list of what these views show: displayed (rounded) scores only, team names,
no hidden paths. Field order is the JSON's order, which clients (the CLI) read by name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class Interval(BaseModel):
    """A 95% interval of the primary score, rounded like the score."""

    low: float
    high: float


class EfficiencyOut(BaseModel):
    """What the entry's evaluation cost (None: not measured)."""

    wall_seconds: float | None
    cpu_seconds: float | None
    peak_memory_mb: float | None


class BoardIdentity(BaseModel):
    """Which board an answer is: challenge, phase, split, and how it ranks and rounds."""

    challenge: str
    phase: str
    split: str
    primary: str
    secondary: list[str]
    greater_is_better: dict[str, bool]
    decimals: int


class BoardHead(BoardIdentity):
    """A leaderboard answer's fields before its page of entries."""

    rule: str = Field(description="which submission of a team counts: best, latest or selected")
    generated_at: datetime
    total: int = Field(description="entries in the whole ranking, not only this page")


class EntryOut(BaseModel):
    """One leaderboard row: displayed (rounded) values only."""

    rank: int | None = Field(description="None for baselines and entries without a valid score")
    tie_group: int | None
    tied_with_next: bool
    p_value_to_next: float | None
    team: str
    team_id: int
    baseline: bool
    submission_id: int
    scores: dict[str, float | None]
    interval: Interval | None
    efficiency: EfficiencyOut
    submission_count: int
    last_submission_at: datetime | None


class CompositeOut(BaseModel):
    """One row of the composite ranking (performance and cost, weighted)."""

    rank: int | None = Field(description="None when a weighted column is missing")
    team: str
    team_id: int
    submission_id: int
    score: float | None
    leaderboard_rank: int | None
    values: dict[str, float | None]
    contributions: dict[str, float]
    missing: list[str]


class LeaderboardOut(BoardHead):
    """A page of one phase's ranking on one split; ``weights`` and ``composite`` only when the
    request gave ``weights``."""

    offset: int
    limit: int
    entries: list[EntryOut]
    weights: dict[str, float] | None = None
    composite: list[CompositeOut] | None = None


class HistoryPointOut(BaseModel):
    at: datetime
    best: float


class TeamHistory(BaseModel):
    team_id: int
    team: str
    points: list[HistoryPointOut]


class HistoryOut(BoardIdentity):
    """Each team's best displayed primary score after each of its submissions."""

    generated_at: datetime
    teams: list[TeamHistory]


class PlainFinalEntry(BaseModel):
    """A team of a final ranking without a rubric: its private leaderboard place."""

    rank: int | None
    team_id: int
    team: str
    final_score: float | None
    leaderboard_rank: int | None
    leaderboard_score: float | None


class TeamRubricOut(BaseModel):
    mean_points: dict[str, float | None]
    judges: int
    incomplete: bool


class JudgedFinalEntry(PlainFinalEntry):
    """A team of a judged final ranking: both parts and the rubric it got."""

    leaderboard_part: float | None
    rubric_part: float | None
    rubric: TeamRubricOut | None


class FinalHead(BaseModel):
    challenge: str
    phase: str
    split: str
    primary: str
    decimals: int


class PlainFinalRanking(FinalHead):
    """The final ranking of a challenge without a rubric: its private leaderboard."""

    judged: Literal[False] = False
    entries: list[PlainFinalEntry]


class FinalWeights(BaseModel):
    leaderboard: float
    rubric: float


class CriterionOut(BaseModel):
    name: str
    max_points: float
    weight: float


class JudgedFinalRanking(FinalHead):
    """The private leaderboard combined with the judges' rubric."""

    judged: Literal[True] = True
    weights: FinalWeights
    rubric: list[CriterionOut]
    entries: list[JudgedFinalEntry]


FinalRanking = JudgedFinalRanking | PlainFinalRanking


class PublishedOut(BaseModel):
    """A frozen version of the final ranking, readable by anyone."""

    version: int
    phase: str
    published_at: datetime
    ranking: FinalRanking


ReproductionState = Literal["pending", "reproduced", "not_reproduced"]


class ReproductionOut(BaseModel):
    """A judge's re-run of a submission against its original scores (primary metric)."""

    id: int
    submission_id: int
    state: ReproductionState
    requested_at: datetime
    requested_by: str | None
    metric: str
    relative_tolerance: float
    original: dict[str, float | None] = Field(description="the original score per split")
    rerun: dict[str, float | None] | None = Field(description="the re-run's; None while pending")
    rerun_status: str | None
    rerun_reason: str | None
    within_tolerance: bool | None
