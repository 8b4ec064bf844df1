"""The smoke run: the submission's image on a public sample first, before any hidden data.

Participants never see the logs of a run on hidden data (:mod:`podium.pipeline.disclosure`), so
the worker first runs the image the same way (same sandbox, same limits, same environment) on
the phase's public sample (:func:`challenges.samples.smoke_sample`: the rule ``podium check``
uses) and keeps its stdout and stderr as the "smoke run" logs, which participants may read. If
that run fails, or writes predictions that do not validate against the sample's ids, the
submission fails right there, charged, with the full message (the data is public), and the
hidden data is never touched. A phase with ``smoke_run: false``, or a bundle with no public
sample, goes straight to the hidden run.
"""

from __future__ import annotations

import logging
import shutil
import threading
from datetime import timedelta
from pathlib import Path

from challenges import Bundle
from challenges.inputs import sandbox_limits_for
from challenges.samples import PublicSample, smoke_sample
from evaluators import InvalidLabels, InvalidPredictions
from evaluators.labels import read_labels
from evaluators.predictions import read_predictions
from podium.crud.submission_logs import SMOKE_RUN_FILE, SMOKE_STDERR, SMOKE_STDOUT
from podium.pipeline.attempts import load_current
from podium.pipeline.context import Attempt, PipelineContext
from podium.pipeline.faults import INVALID_PREDICTIONS, ParticipantFault, Stop
from podium.pipeline.logs import LogDir
from sandbox.limits import SandboxLimits
from sandbox.result import RunResult, RunStatus

log = logging.getLogger(__name__)


def run_smoke(
    ctx: PipelineContext,
    attempt: Attempt,
    bundle: Bundle,
    digest: str,
    logs: LogDir,
    cancel: threading.Event | None = None,
) -> None:
    """Run the image on the phase's public sample, where it has one, and keep its logs.

    Raises:
        ParticipantFault: the run failed or its predictions are invalid (full message).
        Stop: the attempt is no longer current, or the submission was cancelled meanwhile.
    """
    sample = smoke_sample(bundle, attempt.phase_name, ctx.inputs_root / attempt.challenge_slug)
    if sample is None:
        return
    limits = sandbox_limits_for(bundle.phase(attempt.phase_name))
    _extend_deadline(ctx, attempt, limits.wall_seconds)
    out = ctx.outputs_root / f"{attempt.submission_id}-{attempt.number}-smoke"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    where = f"in the smoke run on {sample.source}, before the hidden data; its logs are shown"
    try:
        image = (digest, limits)
        result = run_on_sample(ctx, attempt, image, sample, out, logs, cancel, "its smoke run")
        if not result.succeeded:
            raise ParticipantFault(f"{result.message} ({where})")
        _check_predictions(out, bundle, sample, where)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _check_predictions(out: Path, bundle: Bundle, sample: PublicSample, where: str) -> None:
    task = bundle.spec.task
    try:
        ids = read_labels(sample.labels, task.labels).ids
    except InvalidLabels as error:  # the organiser's public file: not the participant's fault
        log.warning("the public sample of %s has unusable labels: %s", bundle.spec.slug, error)
        return
    try:
        read_predictions(out / task.predictions.file, task.predictions, ids)
    except InvalidPredictions as error:
        raise ParticipantFault(f"{INVALID_PREDICTIONS}{error} ({where})") from error


def run_on_sample(
    ctx: PipelineContext,
    attempt: Attempt,
    image: tuple[str, SandboxLimits],
    sample: PublicSample,
    out: Path,
    logs: LogDir,
    cancel: threading.Event | None,
    during: str,
) -> RunResult:
    """Run ``image`` (digest, the phase's limits) on a public sample with the phase's
    environment, writing to ``out``, and keep the run's stdout, stderr and figures as the
    public-data logs (the smoke run's and the practice run's alike).

    Raises:
        Stop: cancelled while the container ran (``during`` names the run in the message).
    """
    digest, limits = image
    env = {"PODIUM_CHALLENGE": attempt.challenge_slug, "PODIUM_PHASE": attempt.phase_name}
    result = ctx.runner.run(digest, sample.inputs, out, limits, env=env, cancel=cancel)
    if result.status is RunStatus.CANCELLED:
        raise Stop(f"the submission was cancelled during {during}")
    logs.write(SMOKE_STDOUT, result.stdout_tail)
    logs.write(SMOKE_STDERR, result.stderr_tail)
    facts = {k: v for k, v in result.to_dict().items() if not k.endswith("_tail")}
    logs.write_json(SMOKE_RUN_FILE, {**facts, "source": sample.source})
    return result


def _extend_deadline(ctx: PipelineContext, attempt: Attempt, seconds: float) -> None:
    """Give the attempt the smoke run's wall time on top of its deadline (the reaper reads it)."""
    with ctx.session_factory() as session:
        evaluation, _ = load_current(session, attempt)
        if evaluation.deadline is not None:
            evaluation.deadline = evaluation.deadline + timedelta(seconds=seconds)
            session.add(evaluation)
            session.commit()
