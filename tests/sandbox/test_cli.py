"""`podium sandbox run` from the command line, as a participant or a script would use it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.docker
PODIUM = [sys.executable, "-m", "podium.cli"]


def _podium(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PODIUM, *args], capture_output=True, text=True, check=False, timeout=120
    )


def test_sandbox_run_json_prints_the_result_and_exits_zero(
    runtime_python: str, tmp_path: Path
) -> None:
    (tmp_path / "in").mkdir()
    done = _podium(
        "sandbox", "run", runtime_python, "--input", str(tmp_path / "in"),
        "--output", str(tmp_path / "out"), "--wall-seconds", "20", "--memory-mb", "256", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "succeeded"
    assert result["stdout_tail"].startswith("3.11.")
    assert result["peak_memory_mb"] > 0 and result["cpu_seconds"] > 0


def test_sandbox_run_json_exits_zero_when_the_container_fails(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    done = _podium(
        "sandbox", "run", "podium-test/missing:1", "--input", str(tmp_path / "in"),
        "--output", str(tmp_path / "out"), "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "invalid_image"


def test_sandbox_run_bad_arguments_are_one_line(tmp_path: Path) -> None:
    done = _podium(
        "sandbox", "run", "x", "--input", str(tmp_path / "nope"), "--output", str(tmp_path / "o")
    )
    assert done.returncode == 1
    assert "is not a folder" in done.stderr
    assert "Traceback" not in done.stderr


def test_engine_unreachable_is_one_line_and_exit_one(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    done = subprocess.run(
        [
            *PODIUM,
            "sandbox",
            "run",
            "x",
            "--input",
            str(tmp_path / "in"),
            "--output",
            "o",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={"DOCKER_HOST": "unix:///nonexistent.sock", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 1
    assert "the Docker engine is not reachable" in done.stderr
    assert "Traceback" not in done.stderr
