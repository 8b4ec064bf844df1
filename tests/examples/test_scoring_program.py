"""Organisers' own scoring programs run in the sandbox, per split, and fail clearly."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
import yaml

from challenges import Bundle, load_bundle
from challenges.scoring import evaluate
from evaluators import InvalidPredictions
from evaluators.program import ScoringError

pytestmark = pytest.mark.docker

GOOD = """
import csv, json, os
pred = {r["id"]: float(r["malignant"]) for r in
        csv.DictReader(open(os.environ["PODIUM_PREDICTIONS"] + "/predictions.csv"))}
ref = {r["id"]: r["diagnosis"] for r in
       csv.DictReader(open(os.environ["PODIUM_REFERENCE"] + "/labels.csv"))}
assert set(pred) == set(ref)
hits = sum((pred[i] >= 0.5) == (ref[i] == "malignant") for i in ref)
scores = {"threshold_accuracy": hits / len(ref), "rows": len(ref)}
json.dump(scores, open("/output/scores.json", "w"))
"""
DECLARED = [
    {"name": "threshold_accuracy", "greater_is_better": True},
    {"name": "rows", "greater_is_better": True},
]


def _variant(bundles: dict[str, Bundle], tmp_path: Path, program: str) -> Bundle:
    source = bundles["breast-cancer-diagnosis"].root
    root = tmp_path / "bundle"
    shutil.copytree(source, root, symlinks=True)
    (root / "score.py").write_text(program)
    spec = yaml.safe_load((root / "challenge.yaml").read_text())
    spec["metrics"] = {
        "primary": "threshold_accuracy",
        "scoring_program": {"path": "score.py", "metrics": DECLARED},
        "decimals": 4,
    }
    (root / "challenge.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return load_bundle(root)


def _predictions(bundle: Bundle, tmp_path: Path, flip: int = 0) -> Path:
    """Confident predictions from the labels, with the first ``flip`` rows wrong."""
    out = tmp_path / "output"
    out.mkdir()
    with open(bundle.hidden_labels("development")) as f:
        rows = list(csv.DictReader(f))
    with open(out / "predictions.csv", "w") as f:
        f.write("id,benign,malignant\n")
        for i, row in enumerate(rows):
            malignant = (row["diagnosis"] == "malignant") != (i < flip)
            f.write(f"{row['id']},{0.1 if malignant else 0.9},{0.9 if malignant else 0.1}\n")
    return out


def test_program_scores_every_split(bundles: dict[str, Bundle], tmp_path: Path) -> None:
    bundle = _variant(bundles, tmp_path, GOOD)
    output = _predictions(bundle, tmp_path, flip=10)
    report = evaluate(output, bundle, "development", split_secret="s")
    rows = {split: report.splits[split]["rows"].value for split in ("public", "private", "all")}
    total = rows["all"]
    assert total is not None and rows["public"] and rows["private"]
    assert rows["public"] + rows["private"] == total
    assert report.primary == "threshold_accuracy"
    assert report.splits["all"]["threshold_accuracy"].value == round(1 - 10 / total, 4)
    assert report.splits["all"]["threshold_accuracy"].ci_low is None


@pytest.mark.parametrize(
    ("program", "message"),
    [
        ("raise SystemExit(2)\n", "the challenge's scoring program did not finish (failed"),
        ("pass\n", "the challenge's scoring program wrote no /output/scores.json"),
        ("open('/output/scores.json', 'w').write('{nope')\n", "scores.json is not valid JSON"),
        (
            "import json; json.dump({'threshold_accuracy': 1}, open('/output/scores.json', 'w'))\n",
            "scores.json must hold exactly the declared metrics ['rows', 'threshold_accuracy']; "
            "missing: ['rows'], unexpected: none",
        ),
        (
            "open('/output/scores.json', 'w')"
            '.write(\'{"threshold_accuracy": NaN, "rows": 1}\')\n',
            "scores.json: threshold_accuracy must be a finite number",
        ),
    ],
    ids=["crash", "no-file", "bad-json", "wrong-names", "nan"],
)
def test_program_failures_are_clear_scoring_errors(
    bundles: dict[str, Bundle], tmp_path: Path, program: str, message: str
) -> None:
    bundle = _variant(bundles, tmp_path, program)
    output = _predictions(bundle, tmp_path)
    with pytest.raises(ScoringError) as caught:
        evaluate(output, bundle, "development", split_secret="s")
    assert caught.value.message.startswith(message)


def test_invalid_predictions_fail_before_the_program_runs(
    bundles: dict[str, Bundle], tmp_path: Path
) -> None:
    bundle = _variant(bundles, tmp_path, "raise SystemExit('must not run')\n")
    output = _predictions(bundle, tmp_path)
    lines = (output / "predictions.csv").read_text().splitlines()
    (output / "predictions.csv").write_text("\n".join(lines[:-3]) + "\n")
    with pytest.raises(InvalidPredictions) as caught:
        evaluate(output, bundle, "development", split_secret="s")
    assert "is missing 3 ids" in str(caught.value)
