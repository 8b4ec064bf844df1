"""The ``running`` and ``scoring`` stages, and saving the scores.

Scores are written to the database in the same transaction that marks the submission
``finished``: the database is the record; MLflow gets its copy afterwards.
"""

from __future__ import annotations

import shutil
import threading
from functools import lru_cache
from pathlib import Path

from sqlalchemy import delete
from sqlmodel import col

from challenges import Bundle, BundleError, load_bundle
from challenges.inputs import sandbox_limits_for, stage_inputs
from challenges.scoring import evaluate
from evaluators import ScoreReport
from podium.crud.submissions import record_status
from podium.db.models import Score, ScoreSplit, SubmissionStatus
from podium.db.types import utcnow
from podium.pipeline.attempts import close_evaluation, load_current
from podium.pipeline.context import Attempt, PipelineContext
from podium.pipeline.faults import OrganiserFault, Stop
from podium.pipeline.logs import LogDir
from podium.saved_predictions import save_validated_predictions, saved_path
from sandbox.archives import ArchiveLimits, safe_extract
from sandbox.result import RunResult, RunStatus

RUN_FILE = "run.json"
SCORE_FILE = "score_report.json"


def load_challenge_bundle(attempt: Attempt) -> Bundle:
    """The challenge's bundle from the store (validated once per process and bundle hash).

    Raises:
        OrganiserFault: The installed bundle no longer loads.
    """
    try:
        return _cached_bundle(str(attempt.bundle_path), attempt.bundle_sha256)
    except BundleError as error:
        raise OrganiserFault(
            f"the challenge's files are damaged ({len(error.problems)} problems); "
            "the organisers have been told"
        ) from error


@lru_cache(maxsize=16)
def _cached_bundle(path: str, sha256: str) -> Bundle:
    # bundles in the store never change in place: a new upload is a new challenge
    return load_bundle(Path(path))


def output_dir(ctx: PipelineContext, attempt: Attempt) -> Path:
    """The host folder that receives the attempt's ``/output``."""
    return ctx.outputs_root / f"{attempt.submission_id}-{attempt.number}"


def run_model(
    ctx: PipelineContext,
    attempt: Attempt,
    bundle: Bundle,
    digest: str,
    logs: LogDir,
    cancel: threading.Event | None = None,
) -> RunResult:
    """Run the image on the phase's hidden inputs under the phase's limits; keep its logs.

    Raises:
        Stop: the submission was cancelled while the container ran (it was killed at once).
    """
    phase = bundle.phase(attempt.phase_name)
    inputs = stage_inputs(bundle, attempt.phase_name, ctx.inputs_root / attempt.challenge_slug)
    out = output_dir(ctx, attempt)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    env = {"PODIUM_CHALLENGE": attempt.challenge_slug, "PODIUM_PHASE": attempt.phase_name}
    result = ctx.runner.run(digest, inputs, out, sandbox_limits_for(phase), env=env, cancel=cancel)
    if result.status is RunStatus.CANCELLED:
        raise Stop("the submission was cancelled while its container ran")
    logs.write("stdout.txt", result.stdout_tail)
    logs.write("stderr.txt", result.stderr_tail)
    logs.write_json(RUN_FILE, result.to_dict())
    return result


def place_predictions(ctx: PipelineContext, attempt: Attempt, bundle: Bundle) -> None:
    """Put an uploaded predictions file where a run would have left it, for the same scoring.

    The file becomes ``/output/<task.predictions.file>``; for a scoring program of contract
    ``files``, a zip is unpacked instead (the result archives of the platforms such programs
    come from), under the phase's output caps.

    Raises:
        ArchiveError: the zip is unsafe or over the caps (the participant's fault).
    """
    out = output_dir(ctx, attempt)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    program = bundle.spec.metrics.scoring_program
    with attempt.file_path.open("rb") as handle:
        is_zip = handle.read(4) == b"PK\x03\x04"
    if program is not None and program.contract == "files" and is_zip:
        caps = sandbox_limits_for(bundle.phase(attempt.phase_name))
        limits = ArchiveLimits(
            max_entries=caps.output_files, max_total_mb=caps.output_mb,
            max_file_mb=caps.output_mb,
        )  # fmt: skip
        safe_extract(attempt.file_path, out, limits)
        return
    shutil.copyfile(attempt.file_path, out / bundle.spec.task.predictions.file)


def score_output(
    ctx: PipelineContext, attempt: Attempt, bundle: Bundle, logs: LogDir
) -> ScoreReport:
    """Validate and score what the model wrote (outside its container).

    Raises:
        InvalidPredictions: the participant's file is unusable.
        ScoringError: the organiser's scoring program failed.
    """
    report = evaluate(
        output_dir(ctx, attempt),
        bundle,
        attempt.phase_name,
        split_secret=attempt.split_secret,
        runner=ctx.runner,
        resamples=ctx.settings.resamples,
    )
    logs.write_json(SCORE_FILE, report.to_dict())
    # for paired tests between leaderboard entries; a failure is logged, never raised
    save_validated_predictions(output_dir(ctx, attempt), bundle, attempt.phase_name, logs.root)
    return report


def save_scores(ctx: PipelineContext, attempt: Attempt, report: ScoreReport) -> None:
    """Store every score with its interval and mark the submission ``finished``, atomically.

    A submission keeps the scores of its latest evaluation only (a re-run replaces them, so
    rankings never count one submission twice); earlier reports stay on their evaluations.
    """
    with ctx.session_factory() as session:
        evaluation, submission = load_current(session, attempt)
        session.execute(delete(Score).where(col(Score.submission_id) == attempt.submission_id))
        for split, metrics in report.splits.items():
            for metric, value in metrics.items():
                if value.value is None:
                    continue
                session.add(
                    Score(
                        evaluation_id=attempt.evaluation_id,
                        submission_id=attempt.submission_id,
                        split=ScoreSplit(split),
                        metric=metric,
                        value=value.value,
                        ci_low=value.ci_low,
                        ci_high=value.ci_high,
                    )
                )
        saved = saved_path(ctx.store.logs_dir(attempt.submission_id, attempt.number))
        close_evaluation(
            evaluation, utcnow(), "finished", score=report,
            predictions_path=str(saved) if saved is not None else None,
        )  # fmt: skip
        session.add(evaluation)
        record_status(session, submission, SubmissionStatus.FINISHED, f"attempt {attempt.number}")
        session.commit()
