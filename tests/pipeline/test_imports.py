"""Imported Codabench, CodaLab and EvalAI bundles, and predictions submissions, end to end.

One platform and one real worker for the module: each imported bundle is registered as
``podium challenge create`` would, and scored against a correct and a wrong submission (the
imported scoring programs run unchanged behind their adapters in the scoring sandbox).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from challenges.importers import import_bundle
from podium.db.models import SubmissionKind, SubmissionStatus
from podium.errors import InvalidInput
from tests.challenges import import_bundles as made
from tests.pipeline.harness import Platform, Worker, make_platform

pytestmark = pytest.mark.docker


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each test bundle, imported into a Podium bundle folder (plus one written natively)."""
    root = tmp_path_factory.mktemp("imports")
    writers = {
        "codabench-result": made.codabench_result_only,
        "codabench-code": made.codabench_with_ingestion,
        "codalab": made.codalab_v1,
        "evalai": made.evalai,
    }
    out = {name: root / f"{name}-podium" for name in writers}
    for name, write in writers.items():
        import_bundle(write(root / name), out[name])
    out["native"] = made.native_predictions(root / "native")
    return out


@pytest.fixture(scope="module")
def home(
    tmp_path_factory: pytest.TempPathFactory,
    docker_client: docker.DockerClient,
    bundles: dict[str, Path],
) -> Iterator[Platform]:
    made_platform = make_platform(tmp_path_factory.mktemp("home"))
    for folder in bundles.values():
        made_platform.register(folder)
    worker = Worker(made_platform, tmp_path_factory.mktemp("logs") / "worker.log").wait_ready()
    yield made_platform
    worker.stop()


def _score(home: Platform, submission_id: int, metric: str) -> float:
    finished = home.wait(submission_id)
    assert finished.status is SubmissionStatus.FINISHED, finished.reason
    return home.scores(submission_id)[("public", metric)].value


def test_native_predictions_file_is_scored_and_invalid_ones_fail_charged(home: Platform) -> None:
    good = "id,letter\n" + "".join(f"{i},{x}\n" for i, x in enumerate(made.LABELS))
    right = home.submit("letters-native", SubmissionKind.PREDICTIONS, good.encode(), "p.csv")
    bad = home.submit("letters-native", SubmissionKind.PREDICTIONS, b"id,letter\n0,a\n", "p.csv")
    assert _score(home, right, "accuracy") == 1.0
    failed = home.wait(bad)
    assert failed.status is SubmissionStatus.FAILED
    assert failed.charged is True
    assert "missing 9 ids (first: 1, 2, 3, 4, 5)" in (failed.reason or ""), failed.reason


def test_a_phase_refuses_kinds_it_does_not_take(home: Platform) -> None:
    with pytest.raises(InvalidInput, match="does not accept submissions of kind 'build'"):
        home.submit("letters-native", SubmissionKind.BUILD, b"x", "context.tar")


def test_codabench_result_phase_scores_a_results_zip(home: Platform) -> None:
    slug = "letters-result-submission"
    right = _zip({"predictions.txt": made.lines(made.LABELS)})
    wrong = _zip({"predictions.txt": made.lines(made.WRONG)})
    missing = _zip({"other.txt": "nothing\n"})
    ids = [
        home.submit(slug, SubmissionKind.PREDICTIONS, z, "r.zip") for z in (right, wrong, missing)
    ]
    assert _score(home, ids[0], "accuracy") == 1.0
    assert _score(home, ids[0], "errors") == 0.0
    assert _score(home, ids[1], "accuracy") == 0.0
    refused = home.wait(ids[2])
    assert refused.status is SubmissionStatus.FAILED and refused.charged
    assert "scoring program refused your results" in (refused.reason or "")


def test_codabench_code_phase_runs_the_ingestion_program(
    home: Platform, bundles: dict[str, Path]
) -> None:
    kit = bundles["codabench-code"] / "data" / "public" / "podium-starting-kit" / "Dockerfile"
    slug = "letters-code-submission"
    right = made.model_context(kit.read_text(), made.LABELS)
    wrong = made.model_context(kit.read_text(), made.WRONG)
    ids = [home.submit(slug, SubmissionKind.BUILD, c, "model.tar") for c in (right, wrong)]
    assert _score(home, ids[0], "accuracy") == 1.0
    assert _score(home, ids[1], "accuracy") == 0.0


def test_codalab_v1_scores_txt_without_spaces_and_a_computed_column(home: Platform) -> None:
    slug = "letters-codalab"
    right = _zip({"predictions.txt": made.lines(made.LABELS)})
    wrong = _zip({"predictions.txt": made.lines(made.WRONG)})
    ids = [home.submit(slug, SubmissionKind.PREDICTIONS, z, "r.zip") for z in (right, wrong)]
    assert _score(home, ids[0], "average") == 1.0
    assert _score(home, ids[1], "set1_score") == 0.0
    assert _score(home, ids[1], "average") == 0.5


def test_evalai_evaluate_is_called_with_its_contract(home: Platform) -> None:
    slug = "letters-evalai"
    right = made.evalai_submission(made.LABELS)
    wrong = made.evalai_submission(made.WRONG)
    ids = [
        home.submit(slug, SubmissionKind.PREDICTIONS, c, "submission.json")
        for c in (right, wrong, b"[1, 2]")
    ]
    assert _score(home, ids[0], "train_split_accuracy") == 1.0
    assert _score(home, ids[0], "train_split_total") == 10.0
    assert _score(home, ids[1], "train_split_accuracy") == 0.0
    assert home.wait(ids[2]).status is SubmissionStatus.FAILED
