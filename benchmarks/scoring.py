"""Scoring cost against the physical floor: pandas parsing plus the bare scikit-learn metric.

Run: ``.venv/bin/python benchmarks/scoring.py [--rows N] [--repeats R] [--json]``. Writes
1,000,000-row prediction and label files to a temporary folder and times (a)
``pandas.read_csv`` of the prediction file, (b) the bare metric on in-memory arrays, (c)
``evaluators.score`` without the bootstrap, and the bootstrap intervals alone (1,000
resamples). (a), (b) and (c) are timed in R interleaved rounds; medians are reported.

(c) is read + validate + metric with the labels already loaded (they are the same for every
submission); the whole ``score`` (labels read, keyed split, three splits) is reported apart,
cold (first call: HMAC of every id) and warm (split mask remembered).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from evaluators.bootstrap import bootstrap_interval
from evaluators.evaluate import score
from evaluators.formats import ColumnSpec, LabelsFormat, PredictionFormat
from evaluators.labels import read_labels
from evaluators.metrics import get_metric, make_context, prepare
from evaluators.predictions import read_predictions


def _timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _write(folder: Path, n: int) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    ids = np.arange(n).astype(str)
    y = rng.integers(0, 10, n)
    label = np.where(rng.random(n) < 0.7, y, rng.integers(0, 10, n))
    yr = rng.normal(size=n)
    pr = yr + rng.normal(size=n)
    pd.DataFrame({"id": ids, "label": y}).to_csv(folder / "labels.csv", index=False)
    pd.DataFrame({"id": ids, "label": label}).to_csv(folder / "predictions.csv", index=False)
    pd.DataFrame({"id": ids, "y": yr}).to_csv(folder / "labels_r.csv", index=False)
    pd.DataFrame({"id": ids, "y": pr}).to_csv(folder / "predictions_r.csv", index=False)
    return {"y": y, "label": label, "yr": yr, "pr": pr}


def _case(
    folder: Path,
    name: str,
    pred_file: str,
    label_file: str,
    column: ColumnSpec,
    kind: str,
    metric_name: str,
    bare: Callable[[], float],
    repeats: int,
) -> dict[str, Any]:
    """Time (a), (b), (c) = read + validate + metric, and the whole ``score`` cold and warm."""
    fmt = PredictionFormat(file=pred_file, kind=kind, columns=[column])  # type: ignore[arg-type]
    labels_fmt = LabelsFormat(file=label_file, columns=[column])
    labels = read_labels(folder / label_file, labels_fmt)  # same for every submission
    metric = get_metric(metric_name)
    context = make_context(fmt.kind, labels.values, None)

    def read_and_score() -> float:
        predictions = read_predictions(folder / pred_file, fmt, labels.ids)
        return metric(labels.values, prepare(metric, predictions.values, context), context)

    def whole() -> object:
        return score(
            folder / pred_file,
            folder / label_file,
            fmt,
            labels_fmt,
            [metric_name],
            split_secret="bench",
            public_fraction=0.3,
            resamples=0,
        )

    # Interleaved rounds: load from other work on the machine hits a, b and c alike; the
    # medians of the times and of the per-round ratios are reported.
    rounds = [
        (_timed(lambda: pd.read_csv(folder / pred_file)), _timed(bare), _timed(read_and_score))
        for _ in range(repeats)
    ]
    a, b, c = (float(np.median(times)) for times in zip(*rounds, strict=True))
    return {
        "case": name,
        "read_csv_s": a,
        "bare_metric_s": b,
        "read_validate_score_s": c,
        "ratio": float(np.median([c / (a + b) for a, b, c in rounds])),
        "score_cold_s": _timed(whole),
        "score_warm_s": _timed(whole),
    }


def _bootstraps(data: dict[str, Any], resamples: int) -> list[dict[str, Any]]:
    y, label, yr, pr = data["y"], data["label"], data["yr"], data["pr"]
    yb = (y >= 5).astype(np.int64)
    p1 = np.clip(yb * 0.3 + np.random.default_rng(1).random(len(y)) * 0.7, 0, 1)
    cases = [
        ("accuracy", y, label, make_context("label", y, None)),
        ("rmse", yr, pr.reshape(-1, 1), make_context("value", yr, None)),
        ("f1_macro", y, label, make_context("label", y, None)),
        (
            "roc_auc",
            yb,
            np.column_stack([1 - p1, p1]),
            make_context("probabilities", yb, ["0", "1"]),
        ),
    ]
    rows = []
    for name, truth, raw, context in cases:
        metric = get_metric(name)
        pred = prepare(metric, raw, context)
        start = time.perf_counter()
        interval = bootstrap_interval(metric, truth, pred, context, resamples=resamples)
        rows.append(
            {"metric": name, "seconds": time.perf_counter() - start, "method": interval.method}
        )
    return rows


def main() -> None:
    """Run the benchmark and print a table, or JSON with ``--json``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5, help="timed rounds of a, b and c")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data = _write(folder, args.rows)
        scoring = [
            _case(
                folder,
                "classification/accuracy",
                "predictions.csv",
                "labels.csv",
                ColumnSpec(name="label", type="int"),
                "label",
                "accuracy",
                lambda: skm.accuracy_score(data["y"], data["label"]),
                args.repeats,
            ),
            _case(
                folder,
                "regression/rmse",
                "predictions_r.csv",
                "labels_r.csv",
                ColumnSpec(name="y", type="float"),
                "value",
                "rmse",
                lambda: skm.root_mean_squared_error(data["yr"], data["pr"]),
                args.repeats,
            ),
        ]
    boot = _bootstraps(data, args.resamples)
    result = {"rows": args.rows, "resamples": args.resamples, "scoring": scoring, "bootstrap": boot}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{args.rows} rows; target ratio c/(a+b) <= 3 (medians of {args.repeats} rounds)")
    print(
        f"{'case':24} {'a read_csv':>10} {'b metric':>8} {'c read+val':>10} {'c/(a+b)':>7}"
        f" {'score() cold':>12} {'warm':>6}"
    )
    for row in scoring:
        print(
            f"{row['case']:24} {row['read_csv_s']:10.3f} {row['bare_metric_s']:8.3f} "
            f"{row['read_validate_score_s']:10.3f} {row['ratio']:7.2f} "
            f"{row['score_cold_s']:12.3f} {row['score_warm_s']:6.3f}"
        )
    print("score() also reads the labels and computes the keyed split (cold: HMAC of every id)")
    print(f"\nbootstrap, {args.resamples} resamples (target < 15 s for accuracy and rmse)")
    for row in boot:
        print(f"{row['metric']:12} {row['seconds']:7.2f} s  {row['method']}")


if __name__ == "__main__":
    main()
