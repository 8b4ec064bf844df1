"""Practice runs: the rules that set them apart from submissions, each in one place.

A practice run is a :class:`~podium.db.models.Submission` row with ``practice`` set. It goes
through the same intake (team, open phase, kinds, file checks) and the same worker, but:

- it runs on the phase's public sample only, never the hidden data
  (:mod:`podium.pipeline.practice`);
- it is no competition entry: every query about competing submissions (leaderboards and their
  activity counts, submission quotas, the team's fair-dispatch cap, listings, board versions,
  MLflow) filters with :func:`competing`;
- it has its own quota (:func:`check_practice_quota`, the phase's ``practice.per_day``);
- it waits for the workers behind every submission: sent only while no submission waits
  (:func:`submission_waiting`, :func:`podium.pipeline.fairness.claim_practice`), and a worker
  that takes one while a submission waits hands it back
  (:func:`podium.pipeline.fairness.yield_to_submissions`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from challenges import Bundle
from challenges.samples import sample_origin
from podium.db.models import Challenge, Phase, Submission, SubmissionKind, SubmissionStatus, Team
from podium.db.types import utcnow
from podium.errors import Conflict, InvalidInput, QuotaExceeded

WINDOW = timedelta(hours=24)
DEFAULT_PER_DAY = 20


def competing() -> ColumnElement[bool]:
    """The condition every competition query adds: the row is a submission, not practice."""
    return col(Submission.practice).is_(False)


def practice_per_day(challenge: Challenge, phase: Phase) -> int:
    """The phase's practice quota per team and rolling 24 hours (0: no practice runs)."""
    try:
        spec = challenge.parsed_spec.phase(phase.name)
    except Exception:  # an unreadable stored spec: the default
        spec = None
    return spec.practice.per_day if spec is not None else DEFAULT_PER_DAY


def _recent(team: Team, phase: Phase, now: datetime) -> object:
    return (
        select(Submission.created_at)
        .where(Submission.team_id == team.id, Submission.phase_id == phase.id)
        .where(col(Submission.practice).is_(True), col(Submission.charged).is_(True))
        .where(col(Submission.status) != SubmissionStatus.ERROR)
        .where(col(Submission.created_at) > now - WINDOW)
        .order_by(col(Submission.created_at))
    )


def practice_used(session: Session, *, team: Team, phase: Phase, now: datetime) -> list[datetime]:
    """When the team's counted practice runs of the last 24 hours were made, oldest first."""
    return list(session.exec(_recent(team, phase, now)).all())  # type: ignore[call-overload]


def practice_left(
    session: Session, *, challenge: Challenge, team: Team | None, phase: Phase
) -> tuple[int, int]:
    """(practice runs left now, the daily limit) for ``team`` in ``phase``."""
    limit = practice_per_day(challenge, phase)
    if team is None:
        return limit, limit
    used = practice_used(session, team=team, phase=phase, now=utcnow())
    return max(0, limit - len(used)), limit


def check_practice_quota(
    session: Session, *, challenge: Challenge, team: Team, phase: Phase
) -> None:
    """Refuse a practice run over the phase's daily practice quota (submissions not counted).

    Raises:
        QuotaExceeded: the team made ``practice.per_day`` practice runs in the last 24 hours.
    """
    now = utcnow()
    limit = practice_per_day(challenge, phase)
    if limit == 0:
        raise QuotaExceeded(
            f"phase {phase.name!r} offers no practice runs; submit to be evaluated", None
        )
    used = practice_used(session, team=team, phase=phase, now=now)
    if len(used) >= limit:
        retry_at = used[len(used) - limit] + WINDOW
        raise QuotaExceeded(
            f"your team has made {len(used)} practice run(s) in the last 24 hours and "
            f"{phase.name!r} allows {limit}; the next one is allowed at {retry_at.isoformat()} "
            "(submissions have their own quota)",
            retry_at,
        )


def practice_refusal(challenge: Challenge) -> str | None:
    """Why ``challenge`` offers no practice runs, or None when it does.

    A practice run needs a labelled public sample (:func:`challenges.samples.sample_origin`)
    and the built-in metrics (a scoring program is the organiser's, for submissions only).
    """
    spec = challenge.parsed_spec
    if spec.metrics.scoring_program is not None:
        return (
            f"{challenge.slug} is scored by its organisers' own program, which runs on "
            "submissions only: it offers no practice runs; use `podium check` locally"
        )
    if not _has_sample(challenge):
        return (
            f"{challenge.slug} publishes no labelled sample to practise on (a public "
            "'validation' folder, or a public CSV with the label columns)"
        )
    return None


# (bundle folder, bundle hash): whether it has a labelled public sample; a bundle's files never
# change under one hash, so the challenge page asks the disk once per bundle, not per view
_samples: dict[tuple[str, str], bool] = {}


def _has_sample(challenge: Challenge) -> bool:
    key = (challenge.bundle_path, challenge.bundle_sha256)
    if key not in _samples:
        bundle = Bundle(root=Path(challenge.bundle_path), spec=challenge.parsed_spec, hashes={})
        _samples[key] = sample_origin(bundle) is not None
    return _samples[key]


def check_practice(
    session: Session, *, challenge: Challenge, phase: Phase, team: Team | None, kind: SubmissionKind
) -> None:
    """Refuse a practice run the rules do not allow (before any byte is copied).

    Raises:
        Conflict: the user has no team in the challenge yet.
        InvalidInput: a predictions file, or a challenge with nothing to practise on.
        QuotaExceeded: the team's daily practice runs are used up.
    """
    if team is None:
        raise Conflict(
            f"practice runs are made by a team: create or join a team in {challenge.slug} "
            "first (or make a submission, which makes your own team), then practise"
        )
    if kind is SubmissionKind.PREDICTIONS:
        raise InvalidInput(
            "a practice run runs a model on the public sample; send a model file, a build "
            "context or an image, not a predictions file"
        )
    refusal = practice_refusal(challenge)
    if refusal is not None:
        raise InvalidInput(refusal)
    check_practice_quota(session, challenge=challenge, team=team, phase=phase)


def submission_waiting(session: Session) -> bool:
    """Whether a submission has been handed to the workers and no worker has taken it yet."""
    query = (
        select(func.count())
        .select_from(Submission)
        .where(competing(), col(Submission.sent_at).is_not(None))
        .where(col(Submission.status) == SubmissionStatus.QUEUED)
    )
    return int(session.exec(query).one()) > 0


def practice_runs(
    session: Session, *, challenge: Challenge, team_id: int | None, limit: int = 50
) -> list[Submission]:
    """The team's practice runs in ``challenge``, newest first."""
    if team_id is None:
        return []
    query = (
        select(Submission)
        .where(Submission.challenge_id == challenge.id, Submission.team_id == team_id)
        .where(col(Submission.practice).is_(True))
        .order_by(col(Submission.created_at).desc(), col(Submission.id).desc())
        .limit(limit)
    )
    return list(session.exec(query).all())
