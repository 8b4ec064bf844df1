"""Submitting, following and listing submissions, and reading the leaderboard."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from podium.db.models import ChallengeRoleKind
from tests.cli.conftest import SLUG, Cli, LiveServer, one_error_line
from tests.platform.factories import PASSWORD


def _submit_baseline(server: LiveServer, cli: Cli, example_folder: Path) -> int:
    server.register_example(example_folder)
    cli.login(server.url, server.user(username="ada").username)
    result = cli(
        "submit", str(example_folder / "baseline"), "--challenge", SLUG, "--description", "lr"
    )
    assert result.exit_code == 0, result.output
    found = re.search(r"submitted: id (\d+), phase development, status (\w+)", result.stdout)
    assert found, result.stdout
    assert found.group(2) in {"submitted", "queued"}  # no worker runs in these tests
    return int(found.group(1))


def test_submit_a_folder_reaches_the_api_as_a_build_context(
    server: LiveServer, cli: Cli, example_folder: Path
) -> None:
    submission_id = _submit_baseline(server, cli, example_folder)
    status = cli("status", str(submission_id))
    assert status.exit_code == 0, status.output
    assert f"submission {submission_id}:" in status.stdout
    assert "kind: build" in status.stdout and "description: lr" in status.stdout
    assert "phase: development" in status.stdout and "scores: no scores yet" in status.stdout
    assert re.search(r"filename: \S+\.tar\.gz", status.stdout)


def test_submissions_lists_the_teams_entries(
    server: LiveServer, cli: Cli, example_folder: Path
) -> None:
    submission_id = _submit_baseline(server, cli, example_folder)
    result = cli("submissions", SLUG)
    assert result.exit_code == 0, result.output
    assert f"submissions to {SLUG}" in result.stdout
    row = next(line for line in result.stdout.splitlines() if f" {submission_id} " in line)
    assert "development" in row and "build" in row and "lr" in row


def test_logs_before_a_run_say_so(server: LiveServer, cli: Cli, example_folder: Path) -> None:
    submission_id = _submit_baseline(server, cli, example_folder)
    result = cli("logs", str(submission_id))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "no logs yet: the submission has not run"


def test_submit_refuses_a_folder_without_dockerfile(
    server: LiveServer, cli: Cli, tmp_path: Path
) -> None:
    cli.login(server.url, server.user().username)
    line = one_error_line(cli("submit", str(tmp_path), "--challenge", SLUG))
    assert line == f"error: {tmp_path} has no Dockerfile at its top; add one or use --image"
    both = one_error_line(cli("submit", str(tmp_path), "--image", "x", "--challenge", SLUG))
    assert "give exactly one of" in both


def test_submit_to_an_unknown_phase_shows_the_servers_detail(
    server: LiveServer, cli: Cli, example_folder: Path
) -> None:
    server.register_example(example_folder)
    cli.login(server.url, server.user().username)
    model = example_folder / "README.md"  # any file: the phase is refused first
    result = cli("submit", "--model", str(model), "--challenge", SLUG, "--phase", "nope")
    assert "nope" in one_error_line(result)


def test_leaderboard_prints_a_table_and_csv(
    server: LiveServer, cli: Cli, example_folder: Path
) -> None:
    _submit_baseline(server, cli, example_folder)
    table = cli("leaderboard", SLUG)
    assert table.exit_code == 0, table.output
    assert f"{SLUG} leaderboard (public, phase development)" in table.stdout
    as_csv = cli("leaderboard", SLUG, "--csv")
    assert as_csv.exit_code == 0, as_csv.output
    header = next(csv.reader(io.StringIO(as_csv.stdout)))
    assert header[:4] == ["rank", "tie_group", "team_id", "team"] and "roc_auc" in header


def test_the_private_leaderboard_is_refused_in_one_line(
    server: LiveServer, cli: Cli, example_folder: Path
) -> None:
    _submit_baseline(server, cli, example_folder)
    line = one_error_line(cli("leaderboard", SLUG, "--private"))
    assert "private" in line


def test_an_organiser_submits_a_baseline_and_a_participant_may_not(
    server: LiveServer, cli: Cli, example_folder: Path
) -> None:
    challenge = server.register_example(example_folder)
    server.grant(challenge, server.user(username="olga"), ChallengeRoleKind.ORGANISER)
    cli.login(server.url, "olga", PASSWORD)
    folder = str(example_folder / "baseline")
    competing = one_error_line(cli("submit", folder, "--challenge", SLUG))
    assert "staff of breast-cancer-diagnosis cannot compete in it" in competing
    sent = cli("submit", folder, "--challenge", SLUG, "--baseline")
    assert sent.exit_code == 0, sent.output
    assert re.search(r"submitted: id \d+, phase development, status", sent.stdout)
    listed = cli("judge", "list", SLUG)
    assert re.search(r"\bbaseline\b", listed.stdout), listed.stdout
    cli.login(server.url, server.user(username="ada").username)
    refused = one_error_line(cli("submit", folder, "--challenge", SLUG, "--baseline"))
    assert refused == (
        f"error: only organisers of {SLUG} (or an admin) submit baselines; "
        "submit without baseline to compete"
    )
