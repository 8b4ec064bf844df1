"""Pushed images end to end through real processes: `podium submit --image` (the CLI, its engine
push with the API's token), and `docker login` + `docker push` (the real docker CLI, the engine
asking the API's token endpoint itself); a real worker pulls the pinned digest from the real
registry, runs it in the sandbox and the submission ends ``finished`` with scores on the board.
Another team's repository is refused to the docker CLI for push and pull.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import httpx
import pytest

from challenges.examples import build_example
from podium.db.models import SubmissionStatus
from podium.registry.reference import pinned_digest
from tests.conftest import TEST_LABEL
from tests.pipeline.harness import REPO, constant_model
from tests.registry.docker_cli import DIGEST, login, push
from tests.registry.live import Live, live_platform

pytestmark = pytest.mark.docker
SLUG = "breast-cancer-diagnosis"


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory, docker_client: docker.DockerClient
) -> Iterator[Live]:
    bundle = build_example(SLUG, tmp_path_factory.mktemp("bundles"))
    with live_platform(tmp_path_factory.mktemp("home"), [bundle], worker=True) as made:
        yield made


@pytest.fixture
def model_image(docker_client: docker.DockerClient) -> Iterator[str]:
    """A constant breast-cancer model on runtime-python, tagged uniquely, removed afterwards."""
    tag = f"podium-test/pushed:{uuid.uuid4().hex[:12]}"
    image, _ = docker_client.images.build(
        fileobj=io.BytesIO(constant_model()), custom_context=True, tag=tag, rm=True,
        labels={TEST_LABEL: "registry"}, network_mode="none",
    )  # fmt: skip
    try:
        yield tag
    finally:
        with contextlib.suppress(docker.errors.ImageNotFound):
            docker_client.images.remove(str(image.id), force=True)


def _cli(live: Live, secret: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PODIUM_SERVER": live.api, "PODIUM_TOKEN": secret, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "podium.cli", *args], cwd=REPO, env=env, capture_output=True,
        text=True, timeout=600,
    )  # fmt: skip


def _finished_on_board(live: Live, submission_id: int, secret: str) -> None:
    done = live.platform.wait(submission_id)
    assert done.status is SubmissionStatus.FINISHED, (done.status, done.status_reason)
    scores = live.platform.scores(submission_id)
    assert {("public", "roc_auc"), ("private", "roc_auc")} <= set(scores), scores
    deadline = time.monotonic() + 30  # the board is rebuilt in the background; a stale
    while True:  # one is served meanwhile (podium.services: live boards)
        board = httpx.get(
            f"{live.api}/api/v1/challenges/{SLUG}/leaderboard",
            headers={"Authorization": f"Bearer {secret}"},
            timeout=30,
        )
        assert board.status_code == 200, board.text
        entries = [e for e in board.json()["entries"] if e["submission_id"] == submission_id]
        if entries or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert entries, board.json()
    assert entries[0]["rank"] is not None and entries[0]["scores"]["roc_auc"] is not None


def test_podium_submit_image_is_pulled_and_finishes(live: Live, model_image: str) -> None:
    _, secret = live.participant()
    done = _cli(live, secret, "submit", "-c", SLUG, "--image", model_image)
    assert done.returncode == 0, done.stdout + done.stderr
    found = re.search(r"submitted: id (\d+)", done.stdout)
    assert found is not None, done.stdout
    submission = live.platform.get(int(found.group(1)))
    assert pinned_digest(Path(submission.file_path)) is not None  # a reference, not an archive
    _finished_on_board(live, submission.id or 0, secret)


def test_docker_push_then_submit_finishes(live: Live, model_image: str, tmp_path: Path) -> None:
    user, secret = live.participant()
    repository = live.repository(secret, SLUG)["repository"]
    docker_cli = login(tmp_path, live, user.username, secret)
    pushed = push(docker_cli, model_image, f"{live.registry}/{repository}:mine")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    digest = DIGEST.search(pushed.stdout)
    assert digest is not None, pushed.stdout
    answer = httpx.post(
        f"{live.api}/api/v1/challenges/{SLUG}/submissions/pushed",
        json={"digest": digest.group(1)},
        headers={"Authorization": f"Bearer {secret}"},
        timeout=60,
    )
    assert answer.status_code == 201, answer.text
    _finished_on_board(live, int(answer.json()["id"]), secret)
