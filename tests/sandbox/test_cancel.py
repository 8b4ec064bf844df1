"""Cancel means stop: a set cancel event kills the running container and cleans up."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from sandbox.result import RunStatus
from tests.sandbox import hostile
from tests.sandbox.runners import (
    FAST,
    BuildImage,
    ObservedRunner,
    build_image,
    inputs_folder,
    runner,
)

pytestmark = pytest.mark.docker
__all__ = ["build_image", "runner"]


def test_cancel_while_running_kills_the_container(
    runner: ObservedRunner, build_image: BuildImage, tmp_path: Path
) -> None:
    image = build_image(hostile.IGNORE_SIGTERM)
    cancel = threading.Event()
    timer = threading.Timer(1.0, cancel.set)
    limits = replace(FAST, wall_seconds=120)
    started = time.monotonic()
    timer.start()
    try:
        result = runner.run(image, inputs_folder(tmp_path), tmp_path / "out", limits, cancel=cancel)
    finally:
        timer.cancel()
    returned_after = time.monotonic() - started
    assert result.status is RunStatus.CANCELLED
    assert result.message == "the run was cancelled"
    assert result.exit_code is None
    # stopped by the cancel, long before its wall limit (not a speed check: 120 s vs 1 s)
    assert returned_after < limits.wall_seconds / 2
    assert result.wall_seconds is not None and result.wall_seconds < limits.wall_seconds / 2
    assert result.run_id is not None and runner.leftovers(result.run_id) == []
    assert not (tmp_path / "out").exists()  # a cancelled run's /output is not copied


def test_cancel_before_the_run_creates_nothing(
    runner: ObservedRunner, build_image: BuildImage, tmp_path: Path
) -> None:
    cancel = threading.Event()
    cancel.set()
    image = build_image(hostile.HEALTHY)
    result = runner.run(image, inputs_folder(tmp_path), tmp_path / "out", FAST, cancel=cancel)
    assert result.status is RunStatus.CANCELLED
    assert result.run_id is not None
    assert result.run_id not in runner.inspected  # no container was ever made
    assert runner.leftovers(result.run_id) == []


def test_an_unset_cancel_event_changes_nothing(
    runner: ObservedRunner, build_image: BuildImage, tmp_path: Path
) -> None:
    cancel = threading.Event()
    image = build_image(hostile.HEALTHY)
    result = runner.run(image, inputs_folder(tmp_path), tmp_path / "out", FAST, cancel=cancel)
    assert result.status is RunStatus.SUCCEEDED, result.message
    assert result.stdout_tail == "ok\n"
    assert result.run_id is not None and runner.leftovers(result.run_id) == []
    assert not cancel.is_set()
    assert [t.name for t in threading.enumerate() if t.name == "sandbox-cancel"] == []
