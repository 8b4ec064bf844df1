"""One evaluation, start to end: the plain function the Celery task calls.

    queued → preparing (image) → running (smoke run on a public sample, then the hidden data)
           → scoring (outside the container) → finished
    queued → preparing → scoring (a predictions file: nothing built or run) → finished
    a practice run: :mod:`.practice` (the public sample only, never the hidden data)

Failures on hidden data reach the participant as fixed messages (:mod:`.disclosure`).

Each stage transition checks that the attempt is still current, so a cancelled submission stops
at the next stage boundary. A container already running is not killed on cancel: it ends at its
wall-time limit and its result is discarded (see ``docs`` in the module map).
"""

from __future__ import annotations

import shutil
from enum import StrEnum

from challenges import Bundle
from podium.db.models import SubmissionKind, SubmissionStatus
from podium.pipeline.attempts import Heartbeat, advance, end_run, start_attempt
from podium.pipeline.context import Attempt, PipelineContext
from podium.pipeline.disclosure import RunFailed, on_hidden_data
from podium.pipeline.dispatch import after_end
from podium.pipeline.faults import Stop
from podium.pipeline.images import prepare_image
from podium.pipeline.logs import LogDir
from podium.pipeline.outcomes import close_quietly, end_with_error
from podium.pipeline.practice import run_practice
from podium.pipeline.recording import record_in_mlflow
from podium.pipeline.retention import release_after
from podium.pipeline.smoke import run_smoke
from podium.pipeline.stages import (
    load_challenge_bundle,
    output_dir,
    place_predictions,
    run_model,
    save_scores,
    score_output,
)


class Outcome(StrEnum):
    """What one call of :func:`evaluate_submission` did."""

    SKIPPED = "skipped"  # terminal already, or another live attempt holds it
    STOPPED = "stopped"  # cancelled or superseded while it ran
    FINISHED = "finished"
    FAILED = "failed"
    ERROR = "error"


def evaluate_submission(
    ctx: PipelineContext, submission_id: int, *, task_id: str | None = None
) -> Outcome:
    """Evaluate a submission by id; idempotent (a finished one is left as it is).

    Raises:
        PlatformFault: the engine or the disk failed; the submission is back in ``queued``
            and the caller (the task) retries with backoff, or gives up with ``error``.
    """
    attempt = start_attempt(ctx, submission_id, task_id)
    if attempt is None:
        return Outcome.SKIPPED
    logs = LogDir(ctx.store.logs_dir(submission_id, attempt.number))
    try:
        with Heartbeat(ctx.session_factory, attempt, ctx.settings.heartbeat_seconds) as beat:
            _stages(ctx, attempt, logs, beat)
        outcome = Outcome.FINISHED
    except Stop as stop:
        close_quietly(ctx, attempt, str(stop))
        outcome = Outcome.STOPPED
    except Exception as error:  # classified in one place; platform faults re-raise
        outcome = Outcome(end_with_error(ctx, attempt, error))
    finally:
        shutil.rmtree(output_dir(ctx, attempt), ignore_errors=True)
        release_after(ctx.session_factory, ctx.client, submission_id)  # the disk does not grow
    # the team's turn passes on: its next waiting submission is sent (a stopped one's
    # submission was cancelled or taken over; the count decides, so a spare call sends nothing)
    after_end(ctx.session_factory, ctx.settings, attempt.team_id)
    if outcome is not Outcome.STOPPED:
        record_in_mlflow(ctx.session_factory, ctx.tracker, attempt.evaluation_id)
    return outcome


def _stages(ctx: PipelineContext, attempt: Attempt, logs: LogDir, beat: Heartbeat) -> None:
    bundle = load_challenge_bundle(attempt)
    if attempt.practice:  # the public sample only: the hidden data is never staged
        run_practice(ctx, attempt, bundle, logs, beat)
        return
    if attempt.kind == SubmissionKind.PREDICTIONS.value:
        _score_predictions(ctx, attempt, bundle, logs, beat)
        return
    digest = prepare_image(ctx, attempt, bundle, logs, cancel=beat.cancelled)
    _check(beat)
    advance(
        ctx,
        attempt,
        SubmissionStatus.RUNNING,
        image_digest=digest,
        logs_path=str(logs.root),
        data_sha256=bundle.hidden_hash(attempt.phase_name),
    )
    run_smoke(ctx, attempt, bundle, digest, logs, cancel=beat.cancelled)
    _check(beat)
    with on_hidden_data(bundle, attempt.phase_name):
        _on_hidden_data(ctx, attempt, bundle, digest, logs, beat)


def _on_hidden_data(
    ctx: PipelineContext,
    attempt: Attempt,
    bundle: Bundle,
    digest: str,
    logs: LogDir,
    beat: Heartbeat,
) -> None:
    result = run_model(ctx, attempt, bundle, digest, logs, cancel=beat.cancelled)
    _check(beat)
    if not end_run(ctx, attempt, result):
        raise RunFailed(result)
    report = score_output(ctx, attempt, bundle, logs)
    _check(beat)
    save_scores(ctx, attempt, report)


def _score_predictions(
    ctx: PipelineContext, attempt: Attempt, bundle: Bundle, logs: LogDir, beat: Heartbeat
) -> None:
    """A predictions file: nothing is built or run; it is scored as a run's output would be.

    Its messages are not withheld: the file is the team's own and the phase's inputs are
    public (the bundle check requires it), so naming a missing id tells nothing hidden.
    """
    advance(
        ctx,
        attempt,
        SubmissionStatus.SCORING,
        logs_path=str(logs.root),
        data_sha256=bundle.hidden_hash(attempt.phase_name),
    )
    place_predictions(ctx, attempt, bundle)
    report = score_output(ctx, attempt, bundle, logs)
    _check(beat)
    save_scores(ctx, attempt, report)


def _check(beat: Heartbeat) -> None:
    if beat.cancelled.is_set():
        raise Stop("the submission was cancelled")
