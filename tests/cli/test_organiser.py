"""`podium challenge create|update`: a bundle folder is zipped and uploaded."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from tests.cli.conftest import SLUG, Cli, LiveServer, one_error_line


def test_an_organiser_creates_then_updates_a_challenge(
    server: LiveServer, cli: Cli, example_folder: Path, tmp_path: Path
) -> None:
    cli.login(server.url, server.user(username="olga", can_create_challenges=True).username)
    created = cli("challenge", "create", str(example_folder))
    assert created.exit_code == 0, created.output
    assert created.stdout.strip() == f"created {SLUG}: Breast cancer diagnosis"
    copy = Path(shutil.copytree(example_folder, tmp_path / "edited"))
    spec_file = copy / "challenge.yaml"
    spec = yaml.safe_load(spec_file.read_text())
    spec["title"] = "Breast cancer diagnosis, second edition"
    spec_file.write_text(yaml.safe_dump(spec))
    updated = cli("challenge", "update", str(copy))
    assert updated.exit_code == 0, updated.output
    assert updated.stdout.strip() == f"updated {SLUG}: Breast cancer diagnosis, second edition"
    shown = cli("challenge", "show", SLUG)
    assert "Breast cancer diagnosis, second edition" in shown.stdout
    again = one_error_line(cli("challenge", "create", str(example_folder)))
    assert SLUG in again  # the server refuses a second challenge with the same slug


def test_participants_cannot_create_challenges(
    server: LiveServer, cli: Cli, example_folder: Path
) -> None:
    cli.login(server.url, server.user().username)
    line = one_error_line(cli("challenge", "create", str(example_folder)))
    assert line.startswith("error: ") and "challenge" in line


def test_create_refuses_a_folder_without_challenge_yaml(
    server: LiveServer, cli: Cli, tmp_path: Path
) -> None:
    cli.login(server.url, server.user(can_create_challenges=True).username)
    line = one_error_line(cli("challenge", "create", str(tmp_path)))
    assert line == f"error: {tmp_path} has no challenge.yaml; give a bundle folder or archive"
