"""Organisers' own scoring programs, run in the sandbox with no network.

The program (``score.py``) sees, read-only::

    /input/program/score.py          the program itself
    /input/predictions/<file>        the participant's predictions, as the challenge names them
    /input/reference/<file>          the hidden reference labels

and must write ``/output/scores.json``: an object with exactly the metric names the challenge
declares, each a finite number. It runs once per split (public, private, all) on the rows of that
split, so the leaderboard views work as they do for built-in metrics. Anything else is a
``ScoringError``; its message never quotes the program's output (which may contain labels), and
the output tail is kept for organisers in ``log_tail``.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from evaluators.errors import EvaluatorError
from sandbox.limits import SandboxLimits
from sandbox.runner import SandboxRunner

SCORES_FILE = "scores.json"
PROGRAM_COMMAND = ("python", "/input/program/score.py")
SCORER_LIMITS = SandboxLimits(wall_seconds=600, memory_mb=2048, cpus=1.0, output_mb=1)


class ScoringError(EvaluatorError):
    """The organiser's scoring program failed or wrote no usable ``scores.json``.

    Args:
        message: what went wrong, safe to show to a participant.
        log_tail: the program's stderr tail, for organisers only.
    """

    def __init__(self, message: str, log_tail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.log_tail = log_tail


@dataclass(frozen=True)
class ProgramSpec:
    """Where the scoring program is, what it declares, and the image it runs on."""

    path: Path
    metrics: Mapping[str, bool]  # metric name -> greater is better
    image: str
    limits: SandboxLimits = SCORER_LIMITS


def run_program_on_split(
    runner: SandboxRunner,
    program: ProgramSpec,
    predictions: pd.DataFrame,
    labels: pd.DataFrame,
    *,
    file_names: tuple[str, str],
) -> dict[str, float]:
    """Run the scoring program on one split's rows and return its scores.

    Args:
        runner: the sandbox to run in.
        program: the program, its declared metrics and its image.
        predictions: the participant's rows for this split (already validated).
        labels: the reference rows for the same ids.
        file_names: (predictions file name, labels file name) as the challenge names them.

    Raises:
        ScoringError: the program failed, or its scores.json is missing or malformed.
    """
    with tempfile.TemporaryDirectory(prefix="podium-scoring-") as tmp:
        work = Path(tmp)
        inputs = _stage_inputs(work, program.path, predictions, labels, file_names)
        result = runner.run(
            program.image,
            inputs,
            work / "output",
            program.limits,
            env={
                "PODIUM_PREDICTIONS": "/input/predictions",
                "PODIUM_REFERENCE": "/input/reference",
            },
            command=PROGRAM_COMMAND,
        )
        if not result.succeeded:
            raise ScoringError(
                f"the challenge's scoring program did not finish ({result.status.value}: "
                f"{result.message}); the organisers can see its log",
                log_tail=result.stderr_tail,
            )
        return _read_scores(work / "output" / SCORES_FILE, program.metrics, result.stderr_tail)


def _stage_inputs(
    work: Path,
    program: Path,
    predictions: pd.DataFrame,
    labels: pd.DataFrame,
    file_names: tuple[str, str],
) -> Path:
    inputs = work / "input"
    for folder in ("program", "predictions", "reference"):
        (inputs / folder).mkdir(parents=True)
    shutil.copyfile(program, inputs / "program" / "score.py")
    predictions.to_csv(inputs / "predictions" / file_names[0], index=False)
    labels.to_csv(inputs / "reference" / file_names[1], index=False)
    for path in [inputs, *inputs.rglob("*")]:  # the sandbox user must be able to read them
        path.chmod(0o755 if path.is_dir() else 0o644)
    work.chmod(0o755)
    return inputs


def _read_scores(path: Path, declared: Mapping[str, bool], log_tail: str) -> dict[str, float]:
    if not path.is_file() or path.is_symlink():
        raise ScoringError(
            f"the challenge's scoring program wrote no /output/{SCORES_FILE}", log_tail=log_tail
        )
    try:
        data = json.loads(path.read_bytes()[: 1 << 20])
    except (ValueError, UnicodeDecodeError):
        raise ScoringError(f"{SCORES_FILE} is not valid JSON", log_tail=log_tail) from None
    if not isinstance(data, dict):
        raise ScoringError(f"{SCORES_FILE} must hold a JSON object", log_tail=log_tail)
    missing = sorted(set(declared) - set(data))
    extra = sorted(set(data) - set(declared))
    if missing or extra:
        raise ScoringError(
            f"{SCORES_FILE} must hold exactly the declared metrics {sorted(declared)}; "
            f"missing: {missing or 'none'}, unexpected: {extra or 'none'}",
            log_tail=log_tail,
        )
    scores: dict[str, float] = {}
    for name in declared:
        value = data[name]
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ScoringError(f"{SCORES_FILE}: {name} must be a finite number", log_tail=log_tail)
        scores[name] = float(value)
    return scores


def rows_for(frame: pd.DataFrame, id_column: str, ids: Sequence[str] | np.ndarray) -> pd.DataFrame:
    """The rows of ``frame`` whose id is in ``ids``, in the frame's order."""
    return frame[frame[id_column].isin(set(ids))]
