"""Load: many teams submitting to the three example challenges at once, nothing lost or doubled.

N submissions from T teams (small: 30 from 6, the default, run by ``make test``; full, with
``PODIUM_RELIABILITY_SCALE=full``: 300 from 30) go through ``POST .../submissions`` on the real
app, a private Redis carries the tasks to two ``podium worker`` processes (each with its
reaper, as deployed), a private PostgreSQL holds the records, real Docker runs every model.
A team's uploads that the phase's in-flight cap refuses (429) are sent again later, as a
participant's client would. The models predict at random, so scores differ and "each team's
best" is a real choice.

Then, for every submission, the shared audit (``tests/reliability/audit.py``): one final state
(``finished``, one terminal event), one score row per split and metric, counted once in the
quota, one MLflow run holding its scores. Its board check (every finished submission ranked)
does not fit many submissions per team, so each challenge's leaderboard, read through the
leaderboard API, is compared instead with a ranking recomputed here from the score rows alone:
each team's best on the public split (primary, then secondary metrics at the displayed
precision, then the earlier submission), in order, with its rounded scores, and no
submission shown twice.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import docker
import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from challenges.examples import SLUGS
from podium.app import create_app
from podium.db.models import (
    Submission,
    SubmissionStatus,
    Team,
)
from tests.pipeline.harness import Platform, Worker, make_platform
from tests.reliability import audit as shared
from tests.reliability.audit import Audit
from tests.reliability.conftest import Row
from tests.reliability.fleet import (
    Planned,
    make_teams,
    random_model,
    redis_server,
    remove_images,
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
    built_examples: dict[str, Path],
    postgres_url: str,
    redis_url: str,
    docker_client: docker.DockerClient,
) -> Iterator[Platform]:
    """A platform on PostgreSQL and Redis with the three example challenges (the images it
    made are removed afterwards)."""
    root = tmp_path_factory.mktemp("load")
    platform = make_platform(root / "home", database_url=postgres_url, broker_url=redis_url)
    for folder in built_examples.values():
        platform.register(folder)
    yield platform
    remove_images(platform)


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
    found = _audit(loaded, ids)
    for slug in SLUGS:
        _check_board(loaded, found, slug, boards[slug], ids)
    found.as_expected = [
        sid for sid in ids if not any(p.startswith(f"submission {sid}:") for p in found.problems)
    ]
    refused = sum(s.refusals for s in sent)
    note = f"{teams} teams, 2 workers, Redis, PostgreSQL; {refused} quota refusals retried"
    report_row(found.row("load", injected=0, seconds=time.monotonic() - started, note=note))
    assert len(ids) == len(set(ids)) == count
    found.assert_clean()


def _board(api: TestClient, headers: dict[str, str], slug: str) -> dict[str, Any]:
    answer = api.get(f"/api/v1/challenges/{slug}/leaderboard?limit=5000", headers=headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _audit(platform: Platform, ids: list[int]) -> Audit:
    """The shared audit's checks of each submission (final state, score rows, charge, MLflow);
    its board check is not used: here a team has many submissions and only its best is
    ranked, which :func:`_check_board` checks by recomputing the ranking."""
    found = Audit(submitted=len(ids))
    submissions = {sid: platform.get(sid) for sid in ids}
    for sid, submission in submissions.items():
        shared._final_state(platform, found, submission, shared.FINISHED)
        if submission.status is SubmissionStatus.FINISHED:
            shared._score_rows(platform, found, sid)
        if submission.status in shared.TRACKED and not submission.charged:
            found.note(None, sid, f"{submission.status.value} but not counted in the quota")
    shared._mlflow(platform, found, submissions, 120)
    return found


def _check_board(
    platform: Platform, found: Audit, slug: str, board: dict[str, Any], ids: list[int]
) -> None:
    """The board's ranked entries, in order, against each team's best recomputed from the
    score rows (public split; primary, then secondary metrics at the displayed precision,
    then the earlier submission); no submission shown twice."""
    spec = platform.challenges[slug].parsed_spec.metrics
    metrics, decimals = (spec.primary, *spec.secondary), spec.decimals
    challenge_id = platform.challenges[slug].id
    with platform.session() as session:
        names = {t.id: t.name for t in session.exec(select(Team)).all()}
        rows = session.exec(
            select(Submission)
            .where(col(Submission.id).in_(ids))
            .where(Submission.challenge_id == challenge_id)
            .where(Submission.status == SubmissionStatus.FINISHED)
        ).all()
    best: dict[int, tuple[tuple[float | datetime, ...], int, dict[str, float]]] = {}
    for row in rows:
        assert row.id is not None
        public = {
            m: s.value for (split, m), s in platform.scores(row.id).items() if split == "public"
        }
        key: tuple[float | datetime, ...] = (
            *(_sort_value(public, m, decimals) for m in metrics),
            row.created_at,
        )
        if row.team_id not in best or key < best[row.team_id][0]:
            best[row.team_id] = (key, row.id, public)
    expected = [
        (names[team], sid, {m: round(public[m], decimals) for m in metrics})
        for team, (_, sid, public) in sorted(best.items(), key=lambda item: item[1][0])
    ]
    ranked = [e for e in board["entries"] if e["rank"] is not None]
    shown = [(e["team"], e["submission_id"], e["scores"]) for e in ranked]
    if not expected or shown != expected:
        found.board_agrees = False
        found.problems.append(f"{slug}: the board shows {shown}, recomputed {expected}")
    for sid, n in Counter(e["submission_id"] for e in board["entries"]).items():
        if n > 1:
            found.board_agrees = False
            found.note(found.duplicated, sid, f"{n} entries on the {slug} board")


def _sort_value(public: dict[str, float], metric: str, decimals: int) -> float:
    value = public.get(metric)
    if value is None:
        return float("inf")
    shown = round(value, decimals)
    return shown if metric in LOWER_IS_BETTER else -shown
