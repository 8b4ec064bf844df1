"""The leaderboard cache, its change token, and the one-query lookup of a cached view's key.

A cached leaderboard is valid while the challenge's *board version* is unchanged (see
:func:`change_token` and :func:`podium.crud.leaderboards.board_changed`, which the writes that
change a board call): a submission's status changes in between (queued, preparing, running,
scoring) keep the cached board. :func:`board_keys` reads, in one indexed statement, everything
a request needs before it can answer from the cache: the challenge's id and flags, its phases
(for choosing one with :func:`podium.crud.phases.choose_phase`, and for their visibility) and
the token, so that a cache hit costs one small query instead of an ORM load per object.

Readers never wait for a rebuild while an older board is there: :meth:`LeaderboardCache.
get_or_refresh` answers with the previous board and rebuilds it in one background thread per
key; only a cold start (no board yet, or one past the age limit) builds in the caller.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, bindparam, select
from sqlmodel import Session, col

from challenges.schema import LeaderboardSpec
from podium.crud.leaderboards import board_version
from podium.db.models import Challenge, Phase
from podium.db.specs import leaderboard_rules
from podium.db.types import utcnow
from podium.store import Store

if TYPE_CHECKING:
    from podium.services.board_process import RankingProcess

T = TypeVar("T")
log = logging.getLogger(__name__)


def change_token(session: Session, *, challenge: Challenge) -> tuple[Hashable, ...]:
    """What changes whenever the challenge's rankings may change: its board version, read
    from the database (the session's object may be older). One primary-key lookup."""
    return (board_version(session, challenge_id=challenge.id),)


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
    settings: LeaderboardSpec  # the phase's leaderboard rules (rule, visibility)
    token: tuple[Hashable, ...]  # equal to ``change_token`` for the challenge

    def key(self, split: str, *extra: Hashable) -> tuple[Hashable, ...]:
        """The cache key of this phase's view on ``split`` (as ``View.key`` makes it)."""
        return (self.challenge_id, self.phase_id, split, *extra)


_KEYS = (
    select(
        col(Challenge.id),
        col(Challenge.published),
        col(Challenge.revealed_private),
        col(Phase.id),
        col(Phase.name),
        col(Phase.start),
        col(Phase.end),
        col(Phase.leaderboard),
        col(Challenge.board_version),
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
    pid: int,
    name: str,
    start: datetime,
    end: datetime,
    settings: dict[str, Any] | None,
    version: int,
) -> BoardKey:
    token = (version,)
    rules = leaderboard_rules(settings, name)
    return BoardKey(cid, slug, published, revealed, pid, name, start, end, rules, token)


@dataclass
class _Slot:
    token: Hashable
    value: Any
    built_at: float


@dataclass
class LeaderboardCache:
    """Computed views by key, valid while the token they were built under holds.

    Bounded (least recently used out, since ``weights`` makes keys caller-chosen) and with an
    age limit as a safety net for changes no board version records (a row edited by hand): a
    value older than half of ``max_age_seconds`` is rebuilt even under the same token, and one
    older than ``max_age_seconds`` is never served (its reader waits for the rebuild).

    Two ways to ask: :meth:`get` builds in the caller (one caller per key; concurrent callers
    get the previous value meanwhile, or wait when there is none); :meth:`get_or_refresh`
    answers with the previous value and rebuilds in a background thread (one per key), so a
    reader waits only on a cold start.
    """

    max_entries: int = 128
    max_age_seconds: float = 600.0
    retry_seconds: float = 1.0  # after a failed background build, the next waits this long
    # Where saved predictions and cached paired p-values live (None: interval approximation).
    store: Store | None = None
    # Where leaderboards are ranked (None: in this process's threads).
    ranking: RankingProcess | None = None
    clock: Callable[[], float] = field(default=lambda: utcnow().timestamp())
    builds: int = 0  # builds started (for tests and benchmarks)
    _slots: OrderedDict[Hashable, _Slot] = field(default_factory=OrderedDict)
    _locks: dict[Hashable, threading.Lock] = field(default_factory=dict)
    _refreshing: dict[Hashable, threading.Thread] = field(default_factory=dict)
    _failed: dict[Hashable, float] = field(default_factory=dict)
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key: Hashable, token: Hashable, build: Callable[[], T]) -> T:
        """The cached value for ``key`` if built under ``token``, else ``build()`` (cached)."""
        hit = self._fresh(key, token, self.max_age_seconds)
        if hit is not None:
            return hit.value
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
            stale = self._servable(self._slots.get(key))
        if not lock.acquire(blocking=stale is None):
            assert stale is not None
            return stale.value  # another caller is rebuilding it
        try:
            hit = self._fresh(key, token, self.max_age_seconds)
            if hit is not None:
                return hit.value
            return self._build(key, token, build)
        finally:
            lock.release()

    def get_or_refresh(self, key: Hashable, token: Hashable, build: Callable[[T | None], T]) -> T:
        """The value for ``key`` built under ``token``; else the previous value while one
        background thread rebuilds it; with no value to serve, ``build(None)`` in the caller.

        ``build`` gets the previous value when only the token changed (to bring it up to
        date), None when it must start afresh (a cold start, or a value grown old). It may run
        in another thread after the caller has returned: it must not use the caller's
        database session.
        """
        hit = self._fresh(key, token, self.max_age_seconds / 2)
        if hit is not None:
            return hit.value
        with self._guard:
            stale = self._servable(self._slots.get(key))
        if stale is None:
            return self.get(key, token, lambda: build(None))
        previous = stale.value if stale.token != token else None
        self._refresh(key, token, lambda: build(previous))
        return stale.value

    def peek(self, key: Hashable, token: Hashable) -> Any | None:
        """The value cached for ``key`` under ``token``, or the previous one while a background
        rebuild of it runs; else None (nothing is built: the caller takes its slow path, which
        starts the rebuild)."""
        hit = self._fresh(key, token, self.max_age_seconds / 2)
        if hit is not None:
            return hit.value
        with self._guard:
            stale = self._servable(self._slots.get(key))
            return None if stale is None or key not in self._refreshing else stale.value

    def settle(self, timeout: float = 30.0) -> bool:
        """Wait for the background rebuilds running now; True if none is left."""
        with self._guard:
            running = list(self._refreshing.values())
        for thread in running:
            thread.join(timeout)
        return not any(thread.is_alive() for thread in running)

    def _refresh(self, key: Hashable, token: Hashable, build: Callable[[], Any]) -> None:
        with self._guard:
            if key in self._refreshing:
                return
            if self.clock() - self._failed.get(key, -self.retry_seconds) < self.retry_seconds:
                return
            thread = threading.Thread(
                target=self._rebuild, args=(key, token, build), name="board-rebuild", daemon=True
            )
            self._refreshing[key] = thread
        thread.start()

    def _rebuild(self, key: Hashable, token: Hashable, build: Callable[[], Any]) -> None:
        try:
            with self._guard:
                lock = self._locks.setdefault(key, threading.Lock())
            with lock:
                if self._fresh(key, token, self.max_age_seconds / 2) is None:
                    self._build(key, token, build)
        except Exception:  # the previous value stays; the next reader retries
            log.exception("rebuilding the cached view %r failed; serving the previous one", key)
            with self._guard:
                self._failed[key] = self.clock()
        finally:
            with self._guard:
                self._refreshing.pop(key, None)

    def _build(self, key: Hashable, token: Hashable, build: Callable[[], T]) -> T:
        with self._guard:
            self.builds += 1
        value = build()
        with self._guard:
            self._slots[key] = _Slot(token, value, self.clock())
            self._slots.move_to_end(key)
            self._failed.pop(key, None)
            while len(self._slots) > self.max_entries:
                old, _ = self._slots.popitem(last=False)
                self._locks.pop(old, None)
        return value

    def _servable(self, slot: _Slot | None) -> _Slot | None:
        """``slot`` if it is young enough to be served while it is rebuilt."""
        if slot is None or self.clock() - slot.built_at >= self.max_age_seconds:
            return None
        return slot

    def _fresh(self, key: Hashable, token: Hashable, max_age: float) -> _Slot | None:
        with self._guard:
            slot = self._slots.get(key)
            if slot is None or slot.token != token:
                return None
            if self.clock() - slot.built_at > max_age:
                return None
            self._slots.move_to_end(key)
            return slot
