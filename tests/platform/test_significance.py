"""Paired bootstrap p-values between entries, from the predictions the pipeline saves."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest
from sqlmodel import Session, select

from challenges import Bundle, load_bundle
from challenges.examples import build_example
from evaluators.labels import read_labels
from evaluators.predictions import read_predictions
from leaderboard import SubmissionScore
from podium.db.models import (
    Challenge,
    Evaluation,
    Phase,
    Score,
    ScoreSplit,
    Submission,
    SubmissionStatus,
    Team,
    User,
)
from podium.pipeline.context import Attempt, PipelineContext
from podium.pipeline.logs import LogDir
from podium.pipeline.stages import output_dir, save_scores, score_output
from podium.saved_predictions import (
    PREDICTIONS_FILE,
    decode_values,
    encode_values,
    load_values,
    save_validated_predictions,
)
from podium.services import significance
from podium.services.registration import register_challenge
from podium.services.significance import paired_p_values, paired_significance
from podium.settings import Settings
from podium.store import Store
from tests.platform.factories import make_submission, make_user

SLUG = "breast-cancer-diagnosis"
PHASE = "development"


@dataclass
class Example:
    challenge: Challenge
    phase: Phase
    bundle: Bundle
    team: Team
    user: User
    ids: np.ndarray
    malignant: np.ndarray  # per labelled row, in the labels' order


@pytest.fixture
def example(session: Session, store: Store, tmp_path: Path) -> Example:
    """The breast-cancer example registered, with one team (the labels read for the tests)."""
    folder = build_example(SLUG, tmp_path / "examples")
    challenge = register_challenge(session, bundle_path=folder, owner=None, store=store)
    phase = session.exec(
        select(Phase).where(Phase.challenge_id == challenge.id, Phase.name == PHASE)
    ).one()
    bundle = load_bundle(Path(challenge.bundle_path))
    labels = read_labels(bundle.hidden_labels(PHASE), bundle.spec.task.labels)
    assert challenge.id is not None
    team = Team(name="team", challenge_id=challenge.id)
    session.add(team)
    session.commit()
    session.refresh(team)
    malignant = labels.values == "malignant"
    return Example(challenge, phase, bundle, team, make_user(session), labels.ids, malignant)


def write_csv(folder: Path, ids: np.ndarray, p_malignant: np.ndarray) -> Path:
    """A ``predictions.csv`` as a model writes it to ``/output``."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [f"{i},{1 - p:.6f},{p:.6f}" for i, p in zip(ids, p_malignant, strict=True)]
    path = folder / "predictions.csv"
    path.write_text("id,benign,malignant\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def submit(
    session: Session, store: Store, ex: Example, p_malignant: np.ndarray | None, tmp: Path
) -> Submission:
    """A finished submission whose evaluation saved ``p_malignant`` the pipeline's way."""
    submission = make_submission(
        session, challenge=ex.challenge, phase=ex.phase, team=ex.team, user=ex.user,
        status=SubmissionStatus.FINISHED,
    )  # fmt: skip
    assert submission.id is not None
    evaluation = Evaluation(submission_id=submission.id)
    evaluation.update_report(outcome="finished")
    if p_malignant is not None:
        output = write_csv(tmp / f"out-{submission.id}", ex.ids, p_malignant).parent
        logs = store.logs_dir(submission.id, 1)
        saved = save_validated_predictions(output, ex.bundle, PHASE, logs)
        assert saved is not None
        evaluation.update_report(predictions_path=str(saved))
    session.add(evaluation)
    session.commit()
    assert evaluation.id is not None
    for split in (ScoreSplit.PUBLIC, ScoreSplit.PRIVATE):
        session.add(
            Score(
                evaluation_id=evaluation.id,
                submission_id=submission.id,
                split=split,
                metric="roc_auc",
                value=0.9,
                ci_low=0.85,
                ci_high=0.95,
            )  # fmt: skip
        )
    session.commit()
    return submission


def perfect(ex: Example) -> np.ndarray:
    return np.where(ex.malignant, 0.9, 0.1)


def worse(ex: Example) -> np.ndarray:
    """Scores that rank about a third of the rows at random: ROC AUC well below 1."""
    rng = np.random.default_rng(7)
    noisy = rng.random(len(ex.ids)) < 0.35
    return np.where(noisy, rng.random(len(ex.ids)), perfect(ex))


def ask(
    session: Session, store: Store, ex: Example, pairs: list[tuple[int, int]], split: str
) -> dict[tuple[int, int], float]:
    return paired_p_values(
        session, store=store, challenge=ex.challenge, phase=ex.phase, split=split, pairs=pairs
    )


def ids_of(*submissions: Submission) -> tuple[int, ...]:
    assert all(s.id is not None for s in submissions)
    return tuple(cast(int, s.id) for s in submissions)


def test_identical_predictions_are_not_different(
    session: Session, store: Store, example: Example, tmp_path: Path
) -> None:
    a, b = ids_of(*(submit(session, store, example, perfect(example), tmp_path) for _ in "ab"))
    assert ask(session, store, example, [(a, b)], "public") == {(a, b): 1.0}


def test_clearly_different_predictions_are_significant_on_each_split(
    session: Session, store: Store, example: Example, tmp_path: Path
) -> None:
    good = submit(session, store, example, perfect(example), tmp_path)
    bad = submit(session, store, example, worse(example), tmp_path)
    a, b = ids_of(good, bad)
    for split in ("public", "private"):
        found = ask(session, store, example, [(a, b), (b, a)], split)
        assert found[(a, b)] < 0.05
        assert found[(a, b)] == found[(b, a)]  # the same test whichever way round


def test_pairs_without_saved_predictions_are_left_out(
    session: Session, store: Store, example: Example, tmp_path: Path
) -> None:
    saved = submit(session, store, example, perfect(example), tmp_path)
    unsaved = submit(session, store, example, None, tmp_path)
    deleted = submit(session, store, example, worse(example), tmp_path)
    a, b, c = ids_of(saved, unsaved, deleted)
    (store.logs_dir(c, 1) / PREDICTIONS_FILE).unlink()
    assert ask(session, store, example, [(a, b), (a, c), (b, c), (a, 999_999)], "public") == {}


def test_a_second_call_reads_the_kept_result(
    session: Session,
    store: Store,
    example: Example,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a, b = ids_of(
        submit(session, store, example, perfect(example), tmp_path),
        submit(session, store, example, worse(example), tmp_path),
    )
    first = ask(session, store, example, [(a, b)], "private")
    kept = list((store.challenge_dir(SLUG) / significance.CACHE_FOLDER).glob("*.json"))
    assert [path.name.endswith("-private.json") for path in kept] == [True]
    assert json.loads(kept[0].read_text())["p_value"] == first[(a, b)]

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("recomputed a kept pair")

    monkeypatch.setattr(significance, "paired_bootstrap", fail)
    monkeypatch.setattr(significance, "read_labels", fail)
    assert ask(session, store, example, [(b, a)], "private") == {(b, a): first[(a, b)]}


def test_the_rank_callable_falls_back_where_predictions_are_missing(
    session: Session, store: Store, example: Example, tmp_path: Path
) -> None:
    subs = [submit(session, store, example, p, tmp_path) for p in (perfect(example), None)]
    twin = submit(session, store, example, perfect(example), tmp_path)
    a, b, c = ids_of(*subs, twin)
    p_value = paired_significance(
        session, store=store, challenge=example.challenge, phase=example.phase,
        split="public", fallback=lambda x, y: 0.5,
    )  # fmt: skip
    entry = {sid: cast(SubmissionScore, _Entry(sid)) for sid in (a, b, c)}
    assert p_value(entry[a], entry[c]) == 1.0
    assert p_value(entry[a], entry[b]) == 0.5


@dataclass
class _Entry:
    submission_id: int


@pytest.mark.parametrize(
    "values",
    [
        np.array([[0.1, 0.9], [0.7, 0.3]]),
        np.array([3, 1, 2], dtype=np.int64),
        np.array(["benign", "malignant", "benign", "é ∑"], dtype=object),
        np.array([["a", "b"], ["b", "ccc"]], dtype=object),
    ],
)
def test_encoding_round_trips_without_pickle(values: np.ndarray, tmp_path: Path) -> None:
    path = tmp_path / "p.npz"
    np.savez_compressed(path, allow_pickle=False, **cast(dict[str, Any], encode_values(values)))
    with np.load(path, allow_pickle=False) as stored:
        back = decode_values({name: stored[name] for name in stored.files})
    assert back.dtype == values.dtype and back.shape == values.shape
    assert (back == values).all()


def test_scoring_stage_saves_the_predictions_and_records_their_path(
    session: Session, store: Store, settings: Settings, example: Example
) -> None:
    submission = make_submission(
        session, challenge=example.challenge, phase=example.phase, team=example.team,
        user=example.user, status=SubmissionStatus.SCORING,
    )  # fmt: skip
    assert submission.id is not None and example.team.id is not None
    evaluation = Evaluation(submission_id=submission.id)
    session.add(evaluation)
    session.commit()
    assert evaluation.id is not None
    ctx = pipeline_context(session, settings)
    attempt = make_attempt(example, submission.id, evaluation.id, example.team.id)
    write_csv(output_dir(ctx, attempt), example.ids, worse(example))
    logs = LogDir(store.logs_dir(submission.id, 1))
    report = score_output(ctx, attempt, example.bundle, logs)
    save_scores(ctx, attempt, report)

    session.expire_all()
    stored = session.get(Evaluation, evaluation.id)
    assert stored is not None and stored.parsed_report.outcome == "finished"
    assert stored.parsed_report.predictions_path is not None
    path = Path(stored.parsed_report.predictions_path)
    assert path == store.logs_dir(submission.id, 1) / PREDICTIONS_FILE
    with np.load(path, allow_pickle=False) as saved:  # no pickle needed to read it
        assert "values" in saved.files
    expected = read_predictions(
        output_dir(ctx, attempt) / "predictions.csv",
        example.bundle.spec.task.predictions,
        example.ids,
    )
    loaded = load_values(path, len(example.ids))
    assert loaded is not None and np.array_equal(loaded, expected.values)


def test_a_failed_save_never_fails_scoring(example: Example, tmp_path: Path) -> None:
    assert (
        save_validated_predictions(tmp_path / "no-output", example.bundle, PHASE, tmp_path) is None
    )
    assert not (tmp_path / PREDICTIONS_FILE).exists()


def pipeline_context(session: Session, settings: Settings) -> PipelineContext:
    """A context for the scoring stages only: no engine, sandbox or MLflow is touched."""
    bind = session.get_bind()
    none = cast(Any, None)
    return PipelineContext(
        session_factory=lambda: Session(bind),
        settings=settings,
        client=none,
        runner=none,
        tracker=none,
        worker_name="test",
    )


def make_attempt(ex: Example, submission_id: int, evaluation_id: int, team_id: int) -> Attempt:
    return Attempt(
        evaluation_id=evaluation_id, submission_id=submission_id, number=1, kind="image",
        file_path=Path("unused"), file_sha256="", pinned_digest=None,
        challenge_slug=ex.challenge.slug, bundle_path=Path(ex.challenge.bundle_path),
        bundle_sha256=ex.challenge.bundle_sha256, split_secret=ex.challenge.split_secret,
        phase_name=PHASE, team_id=team_id,
    )  # fmt: skip
