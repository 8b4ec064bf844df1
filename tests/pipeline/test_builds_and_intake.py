"""The way in, attacked through the real API and a real worker: builds, cancels, whose fault,
and the images a worker keeps (SECURITY.md, "The way in").

Each test uploads through ``POST /api/v1/challenges/{slug}/submissions`` as a participant would,
a ``podium worker`` process evaluates it on the real engine, and the test reads the outcome
back from the API: status, message, whether it was charged, how many attempts it took.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import docker.errors
import pytest
from fastapi.testclient import TestClient

from podium.app import create_app
from podium.db.models import Submission
from podium.pipeline.examples import pack_context
from podium.pipeline.retention import evict_over_budget, release_after
from tests.pipeline.harness import (
    Platform,
    Worker,
    constant_model,
    constant_predictions,
    context_tar,
)
from tests.platform.factories import auth_headers, make_user

pytestmark = [pytest.mark.docker, pytest.mark.slow]

SLUG = "breast-cancer-diagnosis"  # quick-check's 8 s limit is too tight for sklearn


@pytest.fixture(scope="module")
def api(platform: Platform, worker: Worker) -> Iterator[TestClient]:
    with TestClient(create_app(platform.settings), raise_server_exceptions=False) as client:
        yield client


class Team:
    """A participant with a token, submitting through the API."""

    def __init__(self, platform: Platform, api: TestClient) -> None:
        with platform.session() as session:
            user = make_user(session)
            self.headers = auth_headers(session, user)
        self.platform, self.api = platform, api

    def submit(self, content: bytes, kind: str = "build", name: str = "c.tar") -> int:
        answer = self.api.post(
            f"/api/v1/challenges/{SLUG}/submissions",
            data={"kind": kind},
            files={"file": (name, content, "application/x-tar")},
            headers=self.headers,
        )
        assert answer.status_code == 201, answer.text
        return int(answer.json()["id"])

    def read(self, submission_id: int) -> dict[str, Any]:
        answer = self.api.get(f"/api/v1/submissions/{submission_id}", headers=self.headers)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def wait(self, submission_id: int, *statuses: str, timeout: float = 240) -> dict[str, Any]:
        wanted = set(statuses) or {"finished", "failed", "error", "cancelled"}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen = self.read(submission_id)
            if seen["status"] in wanted:
                return seen
            time.sleep(0.3)
        raise AssertionError(f"submission {submission_id} is still {seen['status']}")

    def cancel(self, submission_id: int) -> dict[str, Any]:
        answer = self.api.post(f"/api/v1/submissions/{submission_id}/cancel", headers=self.headers)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


def _attempts(platform: Platform, submission_id: int) -> list[str]:
    return [str(e.report.get("outcome")) for e in platform.evaluations(submission_id)]


def _digest(platform: Platform, submission_id: int) -> str:
    digest = platform.get(submission_id).image_digest
    assert digest
    return digest


def _present(client: docker.DockerClient, image: str) -> bool:
    try:
        client.api.inspect_image(image)
    except docker.errors.ImageNotFound:
        return False
    return True


def test_from_another_teams_image_is_refused_and_charged(
    platform: Platform, api: TestClient, built_examples: dict[str, Path]
) -> None:
    victim, thief = Team(platform, api), Team(platform, api)
    baseline = pack_context(built_examples["breast-cancer-diagnosis"] / "baseline")
    stolen = victim.wait(victim.submit(baseline))
    assert stolen["status"] == "finished", stolen["reason"]
    image = _digest(platform, stolen["id"])
    for base in (image[7:12], image, f"{image[7:19]}"):
        attack = context_tar({"Dockerfile": f'FROM {base}\nENTRYPOINT ["true"]\n'})
        seen = thief.wait(thief.submit(attack))
        assert seen["status"] == "failed" and seen["charged"] is True
        assert "which builds may not start from" in seen["reason"]
        assert _attempts(platform, seen["id"]) == ["failed"]  # never retried
        logs = api.get(f"/api/v1/submissions/{seen['id']}/logs", headers=thief.headers).json()
        assert "predict.py" not in str(logs) and "model.joblib" not in str(logs)


WHOSE_FAULT = [
    ('ENTRYPOINT ["/nope"]', "failed"),
    ('ENTRYPOINT ["/app/predictions.csv"]', "failed"),  # not executable
    ('WORKDIR /root\nENTRYPOINT ["true"]', "failed"),  # not reachable for the sandbox user
    ("RUN exit 7", "failed"),
    ('RUN printf "\\177ELF junk" > /app/x && chmod +x /app/x\nENTRYPOINT ["/app/x"]', "failed"),
]


@pytest.mark.parametrize("steps,status", WHOSE_FAULT)
def test_the_images_fault_is_failed_charged_never_retried(
    platform: Platform, api: TestClient, quick: Path, steps: str, status: str
) -> None:
    team = Team(platform, api)
    dockerfile = f"FROM podium/runtime-python:3.11\nCOPY predictions.csv /app/\n{steps}\n"
    files = {"Dockerfile": dockerfile, "predictions.csv": constant_predictions(quick)}
    seen = team.wait(team.submit(context_tar(files)))
    assert seen["status"] == status and seen["charged"] is True, seen["reason"]
    assert "does not count" not in seen["reason"]
    assert _attempts(platform, seen["id"]) == ["failed"]


def test_cancel_while_building_stops_the_build_and_is_free(
    platform: Platform, api: TestClient, docker_client: docker.DockerClient
) -> None:
    team = Team(platform, api)
    marker = "61.2345"
    build = context_tar({"Dockerfile": f"FROM podium/runtime-python:3.11\nRUN sleep {marker}\n"})
    submission_id = team.submit(build)
    _wait_for_container(docker_client, marker)
    answer = team.cancel(submission_id)
    assert answer["charged"] is False and "does not count" in answer["reason"]
    started = time.monotonic()
    _wait_for_no_container(docker_client, marker)
    assert time.monotonic() - started < 15
    _wait_closed(platform, submission_id)
    assert _attempts(platform, submission_id) == ["stopped"]


def test_cancel_while_running_kills_the_container_and_is_charged(
    platform: Platform, api: TestClient, docker_client: docker.DockerClient
) -> None:
    team = Team(platform, api)
    marker = "62.3456"
    submission_id = team.submit(constant_model(f"sleep {marker}"))
    _wait_for_container(docker_client, marker)
    team.wait(submission_id, "running")
    answer = team.cancel(submission_id)
    assert answer["charged"] is True and "counts against your quota" in answer["reason"]
    started = time.monotonic()
    _wait_for_no_container(docker_client, marker)
    assert time.monotonic() - started < 15
    _wait_closed(platform, submission_id)
    assert team.read(submission_id)["status"] == "cancelled"


def test_unpinned_images_are_removed_and_pinned_ones_kept(
    platform: Platform,
    api: TestClient,
    built_examples: dict[str, Path],
    docker_client: docker.DockerClient,
) -> None:
    team = Team(platform, api)
    weak = team.wait(team.submit(constant_model()))
    assert weak["status"] == "finished", weak["reason"]
    weak_image = _digest(platform, weak["id"])
    assert _present(docker_client, weak_image)  # the team's best so far: pinned
    baseline = pack_context(built_examples["breast-cancer-diagnosis"] / "baseline")
    strong = team.wait(team.submit(baseline))
    assert strong["status"] == "finished", strong["reason"]
    strong_image = _digest(platform, strong["id"])
    assert _present(docker_client, strong_image)
    _wait_absent(docker_client, weak_image)  # no longer counted anywhere: removed
    failed = team.wait(team.submit(constant_model(exit_code=3)))
    assert failed["status"] == "failed"
    _wait_absent(docker_client, _digest(platform, failed["id"]))
    # eviction over budget never takes a pinned image, whatever the budget
    evicted = evict_over_budget(platform.session, docker_client, budget_mb=0)
    assert strong_image not in evicted and _present(docker_client, strong_image)


def test_an_evicted_image_is_rebuilt_for_a_rerun(
    platform: Platform, api: TestClient, docker_client: docker.DockerClient
) -> None:
    team = Team(platform, api)
    first = team.wait(team.submit(constant_model()))
    assert first["status"] == "finished", first["reason"]
    image = _digest(platform, first["id"])
    with platform.session() as session:  # as eviction would have done for an unpinned image
        docker_client.api.remove_image(image, force=True)
        row = session.get(Submission, first["id"])
        assert row is not None
        from podium.pipeline.dispatch import rerun

        rerun(session, row, platform.settings)
    again = team.wait(first["id"], "finished", "failed", "error")
    assert again["status"] == "finished", again["reason"]
    note = platform.settings.store_dir / "logs" / str(first["id"])
    notes = list(note.rglob("rebuilt.txt"))
    assert notes and f"evaluated image: {image}" in notes[0].read_text()
    assert release_after(platform.session, docker_client, first["id"]) == []  # still pinned


def _wait_absent(client: docker.DockerClient, image: str, timeout: float = 30) -> None:
    """The worker releases images right after it records the result: give it a moment."""
    deadline = time.monotonic() + timeout
    while _present(client, image):
        assert time.monotonic() < deadline, f"{image} is still on the engine"
        time.sleep(0.2)


def _wait_for_container(client: docker.DockerClient, marker: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _containers_with(client, marker):
            return
        time.sleep(0.2)
    raise AssertionError(f"no container ran {marker}")


def _wait_for_no_container(client: docker.DockerClient, marker: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _containers_with(client, marker):
            return
        time.sleep(0.2)
    raise AssertionError(f"a container still runs {marker}")


def _containers_with(client: docker.DockerClient, marker: str) -> list[str]:
    return [c["Id"] for c in client.api.containers() if marker in str(c.get("Command"))]


def _wait_closed(platform: Platform, submission_id: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        evaluations = platform.evaluations(submission_id)
        if evaluations and all(e.finished_at is not None for e in evaluations):
            return
        time.sleep(0.2)
    raise AssertionError(f"submission {submission_id} still has an open evaluation")
