"""Shared by the fault and load scenarios: their scale, and the row each adds to the table.

``PODIUM_RELIABILITY_SCALE`` is ``small`` (the default: what CI runs inside ``make test``) or
``full`` (``make reliability``). With ``PODIUM_RELIABILITY_REPORT`` set to a file, each scenario
appends one JSON line (a :class:`Row`) that ``benchmarks/reliability.py`` prints as the table.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest


@dataclass
class Row:
    """What one scenario did and what survived it."""

    scenario: str
    faults_injected: int = 0
    faults_survived: int = 0
    submitted: int = 0
    finished: int = 0  # reached exactly one final state as expected
    lost: int = 0  # never reached a final state, or has no score row where it should
    duplicated: int = 0  # more than one score row, MLflow run or leaderboard entry
    board_agrees: bool | None = None  # the leaderboard equals a recomputation from the database
    mlflow_agrees: bool | None = None  # one MLflow run per finished evaluation
    seconds: float = 0.0
    note: str = ""


@pytest.fixture(scope="session")
def scale() -> str:
    """``small`` or ``full`` (``PODIUM_RELIABILITY_SCALE``)."""
    value = os.environ.get("PODIUM_RELIABILITY_SCALE", "small")
    if value not in {"small", "full"}:
        raise pytest.UsageError("PODIUM_RELIABILITY_SCALE must be small or full")
    return value


@pytest.fixture
def report_row() -> Callable[[Row], None]:
    """Append a scenario's row to ``PODIUM_RELIABILITY_REPORT`` (nothing when unset)."""

    def add(row: Row) -> None:
        target = os.environ.get("PODIUM_RELIABILITY_REPORT")
        if target:
            with Path(target).open("a") as f:
                f.write(json.dumps(asdict(row)) + "\n")

    return add


def require_root(program: str, what: str) -> None:
    """Fail (never skip, like a missing Docker engine) unless root may run ``program``."""
    if os.geteuid() != 0 or shutil.which(program) is None:
        pytest.fail(f"{what} needs root and {program} (make test runs as root)", pytrace=False)
