"""MLflow: one experiment per challenge (named by its slug), one run per evaluation.

The database is the record; MLflow is a copy for people who explore runs. So every MLflow error
is translated into :class:`TrackingUnavailable` here, and callers keep the scores and try again
later. MLflow is imported only when a run is written (it is slow to import) and always through
an explicit ``MlflowClient(tracking_uri=...)``: no global state, no ``mlflow.set_tracking_uri``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import make_url

from podium.settings import Settings

if TYPE_CHECKING:
    from mlflow import MlflowClient

EVALUATION_TAG = "podium.evaluation_id"
_MAX_PARAM_CHARS = 6000


class TrackingUnavailable(Exception):
    """MLflow could not be written; the run should be written again later."""


@dataclass(frozen=True)
class RunRecord:
    """Everything one MLflow run holds."""

    experiment: str
    run_name: str
    evaluation_id: int
    params: dict[str, str]
    metrics: dict[str, float]
    tags: dict[str, str]
    failed: bool
    artifacts: list[Path] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)


class Tracker:
    """Writes evaluation runs to the MLflow tracking store at ``tracking_uri``.

    Args:
        tracking_uri: an MLflow tracking URI (``sqlite:///…``, ``http://…``).
        artifact_root: where new experiments keep artifacts; needed for a database store,
            which would otherwise put them in ``./mlruns`` under the current directory.
    """

    def __init__(self, tracking_uri: str, artifact_root: Path | None = None) -> None:
        self.tracking_uri = tracking_uri
        self.artifact_root = artifact_root
        self._client: MlflowClient | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Tracker:
        """A tracker for ``settings.mlflow_tracking_uri``; artifacts beside a SQLite store."""
        uri = settings.mlflow_tracking_uri
        root: Path | None = None
        if uri.startswith("sqlite:"):
            database = make_url(uri).database
            root = Path(database).parent / "mlartifacts" if database else None
        return cls(uri, root)

    def log_run(self, record: RunRecord) -> str:
        """Write ``record`` as one run (again: the earlier copy is replaced); return its id.

        Raises:
            TrackingUnavailable: MLflow could not be reached or written.
        """
        try:
            return self._log_run(record)
        except Exception as error:  # MLflow raises many types; all mean "try again later"
            self._client = None
            raise TrackingUnavailable(f"{type(error).__name__}: {error}"[:500]) from error

    def get_run_metrics(self, run_id: str) -> dict[str, float]:
        """The metrics of a run (for checks and tests)."""
        return dict(self._mlflow().get_run(run_id).data.metrics)

    def prepare(self) -> None:
        """Create or upgrade the store's tables now (a SQLite store: one process at a time).

        MLflow migrates a SQLite store when a client first opens it; two processes doing so
        at once (two workers, or a worker and ``mlflow server``) break its migration for good
        ("table _alembic_tmp_experiments already exists"), so openers take a file lock.
        """
        self._mlflow()

    def _mlflow(self) -> MlflowClient:
        if self._client is None:
            from filelock import FileLock
            from mlflow import MlflowClient

            database = make_url(self.tracking_uri).database if self._is_sqlite() else None
            if database:
                with FileLock(f"{database}.open-lock"):
                    self._client = MlflowClient(tracking_uri=self.tracking_uri)
            else:
                self._client = MlflowClient(tracking_uri=self.tracking_uri)
        return self._client

    def _is_sqlite(self) -> bool:
        return self.tracking_uri.startswith("sqlite:")

    def _log_run(self, record: RunRecord) -> str:
        from mlflow.entities import Metric, Param, RunTag

        client = self._mlflow()
        experiment_id = self._experiment_id(record.experiment)
        self._drop_earlier(experiment_id, record.evaluation_id)
        tags = {**record.tags, EVALUATION_TAG: str(record.evaluation_id)}
        run = client.create_run(experiment_id, run_name=record.run_name, tags=tags)
        run_id: str = run.info.run_id
        stamp = int(time.time() * 1000)
        client.log_batch(
            run_id,
            metrics=[Metric(k, v, stamp, 0) for k, v in record.metrics.items()],
            params=[Param(k, v[:_MAX_PARAM_CHARS]) for k, v in record.params.items()],
            tags=[RunTag(k, v) for k, v in tags.items()],
        )
        for path in record.artifacts:
            if path.is_file():
                client.log_artifact(run_id, str(path), artifact_path="logs")
        if record.report:
            client.log_dict(run_id, record.report, "score_report.json")
        client.set_terminated(run_id, "FAILED" if record.failed else "FINISHED")
        return run_id

    def _experiment_id(self, name: str) -> str:
        client = self._mlflow()
        found = client.get_experiment_by_name(name)
        if found is not None:
            return str(found.experiment_id)
        location = (self.artifact_root / name).as_uri() if self.artifact_root else None
        try:
            return str(client.create_experiment(name, artifact_location=location))
        except Exception:  # another worker created it first
            again = client.get_experiment_by_name(name)
            if again is None:
                raise
            return str(again.experiment_id)

    def _drop_earlier(self, experiment_id: str, evaluation_id: int) -> None:
        # a retried write must not leave two runs for one evaluation
        client = self._mlflow()
        earlier = client.search_runs(
            [experiment_id], filter_string=f"tags.`{EVALUATION_TAG}` = '{evaluation_id}'"
        )
        for run in earlier:
            client.delete_run(run.info.run_id)
