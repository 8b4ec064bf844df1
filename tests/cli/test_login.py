"""Logging in and out, and the one-line errors of a refused or missing server."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.cli.conftest import Cli, LiveServer, free_port, one_error_line


def test_login_stores_the_token_readable_by_the_owner_only(
    server: LiveServer, cli: Cli, cli_env: Path
) -> None:
    server.user(username="ada")
    result = cli.login(server.url, "ada")
    path = cli_env / "podium" / "config.json"
    assert f"logged in to {server.url} as ada" in result.stdout
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text())
    assert stored["server"] == server.url and len(stored["token"]) > 20
    mine = cli("challenges")  # the stored server and token are used from now on
    assert mine.exit_code == 0, mine.output
    out = cli("logout")
    assert out.exit_code == 0 and "logged out" in out.stdout
    assert json.loads(path.read_text())["token"] is None


def test_login_prompts_for_missing_credentials(server: LiveServer, cli: Cli) -> None:
    server.user(username="grace")
    result = cli("login", "--server", server.url, input="grace\ncorrect-horse-1\n")
    assert result.exit_code == 0, result.output
    assert "logged in" in result.stdout and "correct-horse-1" not in result.stdout


def test_wrong_password_is_one_line(server: LiveServer, cli: Cli, cli_env: Path) -> None:
    server.user(username="ada")
    result = cli("login", "--server", server.url, "--username", "ada", "--password", "nope-nope")
    assert one_error_line(result) == "error: wrong username/email or password"
    assert not (cli_env / "podium" / "config.json").exists()


def test_a_stale_token_says_to_log_in_again(
    server: LiveServer, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PODIUM_SERVER", server.url)
    monkeypatch.setenv("PODIUM_TOKEN", "not-a-token")
    result = cli("submissions", "breast-cancer-diagnosis")
    assert one_error_line(result) == "error: your token was refused; run `podium login`"


def test_server_down_is_one_line(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("PODIUM_SERVER", url)
    line = one_error_line(cli("challenges"))
    assert line == (f"error: cannot reach the Podium server at {url}; is it running (`podium up`)?")
    assert one_error_line(cli("login", "--username", "a", "--password", "b")) == line


def test_a_corrupt_config_file_is_one_line(cli: Cli, cli_env: Path) -> None:
    path = cli_env / "podium" / "config.json"
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    line = one_error_line(cli("challenges"))
    assert f"cannot read {path}" in line and "podium login" in line


def test_a_404_shows_the_servers_detail(server: LiveServer, cli: Cli) -> None:
    cli.login(server.url, server.user().username)
    line = one_error_line(cli("challenge", "show", "no-such-challenge"))
    assert "no challenge 'no-such-challenge'" in line
