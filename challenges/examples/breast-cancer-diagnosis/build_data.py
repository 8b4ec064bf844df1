"""Build the breast-cancer-diagnosis data: seeded and idempotent.

Run ``python challenges/examples/breast-cancer-diagnosis/build_data.py [--force]`` or call
``challenges.examples.build_example("breast-cancer-diagnosis")``. The data is scikit-learn's
bundled Wisconsin diagnostic set (no download). Writes, under ``data/``:

- ``public/train.csv``: id, 30 features, diagnosis (70 %, stratified);
- ``hidden/test/inputs/test.csv``: id and features only (mounted at ``/input``);
- ``hidden/test/labels.csv``: id, diagnosis (read by the scorer only);

and copies ``train.csv`` into ``baseline/`` (git-ignored) so the baseline's Docker build context
holds its training data.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

from challenges.datagen.stamp import build_once, write_csv

SEED = 20250117
VERSION = "1"
TEST_FRACTION = 0.3


def make_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train and test frames (id, features, diagnosis), each sorted by id."""
    raw = load_breast_cancer()
    frame = pd.DataFrame(raw.data, columns=[n.replace(" ", "_") for n in raw.feature_names])
    # Shuffled ids, so the row order of the original data set leaks nothing.
    frame.insert(0, "id", np.random.default_rng(SEED).permutation(len(frame)) + 1)
    frame["diagnosis"] = np.where(raw.target == 0, "malignant", "benign")
    train, test = train_test_split(
        frame, test_size=TEST_FRACTION, stratify=frame["diagnosis"], random_state=SEED
    )
    return train.sort_values("id"), test.sort_values("id")


def write_data(data: Path) -> None:
    """Write ``public/`` and ``hidden/`` under ``data``."""
    train, test = make_frames()
    write_csv(train, data / "public" / "train.csv")
    write_csv(test.drop(columns="diagnosis"), data / "hidden" / "test" / "inputs" / "test.csv")
    write_csv(test[["id", "diagnosis"]], data / "hidden" / "test" / "labels.csv")


def build(bundle_dir: Path, force: bool = False) -> bool:
    """Build the data under ``bundle_dir/data``; return False when it was already current."""
    data = bundle_dir / "data"
    built = build_once(data, VERSION, write_data, force=force)
    shutil.copyfile(data / "public" / "train.csv", bundle_dir / "baseline" / "train.csv")
    return built


if __name__ == "__main__":
    build(Path(__file__).resolve().parent, force="--force" in sys.argv)
