"""Write class probabilities for every row of $PODIUM_INPUT/test.csv to $PODIUM_OUTPUT."""

import argparse
import os
from pathlib import Path

import joblib
import pandas as pd

CLASSES = ["benign", "malignant"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(Path(__file__).with_name("model.joblib")))
    args = parser.parse_args()
    source = Path(os.environ.get("PODIUM_INPUT", "/input"))
    target = Path(os.environ.get("PODIUM_OUTPUT", "/output"))
    model = joblib.load(args.model)
    test = pd.read_csv(source / "test.csv")
    proba = model.predict_proba(test.drop(columns=["id"]))
    order = [list(model.classes_).index(name) for name in CLASSES]
    out = pd.DataFrame(proba[:, order], columns=CLASSES)
    out.insert(0, "id", test["id"])
    out.to_csv(target / "predictions.csv", index=False, float_format="%.6f")


if __name__ == "__main__":
    main()
