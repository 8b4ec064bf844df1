"""Scoring with a program of contract ``files``: whole folders in, one set of scores out.

The program is a folder with ``score.py`` at its top. In the sandbox (no network, the limits of
every organiser's scoring program) it sees, read-only::

    /input/program/   the program folder
    /input/res/       everything the run left in /output, or the uploaded predictions
    /input/ref/       the phase's reference (data.hidden.*.labels: its files, or the one file)

and writes ``/output/scores.json``: declared metrics only, the primary one always. It runs once,
on the whole test set: the program validates the predictions itself (exit code 2 means it
refused them, the participant's fault; any other failure is the program's, the organiser's),
and its scores stand for every split, as they do on the platforms such programs come from
(where separate phases play the public/private split). Imported challenges run their own
scoring programs this way, behind an adapter (``challenges/importers/adapters/score.py``).
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from pathlib import Path

from challenges.bundle import Bundle
from challenges.schema import Phase, ScoringProgram
from evaluators.errors import InvalidPredictions
from evaluators.evaluate import MetricScore, ScoreReport, SplitName
from evaluators.program import SCORER_LIMITS, SCORES_FILE, ScoringError
from sandbox.result import RunStatus
from sandbox.runner import SandboxRunner

COMMAND = ("python", "/input/program/score.py")
SPLITS: tuple[SplitName, ...] = ("public", "private", "all")
REFUSED_EXIT_CODE = 2
REFUSED = (
    "the challenge's scoring program refused your results; check them against the "
    "challenge's instructions and its starting kit"
)


def score_files(
    predictions_dir: Path,
    bundle: Bundle,
    phase: Phase,
    program: ScoringProgram,
    runner: SandboxRunner,
) -> ScoreReport:
    """Run a ``files`` program on the whole output folder and the phase's reference.

    Raises:
        InvalidPredictions: the program exited with a non-zero code (it refused them).
        ScoringError: the program timed out, ran out of memory, or wrote no usable scores.
    """
    declared = {m.name: m.greater_is_better for m in program.metrics}
    with tempfile.TemporaryDirectory(prefix="podium-scoring-") as tmp:
        work = Path(tmp)
        inputs = _stage(work, bundle.path(program.path), predictions_dir, bundle, phase)
        result = runner.run(
            bundle.spec.task.runtime_image,
            inputs,
            work / "output",
            SCORER_LIMITS,
            env={
                "PODIUM_PREDICTIONS": "/input/res",
                "PODIUM_REFERENCE": "/input/ref",
                "PODIUM_PHASE": phase.name,
            },
            command=COMMAND,
        )
        if result.status is RunStatus.FAILED and result.exit_code == REFUSED_EXIT_CODE:
            raise InvalidPredictions([REFUSED])
        if not result.succeeded:
            raise ScoringError(
                f"the challenge's scoring program did not finish ({result.status.value}: "
                f"{result.message}); the organisers can see its log",
                log_tail=result.stderr_tail,
            )
        values = _read_scores(work / "output" / SCORES_FILE, declared, result.stderr_tail)
        _primary_present(values, bundle.spec.metrics.primary, result.stderr_tail)
    decimals = bundle.spec.metrics.decimals
    row = {
        name: MetricScore(
            value=round(values[name], decimals) if name in values else None,
            ci_low=None,
            ci_high=None,
            n_rows=0,  # the program reads files, not rows: Podium does not count them
            greater_is_better=better,
        )
        for name, better in declared.items()
    }
    methods = {name: "scoring program on whole files (no split, no interval)" for name in declared}
    return ScoreReport(
        primary=bundle.spec.metrics.primary,
        splits={split: dict(row) for split in SPLITS},
        resamples=0,
        methods=methods,
    )


def _read_scores(path: Path, declared: dict[str, bool], log_tail: str) -> dict[str, float]:
    """The declared metrics the program wrote; the primary one must be there (a phase whose
    program computes fewer columns leaves the others empty)."""
    if not path.is_file() or path.is_symlink():
        raise ScoringError(f"the scoring program wrote no /output/{SCORES_FILE}", log_tail)
    try:
        data = json.loads(path.read_bytes()[: 1 << 20])
    except (ValueError, UnicodeDecodeError):
        raise ScoringError(f"{SCORES_FILE} is not valid JSON", log_tail) from None
    if not isinstance(data, dict):
        raise ScoringError(f"{SCORES_FILE} must hold a JSON object", log_tail)
    extra = sorted(set(data) - set(declared))
    if extra:
        raise ScoringError(f"{SCORES_FILE} holds undeclared metrics: {extra}", log_tail)
    scores: dict[str, float] = {}
    for name, value in data.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScoringError(f"{SCORES_FILE}: {name} must be a number", log_tail)
        if not math.isfinite(value):
            raise ScoringError(f"{SCORES_FILE}: {name} must be finite", log_tail)
        scores[name] = float(value)
    return scores


def _primary_present(scores: dict[str, float], primary: str, log_tail: str) -> None:
    if primary not in scores:
        raise ScoringError(f"{SCORES_FILE} has no value for the primary metric {primary}", log_tail)


def _stage(work: Path, program: Path, results: Path, bundle: Bundle, phase: Phase) -> Path:
    inputs = work / "input"
    inputs.mkdir()
    shutil.copytree(program, inputs / "program", symlinks=False)
    shutil.copytree(results, inputs / "res", symlinks=True)  # links are not followed: left out
    _drop_links(inputs / "res")
    reference = bundle.hidden_labels(phase)
    if reference.is_dir():
        shutil.copytree(reference, inputs / "ref", symlinks=True)
        _drop_links(inputs / "ref")
    else:
        (inputs / "ref").mkdir()
        shutil.copyfile(reference, inputs / "ref" / reference.name)
    for path in [inputs, *inputs.rglob("*")]:  # the sandbox user must be able to read them
        path.chmod(0o755 if path.is_dir() else 0o644)
    work.chmod(0o755)
    return inputs


def _drop_links(root: Path) -> None:
    for path in list(root.rglob("*")):
        if path.is_symlink():
            path.unlink()
