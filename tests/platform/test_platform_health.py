"""The operators' health report: workers' beats, what each runs, queue depths, the CLI."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from podium.broker import TASK_EVALUATE, celery_for
from podium.cli.main import app as cli
from podium.crud.roles import grant_role
from podium.crud.teams import get_or_create_personal_team
from podium.crud.workers import BeatFacts, forget_worker, platform_health, record_beat
from podium.db.models import ChallengeRoleKind, Evaluation, SubmissionStatus
from podium.db.models.workers import WorkerBeat
from podium.db.types import utcnow
from podium.settings import Settings, get_settings
from podium.store import Store
from podium.worker.queues import queue_depths
from tests.platform.factories import make_challenge, make_submission, make_user


def _facts(name: str, hostname: str, **overrides: object) -> BeatFacts:
    values: dict[str, object] = {
        "name": name, "hostname": hostname, "queues": "default", "concurrency": 1,
        "staging_free_mb": 5000, "staging_total_mb": 10000, "image_store_mb": 1200,
        "engine": "20.10.24 (runc,runsc)",
    }  # fmt: skip
    values.update(overrides)
    return BeatFacts(**values)  # type: ignore[arg-type]


def _running_on(session: Session, store: Store, tmp_path: Path, hostname: str, slug: str) -> int:
    owner = make_user(session)
    challenge = make_challenge(session, store, tmp_path, owner=owner, slug=slug)
    phase = challenge.phases[0] if hasattr(challenge, "phases") else None
    from podium.crud.challenges import phases_of

    phase = phases_of(session, challenge=challenge)[0]
    team = get_or_create_personal_team(session, owner, challenge)
    submission = make_submission(
        session, challenge=challenge, phase=phase, team=team, user=owner,
        status=SubmissionStatus.RUNNING,
    )  # fmt: skip
    assert submission.id is not None
    session.add(
        Evaluation(
            submission_id=submission.id, worker=f"{hostname}:1234",
            started_at=utcnow(), heartbeat_at=utcnow(),
        )
    )  # fmt: skip
    session.commit()
    return submission.id


def test_beats_make_workers_alive_and_old_beats_gone(session: Session) -> None:
    record_beat(session, _facts("podium-1@host-a", "host-a"))
    record_beat(session, _facts("podium-2@host-b", "host-b", queues="gpu"))
    old = session.exec(WorkerBeat.__table__.select()).all()  # type: ignore[attr-defined]
    assert len(old) == 2
    row = session.get(WorkerBeat, 2)
    assert row is not None
    row.seen_at = utcnow() - timedelta(minutes=5)
    session.add(row)
    session.commit()
    report = platform_health(session, queues={"default": 3, "gpu": None}, beat_seconds=15)
    assert [(w.name, w.alive) for w in report.workers] == [
        ("podium-1@host-a", True),
        ("podium-2@host-b", False),
    ]
    alive = report.alive[0]
    assert (alive.staging_free_mb, alive.staging_total_mb, alive.image_store_mb) == (
        5000, 10000, 1200,
    )  # fmt: skip
    assert report.queues == {"default": 3, "gpu": None}
    record_beat(session, _facts("podium-1@host-a", "host-a", staging_free_mb=4000))
    report = platform_health(session, queues={}, beat_seconds=15)
    assert report.alive[0].staging_free_mb == 4000 and len(report.workers) == 2
    forget_worker(session, "podium-1@host-a")
    assert [w.name for w in platform_health(session, queues={}, beat_seconds=15).workers] == [
        "podium-2@host-b"
    ]


def test_what_a_worker_runs_is_named_only_to_those_who_organise_it(
    session: Session, store: Store, tmp_path: Path
) -> None:
    record_beat(session, _facts("podium-1@host-a", "host-a"))
    sub_id = _running_on(session, store, tmp_path, "host-a", "secret-challenge")
    operator = platform_health(session, queues={}, beat_seconds=15)
    [run] = operator.alive[0].running
    assert (run.submission_id, run.challenge, run.status) == (
        sub_id, "secret-challenge", "running",
    )  # fmt: skip
    stranger = make_user(session)
    other = make_challenge(session, store, tmp_path, owner=stranger, slug="other-challenge")
    grant_role(session, challenge=other, user=stranger, role=ChallengeRoleKind.ORGANISER)
    [hidden] = (
        platform_health(session, queues={}, beat_seconds=15, viewer=stranger).workers[0].running
    )
    assert (hidden.submission_id, hidden.challenge, hidden.status) == (None, None, "running")
    admin = make_user(session, is_admin=True)
    [shown] = platform_health(session, queues={}, beat_seconds=15, viewer=admin).workers[0].running
    assert shown.submission_id == sub_id


def test_queue_depths_are_read_from_the_sqlite_broker(settings: Settings) -> None:
    app = celery_for(settings.broker_url, settings.result_backend)
    for queue in ("default", "default", "gpu"):
        app.send_task(TASK_EVALUATE, args=[1], queue=queue)
    assert queue_depths(settings) == {"default": 2, "gpu": 1}


def test_a_broker_that_does_not_answer_gives_unknown_depths(settings: Settings) -> None:
    down = settings.model_copy(
        update={"broker_url": "redis://127.0.0.1:1/0", "result_backend": "redis://127.0.0.1:1/0"}
    )
    assert queue_depths(down) == {"default": None, "gpu": None}


@pytest.fixture
def podium_home(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> Settings:
    monkeypatch.setenv("PODIUM_HOME", str(settings.home))
    get_settings.cache_clear()
    yield settings  # type: ignore[misc]
    get_settings.cache_clear()


def test_cli_platform_status_prints_workers_queues_and_json(
    podium_home: Settings, session: Session
) -> None:
    record_beat(session, _facts("podium-9@host-z", "host-z", image_store_mb=2048))
    runner = CliRunner()
    done = runner.invoke(cli, ["platform", "status"])
    assert done.exit_code == 0, done.output
    assert "workers alive: 1 of 1 seen" in done.output
    assert "podium-9@host-z" in done.output and "2.0 GB" in done.output
    assert "default: 0 waiting" in done.output
    done = runner.invoke(cli, ["platform", "status", "--json"])
    report = json.loads(done.output)
    assert report["queues"] == {"default": 0, "gpu": 0}
    [worker] = report["workers"]
    assert worker["alive"] is True and worker["staging_free_mb"] == 5000
