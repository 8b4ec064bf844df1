"""The audit every reliability scenario ends with, read from the platform's own records.

For each submission of a scenario:

* exactly one final state: its status is final, and exactly one event moved it to a final state;
* a finished one has exactly one score row per (split, metric), all of one evaluation;
* exactly one MLflow run (active, in the challenge's experiment) for a finished or failed one,
  at most one otherwise, and it is the run the submission names, holding its scores;
* a finished one has exactly one leaderboard entry (the real API's public board), showing its
  stored scores rounded as the challenge says; no other submission is ranked;
* a platform fault is never charged: an ``error`` submission has ``charged`` false; a finished
  or failed one counts once against its team's quota (``charged`` is one flag per submission).

``audit(platform, ids)`` returns an :class:`Audit`; ``assert_clean()`` fails with every problem
found, and ``row(...)`` gives the scenario's line of the reliability table.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import col, select

from podium.app import create_app
from podium.db.models import (
    TERMINAL_STATUSES,
    Challenge,
    Phase,
    Score,
    Submission,
    SubmissionStatus,
)
from podium.services.ranking import board_config
from tests.pipeline.harness import Platform
from tests.reliability.conftest import Row

FINISHED = frozenset({SubmissionStatus.FINISHED})
TRACKED = frozenset({SubmissionStatus.FINISHED, SubmissionStatus.FAILED})
BOARD_LIMIT = 5000  # the API's largest page


@dataclass
class Audit:
    """What the audit found; the lists hold submission ids, ``problems`` says why."""

    submitted: int
    as_expected: list[int] = field(default_factory=list)
    lost: list[int] = field(default_factory=list)
    duplicated: list[int] = field(default_factory=list)
    charged_for_platform: list[int] = field(default_factory=list)
    board_agrees: bool = True
    mlflow_agrees: bool = True
    problems: list[str] = field(default_factory=list)

    def note(self, kind: list[int] | None, submission_id: int, problem: str) -> None:
        if kind is not None and submission_id not in kind:
            kind.append(submission_id)
        self.problems.append(f"submission {submission_id}: {problem}")

    def assert_clean(self) -> None:
        assert not self.problems, "the audit found:\n" + "\n".join(self.problems)
        assert len(self.as_expected) == self.submitted

    def row(self, scenario: str, *, injected: int, seconds: float, note: str = "") -> Row:
        """The scenario's table row: a fault counts as survived when nothing went wrong."""
        return Row(
            scenario=scenario,
            faults_injected=injected,
            faults_survived=injected if not self.problems else 0,
            submitted=self.submitted,
            finished=len(self.as_expected),
            lost=len(self.lost),
            duplicated=len(self.duplicated),
            board_agrees=self.board_agrees,
            mlflow_agrees=self.mlflow_agrees,
            seconds=round(seconds, 1),
            note=note,
        )


def audit(
    platform: Platform,
    submission_ids: Iterable[int],
    *,
    expect: Collection[SubmissionStatus] = FINISHED,
    mlflow_timeout: float = 60,
) -> Audit:
    """Audit ``submission_ids`` (each expected to end in one of ``expect``)."""
    ids = list(submission_ids)
    found = Audit(submitted=len(ids))
    submissions = {sid: platform.get(sid) for sid in ids}
    for sid, submission in submissions.items():
        _final_state(platform, found, submission, expect)
        if submission.status is SubmissionStatus.FINISHED:
            _score_rows(platform, found, sid)
        if submission.status is SubmissionStatus.ERROR and submission.charged:
            found.note(found.charged_for_platform, sid, "charged for a platform fault")
        if submission.status in TRACKED and not (submission.charged or submission.baseline):
            found.note(None, sid, f"{submission.status.value} but not counted in the quota")
    _mlflow(platform, found, submissions, mlflow_timeout)
    _board(platform, found, submissions)
    found.as_expected = [
        sid for sid in ids if not any(p.startswith(f"submission {sid}:") for p in found.problems)
    ]
    return found


def _final_state(
    platform: Platform, found: Audit, submission: Submission, expect: Collection[SubmissionStatus]
) -> None:
    sid = submission.id
    assert sid is not None
    if submission.status not in TERMINAL_STATUSES:
        found.note(found.lost, sid, f"still {submission.status.value}")
        return
    finals = [e.status for e in platform.events(sid) if e.status in TERMINAL_STATUSES]
    if len(finals) != 1:
        found.note(found.duplicated, sid, f"{len(finals)} final events ({finals})")
    if submission.status not in expect:
        found.note(None, sid, f"ended {submission.status.value} ({submission.reason})")


def _score_rows(platform: Platform, found: Audit, sid: int) -> None:
    with platform.session() as session:
        rows = session.exec(select(Score).where(col(Score.submission_id) == sid)).all()
    if not rows:
        found.note(found.lost, sid, "finished with no score row")
        return
    keys = Counter((str(row.split), row.metric) for row in rows)
    evaluations = {row.evaluation_id for row in rows}
    if max(keys.values()) > 1 or len(evaluations) > 1:
        found.note(found.duplicated, sid, f"score rows {dict(keys)} of evaluations {evaluations}")


def _wait_tracked(platform: Platform, sid: int, timeout: float) -> Submission:
    deadline = time.monotonic() + timeout
    while True:
        submission = platform.get(sid)
        if submission.mlflow_run_id or time.monotonic() > deadline:
            return submission
        time.sleep(0.2)


def _mlflow(
    platform: Platform, found: Audit, submissions: dict[int, Submission], timeout: float
) -> None:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=platform.settings.mlflow_tracking_uri)
    for sid, submission in submissions.items():
        if submission.status in TRACKED:
            submission = _wait_tracked(platform, sid, timeout)
        slug = _challenge(platform, submission).slug
        experiment = client.get_experiment_by_name(slug)
        runs = (
            client.search_runs(
                [experiment.experiment_id], filter_string=f"params.submission_id = '{sid}'"
            )
            if experiment is not None
            else []
        )
        wanted = 1 if submission.status in TRACKED else None
        if len(runs) > 1 or (wanted is not None and len(runs) != wanted):
            kind = found.duplicated if len(runs) > 1 else found.lost
            found.note(kind, sid, f"{len(runs)} MLflow runs")
            found.mlflow_agrees = False
            continue
        if runs and runs[0].info.run_id != submission.mlflow_run_id:
            found.note(None, sid, f"MLflow run {runs[0].info.run_id} is not the one it names")
            found.mlflow_agrees = False
        if runs and not _run_holds_scores(platform, sid, runs[0].data.metrics):
            found.note(None, sid, "its MLflow run's metrics differ from its score rows")
            found.mlflow_agrees = False


def _run_holds_scores(platform: Platform, sid: int, metrics: dict[str, float]) -> bool:
    scores = platform.scores(sid)
    return all(
        math.isclose(metrics.get(f"{split}_{metric}", math.nan), row.value, rel_tol=1e-9)
        for (split, metric), row in scores.items()
    )


def _challenge(platform: Platform, submission: Submission) -> Challenge:
    with platform.session() as session:
        challenge = session.get(Challenge, submission.challenge_id)
    assert challenge is not None
    return challenge


def _board(platform: Platform, found: Audit, submissions: dict[int, Submission]) -> None:
    """The public board of each challenge, as the API answers anyone."""
    app = create_app(platform.settings.model_copy(update={"migrate_on_start": False}))
    with TestClient(app) as api:
        for slug, members in _by_challenge(platform, submissions).items():
            answer = api.get(
                f"/api/v1/challenges/{slug}/leaderboard", params={"limit": BOARD_LIMIT}
            )
            assert answer.status_code == 200, answer.text
            _check_board(platform, found, members, answer.json()["entries"])


def _by_challenge(
    platform: Platform, submissions: dict[int, Submission]
) -> dict[str, list[Submission]]:
    grouped: dict[str, list[Submission]] = {}
    for submission in submissions.values():
        grouped.setdefault(_challenge(platform, submission).slug, []).append(submission)
    return grouped


def _check_board(
    platform: Platform, found: Audit, members: list[Submission], entries: list[dict[str, Any]]
) -> None:
    shown = Counter(entry["submission_id"] for entry in entries)
    ranked = {entry["submission_id"]: entry for entry in entries if entry["rank"] is not None}
    decimals = _decimals(platform, members[0])
    for submission in members:
        sid = submission.id
        assert sid is not None
        finished = submission.status is SubmissionStatus.FINISHED
        if shown[sid] > 1:
            found.note(found.duplicated, sid, f"{shown[sid]} leaderboard entries")
            found.board_agrees = False
        elif finished and sid not in ranked:
            found.note(found.lost, sid, "finished but not ranked on the leaderboard")
            found.board_agrees = False
        elif not finished and sid in ranked:
            found.note(None, sid, f"ranked although {submission.status.value}")
            found.board_agrees = False
        elif finished and not _shows_scores(platform, sid, ranked[sid]["scores"], decimals):
            found.note(None, sid, f"the board shows {ranked[sid]['scores']}, not its scores")
            found.board_agrees = False


def _decimals(platform: Platform, submission: Submission) -> int:
    with platform.session() as session:
        challenge = session.get(Challenge, submission.challenge_id)
        phase = session.get(Phase, submission.phase_id)
        assert challenge is not None and phase is not None
        return board_config(challenge, phase).decimals


def _shows_scores(
    platform: Platform, sid: int, shown: dict[str, float | None], decimals: int
) -> bool:
    stored = {m: row.value for (split, m), row in platform.scores(sid).items() if split == "public"}
    half_step = 0.5 * 10**-decimals + 1e-12
    return bool(shown) and all(
        value is not None and metric in stored and abs(value - stored[metric]) <= half_step
        for metric, value in shown.items()
    )
