"""The entries a ranked board needs: per team, the submissions that can represent it.

Ranking 100,000 submissions does not need 100,000 records: the database picks, per team, a
small superset of the submissions the ranking rule can choose (:func:`candidate_ids`), and the
ranking library narrows it with its own rules (rounding, tie-breaks, fallbacks), so the rules
stay in one place. The team's submission count and latest submission time, which the library
would count from every entry, come from one grouped query (:func:`team_activity`) and are put on
the ranked rows by :func:`with_activity`.

Candidates per team (in the phase window, not disqualified, not baselines):

- its latest submission, when nothing of it is scored (the row the board shows then);
- ``best``: every scored submission whose primary value on the choosing split is within one
  display step (``10**-decimals``) of the team's best, so every submission whose displayed
  value ties with the best is there for the library's tie-breaks;
- ``selected``: the selected ones, and those within one display step of the team's
  ``max_selected``-th best (its fallback when it selected none);
- ``latest``: its latest submission with a valid primary score on the ranked split;

and every baseline that is not disqualified.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, Select, String, and_, cast, func, select
from sqlalchemy import union as union_of
from sqlmodel import Session, col

from leaderboard import Efficiency, Leaderboard, RankingRule, ScoreInterval, SubmissionScore
from podium.db.models import Evaluation, Phase, Score, Submission, Team

FINITE = 1.7976931348623157e308  # the largest float: stored infinities fall outside


@dataclass(frozen=True)
class Choice:
    """What picks a team's entry on one board."""

    rule: RankingRule
    split: str  # the ranked split
    choose_on: str  # the split whose primary picks "best" (public for the private board)
    primary: str
    greater_is_better: bool
    decimals: int


@dataclass(frozen=True)
class Activity:
    """A team's submissions in a phase window, any status (what the board's columns count)."""

    count: int
    last_at: datetime | None


def _eligible(phase: Phase) -> list[ColumnElement[bool]]:
    return [
        col(Submission.phase_id) == phase.id,
        col(Submission.created_at) < phase.end,
        col(Submission.disqualified).is_(False),
        col(Submission.baseline).is_(False),
    ]


def _primary(phase: Phase, choice: Choice, split: str) -> Any:
    """Each eligible scored submission with its primary value on ``split``, smaller better."""
    sign = -1.0 if choice.greater_is_better else 1.0
    value = col(Score.value)
    return (
        select(
            col(Submission.id).label("sid"),
            col(Submission.team_id).label("team"),
            col(Submission.created_at).label("at"),
            (value * sign).label("v"),
        )
        .join(Score, col(Score.submission_id) == Submission.id)
        .where(
            *_eligible(phase),
            col(Score.metric) == choice.primary,
            cast(col(Score.split), String) == split,
            value > -FINITE,
            value < FINITE,
        )
        .cte()
    )


def _near_best(primary: Any, choice: Choice, k: int) -> Select[Any]:
    """Submissions within one display step of the team's ``k``-th best primary value."""
    if k == 1:
        cut = select(primary.c.team, func.min(primary.c.v).label("v")).group_by(primary.c.team)
    else:
        numbered = select(
            primary.c.team,
            primary.c.v,
            func.row_number().over(partition_by=primary.c.team, order_by=primary.c.v).label("n"),
        ).subquery()
        cut = (
            select(numbered.c.team, func.max(numbered.c.v).label("v"))
            .where(numbered.c.n <= k)
            .group_by(numbered.c.team)
        )
    limits = cut.subquery()
    step = 1.5 * 10.0**-choice.decimals  # any two values shown equal differ by less than a step
    return select(primary.c.sid).join(
        limits, and_(limits.c.team == primary.c.team, primary.c.v <= limits.c.v + step)
    )


def _latest(rows: Any) -> Select[Any]:
    """Of ``rows`` (sid, team, at), each team's latest (all of them on an equal time)."""
    last = select(rows.c.team, func.max(rows.c.at).label("at")).group_by(rows.c.team).subquery()
    return select(rows.c.sid).join(last, and_(last.c.team == rows.c.team, last.c.at == rows.c.at))


def candidate_ids(phase: Phase, choice: Choice) -> CompoundSelect[Any]:
    """The ids of the submissions that can show on the board (see the module's list)."""
    rule = choice.rule
    primary = _primary(phase, choice, choice.split if rule.kind == "latest" else choice.choose_on)
    unscored: Any = select(
        col(Submission.id).label("sid"),
        col(Submission.team_id).label("team"),
        col(Submission.created_at).label("at"),
    ).where(*_eligible(phase), col(Submission.team_id).not_in(select(primary.c.team)))
    parts: list[Select[Any]] = [
        select(col(Submission.id)).where(
            col(Submission.phase_id) == phase.id,
            col(Submission.created_at) < phase.end,
            col(Submission.baseline).is_(True),
            col(Submission.disqualified).is_(False),
        ),
        # the library's fallback row, needed only where nothing of the team is scored
        _latest(unscored.subquery()),
    ]
    if rule.kind == "latest":
        parts.append(_latest(primary))
    else:
        k = 1 if rule.kind == "best" else max(rule.max_selected or 1, 1)
        parts.append(_near_best(primary, choice, k))
    if rule.kind == "selected":
        parts.append(select(col(Submission.id)).where(*_eligible(phase), col(Submission.selected)))
    return union_of(*parts)


def load_board_entries(
    session: Session,
    *,
    phase: Phase,
    metrics: tuple[str, ...],
    splits: tuple[str, ...],
    choice: Choice,
) -> list[SubmissionScore]:
    """The candidate submissions of ``phase`` as the library's records, in one statement
    (submission, team, scores on ``splits`` and the scored evaluation's costs).

    As in :func:`podium.crud.leaderboards.load_entries`, a submission with stored scores is
    finished, and its costs are those of the evaluation its scores came from.
    """
    chosen = candidate_ids(phase, choice).subquery()
    score_on = and_(
        col(Score.submission_id) == Submission.id,
        col(Score.metric).in_(metrics),
        cast(col(Score.split), String).in_(splits),
    )
    query = (
        select(
            col(Submission.id),
            col(Submission.team_id),
            col(Team.name),
            col(Submission.created_at),
            col(Submission.status),
            col(Submission.baseline),
            col(Submission.disqualified),
            col(Submission.selected),
            cast(col(Score.split), String),
            col(Score.metric),
            col(Score.value),
            col(Score.ci_low),
            col(Score.ci_high),
            col(Evaluation.wall_seconds),
            col(Evaluation.cpu_seconds),
            col(Evaluation.peak_memory_mb),
        )  # fmt: skip
        .select_from(chosen)
        .join(Submission, col(Submission.id) == chosen.c[0])
        .join(Team, col(Team.id) == Submission.team_id)
        .outerjoin(Score, score_on)
        .outerjoin(Evaluation, col(Evaluation.id) == Score.evaluation_id)
    )
    return _records(session.connection().execute(query), phase.name, metrics[0])


def _records(rows: Iterable[Any], phase_name: str, primary: str) -> list[SubmissionScore]:
    heads: dict[int, tuple[Any, ...]] = {}
    values: dict[int, dict[str, dict[str, float | None]]] = {}
    intervals: dict[int, dict[str, ScoreInterval]] = {}
    costs: dict[int, Efficiency] = {}
    for sid, *head, split, metric, value, low, high, wall, cpu, memory in rows:
        heads.setdefault(sid, tuple(head))
        if split is None:
            continue
        values.setdefault(sid, {}).setdefault(split, {})[metric] = value
        if metric == primary and low is not None and high is not None:
            intervals.setdefault(sid, {})[split] = ScoreInterval(low, high)
        costs[sid] = Efficiency(wall, cpu, memory)
    return [
        SubmissionScore(
            sid,
            team,
            name,
            at,
            phase_name,
            values.get(sid, {}),
            intervals.get(sid, {}),
            costs.get(sid, Efficiency()),
            "finished" if sid in values else str(status),
            baseline,
            disqualified,
            selected,
        )  # fmt: skip
        for sid, (team, name, at, status, baseline, disqualified, selected) in heads.items()
    ]


def team_activity(session: Session, *, phase: Phase) -> dict[int, Activity]:
    """Per team, its submissions in the phase window (any status, disqualified ones too)."""
    query = (
        select(col(Submission.team_id), func.count(), func.max(col(Submission.created_at)))
        .where(
            col(Submission.phase_id) == phase.id,
            col(Submission.created_at) < phase.end,
            col(Submission.baseline).is_(False),
        )
        .group_by(col(Submission.team_id))
    )
    return {
        team: Activity(int(count), last)
        for team, count, last in session.connection().execute(query)
    }


def with_activity(board: Leaderboard, activity: dict[int, Activity]) -> Leaderboard:
    """``board`` with each team row's count and latest submission time from ``activity``."""
    rows = tuple(
        e
        if e.baseline or e.team_id not in activity
        else replace(
            e,
            submission_count=activity[e.team_id].count,
            last_submission_at=activity[e.team_id].last_at,
        )
        for e in board.entries
    )
    return replace(board, entries=rows)
