"""The one entry point, label secrecy and library purity."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from sklearn import metrics as skm

from evaluators import InvalidPredictions, score
from evaluators.errors import IncompatibleMetric, UnknownMetric
from evaluators.formats import ColumnSpec, LabelsFormat, PredictionFormat
from evaluators.split import split_mask
from tests.evaluators.conftest import INT_LABELS, LABEL_FMT, PROBA_FMT, VALUE_FMT

Write = Callable[..., Path]


def _files(write: Write, n: int = 400) -> tuple[Path, Path, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    y = rng.integers(0, 3, n)
    pred = np.where(rng.random(n) < 0.7, y, rng.integers(0, 3, n))
    labels = write("id,label\n" + "".join(f"r{i},{v}\n" for i, v in enumerate(y)), "labels.csv")
    preds = write("id,label\n" + "".join(f"r{i},{v}\n" for i, v in enumerate(pred)))
    return preds, labels, y, pred


def test_score_reports_every_split(write: Write) -> None:
    preds, labels, y, pred = _files(write)
    report = score(
        preds,
        labels,
        LABEL_FMT,
        INT_LABELS,
        ["accuracy", "f1_macro"],
        split_secret="s",
        public_fraction=0.3,
        resamples=100,
    )
    public = split_mask([f"r{i}" for i in range(len(y))], "s", 0.3)
    got = report.splits["public"]["accuracy"]
    assert got.value == round(skm.accuracy_score(y[public], pred[public]), 4)
    assert got.n_rows == int(public.sum())
    assert report.splits["private"]["f1_macro"].n_rows == len(y) - int(public.sum())
    whole = report.splits["all"]["accuracy"]
    assert whole.ci_low is not None and whole.ci_high is not None
    assert whole.ci_low <= whole.value <= whole.ci_high
    assert report.primary == "accuracy" and report.methods["f1_macro"] == "weighted"
    assert json.loads(json.dumps(report.to_dict()))["splits"]["all"]["accuracy"]["n_rows"] == 400


def test_score_is_reproducible_and_without_intervals_when_asked(write: Write) -> None:
    preds, labels, _, _ = _files(write)
    args = (preds, labels, LABEL_FMT, INT_LABELS, ["mcc"])
    a = score(*args, split_secret="s", public_fraction=0.5, resamples=50, seed=3)
    assert a == score(*args, split_secret="s", public_fraction=0.5, resamples=50, seed=3)
    bare = score(*args, split_secret="s", public_fraction=0.5, resamples=0)
    assert bare.splits["all"]["mcc"].ci_low is None


def test_regression_and_errors(write: Write) -> None:
    labels = write("id,y\n1,1.0\n2,2.0\n3,4.0\n", "labels.csv")
    preds = write("id,y\n1,1.5\n2,2.0\n3,3.0\n")
    labels_fmt = LabelsFormat(columns=[ColumnSpec(name="y", type="float")])
    report = score(
        preds,
        labels,
        VALUE_FMT,
        labels_fmt,
        ["rmse"],
        split_secret="s",
        public_fraction=0.5,
        resamples=0,
    )
    assert report.splits["all"]["rmse"].value == round(np.sqrt((0.25 + 1) / 3), 4)
    with pytest.raises(UnknownMetric):
        score(preds, labels, VALUE_FMT, labels_fmt, ["rsme"], split_secret="s", public_fraction=0.5)
    with pytest.raises(IncompatibleMetric):
        score(
            preds,
            labels,
            VALUE_FMT,
            labels_fmt,
            ["accuracy"],
            split_secret="s",
            public_fraction=0.5,
        )
    with pytest.raises(InvalidPredictions, match="is missing 1 id"):
        score(
            write("id,y\n1,1.5\n2,2.0\n"),
            labels,
            VALUE_FMT,
            labels_fmt,
            ["rmse"],
            split_secret="s",
            public_fraction=0.5,
        )


SECRET_LABELS = ["zebra-7731", "quokka-0042", "narwhal-9999"]


def test_no_message_reveals_a_label(write: Write) -> None:
    """Plant distinctive labels, send every kind of bad file, and search every message."""
    labels_fmt = LabelsFormat(columns=[ColumnSpec(name="label", type="str")])
    text_fmt = PredictionFormat(
        columns=[ColumnSpec(name="label", type="str")], classes=["cat", "dog"]
    )
    labels = write(
        "id,label\n" + "".join(f"{i},{SECRET_LABELS[i % 3]}\n" for i in range(9)), "labels.csv"
    )
    bad_files = [
        "id,label\n0,cat\n0,dog\n",
        "id,label\n",
        "",
        "id,lable\n0,cat\n",
        "id,label\n" + "".join(f"{i},cow\n" for i in range(12)),
        "id,label\n0,cat,dog\n1\n",
        b"id,label\n0,\xff\n",
    ]
    messages: list[str] = []
    for content in bad_files:
        with pytest.raises(InvalidPredictions) as caught:
            score(
                write(content),
                labels,
                text_fmt,
                labels_fmt,
                ["accuracy"],
                split_secret="s",
                public_fraction=0.5,
            )
        messages.extend(caught.value.problems)
    proba_labels = write(
        "id,label\n" + "".join(f"{i},{['cat', 'dog'][i % 2]}\n" for i in range(4)), "labels.csv"
    )
    for content in ["id,cat,dog\n0,x,nan\n1,2,-1\n5,0.1,0.1\n"]:
        with pytest.raises(InvalidPredictions) as caught:
            score(
                write(content),
                proba_labels,
                PROBA_FMT,
                labels_fmt,
                ["log_loss"],
                split_secret="s",
                public_fraction=0.5,
            )
        messages.extend(caught.value.problems)
    assert len(messages) >= 12
    for message in messages:
        for label in [*SECRET_LABELS, "zebra", "quokka", "narwhal"]:
            assert label not in message


def test_library_imports_no_service_stack() -> None:
    code = (
        "import sys, evaluators, evaluators.evaluate, evaluators.bootstrap; "
        "bad = [m for m in ('fastapi', 'celery', 'sqlmodel', 'sqlalchemy', 'mlflow', "
        "'docker') if m in sys.modules]; print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.stdout.strip() == ""
