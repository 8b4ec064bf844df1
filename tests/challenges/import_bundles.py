"""Bundles in other platforms' formats, written here for the import tests (none is copied).

Each writer makes one small competition in a folder and returns it; the data is ten labelled
items, so a correct submission scores 1.0 and the wrong one 0.0 (or 0.3 where noted).
"""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path

import yaml

LABELS = ["a", "b", "a", "c", "b", "a", "c", "c", "b", "a"]
WRONG = ["z"] * 10

# a Codabench/CodaLab scoring program: argv is $input $output; it reads ref/ and res/
ACCURACY_PROGRAM = """
import json, os, sys
inp, out = sys.argv[1], sys.argv[2]
truth = open(os.path.join(inp, "ref", "truth.txt")).read().split()
guess = open(os.path.join(inp, "res", "predictions.txt")).read().split()
if len(guess) != len(truth):
    sys.exit("predictions.txt must hold one label per line, %d lines" % len(truth))
hits = sum(t == g for t, g in zip(truth, guess))
FORMAT
"""
AS_JSON = (
    'json.dump({"accuracy": hits / len(truth), "errors": len(truth) - hits}, '
    'open(os.path.join(out, "scores.json"), "w"))'
)
# CodaLab v1 style: scores.txt, key:value without a space
AS_TXT = (
    'open(os.path.join(out, "scores.txt"), "w").write('
    '"set1_score:%f\\nset2_score:%f\\n" % (hits / len(truth), 1.0))'
)

INGESTION = """
import os, sys
inp, out, code = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, code)
from model import predict
items = open(os.path.join(inp, "test.txt")).read().split()
open(os.path.join(out, "predictions.txt"), "w").write("\\n".join(predict(items)) + "\\n")
"""


def _write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def zipped(files: dict[str, str]) -> bytes:
    """A zip of ``files`` (name -> text)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def lines(labels: list[str]) -> str:
    return "\n".join(labels) + "\n"


def codabench_result_only(root: Path) -> Path:
    """Codabench v2, result submissions only, Force_Last, month-first dates, a dev phase."""
    yaml = """version: 2
title: Letters (result submission)
description: Guess the letter of each item.
image: logo.png
docker_image: codalab/codalab-legacy:py312
terms: pages/terms.md
pages:
  - {title: Overview, file: pages/overview.md}
tasks:
  - index: 0
    name: Letters task
    description: Guess ten letters
    reference_data: reference_data/
    scoring_program: scoring_program/
phases:
  - index: 0
    name: Development Phase
    start: 1-1-2026
    end: 12-31-2035
    max_submissions: 20
    max_submissions_per_day: 5
    tasks: [0]
    public_data: public_data
leaderboards:
  - title: Results
    key: main
    submission_rule: "Force_Last"
    columns:
      - {title: Accuracy, key: accuracy, index: 0, sorting: desc, precision: 3}
      - {title: Errors, key: errors, index: 1, sorting: asc, precision: 0}
"""
    return _write(root, {
        "competition.yaml": yaml,
        "pages/terms.md": "Be nice.\n",
        "pages/overview.md": "Items are letters.\n",
        "reference_data/truth.txt": lines(LABELS),
        "public_data/items.txt": lines([str(i) for i in range(10)]),
        "scoring_program/metadata.yaml": "command: python3 $program/score.py $input $output\n",
        "scoring_program/score.py": ACCURACY_PROGRAM.replace("FORMAT", AS_JSON),
    })  # fmt: skip


MODEL = """
ANSWERS = {ANSWERS}
def predict(items):
    return [ANSWERS[int(i)] for i in items]
"""


def codabench_with_ingestion(root: Path) -> Path:
    """Codabench v2 code submissions: input data, an ingestion program, a scoring program."""
    yaml = """version: 2
title: Letters (code submission)
description: Submit a model that guesses letters.
terms: pages/terms.md
tasks:
  - index: 0
    name: Letters task
    input_data: input_data/
    reference_data: reference_data/
    ingestion_program: ingestion_program/
    scoring_program: scoring_program/
phases:
  - index: 0
    name: Development
    start: 2026-01-01
    execution_time_limit: 120
    tasks: [0]
leaderboards:
  - title: Results
    key: main
    columns:
      - {title: Accuracy, key: accuracy, index: 0, sorting: desc}
"""
    return _write(root, {
        "competition.yaml": yaml,
        "pages/terms.md": "Be nice.\n",
        "input_data/test.txt": lines([str(i) for i in range(10)]),
        "reference_data/truth.txt": lines(LABELS),
        "ingestion_program/metadata.yaml":
            "command: python3 ingestion.py $input $output $submission_program\n",
        "ingestion_program/ingestion.py": INGESTION,
        "scoring_program/metadata.yaml": "command: python3 $program/score.py $input $output\n",
        "scoring_program/score.py": ACCURACY_PROGRAM.replace(
            "FORMAT", AS_JSON.replace(', "errors": len(truth) - hits', "")
        ),
    })  # fmt: skip


def model_context(dockerfile: str, labels: list[str]) -> bytes:
    """A team's build context: the starting kit's Dockerfile and a model answering ``labels``."""
    files = {"Dockerfile": dockerfile, "model.py": MODEL.replace("{ANSWERS}", repr(labels))}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def codalab_v1(root: Path) -> Path:
    """CodaLab v1: numbered phases without ends, zipped programs and data, a computed column."""
    yaml = """title: Letters (CodaLab)
description: Guess the letter of each item.
admin_names: alice,bob
end_date: 2040-01-01 00:00:00+00:00
html:
  overview: overview.html
  terms: terms.html
phases:
  1:
    phasenumber: 1
    label: Development
    color: green
    start_date: 2026-01-01 00:00:00+00:00
    max_submissions: 50
    max_submissions_per_day: 5
    execution_time_limit: 300
    is_scoring_only: true
    scoring_program: scoring_program.zip
    reference_data: reference_data.zip
    public_data: public_data.zip
  2:
    phasenumber: 2
    label: Final
    start_date: 2039-01-01 00:00:00+00:00
    max_submissions: 3
    is_scoring_only: true
    scoring_program: scoring_program.zip
    reference_data: reference_data.zip
leaderboard:
  leaderboards:
    Results: &RESULTS
      label: Results
      rank: 1
  columns:
    set1_score:
      leaderboard: *RESULTS
      label: Set 1
      numeric_format: 4
      rank: 2
    set2_score:
      leaderboard: *RESULTS
      label: Set 2
      numeric_format: 4
      rank: 3
    average:
      leaderboard: *RESULTS
      label: Average
      numeric_format: 4
      rank: 1
      selection_default: 1
      computed:
        operation: Avg
        fields: set1_score, set2_score
"""
    return _write(root, {
        "competition.yaml": yaml,
        "overview.html": "<p>Items are letters.</p>\n",
        "terms.html": "<p>Be nice.</p>\n",
        "scoring_program.zip": zipped({
            "metadata": "command: python $program/score.py $input $output\n",
            "score.py": ACCURACY_PROGRAM.replace("FORMAT", AS_TXT),
        }),
        "reference_data.zip": zipped({"truth.txt": lines(LABELS)}),
        "public_data.zip": zipped({"items.txt": lines([str(i) for i in range(10)])}),
    })  # fmt: skip


EVALAI_MAIN = """
import json

def evaluate(test_annotation_file, user_submission_file, phase_codename, **kwargs):
    truth = json.load(open(test_annotation_file))
    guess = json.load(open(user_submission_file))
    if not isinstance(guess, dict):
        raise ValueError("the submission must be a JSON object of id -> label")
    hits = sum(guess.get(k) == v for k, v in truth.items())
    first = {"Accuracy": hits / len(truth), "Total": hits}
    result = [{"train_split": first}]
    if phase_codename == "test":
        result.append({"test_split": {"Accuracy": hits / len(truth), "Total": hits * 2}})
    return {"result": result, "submission_result": result[0]["train_split"]}
"""


def evalai(root: Path) -> Path:
    """EvalAI: two phases, two dataset splits (one host-only), an evaluation_script zip."""
    yaml = """title: Letters (EvalAI)
short_description: Guess the letter of each item.
description: templates/description.html
evaluation_details: templates/evaluation_details.html
terms_and_conditions: templates/terms_and_conditions.html
image: logo.jpg
evaluation_script: evaluation_script.zip
remote_evaluation: False
start_date: 2026-01-01 00:00:00
end_date: 2040-05-31 23:59:59
published: True
leaderboard:
  - id: 1
    schema: {"labels": ["Accuracy", "Total"], "default_order_by": "Accuracy"}
challenge_phases:
  - id: 1
    name: Dev Phase
    codename: dev
    start_date: 2026-01-01 00:00:00
    end_date: 2035-01-01 00:00:00
    test_annotation_file: annotations/dev.json
    max_submissions_per_day: 5
    max_submissions: 50
  - id: 2
    name: Test Phase
    codename: test
    start_date: 2035-01-01 00:00:00
    end_date: 2040-01-01 00:00:00
    test_annotation_file: annotations/test.json
    max_submissions_per_day: 5
    max_submissions: 50
dataset_splits:
  - {id: 1, name: Train Split, codename: train_split}
  - {id: 2, name: Test Split, codename: test_split}
challenge_phase_splits:
  - {challenge_phase_id: 1, leaderboard_id: 1, dataset_split_id: 1, visibility: 3,
     leaderboard_decimal_precision: 2, is_leaderboard_order_descending: True}
  - {challenge_phase_id: 2, leaderboard_id: 1, dataset_split_id: 1, visibility: 3,
     leaderboard_decimal_precision: 2, is_leaderboard_order_descending: True}
  - {challenge_phase_id: 2, leaderboard_id: 1, dataset_split_id: 2, visibility: 1,
     leaderboard_decimal_precision: 2, is_leaderboard_order_descending: True}
"""
    truth = json.dumps({str(i): label for i, label in enumerate(LABELS)})
    return _write(root, {
        "challenge_config.yaml": yaml,
        "templates/description.html": "<p>Items are letters.</p>\n",
        "templates/evaluation_details.html": "<p>Accuracy.</p>\n",
        "templates/terms_and_conditions.html": "<p>Be nice.</p>\n",
        "annotations/dev.json": truth,
        "annotations/test.json": truth,
        "evaluation_script.zip": zipped({
            "__init__.py": "from .main import evaluate  # noqa\n",
            "main.py": EVALAI_MAIN,
        }),
    })  # fmt: skip


def evalai_submission(labels: list[str]) -> bytes:
    return json.dumps({str(i): label for i, label in enumerate(labels)}).encode()


NATIVE = {
    "version": 1, "slug": "letters-native", "title": "Letters", "summary": "Guess letters.",
    "description": "README.md", "organisers": [{"name": "tests"}], "terms": "Be nice.",
    "task": {
        "description": "Guess the letter of each id.",
        "inputs": [{"path": "test.csv"}],
        "predictions": {"file": "predictions.csv", "kind": "label",
                        "columns": [{"name": "letter", "type": "str"}]},
        "labels": {"file": "labels.csv", "columns": [{"name": "letter", "type": "str"}]},
    },
    "metrics": {"primary": "accuracy"},
    "phases": [{
        "name": "open", "start": "2026-01-01T00:00:00Z", "end": "2040-01-01T00:00:00Z",
        "data": "test", "public_fraction": 0.5, "submission_kinds": ["predictions"],
        "submissions": {"per_day": 20, "total": 20, "in_flight": 2},
        "limits": {"wall_seconds": 60, "memory_mb": 512, "cpus": 1},
    }],
    "data": {
        "public": [{"name": "test-inputs", "path": "data/test"}],
        "hidden": {"test": {"inputs": "data/test", "labels": "data/labels.csv",
                            "public_inputs": True}},
    },
}  # fmt: skip


def native_predictions(root: Path) -> Path:
    """A Podium bundle (not imported) whose one phase takes predictions files only."""
    (root / "data" / "test").mkdir(parents=True)
    (root / "README.md").write_text("Guess letters.\n")
    ids = range(len(LABELS))
    (root / "data" / "test" / "test.csv").write_text("id\n" + "".join(f"{i}\n" for i in ids))
    rows = "".join(f"{i},{label}\n" for i, label in zip(ids, LABELS, strict=True))
    (root / "data" / "labels.csv").write_text("id,letter\n" + rows)
    (root / "challenge.yaml").write_text(yaml.safe_dump(NATIVE, sort_keys=False))
    return root
