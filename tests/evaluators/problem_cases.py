"""One prediction file per :class:`ProblemCode`: the evaluator tests and the platform's fixed
messages (tests/pipeline/test_disclosure.py) both use them, so a new code without a case fails.

Each case carries a marker, ``LEAK``: a value only the model could have chosen (an id, a cell).
A message that may be shown to a participant after a run on hidden data must not contain it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from evaluators.errors import InvalidPredictions, ProblemCode
from evaluators.formats import ColumnSpec, PredictionFormat
from evaluators.predictions import read_predictions
from tests.evaluators.conftest import LABEL_FMT, PROBA_FMT, RANK_FMT, VALUE_FMT

LEAK = "4217"  # as an id, a value or a column name: something the model wrote
IDS = ["1", "2", "3"]
CLASS_FMT = PredictionFormat(columns=[ColumnSpec(name="label", type="str")], classes=["cat", "dog"])
SMALL_FMT = PredictionFormat(columns=[ColumnSpec(name="label", type="int")], max_mb=1)
OFF_RANGE = b"id,cat,dog\n1,-0.5,1.5\n2,0.5,0.5\n3,1,0\n"
OFF_SUM = b"id,cat,dog\n1,0.3,0.3\n2,0.5,0.5\n3,1,0\n"


@dataclass(frozen=True)
class Case:
    code: ProblemCode
    content: bytes | None  # None: no file at all; b"->": a symbolic link
    fmt: PredictionFormat = LABEL_FMT


CASES = [
    Case(ProblemCode.FILE_MISSING, None),
    Case(ProblemCode.NOT_REGULAR_FILE, b"->"),
    Case(ProblemCode.TOO_LARGE, b"id,label\n" + f"{LEAK},0\n".encode() * 250_000, SMALL_FMT),
    Case(ProblemCode.NOT_UTF8, f"id,label\n{LEAK},\xff\n".encode("latin-1")),
    Case(ProblemCode.NUL_BYTES, f"id,label\n{LEAK},0\x00\n".encode()),
    Case(ProblemCode.EMPTY_FILE, b""),
    Case(ProblemCode.WRONG_COLUMNS, f"id,{LEAK}\n1,0\n".encode()),
    Case(ProblemCode.NO_ROWS, b"id,label\n"),
    Case(ProblemCode.RAGGED_ROWS, f"id,label\n1,0,{LEAK}\n2,1\n3,1\n".encode()),
    Case(ProblemCode.NON_NUMERIC, f"id,label\n1,x{LEAK}\n2,1\n3,1\n".encode()),
    Case(ProblemCode.EMPTY_IDS, f"id,label\n1,0\n,{LEAK}\n2,0\n3,0\n".encode()),
    Case(ProblemCode.DUPLICATE_IDS, b"id,label\n1,0\n1,0\n2,0\n3,0\n"),
    Case(ProblemCode.UNKNOWN_IDS, f"id,label\n1,0\n2,0\n3,0\n{LEAK},0\n".encode()),
    Case(ProblemCode.MISSING_IDS, f"id,label\n1,{LEAK}\n2,0\n".encode()),
    Case(ProblemCode.NAN_VALUES, f"id,y\n1,nan\n2,{LEAK}\n3,1\n".encode(), VALUE_FMT),
    Case(ProblemCode.INFINITE_VALUES, f"id,y\n1,inf\n2,{LEAK}\n3,1\n".encode(), VALUE_FMT),
    Case(ProblemCode.NEGATIVE_PROBABILITIES, OFF_RANGE, PROBA_FMT),
    Case(ProblemCode.PROBABILITIES_ABOVE_ONE, OFF_RANGE, PROBA_FMT),
    Case(ProblemCode.PROBABILITIES_NOT_SUMMING, OFF_SUM, PROBA_FMT),
    Case(ProblemCode.UNKNOWN_CLASSES, f"id,label\n1,cat\n2,c{LEAK}\n3,dog\n".encode(), CLASS_FMT),
    Case(ProblemCode.REPEATED_RANKS, b"id,r1,r2,r3\n1,1,2,3\n2,4,4,1\n3,1,2,3\n", RANK_FMT),
]  # fmt: skip


def raise_for(case: Case, folder: Path) -> InvalidPredictions:
    """Read the case's file (written under ``folder``) and return the error it raises."""
    path = folder / "predictions.csv"
    if case.content == b"->":
        target = folder / "elsewhere.csv"
        target.write_text("id,label\n1,0\n2,0\n3,0\n")
        os.symlink(target, path)
    elif case.content is not None:
        path.write_bytes(case.content)
    try:
        read_predictions(path, case.fmt, IDS)
    except InvalidPredictions as error:
        return error
    raise AssertionError(f"{case.code}: the file was accepted")
