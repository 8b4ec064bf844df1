"""`docker login` + `docker push` with the real docker CLI, as participants know them.

The engine asks the API's token endpoint itself (the registry's ``realm``) with the user name
and the Podium API token given to ``docker login``; the CLI keeps them in a temporary
``DOCKER_CONFIG`` folder (never the host's ``~/.docker``). A participant pushes to and pulls
from their own team's repository; another team's repository is refused for push and pull, and
so is a wrong password at login.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from challenges.examples import build_example
from tests.conftest import TEST_LABEL
from tests.registry.docker_cli import DIGEST, login, push
from tests.registry.live import Live, live_platform

pytestmark = pytest.mark.docker
SLUG = "breast-cancer-diagnosis"


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory, docker_client: docker.DockerClient
) -> Iterator[Live]:
    bundle = build_example(SLUG, tmp_path_factory.mktemp("bundles"))
    with live_platform(tmp_path_factory.mktemp("home"), [bundle], worker=False) as made:
        yield made


@pytest.fixture
def tiny_image(docker_client: docker.DockerClient) -> Iterator[str]:
    """A one-file image FROM scratch (unique content), removed afterwards with its tags."""
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as archive:
        for name, data in (("Dockerfile", b"FROM scratch\nCOPY hello /hello\n"),
                           ("hello", uuid.uuid4().bytes)):  # fmt: skip
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    context.seek(0)
    image, _ = docker_client.images.build(  # tagged, so removing a pushed tag keeps it
        fileobj=context, custom_context=True, labels={TEST_LABEL: "registry"}, rm=True,
        tag=f"podium-test/tiny:{uuid.uuid4().hex[:12]}",
    )  # fmt: skip
    try:
        yield str(image.id)
    finally:
        with contextlib.suppress(docker.errors.ImageNotFound):
            docker_client.images.remove(str(image.id), force=True)


def test_docker_login_and_push_to_own_repository(
    live: Live, tiny_image: str, tmp_path: Path
) -> None:
    user, secret = live.participant()
    repository = live.repository(secret, SLUG)["repository"]
    docker_cli = login(tmp_path, live, user.username, secret)
    pushed = push(docker_cli, tiny_image, f"{live.registry}/{repository}:v1")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    found = DIGEST.search(pushed.stdout)
    assert found is not None, pushed.stdout
    pulled = docker_cli("pull", f"{live.registry}/{repository}@{found.group(1)}")
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr


def test_docker_push_and_pull_of_another_team_refused(
    live: Live, tiny_image: str, tmp_path: Path
) -> None:
    owner, owner_secret = live.participant()
    theirs = live.repository(owner_secret, SLUG)["repository"]
    owner_cli = login(tmp_path, live, owner.username, owner_secret)
    pushed = push(owner_cli, tiny_image, f"{live.registry}/{theirs}:v1")
    assert pushed.returncode == 0, pushed.stderr
    thief, thief_secret = live.participant()
    live.repository(thief_secret, SLUG)  # the thief has a team (and a repository) too
    thief_cli = login(tmp_path, live, thief.username, thief_secret)
    refused = push(thief_cli, tiny_image, f"{live.registry}/{theirs}:stolen")
    assert refused.returncode != 0
    assert re.search(r"denied|unauthorized|authentication required", refused.stderr), refused
    refused_pull = thief_cli("pull", f"{live.registry}/{theirs}:v1")
    assert refused_pull.returncode != 0
    assert re.search(r"denied|unauthorized|authentication required", refused_pull.stderr)
    runtime = push(thief_cli, tiny_image, f"{live.registry}/podium/runtime-python:3.11")
    assert runtime.returncode != 0, runtime.stdout  # the runtime images are pull only


def test_docker_login_with_a_wrong_token_refused(live: Live, tmp_path: Path) -> None:
    user, _ = live.participant()
    config = tmp_path / "docker-wrong"
    done = subprocess.run(
        ["docker", "login", live.registry, "-u", user.username, "--password-stdin"],
        input="not-a-podium-token", env={**os.environ, "DOCKER_CONFIG": str(config)},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0
    assert "must be a valid Podium API token" in done.stderr, done.stderr
    assert (
        not (config / "config.json").exists()
        or live.registry not in (config / "config.json").read_text()
    )
