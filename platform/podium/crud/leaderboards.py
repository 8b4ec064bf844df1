"""Leaderboard data: the entries of a phase as the ranking library's records, who views, and
the challenge's board version.

The entries are built with a few SQLAlchemy core queries (no ORM load per row); ranking them,
their visibility and ties are :mod:`podium.services.ranking`'s. A ranked board loads only the
submissions that can represent a team (:mod:`podium.crud.board_entries`).

``challenges.board_version`` counts the changes of what the challenge's leaderboards show;
:func:`board_changed` raises it, and every write that changes a board calls it in the
write's own transaction (see its docstring for the list). The leaderboard cache keeps a board
while the version it was built under holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import String, cast, select, update
from sqlmodel import Session, col

from leaderboard import PRIVATE, PUBLIC, Efficiency, ScoreInterval, SubmissionScore
from podium.crud import roles
from podium.crud.practice import competing
from podium.db.models import Challenge, Evaluation, Phase, Score, Submission, Team, User


def board_changed(session: Session, *, challenge_id: int | None) -> None:
    """Raise the challenge's board version (atomically, in the caller's transaction).

    Called wherever what a leaderboard shows may change: a new submission (a team's count and
    last submission time, or a new unranked row) and a finished evaluation's scores (both
    through :func:`podium.crud.submissions.record_status`), a disqualification or its reversal,
    a selection for the final ranking, a challenge's settings (publication, private reveal).
    Status changes in between (queued, preparing, running, scoring, failed, error, cancelled)
    change no board and do not call it.
    """
    if challenge_id is None:
        return
    bump = (
        update(Challenge)
        .where(col(Challenge.id) == challenge_id)
        .values(board_version=col(Challenge.board_version) + 1)
        .execution_options(synchronize_session=False)
    )
    session.execute(bump)


def board_version(session: Session, *, challenge_id: int | None) -> int:
    """The challenge's board version as the database holds it now (0: no such challenge)."""
    query = select(col(Challenge.board_version)).where(col(Challenge.id) == challenge_id)
    return int(session.connection().execute(query).scalar() or 0)


def viewer_role(session: Session, *, user: User | None, challenge: Challenge) -> str | None:
    """``"admin"``, ``"organiser"`` or ``"judge"`` for the challenge's staff; else None."""
    if user is None:
        return None
    if user.is_admin:
        return "admin"
    held = roles.roles_of(session, user=user, challenge=challenge)
    return min((r.value for r in held), default=None)


def load_entries(
    session: Session,
    *,
    phase: Phase,
    metrics: tuple[str, ...],
    splits: tuple[str, ...] = (PUBLIC, PRIVATE),
    team_id: int | None = None,
) -> list[SubmissionScore]:
    """Every submission of ``phase`` (of one team, when given) as the library's record (scores
    on ``splits``, costs).

    A submission counts as finished when it has stored scores: the pipeline writes them only
    for a finished evaluation and replaces them atomically (a re-run keeps the entry meanwhile).
    """
    scores, evaluation_of = _scores(session, phase.id, metrics, splits, team_id)
    efficiency = _efficiency(session, phase.id, evaluation_of)
    columns = (Submission.id, Submission.team_id, Team.name, Submission.created_at)
    flags = (Submission.status, Submission.baseline, Submission.disqualified, Submission.selected)
    query = (
        select(*(col(c) for c in (*columns, *flags)))
        .join(Team, col(Team.id) == Submission.team_id)
        .where(col(Submission.phase_id) == phase.id, competing())
    )
    if team_id is not None:
        query = query.where(col(Submission.team_id) == team_id)
    rows: Iterable[Any] = session.connection().execute(query)
    return [
        SubmissionScore(
            sid,
            team_id,
            team,
            at,
            phase.name,
            *scores.get(sid, ({}, {})),
            efficiency.get(sid, Efficiency()),
            "finished" if sid in scores else str(status),
            baseline,
            disqualified,
            selected,
        )  # fmt: skip
        for sid, team_id, team, at, status, baseline, disqualified, selected in rows
    ]


ScoreMaps = tuple[dict[str, dict[str, float | None]], dict[str, ScoreInterval]]


def _scores(
    session: Session,
    phase_id: int | None,
    metrics: tuple[str, ...],
    splits: tuple[str, ...],
    team_id: int | None = None,
) -> tuple[dict[int, ScoreMaps], dict[int, int]]:
    query = (
        select(
            col(Score.submission_id),
            col(Score.evaluation_id),
            cast(col(Score.split), String),  # the plain text: no enum conversion per row
            col(Score.metric),
            col(Score.value),
            col(Score.ci_low),
            col(Score.ci_high),
        )
        .join(Submission, col(Submission.id) == Score.submission_id)
        .where(
            col(Submission.phase_id) == phase_id,
            col(Score.metric).in_(metrics),
            cast(col(Score.split), String).in_(splits),
        )
    )
    if team_id is not None:
        query = query.where(col(Submission.team_id) == team_id)
    found: dict[int, ScoreMaps] = {}
    evaluation_of: dict[int, int] = {}
    for sid, evaluation_id, split, metric, value, low, high in session.connection().execute(query):
        values, intervals = found.setdefault(sid, ({}, {}))
        values.setdefault(split, {})[metric] = value
        if metric == metrics[0] and low is not None and high is not None:
            intervals[split] = ScoreInterval(low, high)
        evaluation_of[sid] = evaluation_id
    return found, evaluation_of


def _efficiency(
    session: Session, phase_id: int | None, evaluation_of: Mapping[int, int]
) -> dict[int, Efficiency]:
    query = (
        select(
            col(Evaluation.id),
            col(Evaluation.submission_id),
            col(Evaluation.wall_seconds),
            col(Evaluation.cpu_seconds),
            col(Evaluation.peak_memory_mb),
        )
        .join(Submission, col(Submission.id) == Evaluation.submission_id)
        .where(col(Submission.phase_id) == phase_id)
    )
    return {
        sid: Efficiency(wall, cpu, memory)
        for eid, sid, wall, cpu, memory in session.connection().execute(query)
        if evaluation_of.get(sid) == eid
    }
