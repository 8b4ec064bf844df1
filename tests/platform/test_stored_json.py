"""The JSON columns read typed: a challenge's spec, a phase's settings, an evaluation's report."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session

from challenges.schema import ChallengeSpec, LeaderboardSpec, SubmissionLimits
from evaluators.evaluate import MetricScore, ScoreReport
from podium.crud.challenges import phases_of
from podium.crud.teams import get_or_create_personal_team
from podium.db.models import Challenge, Evaluation
from podium.db.models.reports import EvaluationReport, read_report
from podium.db.specs import StoredSpecError
from podium.errors import InvalidInput
from podium.store import Store
from tests.platform.factories import make_challenge, make_submission, make_user


@pytest.fixture
def challenge(session: Session, store: Store, tmp_path: Path) -> Challenge:
    return make_challenge(session, store, tmp_path)


def test_the_spec_is_parsed_once_per_row_and_version(challenge: Challenge) -> None:
    spec = challenge.parsed_spec
    assert isinstance(spec, ChallengeSpec) and spec.slug == challenge.slug
    assert challenge.parsed_spec is spec  # cached: the same object while nothing changed
    metrics = challenge.spec["metrics"]
    challenge.spec = {**challenge.spec, "metrics": {**metrics, "decimals": 2}}
    assert challenge.parsed_spec.metrics.decimals == 2  # a changed row is parsed again


def test_a_spec_edited_in_place_is_not_served_stale(challenge: Challenge) -> None:
    assert challenge.parsed_spec.terms != "new terms"
    challenge.spec["terms"] = "new terms"  # the cache keeps a copy, not the row's dict
    assert challenge.parsed_spec.terms == "new terms"


def test_a_stored_spec_that_no_longer_reads_says_where(challenge: Challenge) -> None:
    challenge.spec = {**challenge.spec, "metrics": {"primary": "accuracy", "retired_key": 1}}
    with pytest.raises(StoredSpecError) as raised:
        _ = challenge.parsed_spec
    message = str(raised.value)
    assert f"the stored spec of challenge {challenge.id} does not read" in message
    assert "metrics.retired_key: Extra inputs are not permitted" in message
    assert message.endswith("register its bundle again")


def test_phase_settings_read_typed_with_the_schemas_defaults(
    session: Session, challenge: Challenge
) -> None:
    phase = phases_of(session, challenge=challenge)[0]
    assert isinstance(phase.leaderboard_rules, LeaderboardSpec)
    limits = phase.run_limits
    assert limits is not None and limits.wall_seconds > 0
    phase.leaderboard, phase.submission_limits, phase.limits = {}, {}, {}  # an old, bare row
    assert phase.leaderboard_rules == LeaderboardSpec()
    assert phase.quota == SubmissionLimits()
    assert phase.run_limits is None
    phase.submission_limits = {"per_day": 50, "total": 100, "in_flight": 10}
    assert (phase.quota.per_day, phase.quota.in_flight) == (50, 10)


def test_invalid_phase_settings_are_refused_with_the_reason(
    session: Session, challenge: Challenge
) -> None:
    phase = phases_of(session, challenge=challenge)[0]
    phase.leaderboard = {"rule": "selected"}
    with pytest.raises(InvalidInput) as raised:
        _ = phase.leaderboard_rules
    assert raised.value.message.startswith(f"phase {phase.name!r} has invalid leaderboard rules: ")
    assert "rule 'selected' needs max_selected" in raised.value.message
    phase.submission_limits = {"per_day": "many"}
    with pytest.raises(InvalidInput, match="invalid submission limits: per_day: "):
        _ = phase.quota


def _score() -> ScoreReport:
    one = MetricScore(value=0.9, ci_low=0.8, ci_high=0.95, n_rows=10, greater_is_better=True)
    return ScoreReport(primary="accuracy", splits={"public": {"accuracy": one}}, resamples=100,
                       methods={"accuracy": "exact"})  # fmt: skip


def test_the_report_is_written_and_read_through_its_schema(
    session: Session, challenge: Challenge
) -> None:
    phase = phases_of(session, challenge=challenge)[0]
    user = make_user(session)
    team = get_or_create_personal_team(session, user=user, challenge=challenge)
    sub = make_submission(session, challenge=challenge, phase=phase, team=team, user=user)
    assert sub.id is not None
    evaluation = Evaluation(submission_id=sub.id)
    evaluation.update_report(outcome="finished", score=_score(), predictions_path="/p.npz")
    evaluation.update_report(mlflow_pending=True, mlflow_error="down")
    session.add(evaluation)
    session.commit()
    session.expire_all()
    stored = session.get(Evaluation, evaluation.id)
    assert stored is not None
    report = stored.parsed_report
    assert (report.outcome, report.message, report.detail) == ("finished", "", None)
    assert report.score == _score()
    assert (report.predictions_path, report.mlflow_pending, report.mlflow_error) == (
        "/p.npz",
        True,
        "down",
    )
    assert stored.report["score"]["splits"]["public"]["accuracy"]["value"] == 0.9  # plain JSON


def test_old_reports_read_and_keep_what_they_held() -> None:
    old = {"outcome": "abandoned", "rows": 2, "score": "not a score report", "message": None}
    report = read_report(old)
    assert report.outcome == "abandoned"
    assert report.score is None and report.message == ""  # unfit values read as missing
    assert report.model_extra == {"rows": 2}  # unknown keys are kept
    evaluation = Evaluation(submission_id=1, report=old)
    evaluation.update_report(mlflow_pending=False)
    assert evaluation.report == {**old, "mlflow_pending": False}  # the rest stays as stored
    assert read_report(None) == EvaluationReport() == read_report({})


def test_report_updates_are_checked_against_the_schema() -> None:
    evaluation = Evaluation(submission_id=1)
    with pytest.raises(ValueError, match="no such report fields: outcom"):
        evaluation.update_report(outcom="finished")
    with pytest.raises(ValueError, match="outcome"):
        evaluation.update_report(outcome="won")
    assert evaluation.report == {}
