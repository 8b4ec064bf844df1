"""Practice runs through the API: who may start them, their own quota, never ranked, never
counted, and the order in which they reach the workers (behind every submission)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from podium.crud.board_entries import team_activity
from podium.crud.leaderboards import board_version, load_entries
from podium.crud.quotas import quota_left
from podium.db.models import (
    Evaluation,
    Score,
    ScoreSplit,
    Submission,
    SubmissionEvent,
    SubmissionStatus,
)
from podium.db.types import utcnow
from podium.pipeline.fairness import admit, admit_practice, send_next, yield_to_submissions
from podium.pipeline.reaper import reap_once
from podium.pipeline.recording import build_record
from podium.settings import Settings
from podium.store import Store
from tests.platform.submission_helpers import (
    SLUG,
    Recorder,
    World,
    build_tar,
    make_world,
    record_recorder,
    upload,
)

PRACTICE = f"/api/v1/challenges/{SLUG}/practice"
QUEUED, FINISHED = SubmissionStatus.QUEUED, SubmissionStatus.FINISHED


@pytest.fixture
def world(session: Session, store: Store, tmp_path: Path) -> World:
    return make_world(session, store, tmp_path)  # per_day 3, total 10, in_flight 1


@pytest.fixture
def recorder(app: FastAPI) -> Recorder:
    return record_recorder(app)


def _practise(client: TestClient, headers: dict[str, str], **form: str) -> object:
    data = {"kind": "build", **form}
    return client.post(
        PRACTICE, headers=headers, data=data, files={"file": ("context.tar", build_tar())}
    )


def _scored(session: Session, run: Submission, value: float = 0.1) -> None:
    """Give ``run`` a finished evaluation with scores, as the worker would."""
    assert run.id is not None
    evaluation = Evaluation(submission_id=run.id, attempt=1, finished_at=utcnow())
    session.add(evaluation)
    session.flush()
    assert evaluation.id is not None
    for split in ScoreSplit:
        session.add(
            Score(evaluation_id=evaluation.id, submission_id=run.id, split=split,
                  metric="rmse", value=value)
        )  # fmt: skip
    session.commit()


def test_a_team_member_starts_a_practice_run(
    client: TestClient, session: Session, world: World, recorder: Recorder
) -> None:
    world.team(session, world.alice)
    answer = _practise(client, world.headers(session, world.alice))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["practice"] is True and body["kind"] == "build" and body["charged"] is True
    assert answer.headers["location"] == f"/api/v1/submissions/{body['id']}"
    assert recorder.ids == [body["id"]]
    listed = client.get(PRACTICE, headers=world.headers(session, world.alice)).json()
    assert [i["id"] for i in listed["items"]] == [body["id"]]
    assert listed["left_today"] == 19 and listed["per_day"] == 20 and listed["available"]


def test_who_may_practise(
    client: TestClient, session: Session, world: World, recorder: Recorder
) -> None:
    assert _practise(client, {}).status_code == 401
    for staff in (world.organiser, world.judge):
        answer = _practise(client, world.headers(session, staff))
        assert answer.status_code == 403, answer.text
    answer = _practise(client, world.headers(session, world.bob))  # no team yet
    assert answer.status_code == 409
    assert "create or join a team" in answer.json()["detail"]
    assert recorder.ids == []


def test_a_practice_run_is_a_model_not_a_predictions_file(
    client: TestClient, session: Session, world: World, recorder: Recorder
) -> None:
    world.team(session, world.alice)
    world.set_phase(session, submission_kinds=["image", "build", "predictions"])
    answer = client.post(
        PRACTICE, headers=world.headers(session, world.alice), data={"kind": "predictions"},
        files={"file": ("predictions.csv", b"id,y\n1,0.5\n")},
    )  # fmt: skip
    assert answer.status_code == 422
    assert "not a predictions file" in answer.json()["detail"]


def test_practice_runs_never_count_against_the_submission_quota(
    client: TestClient, session: Session, world: World, recorder: Recorder
) -> None:
    for _ in range(5):  # more than per_day (3) and in_flight (1)
        world.submission(session, world.alice, practice=True, status=QUEUED)
    team = world.team(session, world.alice)
    left = quota_left(session, team=team, phase=world.phase)
    assert (left.per_day, left.in_flight, left.total) == (3, 1, 10)
    answer = upload(client, world.headers(session, world.alice))
    assert answer.status_code == 201, answer.text


def test_submissions_never_count_against_the_practice_quota(
    client: TestClient, session: Session, world: World, recorder: Recorder
) -> None:
    for _ in range(3):  # the day's submissions used up
        world.submission(session, world.alice, status=FINISHED)
    assert upload(client, world.headers(session, world.alice)).status_code == 429
    assert _practise(client, world.headers(session, world.alice)).status_code == 201


def test_the_practice_quota_per_day(
    client: TestClient, session: Session, world: World, recorder: Recorder
) -> None:
    now = utcnow()
    world.submission(session, world.alice, practice=True, created_at=now - timedelta(hours=25))
    oldest = now - timedelta(hours=23)
    world.submission(session, world.alice, practice=True, created_at=oldest)
    for _ in range(19):
        world.submission(session, world.alice, practice=True, status=FINISHED)
    world.submission(session, world.alice, practice=True, status=SubmissionStatus.ERROR)
    answer = _practise(client, world.headers(session, world.alice))
    assert answer.status_code == 429, answer.text
    retry_at = oldest + timedelta(hours=24)
    assert answer.json()["detail"] == (
        "your team has made 20 practice run(s) in the last 24 hours and 'development' allows "
        f"20; the next one is allowed at {retry_at.isoformat()} (submissions have their own "
        "quota)"
    )
    assert recorder.ids == []
    listed = client.get(PRACTICE, headers=world.headers(session, world.alice)).json()
    assert listed["left_today"] == 0


def test_a_practice_run_is_never_on_a_board_nor_in_its_counts(
    client: TestClient, session: Session, world: World
) -> None:
    run = world.submission(session, world.alice, practice=True, status=FINISHED)
    _scored(session, run)
    before = board_version(session, challenge_id=world.challenge.id)
    assert load_entries(session, phase=world.phase, metrics=("rmse",)) == []
    assert team_activity(session, phase=world.phase) == {}
    board = client.get(f"/api/v1/challenges/{SLUG}/leaderboard")
    assert board.status_code == 200 and "alice" not in board.text
    assert board_version(session, challenge_id=world.challenge.id) == before
    listing = client.get(
        f"/api/v1/challenges/{SLUG}/submissions", headers=world.headers(session, world.alice)
    ).json()
    assert listing["total"] == 0
    staff = client.get(
        f"/api/v1/challenges/{SLUG}/submissions", headers=world.headers(session, world.judge)
    ).json()
    assert staff["total"] == 0


def test_the_team_reads_its_practice_run_scores_and_logs(
    client: TestClient, session: Session, world: World
) -> None:
    world.set_phase(session, show_logs=False, leaderboard={"visibility": "hidden"})
    run = world.submission(session, world.alice, practice=True, status=FINISHED)
    _scored(session, run, 0.25)
    headers = world.headers(session, world.alice)
    detail = client.get(f"/api/v1/submissions/{run.id}", headers=headers).json()
    assert {(s["split"], s["value"]) for s in detail["scores"]} >= {("all", 0.25)}
    assert client.get(f"/api/v1/submissions/{run.id}/logs", headers=headers).status_code == 200
    other = client.get(f"/api/v1/submissions/{run.id}", headers=world.headers(session, world.bob))
    assert other.status_code == 404


def test_mlflow_never_records_a_practice_run(session: Session, world: World) -> None:
    run = world.submission(session, world.alice, practice=True, status=FINISHED)
    assert run.id is not None
    evaluation = Evaluation(submission_id=run.id, attempt=1, finished_at=utcnow())
    evaluation.update_report(outcome="finished")
    session.add(evaluation)
    session.commit()
    assert evaluation.id is not None
    assert build_record(session, evaluation.id) is None


def test_a_practice_run_waits_while_a_submission_waits(session: Session, world: World) -> None:
    submission = world.submission(session, world.bob)
    assert [c.submission_id for c in admit(session, submission, 1)] == [submission.id]
    run = world.submission(session, world.alice, practice=True)
    assert admit_practice(session, run, 1) == []  # a submission waits: not sent
    session.refresh(run)
    assert run.status is QUEUED and run.sent_at is None
    event = session.exec(
        select(SubmissionEvent).where(SubmissionEvent.submission_id == run.id)
    ).all()[-1]
    assert "submissions go first" in event.detail


def test_a_taken_practice_run_is_handed_back_when_a_submission_waits(
    session: Session, world: World
) -> None:
    run = world.submission(session, world.alice, practice=True)
    assert [c.submission_id for c in admit_practice(session, run, 1)] == [run.id]
    submission = world.submission(session, world.bob)
    admit(session, submission, 1)  # sent after the practice run: behind it in the broker
    session.refresh(run)
    assert yield_to_submissions(session, run) is True
    session.commit()
    assert run.sent_at is None and run.status is QUEUED
    # the submission is taken; when it ends, the practice run goes
    submission.status = SubmissionStatus.PREPARING
    session.add(submission)
    session.commit()
    assert yield_to_submissions(session, run) is False


def test_practice_runs_are_outside_the_team_cap(session: Session, world: World) -> None:
    run = world.submission(session, world.alice, practice=True)
    admit_practice(session, run, 1)
    submission = world.submission(session, world.alice)
    claims = admit(session, submission, 1)  # the team's in-flight practice run does not count
    assert [c.submission_id for c in claims] == [submission.id]
    assert send_next(session, world.team(session, world.alice).id or 0, 5) == []


def test_a_practice_run_cannot_be_selected_for_the_final_ranking(
    client: TestClient, session: Session, world: World
) -> None:
    world.set_phase(session, leaderboard={"rule": "selected", "max_selected": 2})
    run = world.submission(session, world.alice, practice=True, status=FINISHED)
    answer = client.patch(
        f"/api/v1/submissions/{run.id}", headers=world.headers(session, world.alice),
        json={"selected": True},
    )  # fmt: skip
    assert answer.status_code == 409
    assert "is a practice run: it never counts in a ranking" in answer.json()["detail"]


def test_the_reaper_sends_a_forgotten_practice_run_only_when_no_submission_waits(
    app: FastAPI, session: Session, world: World, settings: Settings
) -> None:
    sent: list[int] = []
    factory = lambda: Session(app.state.engine, expire_on_commit=False)  # noqa: E731
    run = world.submission(session, world.alice, practice=True, status=QUEUED)
    submission = world.submission(session, world.bob, status=QUEUED, sent_at=utcnow())
    reap_once(factory, settings, lambda sid, gpu: sent.append(sid))
    assert run.id not in sent  # a submission waits for a worker
    submission.status = SubmissionStatus.PREPARING
    session.add(submission)
    session.commit()
    reap_once(factory, settings, lambda sid, gpu: sent.append(sid))
    assert sent.count(run.id or 0) == 1


def test_the_team_reads_its_practice_logs_in_full(
    client: TestClient, session: Session, world: World, store: Store
) -> None:
    run = world.submission(session, world.alice, practice=True, status=FINISHED)
    assert run.id is not None
    session.add(Evaluation(submission_id=run.id, attempt=1, finished_at=utcnow()))
    session.commit()
    folder = store.logs_dir(run.id, 1)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "smoke_stdout.txt").write_text("fitted on the public sample\n")
    logs = client.get(
        f"/api/v1/submissions/{run.id}/logs", headers=world.headers(session, world.alice)
    ).json()
    assert logs["smoke_stdout"] == "fitted on the public sample\n"
    assert logs["withheld"] == [] and not logs.get("notice")
