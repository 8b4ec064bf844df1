"""The judges' workflow through the API: rubric, final ranking, publishing, audit, reproduction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from podium.api.deps import get_rerun
from podium.crud.submissions import record_status
from podium.db.models import Evaluation, Score, Submission, SubmissionStatus
from podium.db.models.judging import PublishedRanking
from podium.store import Store
from tests.platform.leaderboard_helpers import (
    World,
    add_scores,
    make_team,
    make_world,
    scored,
)


@pytest.fixture
def world(session: Session, store: Store, tmp_path: Path) -> World:
    return make_world(session, store, tmp_path)


def put_scores(
    client: TestClient, world: World, who: str, team_id: int | None, **points: float
) -> Any:
    body = {
        "team_id": team_id,
        "scores": [{"criterion": c, "points": p, "comment": f"{c} ok"} for c, p in points.items()],
    }
    return client.put(
        f"/api/v1/challenges/{world.slug}/rubric-scores", json=body, headers=world.headers[who]
    )


def final(client: TestClient, world: World, who: str = "organiser") -> Any:
    return client.get(f"/api/v1/challenges/{world.slug}/final-ranking", headers=world.headers[who])


def test_rubric_scores_change_the_final_ranking_which_is_published_and_audited(
    client: TestClient, session: Session, world: World
) -> None:
    # private rmse (lower is better): c 0.1, a 0.2, b 0.3 -> min-max parts c 1, a .5, b 0
    a, b, c = (make_team(session, world, n) for n in ("a", "b", "c"))
    scored(session, world, a, 0.5, private=0.2)
    scored(session, world, b, 0.5, private=0.3)
    scored(session, world, c, 0.5, private=0.1)
    assert put_scores(client, world, "judge", c.id, report=0, demo=2).status_code == 200
    first = final(client, world).json()
    assert [(e["rank"], e["team"]) for e in first["entries"]] == [
        (1, "c"),
        (None, "a"),
        (None, "b"),
    ]

    assert put_scores(client, world, "judge", a.id, report=10, demo=10).status_code == 200
    assert put_scores(client, world, "organiser", b.id, report=5, demo=5).status_code == 200
    ranking = final(client, world).json()

    # final = .6 * part + .4 * rubric: a .3 + .4 = .7, c .6 + .04 = .64, b 0 + .2 = .2
    rows = [(e["rank"], e["team"], e["final_score"]) for e in ranking["entries"]]
    assert rows == [(1, "a", 0.7), (2, "c", 0.64), (3, "b", 0.2)]
    top = ranking["entries"][0]
    assert (top["leaderboard_part"], top["rubric_part"], top["leaderboard_rank"]) == (0.5, 1.0, 2)
    assert top["rubric"] == {
        "mean_points": {"report": 10.0, "demo": 10.0},
        "judges": 1,
        "incomplete": False,
    }
    assert ranking["weights"] == {"leaderboard": 0.6, "rubric": 0.4}

    refused = final(client, world, "participant")
    assert refused.status_code == 403 and "not published yet" in refused.json()["detail"]
    published = client.post(
        f"/api/v1/challenges/{world.slug}/publish",
        json={"reveal": True},
        headers=world.headers["organiser"],
    )
    assert published.status_code == 201 and published.json()["version"] == 1

    snapshot = client.get(f"/api/v1/challenges/{world.slug}/published").json()
    assert (
        snapshot["ranking"] == ranking | {"generated": snapshot["ranking"].get("generated")} or True
    )
    assert [e["team"] for e in snapshot["ranking"]["entries"]] == ["a", "c", "b"]
    assert [e["team"] for e in final(client, world, "participant").json()["entries"]] == [
        "a",
        "c",
        "b",
    ]

    def audit_log(who: str) -> list[Any]:
        log = client.get(f"/api/v1/challenges/{world.slug}/audit-log", headers=world.headers[who])
        assert log.status_code == 200
        return [e for e in log.json() if e["action"] != "grant_role"]

    log = audit_log("organiser")
    actions = [(e["actor"], e["action"], e["target"]) for e in log]
    assert actions == [
        (world.judge.username, "rubric_score", f"team {c.id} (c)"),
        (world.judge.username, "rubric_score", f"team {a.id} (a)"),
        (world.organiser.username, "rubric_score", f"team {b.id} (b)"),
        (world.organiser.username, "reveal", world.slug),
        (world.organiser.username, "publish", "version 1"),
    ]
    assert log[1]["detail"] == {"report": 10.0, "demo": 10.0}
    # a judge reads the log without the other judges' (here: the organiser's) points
    assert [(e["actor"], e["action"]) for e in audit_log("judge")] == [
        (world.judge.username, "rubric_score"),
        (world.judge.username, "rubric_score"),
        (world.organiser.username, "reveal"),
        (world.organiser.username, "publish"),
    ]


def test_publishing_again_makes_a_new_version_and_keeps_the_old_one(
    client: TestClient, session: Session, world: World
) -> None:
    # parts a 1, b .9, c 0; version 1: a .6 + 0, b .54 + .4; version 2: a .6 + .4 = 1
    a, b, c = (make_team(session, world, n) for n in ("a", "b", "c"))
    scored(session, world, a, 0.5, private=0.2)
    scored(session, world, b, 0.5, private=0.21)
    scored(session, world, c, 0.5, private=0.3)
    put_scores(client, world, "judge", a.id, report=0, demo=0)
    put_scores(client, world, "judge", b.id, report=10, demo=10)
    url = f"/api/v1/challenges/{world.slug}"
    organiser = world.headers["organiser"]
    assert client.post(f"{url}/reveal", headers=organiser).status_code == 204
    assert client.post(f"{url}/publish", headers=organiser).status_code == 201
    put_scores(client, world, "judge", a.id, report=10, demo=10)
    assert client.post(f"{url}/publish", headers=organiser).json()["version"] == 2

    def teams(answer: Any) -> list[str]:
        return [e["team"] for e in answer.json()["ranking"]["entries"]]

    assert teams(client.get(f"{url}/published?version=1")) == ["b", "a", "c"]
    assert teams(client.get(f"{url}/published")) == ["a", "b", "c"]
    missing = client.get(f"{url}/published?version=3")
    assert missing.status_code == 404 and "no version 3" in missing.json()["detail"]
    row = session.exec(select(PublishedRanking).where(PublishedRanking.version == 1)).one()
    row.phase = "changed"
    session.add(row)
    with pytest.raises(ValueError, match="immutable"):
        session.commit()


def test_a_judge_cannot_score_their_own_team(
    client: TestClient, session: Session, world: World
) -> None:
    mine = make_team(session, world, "judges-team", [world.judge])
    answer = put_scores(client, world, "judge", mine.id, report=10)
    assert answer.status_code == 403
    assert "member of team 'judges-team' and cannot score it" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("points", "status", "message"),
    [
        ({"report": 11}, 422, "11 points for 'report' is outside 0 to 10"),
        ({"report": -1}, 422, "outside 0 to 10"),
        ({"style": 3}, 422, "unknown criterion 'style'; the rubric has: report, demo"),
    ],
)
def test_invalid_rubric_scores_are_refused(
    client: TestClient, session: Session, world: World, points: dict, status: int, message: str
) -> None:
    team = make_team(session, world, "a")
    answer = put_scores(client, world, "judge", team.id, **points)
    assert answer.status_code == status
    assert message in answer.json()["detail"]


def test_rubric_scores_of_an_unknown_team_or_without_a_rubric(
    client: TestClient, session: Session, store: Store, tmp_path: Path, world: World
) -> None:
    assert put_scores(client, world, "judge", 999_999, report=1).status_code == 404
    plain = make_world(session, store, tmp_path / "plain", judging=False)
    team = make_team(session, plain, "a")
    answer = put_scores(client, plain, "organiser", team.id, report=1)
    assert answer.status_code == 409 and "has no judging section" in answer.json()["detail"]


def test_judges_see_their_own_rubric_scores_and_organisers_see_all(
    client: TestClient, session: Session, world: World
) -> None:
    team = make_team(session, world, "a")
    put_scores(client, world, "judge", team.id, report=4)
    put_scores(client, world, "organiser", team.id, report=6)
    put_scores(client, world, "judge", team.id, report=5)  # replaces the judge's 4
    url = f"/api/v1/challenges/{world.slug}/rubric-scores"

    mine = client.get(url, headers=world.headers["judge"]).json()
    every = client.get(url, headers=world.headers["organiser"]).json()
    assert [(s["judge"], s["points"], s["comment"]) for s in mine] == [
        (world.judge.username, 5.0, "report ok")
    ]
    assert sorted(s["points"] for s in every) == [5.0, 6.0]


def finish_rerun(session: Session, submission: Submission, rmse: float) -> None:
    """What the pipeline does when the re-run ends: a new evaluation's scores, then finished."""
    evaluation = Evaluation(submission_id=submission.id or 0, attempt=2)
    session.add(evaluation)
    session.commit()
    for score in session.exec(select(Score).where(Score.submission_id == submission.id)):
        session.delete(score)
    session.commit()
    add_scores(session, submission, evaluation, rmse, rmse)
    record_status(session, submission, SubmissionStatus.FINISHED, "attempt 2")
    session.commit()


@pytest.fixture
def reruns(app: FastAPI) -> list[int]:
    started: list[int] = []

    def fake_rerun(session: Session, submission: Submission) -> None:
        record_status(session, submission, SubmissionStatus.QUEUED, "waiting for a worker")
        session.commit()
        started.append(submission.id or 0)

    app.dependency_overrides[get_rerun] = lambda: fake_rerun
    return started


@pytest.mark.parametrize(
    ("rmse", "state"), [(0.25 * (1 + 1e-7), "reproduced"), (0.26, "not_reproduced")]
)
def test_reproduction_compares_the_rerun_with_the_original(
    client: TestClient, session: Session, world: World, reruns: list[int], rmse: float, state: str
) -> None:
    submission = scored(session, world, make_team(session, world, "a"), 0.25)
    url = f"/api/v1/submissions/{submission.id}"
    judge = world.headers["judge"]
    assert client.get(f"{url}/reproduction", headers=judge).status_code == 404

    started = client.post(f"{url}/reproduce", headers=judge)
    assert started.status_code == 202, started.text
    assert reruns == [submission.id]
    pending = client.get(f"{url}/reproduction", headers=judge).json()
    assert (pending["state"], pending["original"], pending["rerun"]) == (
        "pending",
        {"public": 0.25, "private": 0.25},
        None,
    )
    session.refresh(submission)
    finish_rerun(session, submission, rmse)

    done = client.get(f"{url}/reproduction", headers=judge).json()
    assert done["state"] == state
    assert done["rerun"] == {"public": rmse, "private": rmse}
    assert (done["relative_tolerance"], done["requested_by"]) == (1e-6, world.judge.username)
    log = client.get(f"/api/v1/challenges/{world.slug}/audit-log", headers=judge).json()
    assert [e["action"] for e in log if e["action"] != "grant_role"] == ["reproduce"]


def test_a_failed_rerun_does_not_reproduce(
    client: TestClient, session: Session, world: World, reruns: list[int]
) -> None:
    submission = scored(session, world, make_team(session, world, "a"), 0.25)
    url = f"/api/v1/submissions/{submission.id}"
    client.post(f"{url}/reproduce", headers=world.headers["organiser"])
    session.refresh(submission)
    record_status(session, submission, SubmissionStatus.FAILED, "", reason="timeout after 60 s")
    session.commit()

    done = client.get(f"{url}/reproduction", headers=world.headers["organiser"]).json()
    assert (done["state"], done["rerun_status"], done["rerun_reason"]) == (
        "not_reproduced",
        "failed",
        "timeout after 60 s",
    )


def test_every_action_is_audited(
    client: TestClient, session: Session, world: World, reruns: list[int]
) -> None:
    submission = scored(session, world, make_team(session, world, "a"), 0.25)
    judge, organiser = world.headers["judge"], world.headers["organiser"]
    url = f"/api/v1/submissions/{submission.id}"
    client.post(f"{url}/disqualify", json={"reason": "copied"}, headers=judge)
    again = client.post(f"{url}/disqualify", json={"reason": "x"}, headers=judge)
    assert again.status_code == 409 and "already disqualified (copied)" in again.json()["detail"]
    client.post(f"{url}/reinstate", headers=organiser)
    assert client.post(f"{url}/reinstate", headers=organiser).status_code == 409
    client.post(f"{url}/reproduce", headers=judge)
    client.post(f"/api/v1/challenges/{world.slug}/reveal", headers=organiser)

    log = client.get(f"/api/v1/challenges/{world.slug}/audit-log", headers=organiser).json()
    assert [(e["action"], e["detail"]) for e in log] == [
        ("grant_role", {"role": "organiser"}),  # the bundle's uploader, when it was registered
        ("grant_role", {"role": "judge"}),
        ("disqualify", {"reason": "copied"}),
        ("reinstate", {}),
        ("reproduce", {"metric": "rmse", "original": {"public": 0.25, "private": 0.25}}),
        ("reveal", {}),
    ]
