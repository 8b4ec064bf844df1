"""Score a model's output folder for one phase of a challenge bundle.

This is the entry point the platform calls. It picks the built-in metrics (``score``) or the
organiser's scoring program (run in the sandbox), and reads every setting from the bundle: the
prediction and label formats, the metrics, the decimals and the phase's public fraction. The
split secret is the platform's, never the bundle's.

It lives here, not in ``evaluators``: the evaluators know prediction files and metrics, never
bundles, so ``challenges`` (which uses their formats and metric registry) depends on
``evaluators`` and never the other way round.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from challenges.bundle import Bundle
from challenges.file_scoring import score_files
from evaluators.evaluate import MetricScore, ScoreReport, SplitName, score
from evaluators.labels import read_labels
from evaluators.predictions import read_predictions
from evaluators.program import ProgramSpec, rows_for, run_program_on_split
from evaluators.split import split_mask_cached
from sandbox.runner import SandboxRunner


def evaluate(
    predictions_dir: Path,
    bundle: Bundle,
    phase: str,
    *,
    split_secret: str,
    runner: SandboxRunner | None = None,
    resamples: int = 1000,
    seed: int = 0,
) -> ScoreReport:
    """Validate and score what a model wrote to ``/output`` for ``phase``.

    Args:
        predictions_dir: the run's copied ``/output`` folder.
        bundle: the challenge.
        phase: the phase's name.
        split_secret: the challenge's public/private split secret (kept by the platform).
        runner: the sandbox for a custom scoring program (made from the environment if None).
        resamples: bootstrap resamples for the intervals of built-in metrics.
        seed: bootstrap seed.

    Raises:
        InvalidPredictions: the participant's predictions are unusable (their fault).
        ScoringError: the organiser's scoring program failed (not the participant's fault).
        ChallengeError: the phase does not exist.
    """
    spec = bundle.spec
    chosen = bundle.phase(phase)
    predictions = predictions_dir / spec.task.predictions.file
    labels = bundle.hidden_labels(phase)
    program = spec.metrics.scoring_program
    if program is None:
        return score(
            predictions,
            labels,
            spec.task.predictions,
            spec.task.labels,
            spec.metrics.names,
            split_secret=split_secret,
            public_fraction=chosen.public_fraction,
            decimals=spec.metrics.decimals,
            resamples=resamples,
            seed=seed,
        )
    if program.contract == "files":
        return score_files(
            predictions_dir, bundle, chosen, program, runner or SandboxRunner.from_env()
        )
    declared = {m.name: m.greater_is_better for m in program.metrics}
    return _custom(
        predictions,
        labels,
        bundle,
        ProgramSpec(bundle.path(program.path), declared, spec.task.runtime_image),
        public_fraction=chosen.public_fraction,
        split_secret=split_secret,
        runner=runner or SandboxRunner.from_env(),
    )


def _custom(
    predictions: Path,
    labels: Path,
    bundle: Bundle,
    program: ProgramSpec,
    *,
    public_fraction: float,
    split_secret: str,
    runner: SandboxRunner,
) -> ScoreReport:
    """Validate the predictions strictly, then run the program once per split."""
    spec = bundle.spec
    fmt, labels_fmt = spec.task.predictions, spec.task.labels
    reference = read_labels(labels, labels_fmt)
    read_predictions(predictions, fmt, reference.ids)  # the participant's errors, precisely
    frames = (
        pd.read_csv(predictions, dtype=str, keep_default_na=False, encoding="utf-8-sig"),
        pd.read_csv(labels, dtype=str, keep_default_na=False, encoding="utf-8-sig"),
    )
    public = split_mask_cached(reference.ids, split_secret, public_fraction)
    masks: dict[SplitName, np.ndarray] = {
        "public": public,
        "private": ~public,
        "all": np.ones(len(public), dtype=bool),
    }
    splits: dict[SplitName, dict[str, MetricScore]] = {}
    for split, mask in masks.items():
        ids = reference.ids[mask]
        values = (
            run_program_on_split(
                runner,
                program,
                rows_for(frames[0], fmt.id_column, ids),
                rows_for(frames[1], labels_fmt.id_column, ids),
                file_names=(fmt.file, labels_fmt.file),
            )
            if len(ids)
            else {}
        )
        splits[split] = {
            name: MetricScore(
                value=round(values[name], spec.metrics.decimals) if name in values else None,
                ci_low=None,
                ci_high=None,
                n_rows=len(ids),
                greater_is_better=better,
            )
            for name, better in program.metrics.items()
        }
    methods = {name: "custom scoring program (no interval)" for name in program.metrics}
    return ScoreReport(primary=spec.metrics.primary, splits=splits, resamples=0, methods=methods)
