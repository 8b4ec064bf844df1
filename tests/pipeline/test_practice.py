"""Practice runs with a real worker, broker and sandbox: scored on the public sample only, and
behind every submission in the queue (one worker slot)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from sqlmodel import select

from challenges.paths import sha256_path
from podium.crud.leaderboards import load_entries
from podium.crud.submission_logs import SMOKE_STDOUT
from podium.crud.teams import get_or_create_personal_team
from podium.db.models import Phase, SubmissionKind, SubmissionStatus, User
from podium.pipeline.fairness import PRACTICE_WAITS
from podium.pipeline.intake import submit_file
from tests.pipeline.harness import Platform, Worker, constant_model, make_platform

SLUG = "quick-check"
FINISHED = SubmissionStatus.FINISHED
# the model prints the ids it is given, then writes 0.5/0.5 for each
SHOW_INPUT = "cut -d, -f1 $PODIUM_INPUT/test.csv | sed 's/^/seen-id:/'"


@pytest.fixture(scope="module")
def platform(
    tmp_path_factory: pytest.TempPathFactory, docker_client: docker.DockerClient, quick: Path
) -> Platform:
    made = make_platform(tmp_path_factory.mktemp("home"))
    made.register(quick)
    return made


@pytest.fixture(scope="module")
def worker(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    started = Worker(platform, tmp_path_factory.mktemp("logs") / "worker.log").wait_ready()
    yield started
    started.stop()


def _member(platform: Platform) -> User:
    user = platform.participant()
    with platform.session() as session:
        get_or_create_personal_team(session, user, platform.challenges[SLUG])
    return user


def _practise(platform: Platform, user: User, model: bytes) -> int:
    with platform.session() as session:
        run = submit_file(
            session, platform.settings, challenge=platform.challenges[SLUG], user=user,
            kind=SubmissionKind.BUILD, content=model, filename="context.tar", practice=True,
        )  # fmt: skip
    assert run.id is not None
    return run.id


def _ids(path: Path) -> set[str]:
    with path.open(newline="") as handle:
        return {row["id"] for row in csv.DictReader(handle)}


def _started(platform: Platform, submission_id: int) -> float:
    evaluations = [e for e in platform.evaluations(submission_id) if e.started_at is not None]
    assert evaluations, f"{submission_id} never started"
    return min(e.started_at.timestamp() for e in evaluations if e.started_at)


@pytest.mark.docker
def test_a_practice_run_is_scored_on_public_data_and_never_sees_hidden_data(
    platform: Platform, worker: Worker, quick: Path
) -> None:
    run_id = _practise(platform, _member(platform), constant_model(SHOW_INPUT))
    run = platform.wait(run_id)
    assert run.status is FINISHED, run.reason
    assert run.practice and run.mlflow_run_id is None
    scores = platform.scores(run_id)
    assert scores[("all", "roc_auc")].value == pytest.approx(0.5)
    # what the model saw: ids of the public training file only, none of the hidden test set
    evaluation = platform.evaluations(run_id)[-1]
    assert evaluation.logs_path is not None
    stdout = (Path(evaluation.logs_path) / SMOKE_STDOUT).read_text()
    seen = {line.split(":", 1)[1] for line in stdout.splitlines() if line.startswith("seen-id:")}
    seen.discard("id")
    hidden = _ids(next((quick / "data" / "hidden").rglob("test.csv")))
    assert seen and seen <= _ids(quick / "data" / "public" / "train.csv")
    assert not seen & hidden
    # the hidden inputs were never staged for the sandbox, the hidden data hash never recorded
    staged = sorted(p.name for p in (platform.settings.sandbox_staging / "inputs" / SLUG).iterdir())
    assert staged and all(name.startswith("sample-") for name in staged), staged
    labels = platform.settings.sandbox_staging / "inputs" / SLUG / staged[0] / "labels.csv"
    assert evaluation.data_sha256 == sha256_path(labels)
    with platform.session() as session:
        phase = session.exec(select(Phase).where(Phase.id == run.phase_id)).one()
        assert load_entries(session, phase=phase, metrics=("roc_auc",)) == []


@pytest.mark.docker
def test_a_waiting_submission_goes_before_a_waiting_practice_run(
    platform: Platform, worker: Worker
) -> None:
    busy = platform.submit(SLUG, SubmissionKind.BUILD, constant_model("sleep 3"), "busy.tar")
    platform.wait(busy, statuses={SubmissionStatus.RUNNING})
    # the worker's one slot is taken: a practice run is sent (no submission waits) ...
    early = _practise(platform, _member(platform), constant_model())
    # ... then a submission is sent behind it, and another practice run waits unsent
    submission = platform.submit(SLUG, SubmissionKind.BUILD, constant_model(), "sub.tar")
    late = _practise(platform, _member(platform), constant_model())
    assert platform.get(late).sent_at is None
    for sid in (busy, early, submission, late):
        assert platform.wait(sid).status is FINISHED, platform.get(sid).reason
    assert _started(platform, submission) < _started(platform, early) < _started(platform, late)
    # the worker took the early practice run while the submission waited, and handed it back
    assert any(e.detail == PRACTICE_WAITS for e in platform.events(early))
    assert any(e.detail == PRACTICE_WAITS for e in platform.events(late))
