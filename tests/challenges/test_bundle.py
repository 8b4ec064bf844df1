"""The bundle schema, its validator and its loader."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

import evaluators
from challenges import BundleError, ChallengeError, ChallengeSpec, load_bundle, validate_bundle
from challenges.examples import SLUGS, example_paths
from tests.challenges.conftest import read_spec


def messages(root: Path) -> list[str]:
    return [str(p) for p in validate_bundle(root)]


@pytest.mark.parametrize("slug", SLUGS)
def test_every_built_example_is_valid(built_examples: dict[str, Path], slug: str) -> None:
    assert validate_bundle(built_examples[slug]) == []
    with load_bundle(built_examples[slug]) as bundle:
        assert bundle.spec.slug == slug
        assert bundle.description_markdown().startswith("# ")
        assert all(len(h) == 64 for h in bundle.hashes.values())


def test_example_without_data_lists_each_missing_path(tmp_path: Path) -> None:
    source = example_paths()["breast-cancer-diagnosis"]
    shutil.copytree(source, tmp_path / "b", ignore=shutil.ignore_patterns("data"))
    assert messages(tmp_path / "b") == [
        "challenge.yaml: data.public[0].path: data/public/train.csv does not exist in the bundle",
        "challenge.yaml: data.hidden.test.inputs: data/hidden/test/inputs does not exist in the "
        "bundle",
        "challenge.yaml: data.hidden.test.labels: data/hidden/test/labels.csv does not exist in "
        "the bundle",
    ]


def test_misspelt_key_names_its_path_and_the_right_key(edit) -> None:
    root = edit(
        lambda d: d["phases"][1]["limits"].update(
            wall_secnds=d["phases"][1]["limits"].pop("wall_seconds")
        )
    )
    assert messages(root) == [
        "challenge.yaml: phases[1].limits.wall_secnds: unknown key; did you mean wall_seconds?",
    ]


def test_unknown_key_without_close_match_lists_allowed_keys(edit) -> None:
    root = edit(lambda d: d["teams"].update(colour="red"))
    assert messages(root) == [
        "challenge.yaml: teams.colour: unknown key; allowed keys: max_size, show_profile"
    ]


def test_every_problem_is_reported_at_once(edit) -> None:
    def break_many(d: dict) -> None:
        d["titel"] = d.pop("title")
        d["metrics"]["primary"] = "acuracy"
        d["data"]["hidden"]["test"]["labels"] = "data/hidden/test/nope.csv"
        d["judging"]["final_score"]["rubric_weight"] = 0.5
        d["phases"][0]["limits"]["memory_mb"] = -1

    found = messages(edit(break_many))
    assert "challenge.yaml: titel: unknown key; did you mean title?" in found
    assert "challenge.yaml: title: required key missing" not in found  # said once, above
    assert (
        "challenge.yaml: phases[0].limits.memory_mb: Input should be greater than 0; got -1"
        in found
    )
    assert (
        "challenge.yaml: judging.final_score: leaderboard_weight + rubric_weight must be 1; "
        "got 0.6 + 0.5 = 1.1" in found
    )
    assert any(
        m.startswith(
            "challenge.yaml: metrics.primary: unknown metric 'acuracy'; did you mean accuracy?"
        )
        for m in found
    )
    assert (
        "challenge.yaml: data.hidden.test.labels: data/hidden/test/nope.csv does not exist in the "
        "bundle" in found
    )
    assert len(found) == 5


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("../outside.csv", "'../outside.csv' contains '..'; paths must stay inside the bundle"),
        ("data/../../x.csv", "'data/../../x.csv' contains '..'; paths must stay inside the bundle"),
        ("/etc/passwd", "'/etc/passwd' is absolute; paths must be relative to the bundle root"),
    ],
)
def test_paths_may_not_leave_the_bundle(edit, path: str, expected: str) -> None:
    root = edit(lambda d: d["data"]["hidden"]["test"].update(labels=path))
    assert messages(root) == [f"challenge.yaml: data.hidden.test.labels: {expected}"]


def test_symlink_leaving_the_bundle_is_refused(bundle: Path, tmp_path: Path, edit) -> None:
    outside = tmp_path / "secret.csv"
    outside.write_text("id,diagnosis\n")
    (bundle / "link.csv").symlink_to(outside)
    root = edit(lambda d: d["data"]["public"].insert(0, {"name": "sneaky", "path": "link.csv"}))
    [problem] = messages(root)
    assert problem.startswith("challenge.yaml: data.public[0].path: 'link.csv' leaves the bundle")


def test_unknown_metric_suggests_and_lists_valid_names(edit) -> None:
    root = edit(lambda d: d["metrics"].update(secondary=["f1", "acuracy"]))
    assert messages(root) == [
        "challenge.yaml: metrics.secondary[1]: unknown metric 'acuracy'; did you mean accuracy?; "
        f"valid metrics: {', '.join(evaluators.metric_names())}"
    ]


def test_parametrised_metrics_are_accepted(edit) -> None:
    root = edit(lambda d: d["metrics"].update(primary="top_2_accuracy"))
    assert messages(root) == []


def test_regression_metric_on_a_classification_task(edit) -> None:
    root = edit(lambda d: d["metrics"].update(secondary=["rmse"]))
    assert messages(root) == [
        "challenge.yaml: metrics.secondary[0]: metric 'rmse' needs 'value' predictions; "
        "task.predictions.kind is 'probabilities'"
    ]


def test_phase_that_ends_before_it_starts(edit) -> None:
    root = edit(lambda d: d["phases"][0].update(end=datetime(2025, 1, 1, tzinfo=UTC)))
    assert messages(root) == [
        "challenge.yaml: phases[0]: end (2025-01-01T00:00:00+00:00) must be after start "
        "(2026-01-01T00:00:00+00:00)"
    ]


def test_overlapping_phases(edit) -> None:
    root = edit(lambda d: d["phases"][1].update(start=datetime(2030, 1, 1, tzinfo=UTC)))
    assert messages(root) == [
        "challenge.yaml: phases[1].start: phase 'final' starts (2030-01-01T00:00:00+00:00) before "
        "phase 'development' ends (2030-06-30T00:00:00+00:00); list phases in order, without "
        "overlap"
    ]


def test_naive_datetime_and_unknown_hidden_set(edit) -> None:
    def change(d: dict) -> None:
        d["phases"][0]["start"] = "2026-01-01T00:00:00"
        d["phases"][1]["data"] = "tset"

    assert messages(edit(change)) == [
        "challenge.yaml: phases[0].start: needs a timezone, e.g. 2025-03-01T00:00:00Z",
        "challenge.yaml: phases[1].data: unknown hidden set 'tset'; did you mean test?; "
        "data.hidden defines: test",
    ]


def test_judging_weights_must_sum_to_one(edit) -> None:
    root = edit(
        lambda d: d["judging"].update(final_score={"leaderboard_weight": 0.7, "rubric_weight": 0.4})
    )
    assert messages(root) == [
        "challenge.yaml: judging.final_score: leaderboard_weight + rubric_weight must be 1; "
        "got 0.7 + 0.4 = 1.1"
    ]


def test_labels_inside_the_inputs_are_refused(bundle: Path, edit) -> None:
    shutil.copy(bundle / "data/hidden/test/labels.csv", bundle / "data/hidden/test/inputs/l.csv")
    found = messages(
        edit(lambda d: d["data"]["hidden"]["test"].update(labels="data/hidden/test/inputs/l.csv"))
    )
    assert found == [
        "challenge.yaml: data.hidden.test.labels: labels lie inside data.hidden.test.inputs, "
        "which models read; move them out",
        "data/hidden/test/inputs/l.csv: data.hidden.test.inputs: hidden input has label "
        "column(s) diagnosis; remove them: models must never see labels",
    ]


def test_public_data_may_not_expose_hidden_files(edit) -> None:
    root = edit(lambda d: d["data"]["public"].insert(0, {"name": "all", "path": "data"}))
    assert (
        "challenge.yaml: data.public[0].path: data overlaps hidden data data/hidden/test/inputs "
        "of set 'test'; public downloads must not hold hidden files" in messages(root)
    )


def test_yaml_mistakes_are_problems_not_tracebacks(bundle: Path) -> None:
    (bundle / "challenge.yaml").write_text("slug: a\nslug: b\n")
    assert messages(bundle) == ["challenge.yaml: line 2, column 1: duplicate key 'slug'"]
    (bundle / "challenge.yaml").write_text("slug: [unclosed\n")
    [problem] = messages(bundle)
    assert problem.startswith("challenge.yaml: line 2, column 1: ")
    (bundle / "challenge.yaml").unlink()
    assert messages(bundle) == ["challenge.yaml: not found at the bundle root; add it there"]


def _zip(folder: Path, archive: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                out.write(path, prefix + path.relative_to(folder).as_posix())
    return archive


@pytest.mark.parametrize("prefix", ["", "breast-cancer-diagnosis/"])
def test_zip_bundle_loads_like_the_folder(bundle: Path, tmp_path: Path, prefix: str) -> None:
    archive = _zip(bundle, tmp_path / "bundle.zip", prefix)
    with load_bundle(bundle) as folder, load_bundle(archive) as zipped:
        assert zipped.spec == folder.spec
        assert dict(zipped.hashes) == dict(folder.hashes)
        extracted = zipped.owned_dir
        assert extracted is not None and extracted.is_dir()
    assert not extracted.exists()
    assert validate_bundle(archive) == []


def test_zip_with_traversal_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("challenge.yaml", "slug: x\n")
        out.writestr("../escaped.txt", "gotcha")
    [problem] = validate_bundle(archive)
    assert problem.file == "evil.zip"
    assert "traversal" in problem.message or ".." in problem.message
    with pytest.raises(BundleError) as caught:
        load_bundle(archive, work_dir=tmp_path / "work")
    assert caught.value.problems == [problem]
    assert not (tmp_path / "escaped.txt").exists()


def test_bundle_helpers(built_examples: dict[str, Path]) -> None:
    root = built_examples["digits-vision"]
    bundle = load_bundle(root)
    [mount] = bundle.hidden_inputs("development")
    assert (mount.source, mount.target) == (root / "data/hidden/test/inputs", "/input")
    assert bundle.hidden_labels("final") == root / "data/hidden/test/labels.csv"
    assert set(bundle.public_files()) == {"train", "starting-kit", "baseline"}
    assert bundle.current_phase(datetime(2027, 1, 1, tzinfo=UTC)).name == "development"
    assert bundle.current_phase(datetime(2030, 7, 1, tzinfo=UTC)).name == "final"
    assert bundle.current_phase(datetime(2031, 1, 1, tzinfo=UTC)) is None
    assert bundle.hidden_hash("development") == bundle.hidden_hash("final")
    with pytest.raises(
        ChallengeError, match="no phase 'dev' in digits-vision; phases: development, final"
    ):
        bundle.phase("dev")


def test_spec_validated_alone_runs_the_cross_checks(bundle: Path) -> None:
    data = read_spec(bundle)
    data["phases"][1]["data"] = "missing"
    with pytest.raises(ValidationError, match="phases\\[1\\].data: unknown hidden set 'missing'"):
        ChallengeSpec.model_validate(data)


def test_library_imports_no_service_packages() -> None:
    code = (
        "import sys, challenges, challenges.bundle, challenges.examples, challenges.runners\n"
        "bad = {'fastapi', 'celery', 'sqlmodel', 'sqlalchemy', 'mlflow'} & set(sys.modules)\n"
        "print(sorted(bad))"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert out.stdout.strip() == "[]"
