"""Reading untrusted prediction files: every bad case gives an exact, useful message."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from evaluators.errors import InvalidPredictions
from evaluators.formats import ColumnSpec, PredictionFormat
from evaluators.predictions import read_predictions
from tests.evaluators.conftest import LABEL_FMT, PROBA_FMT, RANK_FMT, VALUE_FMT

Write = Callable[..., Path]
IDS = ["1", "2", "3"]


def problems(
    path: Path, fmt: PredictionFormat = LABEL_FMT, ids: list[str] | None = None
) -> list[str]:
    with pytest.raises(InvalidPredictions) as caught:
        read_predictions(path, fmt, IDS if ids is None else ids)
    assert str(caught.value) == "; ".join(caught.value.problems)
    return caught.value.problems


def test_valid_file_in_another_order_is_aligned(write: Write) -> None:
    got = read_predictions(write("id,label\n3,0\n1,2\n2,1\n"), LABEL_FMT, IDS)
    assert got.ids.tolist() == IDS
    assert got.values.tolist() == [2, 1, 0]
    assert got.values.dtype == np.int64


def test_bom_and_crlf_are_accepted(write: Write) -> None:
    got = read_predictions(write(b"\xef\xbb\xbfid,label\r\n1,0\r\n2,1\r\n3,1\r\n"), LABEL_FMT, IDS)
    assert got.values.tolist() == [0, 1, 1]


def test_duplicate_unknown_and_missing_ids_are_all_reported(write: Write) -> None:
    text = "id,label\n" + "".join(
        f"{i},0\n" for i in ["1042", "17", "1042", "8", "17", "8", "99", "x"]
    )
    ids = ["1042", "17", "8"] + [f"m{i}" for i in range(12)]
    assert problems(write(text), ids=ids) == [
        "predictions.csv has 3 duplicate ids (first: 1042, 17, 8); each id must appear once",
        "predictions.csv has 2 unknown ids (first: 99, x); predict only the ids in /input",
        "predictions.csv is missing 12 ids (first: m0, m1, m2, m3, m4); predict every id in /input",
    ]


def test_empty_id(write: Write) -> None:
    assert problems(write("id,label\n1,0\n,1\n2,0\n3,0\n")) == [
        "predictions.csv has 1 row with an empty id (lines: 3); every row needs an id"
    ]


def test_wrong_column_names_or_order(write: Write) -> None:
    assert problems(write("id,lable\n1,0\n")) == [
        "predictions.csv: expected columns id,label; found id,lable"
    ]
    assert problems(write("label,id\n0,1\n")) == [
        "predictions.csv: expected columns id,label; found label,id"
    ]


def test_non_integer_and_non_numeric_values_show_the_prediction(write: Write) -> None:
    assert problems(write("id,label\n1,abc\n2,1.5\n3,1\n")) == [
        "predictions.csv column label has 2 non-integer values (first at id 1: 'abc')"
    ]
    assert problems(
        write("id,cat,dog\n5,abc,0.5\n1,0.5,0.5\n2,x,1\n"), PROBA_FMT, ["5", "1", "2"]
    ) == ["predictions.csv column cat has 2 non-numeric values (first at id 5: 'abc')"]


def test_nan_and_infinite_values(write: Write) -> None:
    assert problems(write("id,y\n1,nan\n2,\n3,inf\n"), VALUE_FMT) == [
        "predictions.csv column y has 2 missing or NaN values (first at id 1); "
        "write a number in every cell",
        "predictions.csv column y has 1 infinite value (first at id 3: 'inf'); "
        "write finite numbers",
    ]


def test_probability_rules(write: Write) -> None:
    assert problems(write("id,cat,dog\n1,-0.2,1.2\n2,0.3,0.3\n3,0.5,0.5\n"), PROBA_FMT) == [
        "predictions.csv has 1 row with negative probabilities (first at id 1); "
        "probabilities lie in [0, 1]",
        "predictions.csv has 1 row with probabilities above 1 (first at id 1); "
        "probabilities lie in [0, 1]",
        "predictions.csv has 1 row whose probabilities do not sum to 1 within 0.0001 "
        "(first at id 2: sum 0.6); normalise each row",
    ]


def test_probabilities_within_tolerance_are_accepted(write: Write) -> None:
    got = read_predictions(
        write("id,cat,dog\n1,0.33333,0.66666\n2,1,0\n3,0.5,0.50005\n"), PROBA_FMT, IDS
    )
    assert got.values.shape == (3, 2)


def test_empty_file_and_header_only(write: Write) -> None:
    assert problems(write("")) == [
        "predictions.csv is empty; write a header line and one row per id"
    ]
    assert problems(write("id,label\r\n")) == [
        "predictions.csv has a header but no rows; predict every id in /input (3 ids)"
    ]


def test_label_not_in_classes(write: Write) -> None:
    fmt = PredictionFormat(columns=[ColumnSpec(name="label", type="str")], classes=["cat", "dog"])
    assert problems(write("id,label\n1,cat\n2,cow\n3,emu\n"), fmt) == [
        "predictions.csv column label has 2 values not among the classes "
        "(first at id 2: 'cow'); allowed: cat, dog"
    ]


def test_ranking_repeats_a_label(write: Write) -> None:
    assert problems(write("id,r1,r2,r3\n1,1,2,3\n2,4,4,1\n3,1,2,3\n"), RANK_FMT) == [
        "predictions.csv has 1 row that rank the same label twice (first at id 2); "
        "rank each label at most once"
    ]


def test_ragged_rows(write: Write) -> None:
    assert problems(write("id,label\n1,0,7\n2,1\n3,1\n")) == [
        "predictions.csv has 1 row without 2 fields (line 2 has 3); write one value per column"
    ]


def test_file_over_the_size_cap(write: Write) -> None:
    fmt = PredictionFormat(columns=[ColumnSpec(name="label", type="int")], max_mb=1)
    big = "id,label\n" + "1,0\n" * 300_000
    assert problems(write(big), fmt) == ["predictions.csv is 1.1 MB, over the 1 MB limit"]


def test_not_utf8(write: Write) -> None:
    assert problems(write(b"id,label\n1,\xff\xfe\n")) == [
        "predictions.csv is not valid UTF-8 text (first bad byte at offset 11); "
        "write a plain UTF-8 CSV file"
    ]


def test_missing_file_and_symlink(tmp_path: Path, write: Write) -> None:
    assert problems(tmp_path / "predictions.csv") == [
        "predictions.csv was not found; write it to the output folder"
    ]
    target = write("id,label\n1,0\n2,0\n3,0\n", "elsewhere.csv")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    assert problems(link) == ["predictions.csv is not a regular file (links are not followed)"]


def test_file_name_in_messages_is_the_formats(write: Write) -> None:
    fmt = PredictionFormat(file="beams.csv", columns=[ColumnSpec(name="label", type="int")])
    assert problems(write("id,label\n"), fmt)[0].startswith("beams.csv has a header")


def test_long_values_are_shortened(write: Write) -> None:
    value = "z" * 200
    message = problems(write(f"id,label\n1,{value}\n2,0\n3,0\n"))[0]
    assert "'" + "z" * 40 + "...'" in message and len(message) < 150


def test_million_rows_reads_fast(tmp_path: Path) -> None:
    import time

    n = 1_000_000
    ids = np.arange(n).astype(str)
    path = tmp_path / "predictions.csv"
    path.write_text("id,label\n" + "\n".join(f"{i},{i % 3}" for i in range(n)) + "\n")
    start = time.perf_counter()
    got = read_predictions(path, LABEL_FMT, ids)
    assert time.perf_counter() - start < 5.0
    assert got.values[:4].tolist() == [0, 1, 2, 0]
