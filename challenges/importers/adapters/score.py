"""Podium's adapter for an imported scoring program (contract ``files``); standalone.

Podium runs this file as ``/input/program/score.py`` in its scoring sandbox, with the team's
results in ``/input/res`` and the phase's reference in ``/input/ref``. It runs the imported
program unchanged, with its own platform's contract, and writes Podium's
``/output/scores.json`` from what the program wrote:

- codabench, codalab: the program's ``command`` (from its ``metadata``) with ``$input``
  (holding ``ref/`` and ``res/``), ``$output``, ``$program``, ``$shared`` and ``$tmp``
  replaced, run in the program's folder; it writes ``scores.json`` or ``scores.txt``
  (``key: value`` lines; CodaLab v1 also ``key:value``).
- evalai: the program's ``evaluate(test_annotation_file, user_submission_file,
  phase_codename, **kwargs)``, returning ``{"result": [{split: {metric: value}}]}``.

A program that fails (non-zero exit, an exception) refused the submission, as on its home
platform: this adapter then exits with code 2 (the team's fault, charged). Anything else that
goes wrong here exits with 3 (the challenge's fault, never charged).
"""

from __future__ import annotations

import importlib
import json
import math
import os
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
INPUT, RES, REF, OUTPUT = Path("/input"), Path("/input/res"), Path("/input/ref"), Path("/output")
REFUSED, BROKEN = 2, 3


def main() -> int:
    config = json.loads((HERE / "adapter.json").read_text())
    phase = os.environ.get("PODIUM_PHASE", "")
    entry = config["phases"].get(phase) or next(iter(config["phases"].values()))
    program = HERE / entry["program"]
    if config["platform"] == "evalai":
        raw = run_evalai(program, entry.get("codename") or phase)
    else:
        raw = run_codabench(program, entry.get("command"), config["platform"])
    if raw is None:
        return REFUSED
    scores = to_metrics(raw, config)
    if config["primary"] not in scores:
        print(
            f"the program wrote no value for the primary column; it wrote {sorted(raw)}",
            file=sys.stderr,
        )
        return BROKEN
    (OUTPUT / "scores.json").write_text(json.dumps(scores))
    return 0


def substitute(command: str, values: dict[str, str]) -> str:
    for name in sorted(values, key=len, reverse=True):  # $submission_program before $program
        command = command.replace(f"${name}", values[name])
    return command


def run_codabench(program: Path, command: str | None, platform: str) -> dict[str, float] | None:
    work = Path(tempfile.mkdtemp(prefix="scoring-"))
    out, shared = work / "output", work / "shared"
    out.mkdir()
    shared.mkdir()
    values = {
        "input": str(INPUT),
        "output": str(out),
        "program": str(program),
        "shared": str(shared),
        "tmp": str(work),
        "hidden": str(REF),
    }
    line = substitute(command or "python $program/score.py $input $output", values)
    print(f"running: {line}", file=sys.stderr)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "HOME": str(work)}
    code = subprocess.call(["sh", "-c", line], cwd=program, env=env)
    if code != 0:
        print(f"the scoring program exited with code {code}", file=sys.stderr)
        return None
    return read_scores(out, platform)


def read_scores(out: Path, platform: str) -> dict[str, float] | None:
    if (out / "scores.json").is_file():
        data = json.loads((out / "scores.json").read_text())
        if not isinstance(data, dict):
            print("scores.json is not an object", file=sys.stderr)
            return None
        return {str(k): v for k, v in data.items() if number(v) is not None}
    if not (out / "scores.txt").is_file():
        print("the scoring program wrote neither scores.json nor scores.txt", file=sys.stderr)
        return None
    separator = ":" if platform == "codalab" else ": "
    scores: dict[str, float] = {}
    for line in (out / "scores.txt").read_text().splitlines():
        key, found, value = line.partition(separator)
        parsed = number(value.strip()) if found else None
        if parsed is not None:
            scores[key.strip()] = parsed
    return scores


def number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        parsed = float(value)
    except (TypeError, ValueError):
        return None
    return parsed if math.isfinite(parsed) else None


def run_evalai(program: Path, codename: str) -> dict[str, float] | None:
    files = [p for p in RES.rglob("*") if p.is_file()]
    references = [p for p in REF.rglob("*") if p.is_file()]
    if len(files) != 1 or len(references) != 1:
        print(
            f"expected one submission file and one annotation file; found {len(files)} "
            f"and {len(references)}",
            file=sys.stderr,
        )
        return None
    sys.path.insert(0, str(program))
    os.chdir(tempfile.mkdtemp(prefix="scoring-"))
    try:
        module = importlib.import_module("evaluation_script")
        output = module.evaluate(
            str(references[0]), str(files[0]), codename, submission_metadata={}
        )
        rows = output["result"]
        scores: dict[str, float] = {}
        for row in rows:
            for split, metrics in row.items():
                for name, value in metrics.items():
                    parsed = number(value)
                    if parsed is not None:
                        scores[f"{split}/{name}"] = parsed
        return scores
    except Exception:
        traceback.print_exc()
        return None


def to_metrics(raw: dict[str, float], config: dict[str, Any]) -> dict[str, float]:
    columns: dict[str, str] = config["columns"]
    scores = {columns[key]: value for key, value in raw.items() if key in columns}
    for item in config.get("computed", []):
        values = [raw[key] for key in item["keys"] if key in raw]
        if len(values) != len(item["keys"]) or not values:
            continue
        operation = item["operation"].lower()
        result = {"sum": sum(values), "max": max(values), "min": min(values)}.get(
            operation, sum(values) / len(values)
        )
        scores[item["metric"]] = result
    return scores


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:
        traceback.print_exc()
        sys.exit(BROKEN)
