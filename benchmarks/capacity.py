"""Capacity: trivial-model evaluations per hour, end to end, with one and with two workers.

Run from the repository root (``make bench`` runs it):

    .venv/bin/python benchmarks/capacity.py [--teams 8] [--per-team 4] [--rounds 2] [--workers 1,2]

For each worker count, in the same run and on the same engine, side by side: a platform
(SQLite, the embedded default, with a private Redis broker: one database index each), a copy of
the breast-cancer challenge whose quotas cannot bind (slug ``capacity``), ``--teams``
participants and that many ``podium worker`` processes (default settings: 1000 bootstrap
resamples, 5 s heartbeats, each with its reaper). Every upload is ``POST
/challenges/capacity/submissions`` on the real app (its intake, quota checks and enqueue) with a
participant's token. The model is trivial (Python reads the ids and writes 0.5/0.5), so what is
measured is the platform: broker, database, staging, the smoke run on the public sample, the
hidden run in the hardened sandbox, scoring with bootstrap intervals, the MLflow copy.

Each team first submits once (its image is built: not measured). Then, ``--rounds`` times and
alternating between the worker counts (so a change in the shared machine's load hits both),
every team submits ``--per-team`` more of the same file (reused by content, as re-submissions
are), all at once. Throughput = evaluations / the batches' spans (first ``submitted`` to last
``finished``). With many teams the per-team in-flight cap (``PODIUM_TEAM_IN_FLIGHT``) is not
what is measured: it is also raised to 1000 here. The idle platform's workers wait on the
broker meanwhile. Stage medians come from the submission events, the evaluation rows, the smoke
run's record and the MLflow runs. Target: at least 3,200 evaluations per hour.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402
from sqlmodel import col, select  # noqa: E402

from challenges.examples import build_example  # noqa: E402
from podium.app import create_app  # noqa: E402
from podium.crud.submission_logs import SMOKE_RUN_FILE  # noqa: E402
from podium.db.models import Evaluation, SubmissionEvent, SubmissionStatus  # noqa: E402
from tests.pipeline.harness import Platform, Worker, constant_model, make_platform  # noqa: E402
from tests.reliability.fleet import (  # noqa: E402
    Planned,
    Team,
    make_teams,
    redis_server,
    remove_images,
    submit_all,
    wait_all,
)

SLUG = "capacity"
TARGET_PER_HOUR = 3200
DEFAULTS = {"resamples": "1000", "heartbeat_seconds": "5", "retry_backoff_seconds": "2"}
STAGES = (
    "queue wait", "prepare", "smoke run", "hidden run", "running", "scoring", "recording",
    "worker busy",
)  # fmt: skip


def capacity_bundle(built: Path, dest: Path) -> Path:
    """The breast-cancer bundle as ``capacity``, with quotas far above what the run sends."""
    shutil.copytree(built, dest)
    spec = yaml.safe_load((dest / "challenge.yaml").read_text())
    spec["slug"] = SLUG
    for phase in spec["phases"]:
        phase["submissions"] = {"per_day": 100000, "total": 100000, "in_flight": 1000}
        phase["limits"]["wall_seconds"] = 60
    (dest / "challenge.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return dest


@dataclass
class Measured:
    """One worker count's platform and what its batches gave."""

    workers: int
    platform: Platform
    api: TestClient
    teams: list[Team]
    ids: list[int] = field(default_factory=list)
    seconds: float = 0.0  # the batches' spans, first ``submitted`` to last ``finished``
    failed: int = 0
    cpu_seconds: float = 0.0  # the machine's busy CPU time over the batches (all processes)
    stages: dict[str, list[float]] = field(default_factory=dict)
    reasons: Counter[str] = field(default_factory=Counter)

    @property
    def evaluations(self) -> int:
        return len(self.ids) - self.failed

    @property
    def per_hour(self) -> float:
        return self.evaluations / self.seconds * 3600 if self.seconds else 0.0


def _cpu_busy() -> float:
    """Busy CPU seconds of the whole machine since boot (/proc/stat: all but idle and iowait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    ticks = os.sysconf("SC_CLK_TCK")
    return (sum(fields) - fields[3] - fields[4]) / ticks


@contextmanager
def configured(
    work: Path, bundle: Path, redis_url: str, workers: int, teams: int
) -> Iterator[Measured]:
    """A platform with ``workers`` workers and ``teams`` teams whose images are built."""
    platform = make_platform(work / "home", broker_url=redis_url, team_in_flight="1000", **DEFAULTS)
    platform.register(bundle)
    started = [Worker(platform, work / f"worker-{n}.log", reaper=True) for n in range(workers)]
    try:
        for worker in started:
            worker.wait_ready()
        with TestClient(create_app(platform.settings), raise_server_exceptions=False) as api:
            members = make_teams(platform, teams, prefix=f"cap{workers}")
            warm = submit_all(api, [Planned(t, SLUG, constant_model()) for t in members])
            wait_all(platform, [s.submission_id for s in warm], timeout=600)
            time.sleep(2)  # the warm-up's MLflow copies written
            yield Measured(workers, platform, api, members)
    finally:
        for worker in started:
            worker.stop()
        remove_images(platform)


def run_batch(measured: Measured, per_team: int) -> None:
    """Every team submits ``per_team`` more at once; wait until all ended."""
    content = constant_model()
    plan = [Planned(t, SLUG, content) for _ in range(per_team) for t in measured.teams]
    busy = _cpu_busy()
    ids = [s.submission_id for s in submit_all(measured.api, plan)]
    final = wait_all(measured.platform, ids, timeout=60 + 30 * len(ids))
    measured.cpu_seconds += _cpu_busy() - busy
    time.sleep(3)  # the last MLflow copies
    ended = [s for s in final.values() if s.status is not SubmissionStatus.FINISHED]
    measured.failed += len(ended)
    measured.reasons.update(f"{s.status.value}: {(s.reason or '')[:120]}" for s in ended)
    measured.ids += ids
    at = _event_times(measured.platform, ids)
    first = min(a["submitted"] for a in at.values())
    measured.seconds += max(a.get("finished", a.get("failed", first)) for a in at.values()) - first


def _event_times(platform: Platform, ids: list[int]) -> dict[int, dict[str, float]]:
    with platform.session() as session:
        events = session.exec(
            select(SubmissionEvent)
            .where(col(SubmissionEvent.submission_id).in_(ids))
            .order_by(col(SubmissionEvent.id))
        ).all()
    at: dict[int, dict[str, float]] = {}
    for event in events:
        at.setdefault(event.submission_id, {})[event.status.value] = event.at.timestamp()
    return at


def add_stages(measured: Measured) -> None:
    """Stage durations of every measured submission, from the platform's records."""
    at = _event_times(measured.platform, measured.ids)
    with measured.platform.session() as session:
        evaluations = session.exec(
            select(Evaluation).where(col(Evaluation.submission_id).in_(measured.ids))
        ).all()
    measured.stages = _event_stages(at)
    measured.stages.update(_run_stages(measured.platform, list(evaluations), at))


def _event_stages(at: dict[int, dict[str, float]]) -> dict[str, list[float]]:
    pairs = {
        "queue wait": ("queued", "preparing"),
        "prepare": ("preparing", "running"),
        "running": ("running", "scoring"),
        "scoring": ("scoring", "finished"),
    }
    return {
        name: [a[end] - a[start] for a in at.values() if start in a and end in a]
        for name, (start, end) in pairs.items()
    }


def _run_stages(
    platform: Platform, evaluations: list[Evaluation], at: dict[int, dict[str, float]]
) -> dict[str, list[float]]:
    from mlflow.tracking import MlflowClient

    smoke, hidden, recording, busy = [], [], [], []
    ended = {}
    client = MlflowClient(tracking_uri=platform.settings.mlflow_tracking_uri)
    experiment = client.get_experiment_by_name(SLUG)
    if experiment is not None:
        for run in client.search_runs([experiment.experiment_id], max_results=50000):
            if run.info.end_time:
                ended[run.info.run_id] = run.info.end_time / 1000
    for evaluation in evaluations:
        if evaluation.wall_seconds is not None:
            hidden.append(evaluation.wall_seconds)
        record = Path(evaluation.logs_path or "/nonexistent") / SMOKE_RUN_FILE
        if record.is_file():
            smoke.append(float(json.loads(record.read_text()).get("wall_seconds", 0.0)))
        run_id = evaluation.report.get("mlflow_run_id") if evaluation.report else None
        finished = at.get(evaluation.submission_id, {}).get("finished")
        preparing = at.get(evaluation.submission_id, {}).get("preparing")
        if run_id in ended and finished is not None and preparing is not None:
            recording.append(ended[run_id] - finished)
            busy.append(ended[run_id] - preparing)
    return {"smoke run": smoke, "hidden run": hidden, "recording": recording, "worker busy": busy}


def report(results: list[Measured]) -> None:
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"capacity: trivial model, end to end through the API; load average {' '.join(load)}")
    base = results[0].per_hour if results else 0.0
    for r in results:
        growth = f"  x{r.per_hour / base:.2f} of {results[0].workers} worker" if base else ""
        print(
            f"  {r.workers} worker(s): {r.evaluations} evaluations in {r.seconds:.1f} s = "
            f"{r.per_hour:,.0f}/hour ({r.failed} not finished){growth}"
        )
    for r in results:
        for reason, n in r.reasons.most_common(5):
            print(f"    {r.workers}w not finished: {n} x {reason}")
    print("  stage medians in seconds (" + ", ".join(f"{r.workers}w" for r in results) + "):")
    for name in STAGES:
        values = [statistics.median(r.stages[name]) if r.stages.get(name) else 0.0 for r in results]
        print(f"    {name:<11} " + "  ".join(f"{v:6.3f}" for v in values))
    cores = os.cpu_count() or 1
    for r in results:
        per_eval = r.cpu_seconds / r.evaluations if r.evaluations else 0.0
        busy = statistics.median(r.stages["worker busy"]) if r.stages.get("worker busy") else 0.0
        by_workers = r.workers * 3600 / busy if busy else 0.0
        by_cpu = cores * 3600 / per_eval if per_eval else 0.0
        print(
            f"  {r.workers}w ceiling: {r.workers} x 3600 / {busy:.2f} s of worker time = "
            f"{by_workers:,.0f}/hour; CPU: {per_eval:.2f} busy CPU-s per evaluation (whole "
            f"machine, other users included) on {cores} cores = {by_cpu:,.0f}/hour"
        )
    best = max((r.per_hour for r in results), default=0.0)
    verdict = "met" if best >= TARGET_PER_HOUR else "NOT met"
    print(f"target (at least {TARGET_PER_HOUR:,}/hour): {verdict} ({best:,.0f}/hour)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=8)
    parser.add_argument("--per-team", type=int, default=4, help="per team, per batch")
    parser.add_argument("--rounds", type=int, default=2, help="batches per worker count")
    parser.add_argument("--workers", default="1,2", help="worker counts, comma-separated")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    with tempfile.TemporaryDirectory(prefix="podium-capacity-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        built = build_example("breast-cancer-diagnosis", dest_root=work / "examples")
        bundle = capacity_bundle(built, work / "capacity")
        (work / "redis").mkdir()
        url = stack.enter_context(redis_server(work / "redis"))
        results = [
            stack.enter_context(
                configured(work / f"run-{n}", bundle, f"{url[:-1]}{n}", workers, args.teams)
            )
            for n, workers in enumerate(counts)
        ]
        for _ in range(args.rounds):  # alternated, so a change in the machine's load hits all
            for measured in results:
                run_batch(measured, args.per_team)
        for measured in results:
            add_stages(measured)
    report(results)


if __name__ == "__main__":
    main()
