"""The team-size cap holds when members join at the same moment, on SQLite and on PostgreSQL.

A probe had five simultaneous joins end with five members in a team capped at four: each join
counted the members before any of the others had written. Here several threads, each with its
own session (its own database connection), join one team at once, released by a barrier, again
and again; every round must end with exactly the cap, and every join refused for lack of room
must say so.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from podium.crud.teams import create_team, invite, join, member_count
from podium.db import migrate
from podium.db.engine import create_db_engine
from podium.db.models import Challenge, Team, User
from podium.errors import Conflict
from podium.settings import Settings
from podium.store import Store
from tests.platform.factories import make_challenge, make_user

CAP = 4
JOINERS = 5  # with the owner, two more than the cap allows
ROUNDS = 4


def _round(engine: Engine, store: Store, tmp_path: Path, n: int) -> tuple[int, list[str]]:
    """One race: a team of one, five invited users joining at once. Members and outcomes."""
    with Session(engine, expire_on_commit=False) as session:
        owner = make_user(session)
        challenge = make_challenge(session, store, tmp_path, slug=f"race-{n}", max_size=CAP)
        team = create_team(session, challenge=challenge, user=owner, name="Racers")
        joiners = [make_user(session) for _ in range(JOINERS)]
        for user in joiners:
            invite(session, team=team, challenge=challenge, inviter=owner, invitee=user)
    barrier = threading.Barrier(JOINERS)
    outcomes: list[str] = []

    def attempt(user: User) -> None:
        with Session(engine, expire_on_commit=False) as own:
            mine, where = own.get(Team, team.id), own.get(Challenge, challenge.id)
            assert mine is not None and where is not None
            barrier.wait()
            try:
                join(own, team=mine, challenge=where, user=user)
                outcomes.append("joined")
            except Conflict as refused:
                outcomes.append(refused.message)
            except Exception as error:  # a lock error would be a 500: record it, fail below
                outcomes.append(f"error: {error!r}")

    threads = [threading.Thread(target=attempt, args=(user,)) for user in joiners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    with Session(engine) as session:
        fresh = session.get(Team, team.id)
        assert fresh is not None
        return member_count(session, team=fresh), outcomes


def _check_rounds(engine: Engine, store: Store, tmp_path: Path) -> None:
    for n in range(ROUNDS):
        members, outcomes = _round(engine, store, tmp_path, n)
        assert members == CAP, (n, outcomes)
        assert outcomes.count("joined") == CAP - 1, outcomes
        refusals = [o for o in outcomes if o != "joined"]
        assert refusals == [
            f"team 'Racers' is full: race-{n} allows at most {CAP} members per team"
        ] * (JOINERS - CAP + 1), refusals


def test_simultaneous_joins_keep_the_cap_on_sqlite(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    engine = create_db_engine(settings.database_url)
    try:
        _check_rounds(engine, store, tmp_path)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_simultaneous_joins_keep_the_cap_on_postgres(postgres_url: str, tmp_path: Path) -> None:
    migrate.upgrade(postgres_url)
    engine = create_db_engine(postgres_url)
    try:
        _check_rounds(engine, Store.from_settings(Settings(home=tmp_path / "home")), tmp_path)
    finally:
        engine.dispose()
