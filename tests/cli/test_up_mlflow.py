"""`podium up` serves MLflow's UI to the organiser: on loopback, over the embedded store."""

from __future__ import annotations

import json
import socket
import time
import urllib.request
from pathlib import Path

import pytest

from podium.cli.supervise import stop_child
from podium.cli.up import start_mlflow_ui
from podium.settings import Settings
from podium.tracking import RunRecord, Tracker

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_ui_shows_the_recorded_runs_on_loopback_only(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    settings.home.mkdir()
    record = RunRecord(
        experiment="breast-cancer-diagnosis", run_name="submission-1-attempt-1", evaluation_id=1,
        params={"team_id": "1"}, metrics={"public_roc_auc": 0.97}, tags={}, failed=False,
        artifacts=[], report={},
    )  # fmt: skip
    run_id = Tracker.from_settings(settings).log_run(record)
    process, url = start_mlflow_ui(settings, _free_port())
    assert process is not None and url.startswith("http://127.0.0.1:")
    try:
        assert "--host" in process.args and "127.0.0.1" in process.args  # type: ignore[operator]
        answer = _get(f"{url}/ajax-api/2.0/mlflow/runs/get?run_id={run_id}", process)
        assert answer["run"]["data"]["metrics"][0]["value"] == 0.97
    finally:
        stop_child(process)


def test_a_tracking_server_is_shown_as_it_is(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, mlflow_tracking_uri="http://mlflow.internal:5000")
    assert start_mlflow_ui(settings, 5000) == (None, "http://mlflow.internal:5000")


def _get(url: str, process: object, timeout: float = 180) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - loopback
                return dict(json.loads(answer.read()))
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"MLflow's UI did not answer {url}")
