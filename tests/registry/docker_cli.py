"""The real docker CLI with a configuration folder of its own (never the host's ``~/.docker``)."""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from pathlib import Path

from tests.registry.live import Live

DIGEST = re.compile(r"digest: (sha256:[0-9a-f]{64})")


class DockerCli:
    """The docker CLI with a configuration folder of its own."""

    def __init__(self, config: Path) -> None:
        self.env = {**os.environ, "DOCKER_CONFIG": str(config)}

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["docker", *args], env=self.env, capture_output=True, text=True, timeout=300
        )


def login(tmp_path: Path, live: Live, user: str, secret: str) -> DockerCli:
    """``docker login`` to the live registry as ``user`` with the API token ``secret``."""
    docker_cli = DockerCli(tmp_path / f"docker-{uuid.uuid4().hex[:8]}")
    done = subprocess.run(
        ["docker", "login", live.registry, "-u", user, "--password-stdin"],
        input=secret, env=docker_cli.env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Login Succeeded" in done.stdout
    return docker_cli


def push(docker_cli: DockerCli, image_id: str, target: str) -> subprocess.CompletedProcess[str]:
    """``docker tag`` + ``docker push`` of ``image_id`` as ``target``; the tag is removed after."""
    tagged = docker_cli("tag", image_id, target)
    assert tagged.returncode == 0, tagged.stderr
    try:
        return docker_cli("push", target)
    finally:
        docker_cli("rmi", target)
