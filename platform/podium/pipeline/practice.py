"""A practice run, start to end: the model on the phase's public sample, never the hidden data.

    queued → preparing (image, as a submission's) → running (the public sample, the phase's
           limits) → scoring (against the sample's public labels) → finished

The sample is :func:`challenges.samples.stage_public_sample`, the one the smoke run and
``podium check`` use: made from public files only. The hidden inputs are never staged or
mounted and the hidden labels never read. The data is public, so the run's stdout and stderr
are kept as the logs of a run on public data (the team reads them in full) and every message
is shown as it is. Scores are stored like a submission's, but nothing competitive reads them
(:func:`podium.crud.practice.competing`).
"""

from __future__ import annotations

import shutil

from challenges import Bundle
from challenges.inputs import sandbox_limits_for
from challenges.paths import sha256_path
from challenges.samples import PublicSample, stage_public_sample
from evaluators import ScoreReport
from evaluators.evaluate import score
from podium.db.models import SubmissionKind, SubmissionStatus
from podium.pipeline.attempts import Heartbeat, advance, end_run
from podium.pipeline.context import Attempt, PipelineContext
from podium.pipeline.faults import OrganiserFault, ParticipantFault, Stop
from podium.pipeline.images import prepare_image
from podium.pipeline.logs import LogDir
from podium.pipeline.smoke import run_on_sample
from podium.pipeline.stages import SCORE_FILE, output_dir, save_scores

NO_SAMPLE = (
    "this challenge has no public sample with labels to practise on (a public 'validation' "
    "folder, or a public CSV with the label columns)"
)


def run_practice(
    ctx: PipelineContext, attempt: Attempt, bundle: Bundle, logs: LogDir, beat: Heartbeat
) -> None:
    """Prepare the image, run it on the public sample, score it there and save the scores.

    Raises:
        ParticipantFault: the image, the run or its predictions failed (full message).
        OrganiserFault: the challenge has no public sample (intake refuses that first).
        Stop: cancelled, or the attempt was superseded.
    """
    if attempt.kind == SubmissionKind.PREDICTIONS.value:
        raise ParticipantFault("a practice run runs a model; predictions files are not run")
    root = ctx.inputs_root / attempt.challenge_slug
    sample = stage_public_sample(bundle, attempt.phase_name, root)
    if sample is None:
        raise OrganiserFault(NO_SAMPLE)
    digest = prepare_image(ctx, attempt, bundle, logs, cancel=beat.cancelled)
    _check(beat)
    advance(
        ctx, attempt, SubmissionStatus.RUNNING, image_digest=digest,
        logs_path=str(logs.root), data_sha256=sha256_path(sample.labels),
    )  # fmt: skip
    _run(ctx, attempt, bundle, sample, digest, logs, beat)
    report = _score(ctx, attempt, bundle, sample)
    logs.write_json(SCORE_FILE, report.to_dict())
    _check(beat)
    save_scores(ctx, attempt, report)


def _run(
    ctx: PipelineContext,
    attempt: Attempt,
    bundle: Bundle,
    sample: PublicSample,
    digest: str,
    logs: LogDir,
    beat: Heartbeat,
) -> None:
    out = output_dir(ctx, attempt)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    image = (digest, sandbox_limits_for(bundle.phase(attempt.phase_name)))
    result = run_on_sample(
        ctx, attempt, image, sample, out, logs, beat.cancelled, "its practice run"
    )
    if not end_run(ctx, attempt, result):
        raise ParticipantFault(f"{result.message} (in the practice run on {sample.source})")


def _score(
    ctx: PipelineContext, attempt: Attempt, bundle: Bundle, sample: PublicSample
) -> ScoreReport:
    """Score on the sample's public labels with the built-in metrics (the whole sample).

    Raises:
        InvalidPredictions: the model's predictions are unusable (the participant's fault).
    """
    spec = bundle.spec
    return score(
        output_dir(ctx, attempt) / spec.task.predictions.file,
        sample.labels,
        spec.task.predictions,
        spec.task.labels,
        spec.metrics.names,
        split_secret=attempt.split_secret,
        public_fraction=1.0,
        decimals=spec.metrics.decimals,
        resamples=ctx.settings.resamples,
    )


def _check(beat: Heartbeat) -> None:
    if beat.cancelled.is_set():
        raise Stop("the practice run was cancelled")
