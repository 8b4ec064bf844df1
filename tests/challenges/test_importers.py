"""Importing other platforms' bundles: what maps, what the report says, and clear refusals."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from challenges import load_bundle
from challenges.importers import ImportFailed, import_bundle
from podium.cli.main import app
from tests.challenges import import_bundles as made


def _spec(folder: Path) -> dict:
    return yaml.safe_load((folder / "challenge.yaml").read_text())


def test_codabench_result_only_maps_phases_columns_and_reports_assumptions(tmp_path: Path) -> None:
    report = import_bundle(made.codabench_result_only(tmp_path / "src"), tmp_path / "out")
    spec = _spec(tmp_path / "out")
    phase = spec["phases"][0]
    assert phase["submission_kinds"] == ["predictions"]
    assert phase["start"] == "2026-01-01T00:00:00+00:00"  # 1-1-2026, month first
    assert phase["end"] == "2035-12-31T00:00:00+00:00"
    assert phase["submissions"] == {"per_day": 5, "total": 20, "in_flight": 1}
    assert phase["leaderboard"]["rule"] == "latest"  # Force_Last
    metrics = spec["metrics"]["scoring_program"]["metrics"]
    assert metrics == [
        {"name": "accuracy", "greater_is_better": True},
        {"name": "errors", "greater_is_better": False},
    ]
    assert spec["data"]["hidden"]["task-0"]["public_inputs"] is True
    text = (tmp_path / "out" / "IMPORT_REPORT.md").read_text()
    assert "`docker_image`: organiser programs and builds run on Podium's runtime images" in text
    assert "read month first" in text
    assert any(key == "image" for key, _ in report.dropped)
    with load_bundle(tmp_path / "out") as bundle:
        assert bundle.spec.metrics.scoring_program is not None


def test_codalab_v1_phases_without_end_follow_each_other(tmp_path: Path) -> None:
    import_bundle(made.codalab_v1(tmp_path / "src"), tmp_path / "out", "codalab")
    spec = _spec(tmp_path / "out")
    first, final = spec["phases"]
    assert first["end"] == final["start"] == "2039-01-01T00:00:00+00:00"
    assert final["end"] == "2040-01-01T00:00:00+00:00"  # the competition's end_date
    assert spec["metrics"]["primary"] == "average"  # selection_default
    assert spec["organisers"] == [{"name": "alice"}, {"name": "bob"}]
    text = (tmp_path / "out" / "IMPORT_REPORT.md").read_text()
    assert "phase 'Development' has no end" in text


def test_evalai_splits_become_metrics_with_a_common_primary(tmp_path: Path) -> None:
    import_bundle(made.evalai(tmp_path / "src"), tmp_path / "out")
    spec = _spec(tmp_path / "out")
    assert spec["metrics"]["primary"] == "train_split_accuracy"
    assert "test_split_total" in spec["metrics"]["secondary"]
    assert [p["name"] for p in spec["phases"]] == ["dev-phase", "test-phase"]
    assert "host" in (tmp_path / "out" / "IMPORT_REPORT.md").read_text()


def test_a_zip_of_the_bundle_imports_like_the_folder(tmp_path: Path) -> None:
    source = made.codabench_with_ingestion(tmp_path / "src")
    archive = shutil.make_archive(str(tmp_path / "bundle"), "zip", source)
    import_bundle(Path(archive), tmp_path / "out")
    assert (tmp_path / "out" / "data/hidden/task-0/input/podium/ingest.py").is_file()
    assert _spec(tmp_path / "out")["phases"][0]["submission_kinds"] == ["build"]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda root: (root / "competition.yaml").unlink(), "has no competition.yaml"),
        (
            lambda root: (root / "challenge_config.yaml").write_text("title: x\n"),
            "holds both competition.yaml and challenge_config.yaml",
        ),
        (lambda root: shutil.rmtree(root / "scoring_program"), "names scoring_program"),
    ],
    ids=["no-yaml", "two-yamls", "missing-scoring-program"],
)
def test_malformed_bundles_are_refused_clearly(tmp_path: Path, damage, message: str) -> None:
    root = made.codabench_result_only(tmp_path / "src")
    damage(root)
    with pytest.raises(ImportFailed, match=message):
        import_bundle(root, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_yaml_wrapped_in_a_folder_is_refused(tmp_path: Path) -> None:
    made.codabench_result_only(tmp_path / "src" / "inner")
    with pytest.raises(ImportFailed, match="inner/competition.yaml lies inside a folder"):
        import_bundle(tmp_path / "src", tmp_path / "out")


def test_zip_slip_in_a_bundle_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("competition.yaml", "version: 2\n")
        handle.writestr("../../escaped.txt", "x")
    with pytest.raises(ImportFailed, match="evil.zip"):
        import_bundle(archive, tmp_path / "out")
    assert not (tmp_path / "escaped.txt").exists()


def test_a_path_leaving_the_bundle_is_refused(tmp_path: Path) -> None:
    root = made.codabench_result_only(tmp_path / "src")
    text = (root / "competition.yaml").read_text().replace("reference_data/", "../../etc")
    (root / "competition.yaml").write_text(text)
    with pytest.raises(ImportFailed, match="reference_data"):
        import_bundle(root, tmp_path / "out")


def test_a_wrong_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match="looks like a codabench bundle, not evalai"):
        import_bundle(made.codabench_result_only(tmp_path / "src"), tmp_path / "out", "evalai")


def test_cli_import_writes_the_bundle_and_says_where_the_report_is(tmp_path: Path) -> None:
    source = made.evalai(tmp_path / "src")
    result = CliRunner().invoke(
        app, ["challenge", "import", str(source), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    assert "IMPORT_REPORT.md" in result.output and "podium challenge create" in result.output
    broken = CliRunner().invoke(app, ["challenge", "import", str(tmp_path / "nothing")])
    assert broken.exit_code == 1
    assert "does not exist" in broken.output
