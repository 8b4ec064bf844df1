"""A private Docker engine that a test may stop and start: never the machine's shared one.

Other people's tests use ``/var/run/docker.sock`` at the same time, so a fault scenario that
takes the engine away starts its own ``dockerd`` (root only): its own unix socket, data root,
exec root (with its own managed containerd), pid file, its own bridge interface (never
``--bridge none``: a dockerd started so deletes the host's ``docker0``, which the shared engine
needs) and no iptables rules, and
gVisor's ``runsc`` registered as ``scripts/ensure-docker`` does where it is installed. The
images a test needs are copied in from the shared engine (``docker save | docker load``).
Point the platform at it with ``docker_host=engine.url`` (``PODIUM_DOCKER_HOST``).

``stop`` is an operator's ``systemctl stop docker`` (SIGTERM: running containers are stopped);
``start`` brings it back on the same data root, images kept.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tests.reliability.conftest import require_root

RUNSC = "/usr/bin/runsc"


class PrivateEngine:
    """One ``dockerd`` under ``root`` (a short path: unix socket paths are capped at 108)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.socket = root / "docker.sock"
        self.process: subprocess.Popen[bytes] | None = None
        # a bridge of its own (15 characters at most), on an address no other network uses
        self.bridge = f"pdm{os.getpid() % 100000}"
        self.bridge_address = f"10.{200 + os.getpid() % 50}.{os.getpid() % 250}.1/24"
        config: dict[str, object] = {}
        if Path(RUNSC).exists():
            args = ["--platform=ptrace", "--network=none"]
            config["runtimes"] = {"runsc": {"path": RUNSC, "runtimeArgs": args}}
        (root / "daemon.json").write_text(json.dumps(config))

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def client(self, timeout: int = 60) -> docker.DockerClient:
        return docker.DockerClient(base_url=self.url, timeout=timeout)

    def _make_bridge(self) -> None:
        if Path(f"/sys/class/net/{self.bridge}").exists():
            return
        for command in (
            ["ip", "link", "add", self.bridge, "type", "bridge"],
            ["ip", "addr", "add", self.bridge_address, "dev", self.bridge],
            ["ip", "link", "set", self.bridge, "up"],
        ):
            subprocess.run(command, check=True, capture_output=True)

    def start(self, timeout: float = 60) -> PrivateEngine:
        self._make_bridge()
        self.process = subprocess.Popen(
            ["dockerd", "--host", self.url, "--data-root", str(self.root / "data"),
             "--exec-root", str(self.root / "exec"), "--pidfile", str(self.root / "docker.pid"),
             "--config-file", str(self.root / "daemon.json"), "--bridge", self.bridge,
             "--iptables=false", "--ip-masq=false"],
            stdout=(self.root / "dockerd.log").open("ab"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.answers():
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        log = (self.root / "dockerd.log").read_text(errors="replace")[-3000:]
        raise AssertionError(f"the private dockerd did not answer:\n{log}")

    def answers(self) -> bool:
        try:
            client = self.client(timeout=5)
            try:
                return bool(client.ping())
            finally:
                client.close()
        except docker.errors.DockerException:
            return False

    def stop(self, timeout: float = 90) -> None:
        """SIGTERM, as ``systemctl stop docker`` does; SIGKILL of its group if it hangs."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        self.process = None

    def load(self, image: str) -> None:
        """Copy ``image`` from the shared engine (read only there) into this one."""
        save = subprocess.Popen(["docker", "save", image], stdout=subprocess.PIPE)
        load = subprocess.run(
            ["docker", "-H", self.url, "load", "--quiet"],
            stdin=save.stdout, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert save.stdout is not None
        save.stdout.close()
        assert save.wait() == 0 and load.returncode == 0, f"loading {image}: {load.stderr}"

    def remove(self) -> None:
        """Stop it and remove everything under its root (mounts it left included)."""
        self.stop()
        mounts = Path("/proc/mounts").read_text().splitlines()
        for line in reversed(mounts):
            target = line.split()[1]
            if target.startswith(str(self.root)):
                subprocess.run(["umount", "-l", target], check=False)
        shutil.rmtree(self.root, ignore_errors=True)
        subprocess.run(["ip", "link", "del", self.bridge], check=False, capture_output=True)


@pytest.fixture(scope="module")
def private_engine(runtime_python: str) -> Iterator[PrivateEngine]:
    """A running private engine holding podium/runtime-python:3.11, removed after the module."""
    require_root("dockerd", "a private Docker engine")
    engine = PrivateEngine(Path(tempfile.mkdtemp(prefix="pdk-", dir="/tmp")))
    try:
        engine.start()
        engine.load("podium/runtime-python:3.11")
        yield engine
    finally:
        engine.remove()
