"""GET /submissions/{id} and /logs: who sees what, which scores, no hidden paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from podium.crud.submission_logs import MAX_LOG_BYTES
from podium.db.models import Evaluation, Score, ScoreSplit, Submission, SubmissionStatus
from podium.db.types import utcnow
from podium.store import Store
from tests.platform.submission_helpers import World, make_world, set_status


@pytest.fixture
def world(session: Session, store: Store, tmp_path: Path) -> World:
    return make_world(session, store, tmp_path)


@pytest.fixture
def scored(session: Session, world: World, store: Store) -> Submission:
    """Alice's finished submission with two attempts; scores on the second."""
    sub = world.submission(
        session, world.alice, file_path=str(store.submission_dir(1) / "context.tar"),
        mlflow_run_id="run-abc", reason=f"see {store.root}/logs for details",
    )  # fmt: skip
    assert sub.id is not None
    for status in (SubmissionStatus.QUEUED, SubmissionStatus.RUNNING, SubmissionStatus.FINISHED):
        set_status(session, sub, status)
    session.add(Evaluation(submission_id=sub.id, attempt=1, wall_seconds=9.0))
    second = Evaluation(
        submission_id=sub.id, attempt=2, started_at=utcnow(), finished_at=utcnow(),
        wall_seconds=3.25, cpu_seconds=2.5, peak_memory_mb=120.0, exit_code=0,
        logs_path=str(store.logs_dir(sub.id, 2)),
    )  # fmt: skip
    session.add(second)
    session.commit()
    assert second.id is not None
    for split, value in (
        (ScoreSplit.PUBLIC, 0.123456789),
        (ScoreSplit.PRIVATE, 0.5),
        (ScoreSplit.ALL, 0.3),
    ):
        session.add(
            Score(
                evaluation_id=second.id,
                submission_id=sub.id,
                split=split,
                metric="rmse",
                value=value,
            )
        )
    session.commit()
    return sub


def _get(client: TestClient, session: Session, world: World, user: object, path: str) -> dict:
    answer = client.get(path, headers=world.headers(session, user))  # type: ignore[arg-type]
    assert answer.status_code == 200, answer.text
    assert "file_path" not in answer.text and "logs_path" not in answer.text
    return answer.json()


def test_owner_reads_status_timeline_public_scores_and_timings(
    client: TestClient, session: Session, world: World, scored: Submission, store: Store
) -> None:
    body = _get(client, session, world, world.alice, f"/api/v1/submissions/{scored.id}")
    assert body["status"] == "finished" and body["mlflow_run_id"] == "run-abc"
    assert [e["status"] for e in body["events"]] == ["queued", "running", "finished"]
    assert body["scores"] == [
        {"split": "public", "metric": "rmse", "value": 0.1235, "ci_low": None, "ci_high": None}
    ]
    assert body["attempts"] == 2
    timings = body["timings"]
    assert (timings["attempt"], timings["wall_seconds"], timings["cpu_seconds"]) == (2, 3.25, 2.5)
    assert timings["peak_memory_mb"] == 120.0
    assert body["reason"] == "see <hidden>/logs for details"
    assert str(store.root) not in str(body)


def test_staff_and_reveal_see_private_scores(
    client: TestClient, session: Session, world: World, scored: Submission
) -> None:
    path = f"/api/v1/submissions/{scored.id}"
    for user in (world.organiser, world.judge, world.admin):
        scores = _get(client, session, world, user, path)["scores"]
        assert {(s["split"], s["value"]) for s in scores} == {
            ("public", 0.123456789), ("private", 0.5), ("all", 0.3),
        }  # fmt: skip
    world.challenge.revealed_private = True
    session.add(world.challenge)
    session.commit()
    scores = _get(client, session, world, world.alice, path)["scores"]
    assert {s["split"] for s in scores} == {"public", "private", "all"}


def test_hidden_leaderboard_shows_the_team_no_score(
    client: TestClient, session: Session, world: World, scored: Submission
) -> None:
    world.set_phase(session, leaderboard={"visibility": "hidden", "rule": "best"})
    body = _get(client, session, world, world.alice, f"/api/v1/submissions/{scored.id}")
    assert body["scores"] == [] and body["status"] == "finished"


def test_who_may_read_a_submission(
    client: TestClient, session: Session, world: World, scored: Submission
) -> None:
    path = f"/api/v1/submissions/{scored.id}"
    assert client.get(path).status_code == 401
    other = client.get(path, headers=world.headers(session, world.bob))
    assert other.status_code == 404
    assert other.json()["detail"] == f"no submission {scored.id} that you can see"
    missing = client.get("/api/v1/submissions/9999", headers=world.headers(session, world.alice))
    assert missing.status_code == 404
    for path_end in ("/logs", "/cancel", "/rerun"):
        method = client.get if path_end == "/logs" else client.post
        answer = method(path + path_end, headers=world.headers(session, world.bob))
        assert answer.status_code == 404, path_end


def _write_logs(store: Store, submission_id: int, attempt: int, **files: str | bytes) -> Path:
    folder = store.logs_dir(submission_id, attempt)
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        data = content.encode() if isinstance(content, str) else content
        (folder / name.replace("_", ".")).write_bytes(data)
    return folder


def test_logs_follow_show_logs(
    client: TestClient, session: Session, world: World, scored: Submission, store: Store
) -> None:
    assert scored.id is not None
    _write_logs(store, scored.id, 1, build_log="Step 1/2 : FROM busybox\n")
    _write_logs(store, scored.id, 2, stdout_txt=f"reading {store.root}/x\n", stderr_txt="warn\n")
    path = f"/api/v1/submissions/{scored.id}/logs"
    refused = client.get(path, headers=world.headers(session, world.alice))
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("this phase does not show logs to participants")
    for user in (world.organiser, world.judge, world.admin):
        body = _get(client, session, world, user, path)
        assert body == {
            "submission_id": scored.id, "attempt": 2, "stdout": "reading <hidden>/x\n",
            "stderr": "warn\n", "build_log": "Step 1/2 : FROM busybox\n", "truncated": [],
            "smoke_stdout": "", "smoke_stderr": "", "smoke_run": None, "withheld": [],
            "notice": None,
        }  # fmt: skip
    world.set_phase(session, show_logs=True)
    alice = _get(client, session, world, world.alice, path)
    assert (alice["stdout"], alice["stderr"]) == ("", "")  # the run on hidden data: staff only
    assert alice["build_log"] == "Step 1/2 : FROM busybox\n"
    assert alice["withheld"] == ["stdout", "stderr"]
    assert client.get(path).status_code == 401


def test_logs_are_capped_and_links_not_followed(
    client: TestClient, session: Session, world: World, scored: Submission, store: Store,
    tmp_path: Path,
) -> None:  # fmt: skip
    assert scored.id is not None
    world.set_phase(session, show_logs=True)
    folder = _write_logs(store, scored.id, 2, stdout_txt=b"a" * (3 * MAX_LOG_BYTES) + b"END\xff")
    secret = tmp_path / "labels.csv"
    secret.write_text("id,y\n1,0.5\n")
    os.symlink(secret, folder / "stderr.txt")
    body = _get(client, session, world, world.judge, f"/api/v1/submissions/{scored.id}/logs")
    assert body["truncated"] == ["stdout"]
    assert body["stdout"].startswith("[… earlier output not shown …]\n")
    assert body["stdout"].endswith("END\ufffd") and len(body["stdout"]) < MAX_LOG_BYTES + 100
    assert body["stderr"] == "" and body["build_log"] == ""


def test_logs_before_any_evaluation(client: TestClient, session: Session, world: World) -> None:
    sub = world.submission(session, world.alice)
    body = _get(client, session, world, world.organiser, f"/api/v1/submissions/{sub.id}/logs")
    assert body["attempt"] is None and body["stdout"] == "" and body["truncated"] == []
