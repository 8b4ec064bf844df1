"""Generic runner for scikit-learn model files (joblib or pickle) on a tabular CSV input.

The platform copies this one file next to the participant's model into
``podium/runtime-sklearn:3.11`` and runs it with the challenge's prediction format, e.g.::

    python sklearn_runner.py --model /app/model.joblib --input-file test.csv --id-column id \
        --kind probabilities --columns benign,malignant

It reads ``$PODIUM_INPUT/<input-file>``, passes every column but the id column as a DataFrame,
and writes ``$PODIUM_OUTPUT/predictions.csv``: ``predict_proba`` (columns reordered by the
model's ``classes_``) for ``probabilities``, ``predict`` for ``label`` and ``value``. Untrusted
pickles are only ever loaded here, inside the sandbox.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd


def _probabilities(model: Any, features: pd.DataFrame, columns: list[str]) -> np.ndarray:
    known = [str(c) for c in getattr(model, "classes_", [])]
    missing = [c for c in columns if c not in known]
    if missing:
        raise ValueError(
            f"the model's classes_ ({', '.join(known) or 'none'}) lack {', '.join(missing)}; "
            f"train it on the labels {', '.join(columns)}"
        )
    proba = np.asarray(model.predict_proba(features), dtype=float)
    return proba[:, [known.index(c) for c in columns]]


def predictions(model: Any, frame: pd.DataFrame, args: argparse.Namespace) -> pd.DataFrame:
    """The prediction table for ``frame`` in the challenge's format."""
    columns = args.columns.split(",")
    features = frame.drop(columns=[args.id_column])
    if args.kind == "probabilities":
        values = _probabilities(model, features, columns)
    else:
        values = np.asarray(model.predict(features))
        values = values.reshape(len(frame), -1)
        if values.shape[1] != len(columns):
            raise ValueError(f"predict returned {values.shape[1]} columns; need {len(columns)}")
    out = pd.DataFrame(values, columns=columns)
    out.insert(0, args.id_column, frame[args.id_column].to_numpy())
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run a scikit-learn model file on a CSV.")
    parser.add_argument("--model", default="/app/model.joblib")
    parser.add_argument("--input-file", required=True)
    parser.add_argument("--id-column", default="id")
    parser.add_argument("--kind", choices=["label", "probabilities", "value"], required=True)
    parser.add_argument("--columns", required=True, help="comma-separated output columns")
    parser.add_argument("--output-file", default="predictions.csv")
    args = parser.parse_args(argv)
    source = Path(os.environ.get("PODIUM_INPUT", "/input"))
    target = Path(os.environ.get("PODIUM_OUTPUT", "/output"))
    model = joblib.load(args.model)
    frame = pd.read_csv(source / args.input_file, dtype={args.id_column: str})
    try:
        table = predictions(model, frame, args)
    except ValueError as exc:
        print(f"sklearn runner: {exc}", file=sys.stderr)
        return 2
    table.to_csv(target / args.output_file, index=False, float_format="%.6g")
    return 0


if __name__ == "__main__":
    sys.exit(main())
