"""Copy finished evaluations to MLflow, and retry the copies MLflow was not there for.

An evaluation whose copy failed carries ``"mlflow_pending": true`` in its report (a JSON field
of the existing ``evaluations`` table: no extra table, no migration); :func:`retry_pending`
writes those later (the reaper calls it on every pass).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import String, cast
from sqlmodel import Session, col, func, select

from podium.db.models import Challenge, Evaluation, Phase, Submission
from podium.db.models.reports import TRACKED_OUTCOMES, EvaluationReport
from podium.pipeline.context import SessionFactory
from podium.tracking import RunRecord, Tracker, TrackingUnavailable

log = logging.getLogger(__name__)
PENDING_KEY = "mlflow_pending"  # a field of EvaluationReport, matched in the stored JSON text


def record_in_mlflow(
    session_factory: SessionFactory, tracker: Tracker, evaluation_id: int
) -> str | None:
    """Write one evaluation's MLflow run; on failure mark it pending. Returns the run id."""
    with session_factory() as session:
        record = build_record(session, evaluation_id)
    if record is None:
        return None
    try:
        run_id = tracker.log_run(record)
    except TrackingUnavailable as error:
        log.warning(
            "MLflow is unavailable; evaluation %s will be copied later: %s", evaluation_id, error
        )
        _mark(session_factory, evaluation_id, mlflow_pending=True, mlflow_error=str(error))
        return None
    _mark(session_factory, evaluation_id, run_id, mlflow_pending=False, mlflow_run_id=run_id)
    return run_id


def retry_pending(session_factory: SessionFactory, tracker: Tracker, *, limit: int = 20) -> int:
    """Write the runs MLflow missed, oldest first; stop at the first failure. Returns how many."""
    # the report is JSON text on SQLite and PostgreSQL alike (json, not jsonb), so a text
    # match finds the pending ones without reading every report
    marker = f'%"{PENDING_KEY}": true%'
    with session_factory() as session:
        query = (
            select(Evaluation.id)
            .where(cast(Evaluation.report, String).like(marker))
            .order_by(col(Evaluation.id))
            .limit(limit)
        )
        pending = [evaluation_id for evaluation_id in session.exec(query).all() if evaluation_id]
    written = 0
    for evaluation_id in pending:
        if record_in_mlflow(session_factory, tracker, evaluation_id) is None:
            break
        written += 1
    return written


def build_record(session: Session, evaluation_id: int) -> RunRecord | None:
    """The MLflow run of an evaluation, from the database; None if it is not a final one."""
    evaluation = session.get(Evaluation, evaluation_id)
    report = evaluation.parsed_report if evaluation else None
    if evaluation is None or report is None or report.outcome not in TRACKED_OUTCOMES:
        return None
    submission = session.get(Submission, evaluation.submission_id)
    assert submission is not None
    if submission.practice:  # MLflow compares submissions; practice runs stay out
        return None
    challenge = session.get(Challenge, submission.challenge_id)
    phase = session.get(Phase, submission.phase_id)
    assert challenge is not None and phase is not None
    logs = Path(evaluation.logs_path) if evaluation.logs_path else None
    return RunRecord(
        experiment=challenge.slug,
        run_name=f"submission-{submission.id}-attempt-{evaluation.attempt}",
        evaluation_id=evaluation_id,
        params=_params(submission, evaluation, phase),
        metrics=_metrics(evaluation, report),
        tags={"status": str(report.outcome), "reason": _reason(report)},
        failed=report.outcome != "finished",
        artifacts=sorted(logs.iterdir()) if logs and logs.is_dir() else [],
        report=report.score.to_dict() if report.score is not None else {},
    )


def _params(submission: Submission, evaluation: Evaluation, phase: Phase) -> dict[str, str]:
    params = {
        "submission_id": str(submission.id),
        "team_id": str(submission.team_id),
        "phase": phase.name,
        "kind": str(submission.kind),
        "attempt": str(evaluation.attempt),
        "image_digest": submission.image_digest or "",
        "data_sha256": evaluation.data_sha256 or "",
    }
    limits = phase.run_limits
    if limits is not None:
        dumped = limits.model_dump(mode="json")
        params.update({f"limit_{name}": str(value) for name, value in dumped.items()})
    return params


def _reason(report: EvaluationReport) -> str:
    # MLflow is the staff's record: the full account where the participant's reason withholds it
    return (report.detail or report.message)[:5000]


def _metrics(evaluation: Evaluation, report: EvaluationReport) -> dict[str, float]:
    metrics: dict[str, float] = {}
    splits = report.score.splits if report.score is not None else {}
    for split, scores in splits.items():
        for name, value in scores.items():
            if value.value is not None:
                metrics[f"{split}_{name}"] = float(value.value)
    for name in ("wall_seconds", "cpu_seconds", "peak_memory_mb"):
        measured = getattr(evaluation, name)
        if measured is not None:
            metrics[name] = float(measured)
    return metrics


def _mark(
    session_factory: SessionFactory,
    evaluation_id: int,
    run_id: str | None = None,
    **changes: Any,
) -> None:
    with session_factory() as session:
        evaluation = session.get(Evaluation, evaluation_id)
        if evaluation is None:
            return
        evaluation.update_report(**changes)
        session.add(evaluation)
        if run_id is not None and _is_latest(session, evaluation):
            submission = session.get(Submission, evaluation.submission_id)
            if submission is not None:
                submission.mlflow_run_id = run_id
                session.add(submission)
        session.commit()


def _is_latest(session: Session, evaluation: Evaluation) -> bool:
    newest = session.exec(
        select(func.max(Evaluation.attempt)).where(
            Evaluation.submission_id == evaluation.submission_id
        )
    ).one()
    return newest == evaluation.attempt
