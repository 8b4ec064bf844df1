"""Fair dispatch on a real database, without Docker: the claim, the reaper, cancel and re-run.

A team has at most ``team_in_flight`` submissions sent at once (:mod:`podium.pipeline.fairness`).
The races run with threads that each hold their own connection, released together by a barrier,
round after round, on SQLite and on PostgreSQL: two claimers never send the same submission,
the cap holds, and no waiting submission is left unsent while its team has room.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from podium.crud.phases import submission_phase
from podium.crud.submissions import record_status
from podium.crud.teams import get_or_create_personal_team
from podium.db import migrate
from podium.db.engine import create_db_engine
from podium.db.models import (
    Challenge,
    Evaluation,
    Submission,
    SubmissionEvent,
    SubmissionKind,
    SubmissionStatus,
)
from podium.db.types import utcnow
from podium.pipeline import dispatch
from podium.pipeline.fairness import TURN_CAME, WAITING_FOR_WORKER, admit, send_next
from podium.pipeline.fairness import waiting_for_team as waiting_text
from podium.pipeline.reaper import reap_once
from podium.settings import Settings
from podium.store import Store
from tests.platform.factories import make_challenge, make_user

Status = SubmissionStatus
ROUNDS = 4


@dataclass
class World:
    """A challenge on a real database; each team is a fresh participant's own."""

    engine: Engine
    challenge: Challenge
    settings: Settings

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def team(self) -> tuple[int, int]:
        """A new team: (team id, its member's user id)."""
        with self.session() as session:
            user = make_user(session)
            team = get_or_create_personal_team(session, user, self.challenge)
            assert team.id is not None and user.id is not None
            return team.id, user.id

    def submission(
        self, team: tuple[int, int], status: Status = Status.QUEUED, *, sent: bool = False,
        age_seconds: float = 0,
    ) -> int:  # fmt: skip
        """A row in ``status`` as the pipeline leaves it, sent or not, changed that long ago."""
        with self.session() as session:
            phase = submission_phase(session, challenge=self.challenge, name=None)
            assert self.challenge.id is not None and phase.id is not None
            submission = Submission(
                challenge_id=self.challenge.id, phase_id=phase.id, team_id=team[0],
                user_id=team[1], kind=SubmissionKind.IMAGE, image_digest="sha256:" + "0" * 64,
            )  # fmt: skip
            record_status(session, submission, status)
            then = utcnow() - timedelta(seconds=age_seconds)
            submission.updated_at = then
            submission.sent_at = then if sent else None
            session.add(submission)
            session.commit()
            assert submission.id is not None
            return submission.id

    def get(self, submission_id: int) -> Submission:
        with self.session() as session:
            found = session.get(Submission, submission_id)
        assert found is not None
        return found

    def end(self, submission_id: int, status: Status = Status.FINISHED) -> None:
        with self.session() as session:
            submission = session.get(Submission, submission_id)
            assert submission is not None
            record_status(session, submission, status)
            session.commit()

    def last_detail(self, submission_id: int) -> str:
        with self.session() as session:
            query = select(SubmissionEvent).where(SubmissionEvent.submission_id == submission_id)
            return session.exec(query.order_by(col(SubmissionEvent.id).desc())).first().detail  # type: ignore[union-attr]

    def sent(self, team_id: int) -> set[int]:
        with self.session() as session:
            query = select(Submission.id).where(
                Submission.team_id == team_id, col(Submission.sent_at).is_not(None)
            )
            return {i for i in session.exec(query).all() if i is not None}


def _world(engine: Engine, settings: Settings, tmp_path: Path) -> World:
    with Session(engine, expire_on_commit=False) as session:
        challenge = make_challenge(session, Store.from_settings(settings), tmp_path)
    return World(engine, challenge, settings)


@pytest.fixture
def world(settings: Settings, tmp_path: Path) -> Iterator[World]:
    engine = create_db_engine(settings.database_url)
    yield _world(engine, settings, tmp_path)
    engine.dispose()


def _together(*jobs: Callable[[], list[int]]) -> list[list[int]]:
    """Run ``jobs`` in threads released at once; each job's result (or its error, raised)."""
    barrier = threading.Barrier(len(jobs))
    results: list[list[int] | BaseException] = [[] for _ in jobs]

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = jobs[index]()
        except BaseException as error:  # re-raised below, in the test's thread
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return [r for r in results if not isinstance(r, BaseException)]


def _claimer(world: World, team_id: int, cap: int) -> Callable[[], list[int]]:
    def claim() -> list[int]:
        with world.session() as session:
            return [c.submission_id for c in send_next(session, team_id, cap)]

    return claim


def _ender(world: World, ended: int, team_id: int, cap: int) -> Callable[[], list[int]]:
    def end_then_claim() -> list[int]:
        world.end(ended)
        return _claimer(world, team_id, cap)()

    return end_then_claim


def _submitter(world: World, team: tuple[int, int], cap: int) -> Callable[[], list[int]]:
    new = world.submission(team, Status.SUBMITTED)

    def enqueue() -> list[int]:
        with world.session() as session:
            submission = session.get(Submission, new)
            assert submission is not None
            return [c.submission_id for c in admit(session, submission, cap)]

    return enqueue


def _check_races(world: World) -> None:
    for _ in range(ROUNDS):
        # four claimers at once, nothing in flight, cap 1: exactly one claim, the oldest
        team = world.team()
        waiting = [world.submission(team) for _ in range(3)]
        results = _together(*[_claimer(world, team[0], 1) for _ in range(4)])
        assert sorted(sum(results, [])) == [waiting[0]], results

        # two ends at the same moment, cap 2: the next two are sent, each once
        team = world.team()
        flying = [world.submission(team, Status.RUNNING, sent=True) for _ in range(2)]
        waiting = [world.submission(team) for _ in range(3)]
        results = _together(*[_ender(world, f, team[0], 2) for f in flying])
        assert sorted(sum(results, [])) == waiting[:2], results
        assert world.sent(team[0]) == {*flying, *waiting[:2]}

        # an end and a new submission at the same moment, cap 1: the older waiting one goes
        team = world.team()
        flying_one = world.submission(team, Status.RUNNING, sent=True)
        older = world.submission(team)
        results = _together(_ender(world, flying_one, team[0], 1), _submitter(world, team, 1))
        assert sum(results, []) == [older], results
        assert world.sent(team[0]) == {flying_one, older}


def test_simultaneous_claims_never_share_a_submission_on_sqlite(world: World) -> None:
    _check_races(world)


@pytest.mark.postgres
def test_simultaneous_claims_never_share_a_submission_on_postgres(
    postgres_url: str, tmp_path: Path
) -> None:
    migrate.upgrade(postgres_url)
    engine = create_db_engine(postgres_url)
    try:
        _check_races(_world(engine, Settings(home=tmp_path / "home"), tmp_path))
    finally:
        engine.dispose()


def test_a_team_at_its_cap_waits_and_another_team_is_sent_at_once(world: World) -> None:
    team_a, team_b = world.team(), world.team()
    first, second = (world.submission(team_a, Status.SUBMITTED) for _ in range(2))
    other = world.submission(team_b, Status.SUBMITTED)
    with world.session() as session:
        claims = [admit(session, session.get(Submission, i), 1) for i in (first, second, other)]  # type: ignore[arg-type]
    assert [[c.submission_id for c in claim] for claim in claims] == [[first], [], [other]]
    assert world.get(second).status is Status.QUEUED and world.get(second).sent_at is None
    assert world.last_detail(first) == WAITING_FOR_WORKER
    assert world.last_detail(second) == waiting_text(1)
    assert waiting_text(1) == (
        "waiting for your team's earlier submissions to end: a team's submissions are "
        "evaluated 1 at a time"
    )
    world.end(first, Status.FAILED)
    with world.session() as session:
        assert [c.submission_id for c in send_next(session, team_a[0], 1)] == [second]
    assert world.last_detail(second) == TURN_CAME


def test_a_cancelled_waiting_submission_is_never_sent(world: World, settings: Settings) -> None:
    team = world.team()
    flying = world.submission(team, Status.RUNNING, sent=True)
    cancelled, after = world.submission(team), world.submission(team)
    with world.session() as session:
        charged = dispatch.cancel(session, session.get(Submission, cancelled), settings)  # type: ignore[arg-type]
    assert charged is False
    assert world.get(cancelled).status is Status.CANCELLED
    world.end(flying, Status.ERROR)
    with world.session() as session:
        assert [c.submission_id for c in send_next(session, team[0], 1)] == [after]
    world.end(after)
    later = utcnow() + timedelta(hours=2)  # long past every cutoff
    sent: list[int] = []
    reap_once(world.session, settings, lambda i, gpu: sent.append(i), now=later)
    assert sent == [] and world.get(cancelled).sent_at is None


def test_the_reaper_sends_a_forgotten_unsent_submission_only_under_the_cap(
    world: World, settings: Settings
) -> None:
    config = settings.model_copy(update={"queued_stale_seconds": 600, "stale_seconds": 30})
    team = world.team()
    flying = world.submission(team, Status.RUNNING, sent=True, age_seconds=3600)
    with world.session() as session:  # its worker is alive: the reaper leaves it be
        session.add(
            Evaluation(
                submission_id=flying, started_at=utcnow(), heartbeat_at=utcnow(),
                deadline=utcnow() + timedelta(hours=1),
            )
        )  # fmt: skip
        session.commit()
    forgotten = world.submission(team, age_seconds=3600)
    sent: list[tuple[int, bool]] = []
    summary = reap_once(world.session, config, lambda i, gpu: sent.append((i, gpu)))
    assert sent == [] and summary.resent == [] and world.get(forgotten).sent_at is None

    world.end(flying)  # ... and its worker died before sending the team's next one
    summary = reap_once(world.session, config, lambda i, gpu: sent.append((i, gpu)))
    assert sent == [(forgotten, False)] and summary.resent == [forgotten]
    assert world.get(forgotten).sent_at is not None
    assert world.last_detail(forgotten) == "enqueued again by the reaper"
    assert reap_once(world.session, config, lambda i, gpu: sent.append((i, gpu))).resent == []


def test_the_reaper_resends_a_lost_message_once_among_two_reapers(
    world: World, settings: Settings
) -> None:
    config = settings.model_copy(update={"queued_stale_seconds": 600})
    team = world.team()
    lost = world.submission(team, sent=True, age_seconds=3600)
    waiting = world.submission(team, age_seconds=3600)
    sent: list[int] = []

    def reap() -> list[int]:
        return reap_once(world.session, config, lambda i, gpu: sent.append(i)).resent

    results = _together(reap, reap)
    assert sorted(sum(results, [])) == [lost] and sent == [lost]  # the team is at its cap
    assert world.get(waiting).sent_at is None


def test_a_rerun_waits_for_its_teams_turn(world: World, settings: Settings) -> None:
    team = world.team()
    done = world.submission(team, Status.FINISHED, sent=True)
    world.submission(team, Status.RUNNING, sent=True)
    with world.session() as session:
        dispatch.rerun(session, session.get(Submission, done), settings)  # type: ignore[arg-type]
    rerun = world.get(done)
    assert rerun.status is Status.QUEUED and rerun.sent_at is None
    assert world.last_detail(done) == waiting_text(1)
