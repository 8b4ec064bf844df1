"""`podium challenge validate` prints the bundle's warnings; a warning does not fail it."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from tests.cli.conftest import Cli


def _copy_with(example_folder: Path, dest: Path, **phase_fields: object) -> Path:
    shutil.copytree(example_folder, dest)
    spec = yaml.safe_load((dest / "challenge.yaml").read_text())
    spec["phases"][0].update(phase_fields)
    (dest / "challenge.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return dest


def test_validate_warns_that_hidden_stderr_lines_can_leak_inputs(
    cli: Cli, example_folder: Path, tmp_path: Path
) -> None:
    bundle = _copy_with(example_folder, tmp_path / "b", hidden_run_stderr_lines=3)
    result = cli("challenge", "validate", str(bundle))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert (
        "warning: challenge.yaml: phases[0].hidden_run_stderr_lines: participants will see the "
        "first 3 lines of stderr of every run on the hidden data: a model can print hidden "
        "inputs there (rows of the test set, image pixels) and read them back; keep it 0 "
        "unless the hidden inputs may be seen"
    ) in lines
    assert lines[-1] == f"{bundle}: valid (1 warning)"


def test_validate_without_warnings_says_valid(
    cli: Cli, example_folder: Path, tmp_path: Path
) -> None:
    bundle = _copy_with(example_folder, tmp_path / "b")
    result = cli("challenge", "validate", str(bundle))
    assert result.exit_code == 0, result.output
    assert "warning:" not in result.stdout
    assert result.stdout.splitlines()[-1] == f"{bundle}: valid"
