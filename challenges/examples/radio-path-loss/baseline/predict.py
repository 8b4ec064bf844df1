"""Predict path loss for every link of $PODIUM_INPUT/test.csv into $PODIUM_OUTPUT."""

import argparse
import os
import sys
from pathlib import Path

import joblib
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from features import features  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(Path(__file__).with_name("model.joblib")))
    args = parser.parse_args()
    source = Path(os.environ.get("PODIUM_INPUT", "/input"))
    target = Path(os.environ.get("PODIUM_OUTPUT", "/output"))
    model = joblib.load(args.model)
    test = pd.read_csv(source / "test.csv")
    out = pd.DataFrame({"id": test["id"], "path_loss_db": model.predict(features(test))})
    out.to_csv(target / "predictions.csv", index=False, float_format="%.3f")


if __name__ == "__main__":
    main()
