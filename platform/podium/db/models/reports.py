"""What an evaluation's ``report`` (a JSON column) holds, as one schema, read and written here.

Written by the pipeline as an attempt ends (outcome, the participant's message, the staff's
detail, the score report, where its predictions were saved) and by the MLflow copy (pending,
error, run id); read by the reaper, the MLflow copy, significance tests and the staff's view of
a submission. Never public as a whole.

Old rows read: missing keys take their defaults, unknown keys are kept (and written back
untouched), and a key whose stored value no longer fits its field reads as missing (logged).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from evaluators.evaluate import ScoreReport

log = logging.getLogger(__name__)

Outcome = Literal["finished", "failed", "error", "platform_fault", "abandoned", "stopped"]
# the outcomes whose runs are copied to MLflow (the attempt ended for good, one way or another)
TRACKED_OUTCOMES: frozenset[Outcome] = frozenset({"finished", "failed", "error"})


class EvaluationReport(BaseModel):
    """One evaluation's report.

    Attributes:
        outcome: how the attempt ended (None while it runs).
        message: what the participant reads (empty when there is nothing to say).
        detail: the full account where ``message`` withholds it: the challenge's staff only.
        score: the evaluator's scores of a finished attempt.
        predictions_path: the saved validated predictions (see ``podium.saved_predictions``).
        mlflow_pending: the MLflow copy failed and waits for the reaper (None: never tried).
        mlflow_error: why the last copy failed.
        mlflow_run_id: the MLflow run once copied.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    outcome: Outcome | None = None
    message: str = ""
    detail: str | None = None
    score: ScoreReport | None = None
    predictions_path: str | None = None
    mlflow_pending: bool | None = None
    mlflow_error: str | None = None
    mlflow_run_id: str | None = None


def read_report(stored: Mapping[str, Any] | None) -> EvaluationReport:
    """The stored report as the schema (see the module docstring for old rows)."""
    data = dict(stored or {})
    try:
        return EvaluationReport.model_validate(data)
    except ValidationError as error:
        unfit = {str(problem["loc"][0]) for problem in error.errors() if problem["loc"]}
        log.warning("evaluation report keys %s no longer read; ignored", sorted(unfit))
        return EvaluationReport.model_validate({k: v for k, v in data.items() if k not in unfit})


def updated_report(stored: Mapping[str, Any] | None, **changes: Any) -> dict[str, Any]:
    """The stored report with ``changes`` (fields of :class:`EvaluationReport`), as JSON.

    The changes are checked against the schema; every other stored key is kept as it was.

    Raises:
        ValueError: a change names no field of the report, or does not fit it.
    """
    unknown = sorted(set(changes) - set(EvaluationReport.model_fields))
    if unknown:
        raise ValueError(f"no such report fields: {', '.join(unknown)}")
    checked = EvaluationReport.model_validate(changes)
    return {**(stored or {}), **checked.model_dump(mode="json", include=set(changes))}
