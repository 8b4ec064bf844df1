"""`podium up` keeps its worker alive and stops everything for sure: real processes, real signals.

The first round found a worker killed with SIGKILL never started again (submissions queued for
good), and `podium up` stopped by SIGTERM to its process group leaving its worker in "warm
shutdown" for 13 minutes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from podium.cli.supervise import Supervisor, start_child, stop_child
from tests.pipeline.harness import REPO, free_port

pytestmark = pytest.mark.slow


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purpose
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _wait(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} within {timeout} s")


def test_a_dead_child_is_started_again_with_backoff(tmp_path: Path) -> None:
    reports: list[str] = []
    supervisor = Supervisor(
        lambda: start_child(["sleep", "300"], tmp_path / "log"), "sleeper", reports.append,
        backoff_seconds=0.2,
    )  # fmt: skip
    supervisor.start()
    try:
        for round_ in range(3):
            first = supervisor.child.pid
            os.kill(first, signal.SIGKILL)
            _wait(lambda: supervisor.child.pid != first, 10, "a new child")  # noqa: B023
            assert _alive(supervisor.child.pid) and supervisor.restarts == round_ + 1
        assert reports[0].startswith("the sleeper stopped (exit code -9); starting it again")
        assert [r.split("again in ")[1] for r in reports] == ["0.2 s", "0.4 s", "0.8 s"]
    finally:
        supervisor.stop(grace_seconds=2)
    assert not _alive(supervisor.child.pid)


def test_a_child_that_ignores_sigterm_is_killed_with_its_group(tmp_path: Path) -> None:
    script = (
        "import os, signal, subprocess, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "child = subprocess.Popen(['sleep', '300'])\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(300)\n"
    )
    child = start_child([sys.executable, "-c", script], tmp_path / "log")
    _wait(lambda: (tmp_path / "log").read_text().strip(), 10, "the grandchild's pid")
    grandchild = int((tmp_path / "log").read_text().split()[0])
    started = time.monotonic()
    stop_child(child, grace_seconds=1)
    assert time.monotonic() - started < 10
    assert not _alive(child.pid)
    _wait(lambda: not _alive(grandchild), 10, "the grandchild gone")


def test_podium_up_restarts_its_worker_and_stops_whole_on_a_group_sigterm(tmp_path: Path) -> None:
    home = tmp_path / "home"
    port, mlflow_port = free_port(), free_port()
    env = {**os.environ, "PODIUM_HOME": str(home), "PODIUM_REAPER_INTERVAL_SECONDS": "1",
           "PODIUM_REGISTRY_PORT": str(free_port())}  # fmt: skip
    up = subprocess.Popen(
        [sys.executable, "-m", "podium.cli", "up", "--port", str(port),
         "--mlflow-port", str(mlflow_port)],
        cwd=REPO, env=env, stdout=(tmp_path / "up.log").open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True,  # its own group, as a service manager would start it
    )  # fmt: skip
    try:
        _wait(lambda: _answers(port), 180, "the API answering")
        _wait(lambda: _worker_pids(home, parent=up.pid), 60, "the worker started")
        first = _worker_pids(home, parent=up.pid)
        assert len(first) == 1, first
        os.kill(first[0], signal.SIGKILL)  # the worker's main process, as a crash would
        _wait(lambda: _worker_pids(home, parent=up.pid) not in ([], first), 60, "a new worker")
        assert (
            "the worker stopped (exit code -9); starting it again"
            in (tmp_path / "up.log").read_text()
        )
        workers = _worker_pids(home)
        os.killpg(up.pid, signal.SIGTERM)  # what `kill -- -PGID` or a service manager sends
        up.wait(timeout=60)
        _wait(lambda: not any(_alive(pid) for pid in workers), 30, "the worker gone")
        assert _worker_pids(home) == []
    finally:
        if up.poll() is None:
            os.killpg(up.pid, signal.SIGKILL)
        for pid in _worker_pids(home):
            os.kill(pid, signal.SIGKILL)


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/v1/challenges", timeout=2).status_code < 500
    except httpx.HTTPError:
        return False


def _worker_pids(home: Path, parent: int | None = None) -> list[int]:
    """The `podium worker` processes serving ``home`` (children of ``parent`` when given)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if b"worker" not in command or f"PODIUM_HOME={home}".encode() not in environ:
            continue
        stat = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
        if _alive(int(entry.name)) and (parent is None or int(stat[1]) == parent):
            found.append(int(entry.name))
    return sorted(found)
