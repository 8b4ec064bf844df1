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

A board's :class:`Candidates` are brought up to date from the previous ones
(:func:`load_candidates`): only the teams with a submission stamped since the previous read
(``submissions.updated_at``, an index range, less :data:`MARGIN_SECONDS` for transactions that
committed after their stamp) are read again. Every change a board shows stamps its submission
(``record_status``, a disqualification, a selection); the candidates are read whole again when
the ranking settings or the phase's end changed, and at least every :data:`FULL_EVERY_SECONDS`
(a clock behind by more than the margin, a row edited by hand).
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, Select, String, and_, cast, func, select
from sqlalchemy import union as union_of
from sqlmodel import Session, col

from leaderboard import Efficiency, Leaderboard, RankingRule, ScoreInterval, SubmissionScore
from podium.crud.practice import competing
from podium.db.models import Evaluation, Phase, Score, Submission, Team

FINITE = 1.7976931348623157e308  # the largest float: stored infinities fall outside
MARGIN_SECONDS = 60.0  # a change stamped this long before the previous read is read again
FULL_EVERY_SECONDS = 120.0  # candidates read whole at least this often


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


def _window(phase: Phase, teams: Collection[int] | None) -> list[ColumnElement[bool]]:
    where = [
        col(Submission.phase_id) == phase.id,
        col(Submission.created_at) < phase.end,
        competing(),  # practice runs are never on a board, nor in its counts
    ]
    if teams is not None:
        where.append(col(Submission.team_id).in_(sorted(teams)))
    return where


def _eligible(phase: Phase, teams: Collection[int] | None = None) -> list[ColumnElement[bool]]:
    return [
        *_window(phase, teams),
        col(Submission.disqualified).is_(False),
        col(Submission.baseline).is_(False),
    ]


def _primary(phase: Phase, choice: Choice, split: str, teams: Collection[int] | None) -> Any:
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
            *_eligible(phase, teams),
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


def candidate_ids(
    phase: Phase, choice: Choice, teams: Collection[int] | None = None
) -> CompoundSelect[Any]:
    """The ids of the submissions that can show on the board (see the module's list), of
    ``teams`` only when given."""
    rule = choice.rule
    split = choice.split if rule.kind == "latest" else choice.choose_on
    primary = _primary(phase, choice, split, teams)
    unscored: Any = select(
        col(Submission.id).label("sid"),
        col(Submission.team_id).label("team"),
        col(Submission.created_at).label("at"),
    ).where(*_eligible(phase, teams), col(Submission.team_id).not_in(select(primary.c.team)))
    parts: list[Select[Any]] = [
        select(col(Submission.id)).where(
            *_window(phase, teams),
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
        selected = select(col(Submission.id)).where(
            *_eligible(phase, teams), col(Submission.selected)
        )
        parts.append(selected)
    return union_of(*parts)


def load_board_entries(
    session: Session,
    *,
    phase: Phase,
    metrics: tuple[str, ...],
    splits: tuple[str, ...],
    choice: Choice,
    teams: Collection[int] | None = None,
) -> list[SubmissionScore]:
    """The candidate submissions of ``phase`` as the library's records, in one statement
    (submission, team, scores on ``splits`` and the scored evaluation's costs).

    As in :func:`podium.crud.leaderboards.load_entries`, a submission with stored scores is
    finished, and its costs are those of the evaluation its scores came from.
    """
    chosen = candidate_ids(phase, choice, teams).subquery()
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


def team_activity(
    session: Session, *, phase: Phase, teams: Collection[int] | None = None
) -> dict[int, Activity]:
    """Per team (of ``teams`` when given), its submissions in the phase window (any status,
    disqualified ones too)."""
    query = (
        select(col(Submission.team_id), func.count(), func.max(col(Submission.created_at)))
        .where(*_window(phase, teams), col(Submission.baseline).is_(False))
        .group_by(col(Submission.team_id))
    )
    return {
        team: Activity(int(count), last)
        for team, count, last in session.connection().execute(query)
    }


def with_activity(board: Leaderboard, activity: Mapping[int, Activity]) -> Leaderboard:
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


@dataclass(frozen=True)
class Candidates:
    """What one board is ranked from, kept so that the next read takes only what changed."""

    basis: tuple[Any, ...]  # what they were read under: choice, metrics, splits, phase end
    by_team: Mapping[int, tuple[SubmissionScore, ...]]  # baselines under their own team
    activity: Mapping[int, Activity]
    seen_until: datetime | None  # the newest stamp of the challenge's submissions when read
    full_at: float = field(default_factory=time.monotonic)  # when they were last read whole
    changed_teams: int | None = None  # how many teams the last read took again (None: all)

    def entries(self) -> list[SubmissionScore]:
        return [entry for team in self.by_team.values() for entry in team]


def load_candidates(
    session: Session,
    *,
    phase: Phase,
    metrics: tuple[str, ...],
    splits: tuple[str, ...],
    choice: Choice,
    previous: Candidates | None = None,
) -> Candidates:
    """The board's candidates: ``previous`` with the changed teams read again, or all of them
    (see the module's docstring for when)."""
    basis = (choice, metrics, splits, phase.end)
    mark = _newest_stamp(session, phase)
    if (
        previous is None
        or previous.basis != basis
        or previous.seen_until is None
        or time.monotonic() - previous.full_at > FULL_EVERY_SECONDS
    ):
        found = load_board_entries(
            session, phase=phase, metrics=metrics, splits=splits, choice=choice
        )
        return Candidates(basis, _by_team(found), team_activity(session, phase=phase), mark)
    since = previous.seen_until - timedelta(seconds=MARGIN_SECONDS)
    teams = _teams_stamped_since(session, phase, since)
    by_team = {t: e for t, e in previous.by_team.items() if t not in teams}
    activity = {t: a for t, a in previous.activity.items() if t not in teams}
    if teams:
        found = load_board_entries(
            session, phase=phase, metrics=metrics, splits=splits, choice=choice, teams=teams
        )
        by_team |= _by_team(found)
        activity |= team_activity(session, phase=phase, teams=teams)
    return Candidates(basis, by_team, activity, mark, previous.full_at, len(teams))


def _by_team(entries: Iterable[SubmissionScore]) -> dict[int, tuple[SubmissionScore, ...]]:
    grouped: dict[int, list[SubmissionScore]] = {}
    for entry in entries:
        grouped.setdefault(entry.team_id, []).append(entry)
    return {team: tuple(found) for team, found in grouped.items()}


def _newest_stamp(session: Session, phase: Phase) -> datetime | None:
    # index ix_submissions_challenge_updated: a lookup, not a scan
    query = select(func.max(col(Submission.updated_at))).where(
        col(Submission.challenge_id) == phase.challenge_id
    )
    newest: datetime | None = session.connection().execute(query).scalar()
    return newest


def _teams_stamped_since(session: Session, phase: Phase, since: datetime) -> set[int]:
    query = (
        select(col(Submission.team_id))
        .where(
            col(Submission.challenge_id) == phase.challenge_id,
            col(Submission.updated_at) >= since,
            col(Submission.phase_id) == phase.id,
        )
        .distinct()
    )
    return {int(team) for team in session.connection().execute(query).scalars()}
