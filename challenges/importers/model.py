"""What every importer reads out of another platform's bundle, before a Podium bundle is written."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

Platform = Literal["codabench", "codalab", "evalai"]


@dataclass(frozen=True)
class Column:
    """One leaderboard column: the key their program writes, and how it sorts."""

    key: str
    title: str
    greater_is_better: bool
    decimals: int | None = None
    computed: tuple[str, tuple[str, ...]] | None = None  # (Avg|Sum|Min|Max, source keys)


@dataclass(frozen=True)
class Task:
    """Their task: reference data, scoring program, and for code phases inputs and ingestion."""

    key: str
    description: str
    reference: Path
    scoring: Path
    scoring_command: str | None = None
    inputs: Path | None = None
    ingestion: Path | None = None
    ingestion_command: str | None = None


@dataclass(frozen=True)
class PhasePlan:
    """Their phase, as Podium will run it."""

    name: str
    start: datetime
    end: datetime
    task: str
    result_only: bool
    total: int | None = None
    per_day: int | None = None
    wall_seconds: int | None = None
    rule: Literal["best", "latest"] = "best"
    codename: str | None = None  # EvalAI's phase_codename


@dataclass
class Competition:
    """A whole imported competition."""

    platform: Platform
    title: str
    summary: str
    overview: str  # Markdown (HTML pages kept as HTML inside it)
    terms: str
    organisers: list[str]
    tasks: dict[str, Task]
    phases: list[PhasePlan]
    columns: list[Column]
    primary: str  # a column key
    public: dict[str, Path] = field(default_factory=dict)  # download name -> file or folder
    submission_file: str = "predictions"  # what a single-file predictions upload is called
