"""Each baseline's code runs on the host and scores inside the range its challenge declares.

No Docker here: train.py and predict.py are run with the host's Python, with PODIUM_INPUT and
PODIUM_OUTPUT pointing at the built data and a temp folder (the lead runs the real images).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, roc_auc_score

from challenges import load_bundle
from challenges.runners import runner_command, runner_script


def run(args: list[str], cwd: Path, inputs: Path | None = None, output: Path | None = None) -> None:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    if inputs is not None and output is not None:
        output.mkdir(parents=True, exist_ok=True)
        env.update(PODIUM_INPUT=str(inputs), PODIUM_OUTPUT=str(output))
    done = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def score(slug: str, root: Path, predictions: Path) -> float:
    labels = pd.read_csv(root / "data/hidden/test/labels.csv", dtype={"id": str})
    found = pd.read_csv(predictions, dtype={"id": str})
    assert sorted(found["id"]) == sorted(labels["id"])
    merged = labels.merge(found, on="id", suffixes=("", "_pred"))
    if slug == "breast-cancer-diagnosis":
        assert np.allclose(merged[["benign", "malignant"]].sum(axis=1), 1.0, atol=1e-4)
        return float(roc_auc_score(merged["diagnosis"] == "malignant", merged["malignant"]))
    if slug == "digits-vision":
        return float(accuracy_score(merged["label"], merged["label_pred"]))
    error = merged["path_loss_db"] - merged["path_loss_db_pred"]
    return float(np.sqrt(np.mean(np.square(error))))


def expected(root: Path, name: str) -> tuple[float, float]:
    spec = load_bundle(root).spec
    return next(b.expected_score for b in spec.baselines if b.name == name)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("slug", "name", "train_args", "model_file"),
    [
        ("breast-cancer-diagnosis", "logistic-regression", ["--train", "train.csv"], "m.joblib"),
        ("radio-path-loss", "gradient-boosting", ["--train", "train.csv"], "m.joblib"),
        ("digits-vision", "small-cnn", ["--train", "train"], "m.pt"),
    ],
)
def test_build_baseline_scores_in_declared_range(
    built_examples: dict[str, Path],
    tmp_path: Path,
    slug: str,
    name: str,
    train_args: list[str],
    model_file: str,
) -> None:
    root = built_examples[slug]
    model = tmp_path / model_file
    run(["train.py", *train_args, "--model", str(model)], cwd=root / "baseline")
    inputs, output = root / "data/hidden/test/inputs", tmp_path / "out"
    predict = str(root / "baseline" / "predict.py")
    run([predict, "--model", str(model)], cwd=tmp_path, inputs=inputs, output=output)
    low, high = expected(root, name)
    assert low <= score(slug, root, output / "predictions.csv") <= high


def test_torchscript_model_file_through_the_runner(
    built_examples: dict[str, Path], tmp_path: Path
) -> None:
    root = built_examples["digits-vision"]
    bundle = load_bundle(root)
    script = runner_script("torchscript")
    command = runner_command(bundle.spec, str(root / "data/models/model.pt"), str(script))
    inputs, output = root / "data/hidden/test/inputs", tmp_path / "out"
    run(command[1:], cwd=tmp_path, inputs=inputs, output=output)
    low, high = expected(root, "torchscript-mlp")
    assert low <= score("digits-vision", root, output / "predictions.csv") <= high


def test_sklearn_model_file_through_the_runner(
    built_examples: dict[str, Path], tmp_path: Path
) -> None:
    root = built_examples["breast-cancer-diagnosis"]
    model = tmp_path / "model.joblib"
    run(["train.py", "--train", "train.csv", "--model", str(model)], cwd=root / "baseline")
    spec = load_bundle(root).spec
    command = runner_command(spec, str(model), str(runner_script("sklearn")))
    assert command[4:] == [
        "--input-file",
        "test.csv",
        "--id-column",
        "id",
        "--kind",
        "probabilities",
        "--columns",
        "benign,malignant",
        "--output-file",
        "predictions.csv",
    ]
    inputs, output = root / "data/hidden/test/inputs", tmp_path / "out"
    run(command[1:], cwd=tmp_path, inputs=inputs, output=output)
    assert 0.97 <= score("breast-cancer-diagnosis", root, output / "predictions.csv") <= 1.0


@pytest.mark.parametrize("slug", ["breast-cancer-diagnosis", "digits-vision", "radio-path-loss"])
def test_starting_kit_writes_valid_predictions(
    built_examples: dict[str, Path], tmp_path: Path, slug: str
) -> None:
    root = built_examples[slug]
    inputs, output = root / "data/hidden/test/inputs", tmp_path / "out"
    run([str(root / "starting_kit/predict.py")], cwd=tmp_path, inputs=inputs, output=output)
    value = score(slug, root, output / "predictions.csv")
    assert np.isfinite(value)
