"""Leaderboards ranked in a child process, so that the API's process only serves them.

Ranking a board of 100,000 submissions brought up to date costs about half a second of CPU. In
the API's own process that half second held the interpreter's lock against the thread that
answers requests: with a new score every second, the live board's p99 went from 4 ms to 400 ms,
and the trivial endpoint's with it (issue 13). Here one child process (per API process, started
on first use, at a lower scheduling priority) ranks every board; the API's background rebuild
thread only waits for it, which holds no lock.

The child keeps each board's last candidates, so that the next rank reads only the teams that
changed (:func:`podium.crud.board_entries.load_candidates`), and sends back what answers need:
the head and the entries already encoded as JSON, and the library's table pickled; the API
process unpickles the table only when a view asks for it (CSV, weights, filters, the page).

A database the child cannot open (SQLite in memory) is ranked in the caller's thread, as is
everything while the child is broken (it is started again on the next rank).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from sqlalchemy import Engine

from podium.db.engine import create_db_engine
from podium.services.boards import Ranked, Target, build_ranked
from podium.store import Store

log = logging.getLogger(__name__)
NICENESS = 5  # the child yields the CPU to the process answering requests
MAX_ENGINES = 4  # databases the child keeps open (tests rank many short-lived ones)
MAX_BOARDS = 64  # boards whose candidates the child keeps
PARENT_POLL_SECONDS = 1.0

# The child's state (module globals live in the child process only).
_engines: OrderedDict[str, Engine] = OrderedDict()
_boards: OrderedDict[tuple[str, Target], Ranked] = OrderedDict()


def _start_child() -> None:
    """In the child, first: a lower priority, and an exit as soon as the parent is gone (the
    pool's queue keeps both ends of its pipe open in the child, so a parent killed outright
    would leave the child waiting forever)."""
    try:
        os.nice(NICENESS)
    except OSError:  # not allowed here: rank at the same priority
        pass
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _engine(url: str) -> Engine:
    engine = _engines.pop(url, None) or create_db_engine(url)
    _engines[url] = engine
    while len(_engines) > MAX_ENGINES:
        old_url, old = _engines.popitem(last=False)
        old.dispose()
        for key in [k for k in _boards if k[0] == old_url]:
            del _boards[key]
    return engine


def rank_in_child(
    url: str, target: Target, token: Hashable, store: Store | None, fresh: bool
) -> Ranked:
    """Rank ``target`` of database ``url`` (in the child), from the board's last candidates
    unless ``fresh``; return it packed (see :meth:`Ranked.packed`)."""
    key = (url, target)
    previous = None if fresh else _boards.pop(key, None)
    board = build_ranked(_engine(url), target, token, store, previous)
    _boards[key] = board
    while len(_boards) > MAX_BOARDS:
        _boards.popitem(last=False)
    return board.packed()


class RankingProcess:
    """The child that ranks boards for this process (thread-safe; see the module's text)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def rank(
        self,
        engine: Engine,
        target: Target,
        token: Hashable,
        store: Store | None,
        previous: Ranked | None,
    ) -> Ranked:
        """``target`` ranked by the child (from its last candidates unless ``previous`` is
        None, which asks for a whole read); in this thread when the child cannot."""
        url = database_url(engine)
        if url is None:
            return build_ranked(engine, target, token, store, previous)
        try:
            future = self._executor().submit(
                rank_in_child, url, target, token, store, previous is None
            )
            return future.result()
        except BrokenProcessPool:
            log.warning("the board-ranking process died; ranking here, starting it again")
            self._discard()
            return build_ranked(engine, target, token, store, previous)

    def child_pid(self) -> int:
        """The child's process id (it is started if it is not running)."""
        return self._executor().submit(os.getpid).result()

    def close(self) -> None:
        """Stop the child (it is started again on the next rank)."""
        with self._guard:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _executor(self) -> ProcessPoolExecutor:
        with self._guard:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_child,
                )
            return self._pool

    def _discard(self) -> None:
        with self._guard:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


def database_url(engine: Engine) -> str | None:
    """``engine``'s URL as another process opens it; None for a database only this process
    can see (SQLite in memory)."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return None
    return url.render_as_string(hide_password=False)


_shared: RankingProcess | None = None
_shared_guard = threading.Lock()


def shared() -> RankingProcess:
    """This process's ranking child (one for every app and cache in the process)."""
    global _shared
    with _shared_guard:
        if _shared is None:
            _shared = RankingProcess()
        return _shared
