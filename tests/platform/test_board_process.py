"""Leaderboards ranked in a child process (issue 13): the same board as ranking in the API's
own process, the API's answers from it, a child that dies, and a parent that dies."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from leaderboard import PRIVATE, PUBLIC
from podium.services import boards
from podium.services.board_process import RankingProcess, database_url
from podium.store import Store
from tests.platform.leaderboard_helpers import World, make_team, make_world, scored

URL = "/api/v1/challenges/{}/leaderboard"


@pytest.fixture
def world(session: Session, store: Store, tmp_path: Path) -> World:
    world = make_world(session, store, tmp_path, judging=False)
    for n, value in enumerate((0.4, 0.2, 0.3, 0.2)):
        scored(session, world, make_team(session, world, f"team-{n}"), value, private=1 - value)
    return world


@pytest.fixture
def child() -> Iterator[RankingProcess]:
    ranking = RankingProcess()
    yield ranking
    ranking.close()


def _engine(session: Session) -> Engine:
    return session.get_bind().engine


def _wait_gone(pid: int) -> None:
    """Block until process ``pid`` has exited (any process, through a pidfd; pytest-timeout
    bounds the wait)."""
    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:  # gone and reaped already
        return
    try:
        select.select([handle], [], [])
    finally:
        os.close(handle)


@pytest.mark.parametrize("split", [PUBLIC, PRIVATE])
def test_the_child_ranks_the_board_this_process_would(
    session: Session, world: World, store: Store, child: RankingProcess, split: str
) -> None:
    target = (world.challenge.id, world.phase.id, split)
    here = boards.build_ranked(_engine(session), target, (1,), store)
    there = child.rank(_engine(session), target, (1,), store, None)
    assert there.pickled is not None and there.candidates is None  # the table travels packed
    assert there.entries == here.entries
    assert there.board == here.board  # unpickled on first use
    assert there.pickled is None
    # brought up to date from the candidates the child kept: a new team shows
    scored(session, world, make_team(session, world, "newcomer"), 0.1, private=0.95)
    later = child.rank(_engine(session), target, (2,), store, there)
    fresh = boards.build_ranked(_engine(session), target, (2,), store)
    assert later.entries == fresh.entries
    assert "newcomer" in {e.team_name for e in later.board.entries}


def test_the_api_answers_the_same_with_and_without_the_child(
    client: TestClient, world: World
) -> None:
    app = client.app
    answers = []
    for in_child in (True, False):
        app.state.leaderboard_cache = None  # type: ignore[attr-defined]
        app.state.settings = app.state.settings.model_copy(  # type: ignore[attr-defined]
            update={"board_ranking_process": in_child}
        )
        answer = client.get(URL.format(world.slug), params={"format": "csv"})
        assert answer.status_code == 200, answer.text
        board = client.get(URL.format(world.slug)).json()
        answers.append((answer.text, [(e["rank"], e["team"]) for e in board["entries"]]))
        cache = app.state.leaderboard_cache  # type: ignore[attr-defined]
        assert (cache.ranking is not None) is in_child
    assert answers[0] == answers[1]
    assert [rank for rank, _ in answers[0][1]] == [1, 1, 3, 4]  # two teams tie at 0.2


def test_a_dead_child_is_replaced_and_the_board_still_answers(
    session: Session, world: World, store: Store, child: RankingProcess
) -> None:
    target = (world.challenge.id, world.phase.id, PUBLIC)
    first = child.child_pid()
    os.kill(first, signal.SIGKILL)
    _wait_gone(first)
    ranked = child.rank(_engine(session), target, (1,), store, None)  # here, this time
    assert ranked.entries == boards.build_ranked(_engine(session), target, (1,), store).entries
    second = child.child_pid()
    assert second != first
    assert child.rank(_engine(session), target, (2,), store, None).pickled is not None


def test_a_database_in_memory_is_ranked_here() -> None:
    from podium.db.engine import create_db_engine

    assert database_url(create_db_engine("sqlite://")) is None
    assert database_url(create_db_engine("sqlite:////tmp/x.db")) == "sqlite:////tmp/x.db"


PARENT = """
import sys
from podium.services.board_process import RankingProcess
child = RankingProcess()
print(child.child_pid(), flush=True)
sys.stdin.read()
"""


def test_the_child_exits_when_its_parent_is_killed() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        pid = int(parent.stdout.readline())
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        _wait_gone(pid)  # the child notices within a second; never: pytest-timeout fails it
    finally:
        parent.kill()
        parent.wait()
