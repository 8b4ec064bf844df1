"""Each example's baseline, and the ways a model fails, through a real worker and sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from podium.db.models import SubmissionKind, SubmissionStatus
from podium.pipeline.evaluate import Outcome, evaluate_submission
from podium.pipeline.examples import pack_context
from podium.tracking import Tracker
from podium.worker.runtime import build_context
from tests.pipeline.harness import Platform, Worker, model_context

pytestmark = [pytest.mark.docker, pytest.mark.slow]

BASELINES = [
    ("breast-cancer-diagnosis", SubmissionKind.BUILD, "baseline", "roc_auc", (0.97, 1.0)),
    ("radio-path-loss", SubmissionKind.BUILD, "baseline", "rmse", (5.5, 7.0)),
    ("digits-vision", SubmissionKind.MODEL, "data/models/model.pt", "accuracy", (0.9, 1.0)),
]


def _content(bundle: Path, kind: SubmissionKind, path: str) -> tuple[bytes, str]:
    source = bundle / path
    if kind is SubmissionKind.BUILD:
        return pack_context(source), "context.tar"
    return source.read_bytes(), source.name


def test_every_baseline_finishes_with_its_expected_score(
    platform: Platform, worker: Worker, built_examples: dict[str, Path]
) -> None:
    submitted = {
        slug: platform.submit(
            slug, kind, *_content(built_examples[slug], kind, path), baseline=True
        )  # the organiser's baselines, through the upload's intake
        for slug, kind, path, _, _ in BASELINES
    }
    tracker = Tracker.from_settings(platform.settings)
    for slug, _, _, metric, (low, high) in BASELINES:
        submission = platform.wait(submitted[slug])
        assert submission.status is SubmissionStatus.FINISHED, submission.reason
        assert submission.baseline
        assert submission.image_digest and submission.image_digest.startswith("sha256:")
        score = platform.scores(submitted[slug])[("all", metric)]
        assert low <= score.value <= high
        assert score.ci_low is not None and score.ci_low <= score.value <= (score.ci_high or 0)
        metrics = tracker.get_run_metrics(platform.wait_tracked(submitted[slug]))
        assert metrics[f"all_{metric}"] == pytest.approx(score.value)
        assert metrics["wall_seconds"] > 0
        evaluation = platform.evaluations(submitted[slug])[-1]
        assert evaluation.logs_path and (Path(evaluation.logs_path) / "stdout.txt").is_file()
        statuses = [event.status.value for event in platform.events(submitted[slug])]
        assert statuses == ["submitted", "queued", "preparing", "running", "scoring", "finished"]


@pytest.mark.parametrize(
    ("entrypoint", "expected"),
    [
        ("echo boom >&2; exit 3", "your container exited with code 3"),
        ("sleep 60", "your container ran longer than 8 s"),
        ("echo id,wrong > /output/predictions.csv", "invalid predictions"),
    ],
    ids=["crash", "timeout", "invalid-predictions"],
)
def test_a_failing_model_ends_failed_with_its_reason(
    platform: Platform, worker: Worker, entrypoint: str, expected: str
) -> None:
    content = model_context(entrypoint)
    submission_id = platform.submit("quick-check", SubmissionKind.BUILD, content, "ctx.tar")
    submission = platform.wait(submission_id)
    assert submission.status is SubmissionStatus.FAILED
    assert submission.reason is not None and submission.reason.startswith(expected)
    assert submission.charged, "a participant's fault counts against the quota"
    assert platform.scores(submission_id) == {}


def test_evaluating_a_finished_submission_again_changes_nothing(
    platform: Platform, worker: Worker, built_examples: dict[str, Path]
) -> None:
    content = pack_context(built_examples["breast-cancer-diagnosis"] / "baseline")
    submission_id = platform.submit(
        "breast-cancer-diagnosis", SubmissionKind.BUILD, content, "b.tar"
    )
    platform.wait(submission_id)
    platform.wait_tracked(submission_id)
    before = platform.get(submission_id)
    events, scores = platform.events(submission_id), platform.scores(submission_id)
    context = build_context(platform.settings)
    for _ in range(2):
        assert evaluate_submission(context, submission_id) is Outcome.SKIPPED
    after = platform.get(submission_id)
    assert (after.status, after.updated_at, after.mlflow_run_id) == (
        before.status, before.updated_at, before.mlflow_run_id,
    )  # fmt: skip
    assert len(platform.events(submission_id)) == len(events)
    assert platform.scores(submission_id).keys() == scores.keys()
    assert len(platform.evaluations(submission_id)) == 1
