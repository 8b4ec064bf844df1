"""`podium submit --predictions FILE` against a live API: a predictions submission, queued."""

from __future__ import annotations

from pathlib import Path

from tests.challenges.import_bundles import NATIVE, native_predictions
from tests.cli.conftest import Cli, LiveServer, one_error_line


def test_submit_predictions_reaches_the_api_as_a_predictions_submission(
    server: LiveServer, cli: Cli, tmp_path: Path
) -> None:
    server.register_example(native_predictions(tmp_path / "native"))
    cli.login(server.url, server.user().username)
    predictions = tmp_path / "predictions.csv"
    predictions.write_text("id,letter\n0,a\n")
    result = cli("submit", "--predictions", str(predictions), "--challenge", str(NATIVE["slug"]))
    assert result.exit_code == 0, result.output
    assert "submitted: id " in result.stdout
    submission_id = result.stdout.split("submitted: id ")[1].split(",")[0]
    status = cli("status", submission_id)
    assert "kind: predictions" in status.stdout, status.output
    # a phase that takes only predictions refuses a build context, saying which kinds it takes
    context = tmp_path / "context"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM podium/runtime-python:3.11\n")
    refused = cli("submit", str(context), "--challenge", str(NATIVE["slug"]))
    assert "predictions" in one_error_line(refused)
