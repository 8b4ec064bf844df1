"""A docker-compose deployment of Podium for the tests: built and started with the guide's
commands (docs/deployment.md), on free ports, its own staging folder and a unique project
name, and taken down with everything it made."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
IMAGE_TAG = "test"  # a cache kept between runs, apart from an operator's `local` images


def require(program: str) -> str:
    """The program's path; missing is a failure under CI=true, a skip elsewhere."""
    found = shutil.which(program)
    if found is None:
        message = f"{program} is not installed (Debian: apt-get install {program})"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return found


def require_root() -> None:
    if os.geteuid() != 0:
        message = "the compose tests make a shared mount for the staging folder: run as root"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run(args: list[str], *, env: dict[str, str] | None = None, cwd: Path = REPO,
        timeout: float = 1800, check: bool = True) -> subprocess.CompletedProcess[str]:  # fmt: skip
    done = subprocess.run(
        args, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True,
        timeout=timeout, check=False,
    )  # fmt: skip
    if check and done.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} exited {done.returncode}:\n{done.stdout[-3000:]}\n"
            f"{done.stderr[-3000:]}"
        )
    return done


def build_images(compose: str, env_file: Path) -> None:
    """The guide's build steps: the wheels with this host's pip, then docker-compose build."""
    run([sys.executable, "-m", "podium.cli", "images", "wheels"])
    run([compose, "--env-file", str(env_file), "build"])


@dataclass
class Stack:
    """One compose project of the repository's docker-compose.yml."""

    compose: str
    root: Path
    address: str  # where the backends are published (an address of a bridge of this test)
    project: str = field(default_factory=lambda: f"podiumtest{secrets.token_hex(4)}")
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.staging = self.root / "staging"
        self.env = {
            "COMPOSE_PROJECT_NAME": self.project,
            "POSTGRES_PASSWORD": secrets.token_hex(16),
            "REDIS_PASSWORD": secrets.token_hex(16),
            "PODIUM_SECRET_KEY": secrets.token_hex(32),
            "MLFLOW_USERNAME": "podium",
            "MLFLOW_PASSWORD": secrets.token_hex(16),
            "FLOWER_USERNAME": "podium",
            "FLOWER_PASSWORD": secrets.token_hex(16),
            "PODIUM_API_ADDRESS": "127.0.0.1",
            "PODIUM_API_PORT": str(free_port()),
            "PODIUM_OPS_ADDRESS": self.address,
            "PODIUM_MLFLOW_PORT": str(free_port()),
            "PODIUM_FLOWER_PORT": str(free_port()),
            "PODIUM_BACKEND_ADDRESS": self.address,
            "PODIUM_POSTGRES_PORT": str(free_port()),
            "PODIUM_REDIS_PORT": str(free_port()),
            "PODIUM_STORE_PORT": str(free_port()),
            "PODIUM_STAGING": str(self.staging),
            "PODIUM_API_PROCESSES": "2",
            "PODIUM_IMAGE_TAG": IMAGE_TAG,
            "PODIUM_STORE_AUTHORIZED_KEYS": "",
        }
        self.env_file = self.root / "stack.env"
        self.write_env()

    def write_env(self) -> None:
        self.env_file.write_text("".join(f"{k}={v}\n" for k, v in self.env.items()))

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.env['PODIUM_API_PORT']}"

    def compose_run(
        self, *args: str, timeout: float = 900, check: bool = True, profiles: tuple[str, ...] = ()
    ) -> subprocess.CompletedProcess[str]:
        selected = [f"--profile={p}" for p in profiles]
        return run(
            [self.compose, "--env-file", str(self.env_file), "-p", self.project, *selected,
             *args],
            timeout=timeout, check=check,
        )  # fmt: skip

    def exec(self, service: str, *command: str) -> str:
        return self.compose_run("exec", "-T", service, *command).stdout

    def sql(self, query: str) -> list[list[str]]:
        out = self.exec("postgres", "psql", "-U", "podium", "-d", "podium", "-At", "-F", "|",
                        "-c", query)  # fmt: skip
        return [line.split("|") for line in out.splitlines() if line]

    def wait_api(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.api}/healthz", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(2)
        logs = self.compose_run("logs", "--no-color", "--tail=50", check=False).stdout
        raise AssertionError(f"the API did not answer on {self.api}:\n{logs[-5000:]}")

    def containers(self) -> list[str]:
        out = run(["docker", "ps", "-a", "-q", "--filter",
                   f"label=com.docker.compose.project={self.project}"]).stdout  # fmt: skip
        return out.split()

    def networks(self) -> list[str]:
        out = run(["docker", "network", "ls", "-q", "--filter",
                   f"label=com.docker.compose.project={self.project}"]).stdout  # fmt: skip
        return out.split()

    def volumes(self) -> list[str]:
        out = run(["docker", "volume", "ls", "-q", "--filter",
                   f"label=com.docker.compose.project={self.project}"]).stdout  # fmt: skip
        return out.split()

    def remove_everything(self) -> None:
        self.compose_run("--profile=remote", "down", "--volumes", "--remove-orphans",
                         timeout=600, check=False)  # fmt: skip
        release_staging(self.staging)


def prepare_staging(staging: Path) -> None:
    run([str(REPO / "deploy" / "prepare-host"), str(staging)])


def release_staging(staging: Path) -> None:
    """Unmount what is left under the staging folder (the test's own), then remove it."""
    if not staging.exists():
        return
    mounts = run(["findmnt", "-R", "-n", "-o", "TARGET", "--target", str(staging)],
                 check=False).stdout.split()  # fmt: skip
    for target in sorted({m for m in mounts if m.startswith(str(staging))}, reverse=True):
        run(["umount", "-l", target], check=False)
    shutil.rmtree(staging, ignore_errors=True)


def submission_id(output: str) -> int:
    found = re.search(r"submitted: id (\d+)", output)
    assert found, f"no submission id in: {output}"
    return int(found.group(1))
