"""The judges' commands reach their endpoints; participants get one clear line."""

from __future__ import annotations

import re
from pathlib import Path

from podium.db.models import ChallengeRoleKind
from tests.cli.conftest import SLUG, Cli, LiveServer, one_error_line
from tests.platform.factories import PASSWORD


def _with_submission(server: LiveServer, cli: Cli, example_folder: Path) -> int:
    challenge = server.register_example(example_folder)
    judge = server.user(username="judy")
    server.grant(challenge, judge, ChallengeRoleKind.JUDGE)
    server.grant(challenge, server.user(username="olga"), ChallengeRoleKind.ORGANISER)
    cli.login(server.url, server.user(username="ada").username)
    sent = cli("submit", str(example_folder / "baseline"), "--challenge", SLUG)
    assert sent.exit_code == 0, sent.output
    found = re.search(r"submitted: id (\d+)", sent.stdout)
    assert found
    return int(found.group(1))


def test_participants_are_refused_in_one_line(
    server: LiveServer, cli: Cli, example_folder: Path
) -> None:
    submission_id = _with_submission(server, cli, example_folder)
    for args in (
        ("judge", "disqualify", str(submission_id), "--reason", "copied"),
        ("judge", "score", SLUG, "--team", "1", "--criterion", "report", "--points", "5"),
        ("judge", "publish", SLUG),
    ):
        line = one_error_line(cli(*args))
        assert line.startswith("error: ") and "Traceback" not in line
        assert "judge" in line or "organiser" in line or "staff" in line, line


def test_a_judge_lists_scores_disqualifies_and_publishes(
    server: LiveServer, cli: Cli, example_folder: Path
) -> None:
    submission_id = _with_submission(server, cli, example_folder)
    cli.login(server.url, "judy", PASSWORD)
    listed = cli("judge", "list", SLUG)
    assert listed.exit_code == 0, listed.output
    row = next(line for line in listed.stdout.splitlines() if f" {submission_id} " in line)
    assert "ada" in row  # the participant's personal team is named after them
    team = re.match(r"\s*\d+  (\S+)  ", row)  # plain columns when not a terminal
    assert team
    scored = cli(
        "judge", "score", SLUG, "--team", team.group(1), "--criterion", "report",
        "--points", "7", "--comment", "clear",
    )  # fmt: skip
    assert scored.exit_code == 0, scored.output
    assert f"{team.group(1)}: report = 7 recorded" in scored.stdout
    over = cli("judge", "score", SLUG, "--team", team.group(1), "--criterion", "report",
               "--points", "70")  # fmt: skip
    assert "10" in one_error_line(over)  # the criterion's maximum is in the message
    out = cli("judge", "disqualify", str(submission_id), "--reason", "copied code")
    assert out.exit_code == 0, out.output
    assert f"submission {submission_id} disqualified: copied code" in out.stdout
    status = cli("status", str(submission_id))
    assert "disqualified: copied code" in status.stdout
    ranking = cli("judge", "ranking", SLUG)
    assert ranking.exit_code == 0, ranking.output
    refused = one_error_line(cli("judge", "publish", SLUG))
    assert refused == f"error: only organisers of {SLUG} (or an admin) can do this"
    cli.login(server.url, "olga", PASSWORD)
    unrevealed = one_error_line(cli("judge", "publish", SLUG))
    assert f"the private leaderboard of {SLUG} is not revealed yet" in unrevealed
    assert f"podium judge publish {SLUG} --reveal" in unrevealed
    published = cli("judge", "publish", SLUG, "--reveal")
    assert published.exit_code == 0, published.output
    assert f"final ranking of {SLUG} published" in published.stdout


def test_reproducing_an_unscored_submission_is_one_line(
    server: LiveServer, cli: Cli, example_folder: Path
) -> None:
    submission_id = _with_submission(server, cli, example_folder)  # no worker: never scored
    cli.login(server.url, "judy", PASSWORD)
    line = one_error_line(cli("judge", "reproduce", str(submission_id)))
    assert line == f"error: submission {submission_id} has no score to reproduce"


def test_scoring_an_unknown_team_name_is_one_line(
    server: LiveServer, cli: Cli, example_folder: Path
) -> None:
    _with_submission(server, cli, example_folder)
    cli.login(server.url, "judy", PASSWORD)
    line = one_error_line(
        cli("judge", "score", SLUG, "--team", "ghosts", "--criterion", "report", "--points", "1")
    )
    assert line == f"error: no team 'ghosts' has submitted to {SLUG}; give its id instead"


def test_judge_ranking_and_publish_name_their_phase_and_show_team_names(
    server: LiveServer, cli: Cli, example_folder: Path
) -> None:
    _with_submission(server, cli, example_folder)  # ada's team, in the development phase
    cli.login(server.url, "judy", PASSWORD)
    scored = cli("judge", "score", SLUG, "--team", "ada", "--criterion", "report", "--points", "7")
    assert scored.exit_code == 0, scored.output
    default = cli("judge", "ranking", SLUG)
    assert default.exit_code == 0, default.output
    assert f"{SLUG} final ranking (private, phase development)" in default.stdout
    final = cli("judge", "ranking", SLUG, "--phase", "final")
    assert final.exit_code == 0, final.output
    assert f"{SLUG} final ranking (private, phase final)" in final.stdout
    assert re.search(r"^\s*-\s+ada\s", final.stdout, re.MULTILINE), final.stdout
    assert not re.search(r"\bteam \d", default.stdout + final.stdout)
    unknown = one_error_line(cli("judge", "ranking", SLUG, "--phase", "nope"))
    assert unknown == f"error: no phase 'nope' in {SLUG}; phases: 'development', 'final'"
    cli.login(server.url, "olga", PASSWORD)
    published = cli("judge", "publish", SLUG, "--reveal")
    assert published.exit_code == 0, published.output
    assert "version: 1, phase: development" in published.stdout
    again = cli("judge", "publish", SLUG, "--phase", "final")
    assert again.exit_code == 0, again.output
    assert "version: 2, phase: final" in again.stdout
