"""Which submission images a worker keeps (pinned) and which it may remove."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session

from podium.db.models import SubmissionStatus
from podium.db.models.judging import Reproduction
from podium.pipeline.retention import pinned_ids, releasable
from podium.store import Store
from tests.platform.factories import make_user
from tests.platform.leaderboard_helpers import World, make_team, make_world, scored


def _digest(letter: str) -> str:
    return "sha256:" + letter * 64


@pytest.fixture
def world(session: Session, store: Store, tmp_path: Path) -> World:
    return make_world(session, store, tmp_path, judging=False)


def test_the_counted_entries_are_pinned_and_the_rest_released(
    session: Session, world: World
) -> None:
    team = make_team(session, world, "owls", [make_user(session)])
    worse = scored(session, world, team, 2.0, minutes=1, image_digest="sha256:" + "a" * 64)
    best = scored(
        session, world, team, 1.0, private=3.0, minutes=2, image_digest="sha256:" + "b" * 64
    )
    private_best = scored(
        session, world, team, 1.5, private=0.5, minutes=3, image_digest="sha256:" + "c" * 64
    )
    failed = scored(
        session,
        world,
        team,
        9.0,
        minutes=4,
        image_digest="sha256:" + "d" * 64,
        status=SubmissionStatus.FAILED,
    )
    pinned = pinned_ids(session, phase=world.phase, team_id=team.id)
    # rmse, lower is better; the private entry is chosen on public scores as well
    assert best.id in pinned and worse.id not in pinned and private_best.id not in pinned
    digests = [s.image_digest for s in (worse, best, private_best, failed)]
    assert releasable(session, digests) == sorted(
        [worse.image_digest, private_best.image_digest, failed.image_digest]
    )


def test_selected_baselines_in_flight_and_reproductions_are_pinned(
    session: Session, world: World
) -> None:
    team = make_team(session, world, "owls", [make_user(session)])
    scored(session, world, team, 1.0, minutes=1)
    selected = scored(session, world, team, 5.0, minutes=2, selected=True)
    running = scored(session, world, team, 5.0, minutes=3, status=SubmissionStatus.RUNNING)
    again = scored(session, world, team, 5.0, minutes=4)
    session.add(Reproduction(submission_id=again.id, metric="rmse", relative_tolerance=0.01))
    session.commit()
    pinned = pinned_ids(session, phase=world.phase, team_id=team.id)
    assert {selected.id, running.id, again.id} <= pinned
