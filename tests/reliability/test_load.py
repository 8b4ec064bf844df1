"""Load: many teams submitting to the three example challenges at once, nothing lost or doubled.

N submissions from T teams (small: 30 from 6, the default, run by ``make test``; full, with
``PODIUM_RELIABILITY_SCALE=full``: 300 from 30) go through ``POST .../submissions`` on the real
app, a private Redis carries the tasks to two ``podium worker`` processes (each with its
reaper, as deployed), a private PostgreSQL holds the records, real Docker runs every model.
A team's uploads that the phase's in-flight cap refuses (429) are sent again later, as a
participant's client would. The models predict at random, so scores differ and "each team's
best" is a real choice.

Then, for every submission: one final state (``finished``, one terminal event), one finished
evaluation, one score row per split and metric, one MLflow run for its evaluation (its metrics
equal to the score rows); and each challenge's leaderboard, read through the leaderboard API,
equals a ranking recomputed here from the score rows alone (each team's best on the public
split: primary then secondary metrics at the displayed precision, then the earlier
submission), with no submission shown twice.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import docker
import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from challenges.examples import SLUGS, build_all
from podium.app import create_app
from podium.db.models import (
    TERMINAL_STATUSES,
    Evaluation,
    Score,
    Submission,
    SubmissionEvent,
    SubmissionStatus,
    Team,
)
from podium.tracking import EVALUATION_TAG
from tests.pipeline.harness import Platform, Worker, make_platform
from tests.reliability.conftest import Row
from tests.reliability.fleet import (
    Planned,
    make_teams,
    random_model,
    redis_server,
    submit_all,
    wait_all,
    wait_tracked,
)

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.postgres]

SCALES = {"small": (30, 6), "full": (300, 30)}  # submissions, teams
LOWER_IS_BETTER = {"rmse", "mae"}  # every other metric of the examples: greater is better


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(scope="module")
def loaded(
    tmp_path_factory: pytest.TempPathFactory,
    postgres_url: str,
    redis_url: str,
    docker_client: docker.DockerClient,
) -> Platform:
    """A platform on PostgreSQL and Redis with the three example challenges."""
    root = tmp_path_factory.mktemp("load")
    platform = make_platform(root / "home", database_url=postgres_url, broker_url=redis_url)
    for folder in build_all(root / "examples").values():
        platform.register(folder)
    return platform


def _plan(platform: Platform, submissions: int, teams: int) -> list[Planned]:
    """Round-robin over the teams; each round of T uploads goes to the next challenge."""
    members = make_teams(platform, teams, prefix="load")
    content = random_model()
    return [
        Planned(members[n % teams], SLUGS[(n // teams) % len(SLUGS)], content)
        for n in range(submissions)
    ]


@pytest.mark.timeout(4 * 3600)
def test_many_teams_lose_nothing_and_the_boards_add_up(
    loaded: Platform,
    scale: str,
    report_row: Callable[[Row], None],
    tmp_path: Path,
) -> None:
    count, teams = SCALES[scale]
    started = time.monotonic()
    workers = [Worker(loaded, tmp_path / f"worker-{n}.log", reaper=True) for n in range(2)]
    try:
        for worker in workers:
            worker.wait_ready()
        with TestClient(create_app(loaded.settings), raise_server_exceptions=False) as api:
            plan = _plan(loaded, count, teams)
            sent = submit_all(api, plan)
            ids = [s.submission_id for s in sent]
            wait_all(loaded, ids, timeout=120 + 12 * count)
            wait_tracked(loaded, ids, timeout=120)
            boards = {slug: _board(api, plan[0].team.headers, slug) for slug in SLUGS}
    finally:
        for worker in workers:
            worker.stop()
    audit = _audit(loaded, ids)
    board_ok = all(_board_agrees(loaded, slug, boards[slug], audit) for slug in SLUGS)
    mlflow_ok = _mlflow_agrees(loaded, audit)
    refused = sum(s.refusals for s in sent)
    report_row(
        Row(
            scenario="load",
            submitted=len(ids),
            finished=len(audit.finished),
            lost=len(audit.lost),
            duplicated=len(audit.duplicated),
            board_agrees=board_ok,
            mlflow_agrees=mlflow_ok,
            seconds=round(time.monotonic() - started, 1),
            note=f"{teams} teams, 2 workers, Redis, PostgreSQL; {refused} quota refusals retried",
        )
    )
    assert len(ids) == len(set(ids)) == count
    assert not audit.lost, f"lost: {audit.lost}"
    assert not audit.duplicated, f"duplicated: {audit.duplicated}"
    assert len(audit.finished) == count, audit.problems
    assert board_ok, "a leaderboard differs from the recomputation (see the log)"
    assert mlflow_ok, "MLflow does not hold exactly one matching run per evaluation"


def _board(api: TestClient, headers: dict[str, str], slug: str) -> dict[str, Any]:
    answer = api.get(f"/api/v1/challenges/{slug}/leaderboard?limit=5000", headers=headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


@dataclass
class Audit:
    """What the database says about the load's submissions."""

    finished: set[int]
    lost: set[int]
    duplicated: set[int]
    problems: list[str]
    evaluation_of: dict[int, int]  # submission -> its finished evaluation
    scores: dict[int, dict[tuple[str, str], float]]  # submission -> (split, metric) -> value
    rows: dict[int, Submission]


def _audit(platform: Platform, ids: list[int]) -> Audit:
    with platform.session() as session:
        final = {
            s.id: s
            for s in session.exec(select(Submission).where(col(Submission.id).in_(ids))).all()
            if s.id is not None
        }
        events = session.exec(
            select(SubmissionEvent).where(col(SubmissionEvent.submission_id).in_(ids))
        ).all()
        evaluations = session.exec(
            select(Evaluation).where(col(Evaluation.submission_id).in_(ids))
        ).all()
        scores = session.exec(select(Score).where(col(Score.submission_id).in_(ids))).all()
    audit = Audit(set(), set(), set(), [], {}, defaultdict(dict), final)
    terminal = Counter(e.submission_id for e in events if e.status in TERMINAL_STATUSES)
    done = defaultdict(list)
    for evaluation in evaluations:
        report = evaluation.parsed_report
        if report is not None and report.outcome == "finished":
            done[evaluation.submission_id].append(evaluation)
    keys = Counter((s.submission_id, str(s.split), s.metric) for s in scores)
    for score in scores:
        audit.scores[score.submission_id][(str(score.split), score.metric)] = score.value
    for sid in ids:
        _audit_one(audit, sid, final.get(sid), terminal[sid], done[sid])
    for (sid, split, metric), n in keys.items():
        if n > 1:
            audit.duplicated.add(sid)
            audit.problems.append(f"{sid}: {n} score rows for {split} {metric}")
    return audit


def _audit_one(
    audit: Audit, sid: int, row: Submission | None, terminal: int, done: list[Evaluation]
) -> None:
    if row is None or row.status not in TERMINAL_STATUSES or not audit.scores.get(sid):
        audit.lost.add(sid)
        audit.problems.append(f"{sid}: {row.status if row else 'missing'}, no scores")
        return
    if terminal > 1 or len(done) > 1:
        audit.duplicated.add(sid)
        audit.problems.append(f"{sid}: {terminal} final events, {len(done)} finished evaluations")
    if row.status is SubmissionStatus.FINISHED and len(done) == 1 and done[0].id is not None:
        audit.finished.add(sid)
        audit.evaluation_of[sid] = done[0].id
    else:
        audit.problems.append(f"{sid}: {row.status.value} ({row.reason})")


def _board_agrees(platform: Platform, slug: str, board: dict[str, Any], audit: Audit) -> bool:
    """The board's ranked entries, in order, against each team's best recomputed here."""
    spec = platform.challenges[slug].parsed_spec.metrics
    metrics, decimals = (spec.primary, *spec.secondary), spec.decimals
    with platform.session() as session:
        names = {t.id: t.name for t in session.exec(select(Team)).all()}
    best: dict[int, tuple[tuple[float | datetime, ...], int]] = {}
    for sid, row in audit.rows.items():
        challenge = platform.challenges[slug]
        if row.challenge_id != challenge.id or sid not in audit.finished:
            continue
        key = (*(_sort_value(audit.scores[sid], m, decimals) for m in metrics), row.created_at)
        if row.team_id not in best or key < best[row.team_id][0]:
            best[row.team_id] = (key, sid)
    expected = [
        (names[team], sid, round(audit.scores[sid][("public", spec.primary)], decimals))
        for team, (_, sid) in sorted(best.items(), key=lambda item: item[1][0])
    ]
    entries = [e for e in board["entries"] if e["rank"] is not None]
    shown = [(e["team"], e["submission_id"], e["scores"][spec.primary]) for e in entries]
    ids_shown = Counter(e["submission_id"] for e in board["entries"])
    for sid, n in ids_shown.items():
        if n > 1:
            audit.duplicated.add(sid)
            audit.problems.append(f"{sid}: {n} entries on the {slug} board")
    if shown != expected:
        print(f"{slug}: board {shown}\nrecomputed {expected}")
    return bool(expected) and shown == expected and all(n == 1 for n in ids_shown.values())


def _sort_value(scores: dict[tuple[str, str], float], metric: str, decimals: int) -> float:
    value = scores.get(("public", metric))
    if value is None:
        return float("inf")
    shown = round(value, decimals)
    return shown if metric in LOWER_IS_BETTER else -shown


def _mlflow_agrees(platform: Platform, audit: Audit) -> bool:
    """One run per finished evaluation, none other, its metrics equal to the score rows."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=platform.settings.mlflow_tracking_uri)
    experiments = [client.get_experiment_by_name(slug) for slug in SLUGS]
    runs = client.search_runs([e.experiment_id for e in experiments if e], max_results=50000)
    by_evaluation = defaultdict(list)
    for run in runs:
        by_evaluation[int(run.data.tags.get(EVALUATION_TAG, "-1"))].append(run)
    agrees = set(by_evaluation) == set(audit.evaluation_of.values())
    for sid, evaluation_id in audit.evaluation_of.items():
        found = by_evaluation.get(evaluation_id, [])
        if len(found) > 1:
            audit.duplicated.add(sid)
        if len(found) != 1 or found[0].info.run_id != audit.rows[sid].mlflow_run_id:
            audit.problems.append(f"{sid}: {len(found)} MLflow runs")
            agrees = False
            continue
        metrics = found[0].data.metrics
        stored = {f"{split}_{m}": v for (split, m), v in audit.scores[sid].items()}
        if any(metrics.get(name) != value for name, value in stored.items()):
            audit.problems.append(f"{sid}: MLflow metrics differ from the score rows")
            agrees = False
    return agrees
