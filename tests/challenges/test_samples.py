"""The public sample (one rule for `podium check` and the smoke run) and the bundle's warnings."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from challenges import load_bundle, validate_bundle
from challenges.advisories import bundle_warnings
from challenges.samples import in_slice, smoke_sample, stage_public_sample

Edit = Callable[[Callable[[dict[str, Any]], None]], Path]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _hidden_ids(bundle: Path) -> set[str]:
    return {row["id"] for row in _rows(bundle / "data/hidden/test/inputs/test.csv")}


def test_the_sample_is_a_fixed_slice_of_public_rows_only(bundle: Path, tmp_path: Path) -> None:
    with load_bundle(bundle) as loaded:
        sample = stage_public_sample(loaded, "development", tmp_path / "staged")
        again = stage_public_sample(loaded, "development", tmp_path / "staged")
    assert sample is not None and again == sample
    assert sample.source == "a fixed 20% slice of the public file 'train.csv'"
    train = {row["id"]: row for row in _rows(bundle / "data/public/train.csv")}
    rows = _rows(sample.inputs / "test.csv")
    ids = {row["id"] for row in rows}
    assert ids == {i for i in train if in_slice(i)} and 0 < len(ids) < len(train)
    assert not ids & _hidden_ids(bundle), "the sample holds no hidden row"
    hidden_header = (bundle / "data/hidden/test/inputs/test.csv").read_text().splitlines()[0]
    assert (sample.inputs / "test.csv").read_text().splitlines()[0] == hidden_header
    assert sorted(p.name for p in sample.inputs.iterdir()) == ["manifest.json", "test.csv"]
    manifest = json.loads((sample.inputs / "manifest.json").read_text())
    assert manifest["phase"] == "development"
    assert [f["path"] for f in manifest["files"]] == ["test.csv"]
    labels = _rows(sample.labels)
    assert {row["id"] for row in labels} == ids
    assert all(row["diagnosis"] == train[row["id"]]["diagnosis"] for row in labels)
    assert sample.labels.parent != sample.inputs, "labels are never under /input"


def test_a_public_validation_folder_is_preferred(edit: Edit, tmp_path: Path) -> None:
    def add_validation(data: dict[str, Any]) -> None:
        data["data"]["public"].append({"name": "validation", "path": "data/public/validation"})

    bundle = edit(add_validation)
    folder = bundle / "data/public/validation"
    (folder / "inputs").mkdir(parents=True)
    (folder / "inputs/test.csv").write_text("id,f\nv1,0.5\n")
    (folder / "labels.csv").write_text("id,diagnosis\nv1,benign\n")
    with load_bundle(bundle) as loaded:
        sample = stage_public_sample(loaded, "final", tmp_path)
    assert sample is not None and sample.source == "the public 'validation' set"
    assert (sample.inputs / "test.csv").read_text() == "id,f\nv1,0.5\n"
    assert json.loads((sample.inputs / "manifest.json").read_text())["phase"] == "final"


def test_no_sample_without_public_labelled_rows(
    built_examples: dict[str, Path], tmp_path: Path
) -> None:
    with load_bundle(built_examples["digits-vision"]) as loaded:
        assert stage_public_sample(loaded, "development", tmp_path) is None
        assert smoke_sample(loaded, "development", tmp_path) is None
        warnings = [str(w) for w in bundle_warnings(loaded)]
    assert warnings == [
        f"challenge.yaml: phases[{i}].smoke_run: the bundle has no public sample, so "
        "submissions get no smoke run and a participant whose model fails on the hidden data "
        "sees only a fixed reason, no log; publish a 'validation' folder (inputs/ laid out "
        "like /input, and the labels file), or, for a task whose one input is a CSV, a public "
        "CSV with the id and label columns, or set smoke_run: false to silence this"
        for i in (0, 1)
    ]


def test_smoke_run_false_turns_the_sample_off(edit: Edit, tmp_path: Path) -> None:
    bundle = edit(lambda data: data["phases"][0].update(smoke_run=False))
    with load_bundle(bundle) as loaded:
        assert smoke_sample(loaded, "development", tmp_path) is None
        assert smoke_sample(loaded, "final", tmp_path) is not None
        assert bundle_warnings(loaded) == []


def test_showing_hidden_stderr_lines_is_warned_about(edit: Edit) -> None:
    def lines(data: dict[str, Any]) -> None:
        data["phases"][0]["hidden_run_stderr_lines"] = 5
        data["phases"][1]["hidden_run_stderr_lines"] = 2
        data["phases"][1]["show_logs"] = False

    with load_bundle(edit(lines)) as loaded:
        warnings = [str(w) for w in bundle_warnings(loaded)]
    assert warnings == [
        "challenge.yaml: phases[0].hidden_run_stderr_lines: participants will see the first 5 "
        "lines of stderr of every run on the hidden data: a model can print hidden inputs "
        "there (rows of the test set, image pixels) and read them back; keep it 0 unless the "
        "hidden inputs may be seen",
        "challenge.yaml: phases[1].hidden_run_stderr_lines: participants will see the first 2 "
        "lines of stderr of every run on the hidden data: a model can print hidden inputs "
        "there (rows of the test set, image pixels) and read them back; keep it 0 unless the "
        "hidden inputs may be seen",
        "challenge.yaml: phases[1].hidden_run_stderr_lines: has no effect while show_logs is "
        "false (participants see no logs at all); set show_logs: true, or remove it",
    ]


@pytest.mark.parametrize("value", [-1, 51, "many"])
def test_hidden_run_stderr_lines_is_bounded(edit: Edit, value: object) -> None:
    bundle = edit(lambda data: data["phases"][0].update(hidden_run_stderr_lines=value))
    problems = [str(p) for p in validate_bundle(bundle)]
    assert len(problems) == 1
    assert problems[0].startswith("challenge.yaml: phases[0].hidden_run_stderr_lines: ")


def test_smoke_run_true_without_a_sample_is_warned_about(edit: Edit) -> None:
    def no_train(data: dict[str, Any]) -> None:
        data["data"]["public"] = [p for p in data["data"]["public"] if p["name"] != "train"]
        data["phases"][0]["smoke_run"] = True
        data["phases"][1]["smoke_run"] = False

    with load_bundle(edit(no_train)) as loaded:
        [warning] = bundle_warnings(loaded)
    assert warning.key_path == "phases[0].smoke_run"
    assert warning.message.startswith(
        "is true, but the bundle has no public sample to run on, so submissions go straight "
        "to the hidden data; publish a 'validation' folder"
    )
