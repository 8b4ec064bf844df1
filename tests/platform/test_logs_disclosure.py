"""Which logs and facts of a run on hidden data a participant may read (files written in place of
a real run; tests/pipeline/test_hidden_logs.py does the same through a real worker)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from podium.crud.submission_logs import STDERR_LINE_CHARS, WITHHELD
from podium.db.models import Evaluation, Submission, SubmissionStatus, User
from podium.store import Store
from tests.platform.submission_helpers import World, make_world, set_status
from tests.web.conftest import log_in

HIDDEN = [f"h{i},0.{i}1,secret-{i}" for i in range(6)]  # as a model would print /input
LONG = "x" * (STDERR_LINE_CHARS + 50)
FIXED = "your container exited with a non-zero code on the hidden data"


@pytest.fixture
def world(session: Session, store: Store, tmp_path: Path) -> World:
    made = make_world(session, store, tmp_path)
    made.set_phase(session, show_logs=True)
    return made


@pytest.fixture
def failed(session: Session, world: World, store: Store) -> Submission:
    """Alice's submission that failed on hidden data, with every log a real run leaves."""
    sub = world.submission(session, world.alice, reason=FIXED)
    assert sub.id is not None
    set_status(session, sub, SubmissionStatus.FAILED)
    folder = store.logs_dir(sub.id, 1)
    folder.mkdir(parents=True)
    (folder / "build.log").write_text("Step 1/2 : FROM podium/runtime-python:3.11\n")
    (folder / "smoke_stdout.txt").write_text("p1,0.5\np2,0.7\n")
    (folder / "smoke_stderr.txt").write_text("loading model\n")
    smoke = {"status": "succeeded", "message": "your container finished within every limit",
             "source": "a fixed 20% slice of the public file 'train.csv'", "exit_code": 0,
             "wall_seconds": 0.5, "cpu_seconds": 0.25, "peak_memory_mb": 30.0}  # fmt: skip
    (folder / "smoke_run.json").write_text(json.dumps(smoke))
    (folder / "stdout.txt").write_text("\n".join(HIDDEN) + "\n")
    (folder / "stderr.txt").write_text("\n".join([LONG, *HIDDEN]) + "\n")
    session.add(
        Evaluation(
            submission_id=sub.id, attempt=1, wall_seconds=1.5, cpu_seconds=1.25,
            peak_memory_mb=64.0, exit_code=173, logs_path=str(folder),
            report={"outcome": "failed", "message": FIXED,
                    "detail": f"your container exited with code 173 after printing {HIDDEN[0]}"},
        )
    )  # fmt: skip
    session.commit()
    return sub


def _get(client: TestClient, session: Session, world: World, user: User, path: str) -> Any:
    answer = client.get(path, headers=world.headers(session, user))
    assert answer.status_code == 200, answer.text
    return answer


def _set_stderr_lines(session: Session, world: World, lines: int) -> None:
    spec = dict(world.challenge.spec)
    spec["phases"] = [{**p, "hidden_run_stderr_lines": lines} for p in spec["phases"]]
    world.challenge.spec = spec
    session.add(world.challenge)
    session.commit()


def test_the_team_reads_the_public_data_logs_and_nothing_of_the_hidden_run(
    client: TestClient, session: Session, world: World, failed: Submission
) -> None:
    answer = _get(client, session, world, world.alice, f"/api/v1/submissions/{failed.id}/logs")
    assert not any(line in answer.text for line in HIDDEN) and "secret" not in answer.text
    body = answer.json()
    assert (body["stdout"], body["stderr"]) == ("", "")
    assert body["smoke_stdout"] == "p1,0.5\np2,0.7\n"
    assert body["smoke_stderr"] == "loading model\n"
    assert body["build_log"].startswith("Step 1/2")
    assert body["smoke_run"]["source"] == "a fixed 20% slice of the public file 'train.csv'"
    assert body["withheld"] == ["stdout", "stderr"] and body["notice"] == WITHHELD


def test_staff_read_everything(
    client: TestClient, session: Session, world: World, failed: Submission
) -> None:
    for user in (world.organiser, world.judge, world.admin):
        path = f"/api/v1/submissions/{failed.id}/logs"
        body = _get(client, session, world, user, path).json()
        assert body["stdout"].splitlines() == HIDDEN
        assert body["stderr"].splitlines() == [LONG, *HIDDEN]
        assert body["withheld"] == [] and body["notice"] is None
        detail = _get(client, session, world, user, f"/api/v1/submissions/{failed.id}").json()
        assert detail["staff_detail"].endswith(HIDDEN[0])
        assert detail["timings"]["exit_code"] == 173


def test_the_team_gets_the_fixed_reason_and_the_figures_but_not_the_exit_code(
    client: TestClient, session: Session, world: World, failed: Submission
) -> None:
    answer = _get(client, session, world, world.alice, f"/api/v1/submissions/{failed.id}")
    body = answer.json()
    assert body["reason"] == FIXED and body["staff_detail"] is None
    timings = body["timings"]
    assert (timings["wall_seconds"], timings["cpu_seconds"], timings["peak_memory_mb"]) == (
        1.5, 1.25, 64.0,
    )  # fmt: skip
    assert timings["exit_code"] is None
    assert "173" not in answer.text and "secret" not in answer.text


@pytest.mark.parametrize("lines", [1, 3])
def test_the_phase_may_show_the_first_lines_of_the_hidden_stderr(
    client: TestClient, session: Session, world: World, failed: Submission, lines: int
) -> None:
    _set_stderr_lines(session, world, lines)
    path = f"/api/v1/submissions/{failed.id}/logs"
    body = _get(client, session, world, world.alice, path).json()
    expected = [LONG[:STDERR_LINE_CHARS] + " [… line cut …]", *HIDDEN[: lines - 1]]
    assert body["stderr"].splitlines() == expected
    assert body["stdout"] == "" and HIDDEN[lines - 1] not in body["stderr"]
    assert body["notice"].endswith(f"only the first {lines} lines of the hidden run's stderr are "
                                   "shown (this phase's choice)")  # fmt: skip


def test_without_show_logs_the_team_reads_no_logs(
    client: TestClient, session: Session, world: World, failed: Submission
) -> None:
    world.set_phase(session, show_logs=False)
    _set_stderr_lines(session, world, 3)
    answer = client.get(
        f"/api/v1/submissions/{failed.id}/logs", headers=world.headers(session, world.alice)
    )
    assert answer.status_code == 403


def test_the_submission_page_follows_the_same_rules(
    client: TestClient, session: Session, world: World, failed: Submission
) -> None:
    log_in(client, "alice")
    page = client.get(f"/submissions/{failed.id}").text
    assert not any(line in page for line in HIDDEN) and "173" not in page
    assert 'data-log="smoke_stdout"' in page and "p1,0.5" in page
    assert 'id="logs-withheld"' in page and FIXED in page
    assert "staff only" not in page
    staff = TestClient(client.app)
    log_in(staff, "judy")
    page = staff.get(f"/submissions/{failed.id}").text
    assert all(line in page for line in HIDDEN)
    assert 'class="reason staff-detail"' in page
