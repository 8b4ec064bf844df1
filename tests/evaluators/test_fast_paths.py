"""The pyarrow fast path reads exactly what the pandas C engine reads, or steps aside."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from evaluators import _csv
from evaluators.errors import InvalidLabels, InvalidPredictions
from evaluators.formats import ColumnSpec, PredictionFormat
from evaluators.labels import read_labels
from evaluators.predictions import read_predictions
from tests.evaluators.conftest import INT_LABELS, LABEL_FMT, PROBA_FMT, RANK_FMT, VALUE_FMT

Write = Callable[..., Path]
IDS = ["1", "2", "3"]

AWKWARD = [
    *["1", "+1", "-0", "007", " 1", "1 ", "\t1", "1.0", "1.", ".5", "-.5", "00.5", "0."],
    *["1e3", "1E3", "1e", "e1", "1d3", "1f", "--1", "1-", "1.2.3", "0x10", "0X1f", "1_0"],
    *["inf", "-inf", "+inf", "INF", "Infinity", "nan", "-nan", "NaN", "NAN", "nan(1)"],
    *["NA", "null", "N/A", "None", "true", "", "  ", "abc", "a'b", "\u0661", "z" * 50],
    *["9223372036854775807", "9223372036854775808", "-9223372036854775809"],
    *["1e400", "1e-400", "4.9e-324", "1.7976931348623157e308", "0.1000000000000000055511"],
]


@pytest.mark.parametrize("kind", ["int", "float", "str"])
def test_arrow_reads_what_the_c_engine_reads(kind: str) -> None:
    columns = [ColumnSpec(name="v", type=kind)]  # type: ignore[arg-type]
    for token in AWKWARD:
        data = f"id,v\n1,{token}\n2,5\n".encode()
        fast = _csv.read_arrow(data, "id", columns)
        if fast is None:
            continue  # the caller takes the C engine
        frame = _csv.read_typed(data, "id", columns)
        assert frame is not None, token
        assert fast[0].to_numpy().tolist() == frame["id"].tolist(), token
        expected = _csv.typed_column(frame, columns[0])
        assert fast[1][0].dtype == expected.dtype, token
        assert fast[1][0].tolist() == expected.tolist(), token


def test_arrow_steps_aside_for_files_it_could_read_differently() -> None:
    int_column = [ColumnSpec(name="v", type="int")]
    assert _csv.read_arrow(b"id,v\n1,0x10\n", "id", int_column) is None
    assert _csv.read_arrow(b'id,v\n"1",2\n', "id", int_column) is None
    assert _csv.read_arrow(b"id,v\n1,2,3\n", "id", int_column) is None
    assert _csv.read_arrow(b"id,v\n1,\n", "id", int_column) is None
    float_column = [ColumnSpec(name="v", type="float")]
    assert _csv.read_arrow(b"id,v\n1,nan\n", "id", float_column) is None
    assert _csv.read_arrow(b"id,v\n1,inf\n", "id", float_column) is None
    fast = _csv.read_arrow(b"id,v\r\n7,1.5\r\n\r\n8,2\r\n", "id", float_column)
    assert fast is not None
    assert fast[0].to_pylist() == ["7", "8"] and fast[1][0].tolist() == [1.5, 2.0]


CASES: list[tuple[str, PredictionFormat, list[str]]] = [
    ("id,label\n1,0\n2,1\n3,1\n", LABEL_FMT, IDS),
    ("id,label\r\n3,0\r\n1,2\r\n2,1\r\n", LABEL_FMT, IDS),
    ("\ufeffid,label\n1,0\n2,1\n3,1\n", LABEL_FMT, IDS),
    ("id,label\n01,0\n2,1\n3,1\n", LABEL_FMT, IDS),
    ("id,label\n1,0x10\n2,1\n3,1\n", LABEL_FMT, IDS),
    ("id,label\n1,9223372036854775808\n2,1\n3,1\n", LABEL_FMT, IDS),
    ("id,label\n1,0\n1,1\n4,1\n", LABEL_FMT, IDS),
    ("id,label\n1,0\n,1\n2,0\n3,0\n", LABEL_FMT, IDS),
    ('id,label\n"1",0\n2,"1"\n3,1\n', LABEL_FMT, IDS),
    ("id,label\n1,0,7\n2,1\n3,1\n", LABEL_FMT, IDS),
    ("id,cat,dog\n1,0.25,0.75\n2,1,0\n3,0.5,0.5\n", PROBA_FMT, IDS),
    ("id,cat,dog\n1,-0.2,1.2\n2,0.3,0.3\n3,0.5,0.5\n", PROBA_FMT, IDS),
    ("id,y\n1,nan\n2,\n3,inf\n", VALUE_FMT, IDS),
    ("id,y\n3,1e3\n2,-.5\n1,7\n", VALUE_FMT, IDS),
    ("id,r1,r2,r3\n1,1,2,3\n2,4,4,1\n3,1,2,3\n", RANK_FMT, IDS),
    (
        "id,label\n1,cat\n2,cow\n3,emu\n",
        PredictionFormat(columns=[ColumnSpec(name="label", type="str")], classes=["cat", "dog"]),
        IDS,
    ),
]


def _outcome(path: Path, fmt: PredictionFormat, ids: list[str]) -> object:
    try:
        got = read_predictions(path, fmt, ids)
    except InvalidPredictions as err:
        return err.problems
    return got.ids.tolist(), got.values.tolist(), got.values.dtype


@pytest.mark.parametrize(("text", "fmt", "ids"), CASES)
def test_same_outcome_with_and_without_pyarrow(
    write: Write, monkeypatch: pytest.MonkeyPatch, text: str, fmt: PredictionFormat, ids: list[str]
) -> None:
    path = write(text.encode())
    fast = _outcome(path, fmt, ids)
    monkeypatch.setattr(_csv, "pa_csv", None)
    assert _outcome(path, fmt, ids) == fast


def test_integers_beyond_int64_are_reported_not_crashed(write: Write) -> None:
    path = write("id,label\n1,9223372036854775808\n2,1\n3,1\n")
    with pytest.raises(InvalidPredictions) as caught:
        read_predictions(path, LABEL_FMT, IDS)
    assert caught.value.problems == [
        "predictions.csv column label has 1 non-integer value "
        "(first at id 1: '9223372036854775808')"
    ]


def test_expected_ids_that_are_not_strings_are_not_matched(write: Write) -> None:
    path = write("id,label\n1,0\n2,1\n")
    with pytest.raises(InvalidPredictions) as caught:
        read_predictions(path, LABEL_FMT, np.array([1, 2], dtype=object))
    assert caught.value.problems[0].startswith("predictions.csv has 2 unknown ids")


def test_labels_read_the_same_with_and_without_pyarrow(
    write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write("id,label\n007,1\n8,0\n", "labels.csv")
    fast = read_labels(path, INT_LABELS)
    monkeypatch.setattr(_csv, "pa_csv", None)
    slow = read_labels(path, INT_LABELS)
    assert fast.ids.tolist() == slow.ids.tolist() == ["007", "8"]
    assert fast.ids.dtype == slow.ids.dtype == object
    assert fast.values.tolist() == slow.values.tolist() == [1, 0]
    bad = write("id,label\n1,x\n", "bad.csv")
    with pytest.raises(InvalidLabels):
        read_labels(bad, INT_LABELS)
