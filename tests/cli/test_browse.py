"""Reading challenges and downloading their public data from a running server."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import SLUG, Cli, LiveServer, one_error_line


def test_challenges_lists_the_registered_example(
    server: LiveServer, cli: Cli, example_folder: Path
) -> None:
    server.register_example(example_folder)
    cli.login(server.url, server.user().username)
    result = cli("challenges")
    assert result.exit_code == 0, result.output
    assert SLUG in result.stdout and "Breast cancer diagnosis" in result.stdout
    assert "development (ends 2030-06-30 00:00)" in result.stdout


def test_show_prints_phases_metrics_limits_and_files(
    server: LiveServer, anonymous: Cli, example_folder: Path
) -> None:
    server.register_example(example_folder)
    result = anonymous("challenge", "show", SLUG)  # anonymous: a published challenge is public
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "metrics: roc_auc (primary); also f1, accuracy" in out
    assert "development" in out and "2026-01-01 00:00" in out and "final" in out
    assert "120 s wall, 1024 MB, 1 CPU" in out
    assert "train" in out and "starting-kit" in out and "398 labelled patients" in out
    assert "hidden" not in out.lower()


def test_download_saves_public_data_and_unpacks_the_starting_kit(
    server: LiveServer, anonymous: Cli, example_folder: Path, tmp_path: Path
) -> None:
    server.register_example(example_folder)
    dest = tmp_path / "data"
    result = anonymous("download", SLUG, "--dest", str(dest))
    assert result.exit_code == 0, result.output
    train = dest / "train.csv"
    assert train.read_bytes() == (example_folder / "data/public/train.csv").read_bytes()
    assert (dest / "starting-kit" / "Dockerfile").is_file()
    # the example publishes its baseline too (issue 15's catalogue)
    assert sorted(p.name for p in dest.iterdir()) == ["baseline", "starting-kit", "train.csv"]
    again = anonymous("download", SLUG, "--dest", str(dest))  # never overwrites an unpacked folder
    assert "already exists" in one_error_line(again)


def test_download_of_an_unknown_challenge_is_one_line(anonymous: Cli, tmp_path: Path) -> None:
    result = anonymous("download", "nope", "--dest", str(tmp_path / "x"))
    assert "no challenge 'nope'" in one_error_line(result)
    assert not (tmp_path / "x").exists()
