"""The leaderboard cache, its change token, and the one-query lookup of a cached view's key.

A cached leaderboard is valid while the challenge's *change token* is unchanged (see
:func:`change_token`). :func:`board_keys` reads, in one indexed statement, everything a
request needs before it can answer from the cache: the challenge's id and flags, its phases
(for choosing one with :func:`podium.crud.phases.choose_phase`, and for their visibility) and
the token, so that a cache hit costs one small query instead of an ORM load per object.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, ScalarSelect, bindparam, func, select
from sqlmodel import Session, col

from podium.db.models import Challenge, Phase, Submission
from podium.db.types import utcnow
from podium.store import Store

T = TypeVar("T")


def _latest_change(challenge_id: Any) -> ScalarSelect[Any]:
    # index ix_submissions_challenge_updated: a lookup, not a scan
    return (
        select(func.max(col(Submission.updated_at)))
        .where(col(Submission.challenge_id) == challenge_id)
        .scalar_subquery()
    )


def _newest_submission() -> ScalarSelect[Any]:
    return select(func.max(col(Submission.id))).scalar_subquery()


def change_token(session: Session, *, challenge: Challenge) -> tuple[Hashable, ...]:
    """What changes whenever the challenge's rankings may change.

    Every submission change stamps ``updated_at`` (the pipeline through ``record_status``,
    disqualification here) and a new submission also raises the largest id; the challenge's
    own ``updated_at`` covers its settings. Both are index lookups (no scan), so the check
    costs well under a millisecond with 100,000 submissions. A deleted submission changes
    neither: the cache's age limit covers that (the platform never deletes submissions).
    """
    query = select(_latest_change(challenge.id), _newest_submission())
    changed, last_id = session.connection().execute(query).one()
    return (changed, last_id, challenge.updated_at)


@dataclass(frozen=True)
class BoardKey:
    """One phase of a challenge as :func:`board_keys` reads it, with the challenge's token."""

    challenge_id: int
    slug: str
    published: bool
    revealed_private: bool
    phase_id: int
    name: str
    start: datetime
    end: datetime
    settings: dict[str, Any]  # the phase's ``leaderboard`` settings (rule, visibility)
    token: tuple[Hashable, ...]  # equal to ``change_token`` for the challenge

    def key(self, split: str, *extra: Hashable) -> tuple[Hashable, ...]:
        """The cache key of this phase's view on ``split`` (as ``View.key`` makes it)."""
        return (self.challenge_id, self.phase_id, split, *extra)


_KEYS = (
    select(
        col(Challenge.id),
        col(Challenge.published),
        col(Challenge.revealed_private),
        col(Challenge.updated_at),
        col(Phase.id),
        col(Phase.name),
        col(Phase.start),
        col(Phase.end),
        col(Phase.leaderboard),
        _latest_change(Challenge.id),
        _newest_submission(),
    )
    .join(Phase, col(Phase.challenge_id) == Challenge.id)
    .where(col(Challenge.slug) == bindparam("slug"))
    .order_by(col(Phase.position))
)


def board_keys(connection: Connection, slug: str) -> list[BoardKey]:
    """The phases of challenge ``slug`` in order (empty: no such challenge or no phase)."""
    return [_board_key(slug, *row) for row in connection.execute(_KEYS, {"slug": slug})]


def _board_key(
    slug: str,
    cid: int,
    published: bool,
    revealed: bool,
    updated: datetime,
    pid: int,
    name: str,
    start: datetime,
    end: datetime,
    settings: dict[str, Any] | None,
    changed: datetime | None,
    last_id: int | None,
) -> BoardKey:
    token = (changed, last_id, updated)
    return BoardKey(cid, slug, published, revealed, pid, name, start, end, settings or {}, token)


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
    # Where saved predictions and cached paired p-values live (None: interval approximation).
    store: Store | None = None
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

    def peek(self, key: Hashable, token: Hashable) -> Any | None:
        """The value cached for ``key`` if built under ``token`` and not too old, else None
        (nothing is built: the caller takes its slow path, which builds)."""
        hit = self._fresh(key, token)
        return None if hit is None else hit.value

    def _fresh(self, key: Hashable, token: Hashable) -> _Slot | None:
        with self._guard:
            slot = self._slots.get(key)
            if slot is None or slot.token != token:
                return None
            if self.clock() - slot.built_at > self.max_age_seconds:
                return None
            self._slots.move_to_end(key)
            return slot
