"""Leaderboards from the database: which phase, who may see what, loading, ties, a cache.

The ranking itself is the pure ``leaderboard`` library; this module feeds it plain records
built with a few SQLAlchemy core queries, and caches the result per challenge until a
submission of the challenge changes (see :class:`LeaderboardCache`).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import String, cast, func, select
from sqlmodel import Session, col

from leaderboard import (
    PRIVATE,
    PUBLIC,
    Efficiency,
    Leaderboard,
    LeaderboardError,
    RankingRule,
    ScoreInterval,
    SubmissionScore,
    directions_from_registry,
    rank,
    visible_splits,
)
from podium.crud import roles
from podium.crud.challenges import phases_of
from podium.crud.errors import InvalidInput, NotFound, PermissionDenied
from podium.db.models import Challenge, Evaluation, Phase, Score, Submission, Team, User
from podium.db.types import utcnow

T = TypeVar("T")
Z_95 = 1.959963984540054  # the 97.5% quantile of the standard normal: a 95% interval is ±Z σ


@dataclass(frozen=True)
class BoardConfig:
    """How one phase of a challenge ranks: metrics, directions, precision, rule, visibility."""

    primary: str
    secondary: tuple[str, ...]
    greater_is_better: Mapping[str, bool]
    decimals: int
    rule: RankingRule
    visibility: str


def board_config(challenge: Challenge, phase: Phase) -> BoardConfig:
    """The ranking settings of ``phase``, read from the challenge's stored spec."""
    metrics: dict[str, Any] = challenge.spec.get("metrics", {})
    primary = str(metrics["primary"])
    secondary = tuple(str(m) for m in metrics.get("secondary", []))
    program = metrics.get("scoring_program") or {}
    declared = {m["name"]: bool(m["greater_is_better"]) for m in program.get("metrics", [])}
    names = (primary, *secondary)
    directions = declared or _registry_directions(names)
    spec = phase.leaderboard or {}
    try:
        rule = RankingRule(spec.get("rule", "best"), spec.get("max_selected"))
    except LeaderboardError as error:
        raise InvalidInput(
            f"phase {phase.name!r} has an invalid leaderboard rule: {error}"
        ) from None
    return BoardConfig(
        primary,
        secondary,
        {n: directions[n] for n in names},
        int(metrics.get("decimals", 4)),
        rule,
        str(spec.get("visibility", "public")),
    )


@lru_cache(maxsize=256)
def _registry_directions(names: tuple[str, ...]) -> dict[str, bool]:
    return directions_from_registry(names)


def select_phase(session: Session, *, challenge: Challenge, name: str | None) -> Phase:
    """The phase called ``name``; by default the open one, else the latest started, else the first.

    Raises:
        NotFound: No phase of that name (the message lists them).
    """
    phases = phases_of(session, challenge=challenge)
    if name is not None:
        for phase in phases:
            if phase.name == name:
                return phase
        known = ", ".join(p.name for p in phases)
        raise NotFound(f"no phase {name!r} in {challenge.slug}; phases: {known}")
    if not phases:
        raise NotFound(f"{challenge.slug} has no phases")
    now = utcnow()
    started = [p for p in phases if p.start <= now]
    open_now = [p for p in started if now < p.end]
    if open_now:
        return open_now[-1]
    return max(started, key=lambda p: p.start) if started else phases[0]


def viewer_role(session: Session, *, user: User | None, challenge: Challenge) -> str | None:
    """``"admin"``, ``"organiser"`` or ``"judge"`` for the challenge's staff; else None."""
    if user is None:
        return None
    if user.is_admin:
        return "admin"
    held = roles.roles_of(session, user=user, challenge=challenge)
    return min((r.value for r in held), default=None)


def check_visible(challenge: Challenge, config: BoardConfig, role: str | None, split: str) -> None:
    """Refuse a view the caller may not see.

    Raises:
        PermissionDenied: Hidden leaderboard for a non-staff caller, or a split not yet revealed.
        InvalidInput: An unknown split.
    """
    if split not in (PUBLIC, PRIVATE):
        raise InvalidInput(f"unknown split {split!r}; use public or private")
    staff = role is not None
    if config.visibility == "hidden" and not staff:
        raise PermissionDenied(
            f"the leaderboard of {challenge.slug} is hidden; only its organisers and judges see it"
        )
    if config.visibility == "private-until-reveal" and not staff and not challenge.revealed_private:
        raise PermissionDenied(
            f"the leaderboard of {challenge.slug} is shown after the organisers reveal it"
        )
    if split not in visible_splits(role, challenge.revealed_private):
        raise PermissionDenied(
            f"the private leaderboard of {challenge.slug} is shown after the organisers reveal "
            "it; ask for split=public"
        )


def interval_p_value(
    split: str, primary: str
) -> Callable[[SubmissionScore, SubmissionScore], float]:
    """P-values of "no difference" from the two entries' stored 95% intervals.

    An approximation, not the paired bootstrap the issue asks for: each interval's half-width
    divided by 1.96 is taken as that score's standard error, the two scores are treated as
    independent, and ``p = erfc(|a - b| / sqrt(2 (σa² + σb²)))`` (two-sided normal test).
    Scores on the same test rows are positively correlated, so the true standard error of the
    difference is smaller: this p-value is too large, which claims ties more often (it never
    invents a significant difference). The pipeline can later store paired p-values; the
    library accepts a ``{(id_a, id_b): p}`` mapping for that. NaN: no interval, no claim.
    """

    def p_value(a: SubmissionScore, b: SubmissionScore) -> float:
        va, vb = a.score(split, primary), b.score(split, primary)
        ia, ib = a.intervals.get(split), b.intervals.get(split)
        if va is None or vb is None or ia is None or ib is None:
            return math.nan
        sigma = math.hypot((ia.high - ia.low) / (2 * Z_95), (ib.high - ib.low) / (2 * Z_95))
        if sigma == 0:
            return 1.0 if va == vb else 0.0
        return math.erfc(abs(va - vb) / (sigma * math.sqrt(2)))

    return p_value


def load_entries(
    session: Session,
    *,
    phase: Phase,
    metrics: tuple[str, ...],
    splits: tuple[str, ...] = (PUBLIC, PRIVATE),
) -> list[SubmissionScore]:
    """Every submission of ``phase`` as the library's record (scores on ``splits``, costs).

    A submission counts as finished when it has stored scores: the pipeline writes them only
    for a finished evaluation and replaces them atomically (a re-run keeps the entry meanwhile).
    """
    scores, evaluation_of = _scores(session, phase.id, metrics, splits)
    efficiency = _efficiency(session, phase.id, evaluation_of)
    columns = (Submission.id, Submission.team_id, Team.name, Submission.created_at)
    flags = (Submission.status, Submission.baseline, Submission.disqualified, Submission.selected)
    query = (
        select(*(col(c) for c in (*columns, *flags)))
        .join(Team, col(Team.id) == Submission.team_id)
        .where(col(Submission.phase_id) == phase.id)
    )
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
    session: Session, phase_id: int | None, metrics: tuple[str, ...], splits: tuple[str, ...]
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


def build_leaderboard(
    session: Session, *, phase: Phase, config: BoardConfig, split: str
) -> Leaderboard:
    """Rank ``phase`` on ``split`` (the private split picks each team's entry on public scores).

    Raises:
        InvalidInput: The challenge's ranking settings are invalid.
    """
    metrics = (config.primary, *config.secondary)
    splits = (split, PUBLIC) if split == PRIVATE else (split,)
    entries = load_entries(session, phase=phase, metrics=metrics, splits=splits)
    # leaderboard.tie_groups fails on an empty ranking: no significance when nothing ranks
    rankable = any(
        e.score(split, config.primary) is not None
        and not (e.baseline or e.disqualified)
        and e.submitted_at < phase.end
        for e in entries
    )
    try:
        return rank(
            entries,
            primary=config.primary,
            split=split,
            greater_is_better=config.greater_is_better,
            secondary=config.secondary,
            rule=config.rule,
            phase_end=phase.end,
            decimals=config.decimals,
            significance=interval_p_value(split, config.primary) if rankable else None,
            choose_on=PUBLIC if split == PRIVATE else None,
        )
    except LeaderboardError as error:
        raise InvalidInput(f"the leaderboard cannot be ranked: {error}") from None


def change_token(session: Session, *, challenge: Challenge) -> tuple[Hashable, ...]:
    """What changes whenever the challenge's rankings may change.

    Every submission change stamps ``updated_at`` (the pipeline through ``record_status``,
    disqualification here) and a new submission also raises the largest id; the challenge's
    own ``updated_at`` covers its settings. Both are index lookups (no scan), so the check
    costs well under a millisecond with 100,000 submissions. A deleted submission changes
    neither: the cache's age limit covers that (the platform never deletes submissions).
    """
    latest = (
        select(func.max(col(Submission.updated_at)))
        .where(col(Submission.challenge_id) == challenge.id)
        .scalar_subquery()
    )
    newest = select(func.max(col(Submission.id))).scalar_subquery()
    changed, last_id = session.connection().execute(select(latest, newest)).one()
    return (changed, last_id, challenge.updated_at)


@dataclass
class _Slot:
    token: Hashable
    value: Any
    built_at: float


@dataclass
class LeaderboardCache:
    """Computed views by key, valid while their change token is unchanged.

    Bounded (least recently used out, since ``weights`` makes keys caller-chosen) and with a
    time limit as a safety net for changes the token cannot see (a deleted submission). One
    lock per key: one request rebuilds a stale view while concurrent requests for it get the
    previous version instead of queueing behind the rebuild (stale by at most one rebuild).
    """

    max_entries: int = 128
    max_age_seconds: float = 600.0
    clock: Callable[[], float] = field(default=lambda: utcnow().timestamp())
    _slots: OrderedDict[Hashable, _Slot] = field(default_factory=OrderedDict)
    _locks: dict[Hashable, threading.Lock] = field(default_factory=dict)
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key: Hashable, token: Hashable, build: Callable[[], T]) -> T:
        """The cached value for ``key`` if built under ``token``, else ``build()`` (cached)."""
        hit = self._fresh(key, token)
        if hit is not None:
            return hit.value
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
            stale = self._slots.get(key)
        if not lock.acquire(blocking=stale is None):
            assert stale is not None
            return stale.value  # another request is rebuilding it
        try:
            hit = self._fresh(key, token)
            if hit is not None:
                return hit.value
            value = build()
            with self._guard:
                self._slots[key] = _Slot(token, value, self.clock())
                self._slots.move_to_end(key)
                while len(self._slots) > self.max_entries:
                    old, _ = self._slots.popitem(last=False)
                    self._locks.pop(old, None)
            return value
        finally:
            lock.release()

    def _fresh(self, key: Hashable, token: Hashable) -> _Slot | None:
        with self._guard:
            slot = self._slots.get(key)
            if slot is None or slot.token != token:
                return None
            if self.clock() - slot.built_at > self.max_age_seconds:
                return None
            self._slots.move_to_end(key)
            return slot
