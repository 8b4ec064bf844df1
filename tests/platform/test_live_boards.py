"""Live leaderboards (issue 13): the board version, what raises it, and boards rebuilt in the
background while readers get the previous one. Real database, real API, no timing."""

from __future__ import annotations

import random
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from leaderboard import PRIVATE, PUBLIC, Leaderboard, RankingRule, rank
from podium.crud.leaderboards import board_version, load_entries
from podium.crud.submissions import record_status
from podium.db.models import Evaluation, Score, ScoreSplit, Submission, SubmissionStatus
from podium.db.types import utcnow
from podium.services import boards, ranking
from podium.services.board_cache import LeaderboardCache
from podium.services.boards import Ranked, View
from podium.store import Store
from tests.platform.factories import make_submission
from tests.platform.leaderboard_helpers import T0, World, make_team, make_world, scored

URL = "/api/v1/challenges/{}/leaderboard"


@pytest.fixture
def world(session: Session, store: Store, tmp_path: Path) -> World:
    return make_world(session, store, tmp_path, judging=False)


def version(session: Session, world: World) -> int:
    return board_version(session, challenge_id=world.challenge.id)


def cache_of(client: TestClient) -> LeaderboardCache:
    cache = client.app.state.leaderboard_cache  # type: ignore[attr-defined]
    assert isinstance(cache, LeaderboardCache)
    return cache


def read(client: TestClient, world: World, who: str = "anonymous", **params: str) -> Any:
    answer = client.get(URL.format(world.slug), params=params, headers=world.headers[who])
    assert answer.status_code == 200, answer.text
    return answer.json()


def settled(client: TestClient, world: World, who: str = "anonymous", **params: str) -> Any:
    """The board after the rebuild the first read starts has finished."""
    read(client, world, who, **params)
    assert cache_of(client).settle()
    return read(client, world, who, **params)


def teams(answer: Any) -> list[tuple[int | None, str]]:
    return [(e["rank"], e["team"]) for e in answer["entries"]]


def view_of(session: Session, world: World, split: str = PUBLIC) -> View:
    config = ranking.board_config(world.challenge, world.phase)
    return View(world.challenge, world.phase, config, split)


def pending(session: Session, world: World, name: str) -> Submission:
    team = make_team(session, world, name)
    return make_submission(
        session,
        challenge=world.challenge,
        phase=world.phase,
        team=team,
        user=world.organiser,
        status=SubmissionStatus.SUBMITTED,
        created_at=T0 + timedelta(minutes=5),
    )


def test_status_changes_that_touch_no_board_keep_the_cached_one(
    client: TestClient, session: Session, world: World
) -> None:
    scored(session, world, make_team(session, world, "a"), 0.3)
    waiting = pending(session, world, "b")
    before = settled(client, world)
    cache = cache_of(client)
    builds, at = cache.builds, version(session, world)
    table = boards.ranked(view_of(session, world), session, cache)

    for status in ("queued", "preparing", "running", "scoring", "failed"):
        record_status(session, waiting, SubmissionStatus(status), f"now {status}")
        session.commit()
        assert read(client, world) == before
        assert boards.ranked(view_of(session, world), session, cache) is table

    assert cache.settle()
    assert (cache.builds, version(session, world)) == (builds, at)


def test_a_new_score_raises_the_version_and_readers_see_it(
    client: TestClient, session: Session, world: World
) -> None:
    scored(session, world, make_team(session, world, "a"), 0.3)
    running = pending(session, world, "b")
    record_status(session, running, SubmissionStatus.SCORING, "scoring")
    session.commit()
    assert teams(settled(client, world)) == [(1, "a"), (None, "b")]
    at = version(session, world)

    # what the pipeline's save_scores writes: the scores and ``finished``, in one transaction
    assert running.id is not None
    evaluation = Evaluation(submission_id=running.id, wall_seconds=3.0)
    session.add(evaluation)
    session.commit()
    assert evaluation.id is not None
    for split in (ScoreSplit.PUBLIC, ScoreSplit.PRIVATE):
        session.add(Score(evaluation_id=evaluation.id, submission_id=running.id, split=split,
                          metric="rmse", value=0.1, ci_low=0.09, ci_high=0.11))  # fmt: skip
    record_status(session, running, SubmissionStatus.FINISHED, "attempt 1")
    session.commit()

    assert version(session, world) == at + 1
    assert teams(settled(client, world)) == [(1, "b"), (2, "a")]


def test_a_new_submission_raises_the_version_as_its_team_shows_up(
    client: TestClient, session: Session, world: World
) -> None:
    scored(session, world, make_team(session, world, "a"), 0.3)
    assert teams(settled(client, world)) == [(1, "a")]
    at = version(session, world)
    waiting = pending(session, world, "newcomer")
    record_status(session, waiting, SubmissionStatus.SUBMITTED, "uploaded")
    session.commit()
    assert version(session, world) == at + 1
    assert teams(settled(client, world)) == [(1, "a"), (None, "newcomer")]


def test_a_disqualification_and_its_reversal_raise_the_version(
    client: TestClient, session: Session, world: World
) -> None:
    best = scored(session, world, make_team(session, world, "a"), 0.1)
    scored(session, world, make_team(session, world, "b"), 0.2)
    assert teams(settled(client, world)) == [(1, "a"), (2, "b")]
    at = version(session, world)
    judge = world.headers["judge"]

    out = client.post(f"/api/v1/submissions/{best.id}/disqualify", json={"reason": "leak"},
                      headers=judge)  # fmt: skip
    assert out.status_code == 200, out.text
    assert version(session, world) == at + 1
    assert teams(settled(client, world)) == [(1, "b")]

    back = client.post(f"/api/v1/submissions/{best.id}/reinstate", headers=judge)
    assert back.status_code == 200, back.text
    assert version(session, world) == at + 2
    assert teams(settled(client, world)) == [(1, "a"), (2, "b")]


def test_a_settings_change_raises_the_version_and_a_title_does_not(
    client: TestClient, session: Session, world: World
) -> None:
    scored(session, world, make_team(session, world, "a"), 0.3, private=0.7)
    settled(client, world)
    organiser = world.headers["organiser"]
    refused = client.get(URL.format(world.slug), params={"split": PRIVATE})
    assert refused.status_code == 403 and "after the organisers reveal" in refused.text
    at = version(session, world)

    titled = client.put(f"/api/v1/challenges/{world.slug}", json={"title": "New"},
                        headers=organiser)  # fmt: skip
    assert titled.status_code == 200, titled.text
    assert version(session, world) == at

    shown = client.put(f"/api/v1/challenges/{world.slug}", json={"revealed_private": True},
                       headers=organiser)  # fmt: skip
    assert shown.status_code == 200, shown.text
    assert version(session, world) == at + 1
    private = settled(client, world, split=PRIVATE)
    assert private["entries"][0]["scores"]["rmse"] == 0.7


def test_readers_get_the_previous_board_while_it_is_rebuilt_then_the_new_one(
    session: Session, world: World, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    scored(session, world, make_team(session, world, "a"), 0.3)
    cache = LeaderboardCache()
    view = view_of(session, world)
    old = boards.ranked(view, session, cache)
    scored(session, world, make_team(session, world, "b"), 0.1)

    started, release = threading.Event(), threading.Event()
    real = boards.build_ranked

    def slow(*args: Any) -> Ranked:
        started.set()
        assert release.wait(30)
        return real(*args)

    monkeypatch.setattr(boards, "build_ranked", slow)
    assert boards.ranked(view, session, cache) is old  # the reader does not wait
    assert started.wait(30)
    assert boards.ranked(view, session, cache) is old  # one rebuild: no second thread
    assert cache.builds == 2
    release.set()
    assert cache.settle()
    new = boards.ranked(view, session, cache)
    assert [e.team_name for e in new.board.entries] == ["b", "a"]
    assert cache.builds == 2


@pytest.mark.parametrize("rule", ["best", "latest", "selected"])
def test_boards_from_candidates_equal_boards_from_every_submission(
    session: Session, world: World, rule: str
) -> None:
    """The database's candidate set changes nothing: the same rows as ranking every entry
    (random scores with many shown-equal values, disqualified ones, baselines, unscored
    teams, submissions after the phase end, selections)."""
    rng = random.Random(13 + len(rule))
    cap = 2 if rule == "selected" else None
    world.phase.leaderboard = {"visibility": "public", "rule": rule, "max_selected": cap}
    world.phase.end = T0 + timedelta(days=2)
    session.add(world.phase)
    session.commit()
    for t in range(12):
        team = make_team(session, world, f"t{t:02d}")
        for n in range(rng.randint(0, 6)):
            _random_submission(session, world, team, rng, n)
    for n, name in enumerate(("only-failed", "failed-after-disqualified")):
        team = make_team(session, world, name)
        if n:
            scored(session, world, team, 0.01, disqualified=True)
        make_submission(
            session, challenge=world.challenge, phase=world.phase, team=team,
            user=world.organiser, status=SubmissionStatus.FAILED, created_at=T0,
        )  # fmt: skip
    for split in (PUBLIC, PRIVATE):
        view = view_of(session, world, split)
        fast = ranking.build_leaderboard(
            session, phase=world.phase, config=view.config, split=split
        )
        assert fast == _every_entry(session, view)
        assert len(fast.entries) > 8


def _random_submission(
    session: Session, world: World, team: Any, rng: random.Random, n: int
) -> None:
    minutes = rng.choice([10 * n, 10 * n, 3 * 24 * 60])  # some after the phase end
    flags = {"disqualified": rng.random() < 0.15, "selected": rng.random() < 0.3,
             "baseline": rng.random() < 0.05}  # fmt: skip
    if rng.random() < 0.2:
        make_submission(session, challenge=world.challenge, phase=world.phase, team=team,
                        user=world.organiser, created_at=T0 + timedelta(minutes=minutes),
                        status=SubmissionStatus.FAILED, **flags)  # fmt: skip
        return
    # values shown equal at 4 decimals but not equal: the secondary and the time decide
    public = rng.choice([0.25, 0.25 + 1e-5, 0.25 + 4e-5, 0.3, round(rng.uniform(0.1, 0.5), 9)])
    private = round(rng.uniform(0.1, 0.5), 4)
    scored(session, world, team, public, private=private, mae=rng.choice([0.5, 0.4]),
           minutes=minutes, **flags)  # fmt: skip


def _every_entry(session: Session, view: View) -> Leaderboard:
    """The ranking as it was before the candidates: every entry of the phase to the library."""
    config, split = view.config, view.split
    entries = load_entries(
        session, phase=view.phase, metrics=(config.primary, *config.secondary),
        splits=(split, PUBLIC) if split == PRIVATE else (split,),
    )  # fmt: skip
    return rank(
        entries, primary=config.primary, split=split, greater_is_better=config.greater_is_better,
        secondary=config.secondary, rule=config.rule or RankingRule(), phase_end=view.phase.end,
        decimals=config.decimals, significance=ranking.interval_p_value(split, config.primary),
        choose_on=PUBLIC if split == PRIVATE else None,
    )  # fmt: skip


def test_a_board_brought_up_to_date_equals_one_read_whole(session: Session, world: World) -> None:
    """Only the teams stamped since the previous read are read again, and the board is the
    same as one ranked from every submission: new scores, a team's first submission, a
    disqualification of a team's best, a failure, all after the previous read."""
    teams = {name: make_team(session, world, name) for name in ("a", "b", "c")}
    best = scored(session, world, teams["a"], 0.1)
    scored(session, world, teams["a"], 0.3, minutes=1)
    scored(session, world, teams["b"], 0.2, updated_at=T0)  # long before: never read again
    view = view_of(session, world)
    config = view.config
    before = ranking.board_candidates(session, phase=world.phase, config=config, split=PUBLIC)

    scored(session, world, teams["c"], 0.05, minutes=3)
    late = pending(session, world, "d")
    record_status(session, late, SubmissionStatus.FAILED, "crashed", reason="exit 1")
    best.disqualified = True
    best.updated_at = utcnow()
    session.add(best)
    session.commit()

    after = ranking.board_candidates(
        session, phase=world.phase, config=config, split=PUBLIC, previous=before
    )
    assert after.changed_teams == 3  # a, c and d; b was not read again
    assert after.by_team[teams["b"].id] is before.by_team[teams["b"].id]
    updated = ranking.build_leaderboard(
        session, phase=world.phase, config=config, split=PUBLIC, candidates=after
    )
    assert updated == _every_entry(session, view)
    assert [(e.rank, e.team_name) for e in updated.entries] == [
        (1, "c"), (2, "b"), (3, "a"), (None, "d"),
    ]  # fmt: skip
