"""Shared helpers for the evaluators tests: each test writes its own files under tmp_path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from evaluators.formats import ColumnSpec, LabelsFormat, PredictionFormat

LABEL_FMT = PredictionFormat(columns=[ColumnSpec(name="label", type="int")])
PROBA_FMT = PredictionFormat(
    kind="probabilities",
    classes=["cat", "dog"],
    columns=[ColumnSpec(name="cat"), ColumnSpec(name="dog")],
)
RANK_FMT = PredictionFormat(
    kind="ranking", columns=[ColumnSpec(name=f"r{i}", type="int") for i in (1, 2, 3)]
)
VALUE_FMT = PredictionFormat(kind="value", columns=[ColumnSpec(name="y")])
INT_LABELS = LabelsFormat(columns=[ColumnSpec(name="label", type="int")])


@pytest.fixture
def write(tmp_path: Path) -> Callable[[bytes | str, str], Path]:
    """Return a function writing bytes or text to a file under tmp_path."""

    def _write(content: bytes | str, name: str = "predictions.csv") -> Path:
        path = tmp_path / name
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return path

    return _write
