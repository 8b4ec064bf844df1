"""Cancel, re-run, edit (description, final selection) and list submissions."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from podium.crud.teams import create_team
from podium.db.models import Submission, SubmissionStatus
from podium.db.types import utcnow
from podium.settings import Settings
from podium.store import Store
from tests.platform.factories import make_user
from tests.platform.submission_helpers import URL, World, broker_messages, make_world

SELECTED_RULE = {"visibility": "public", "rule": "selected", "max_selected": 1}


@pytest.fixture
def world(session: Session, store: Store, tmp_path: Path) -> World:
    return make_world(session, store, tmp_path)


def _path(submission: Submission, action: str = "") -> str:
    return f"/api/v1/submissions/{submission.id}{action}"


def test_cancel_by_team_and_staff_only_while_in_flight(
    client: TestClient, session: Session, world: World
) -> None:
    mine = world.submission(session, world.alice, status=SubmissionStatus.RUNNING)
    answer = client.post(_path(mine, "/cancel"), headers=world.headers(session, world.alice))
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "cancelled" and answer.json()["charged"] is True
    assert answer.json()["reason"] == (
        "cancelled after its container started; it counts against your quota"
    )
    again = client.post(_path(mine, "/cancel"), headers=world.headers(session, world.alice))
    assert again.status_code == 409
    assert "has already ended (cancelled)" in again.json()["detail"]
    for staff in (world.organiser, world.admin):  # judges re-run or disqualify, not cancel
        queued = world.submission(session, world.bob, status=SubmissionStatus.QUEUED)
        by_staff = client.post(_path(queued, "/cancel"), headers=world.headers(session, staff))
        assert by_staff.status_code == 200 and by_staff.json()["status"] == "cancelled"
    assert client.post(_path(mine, "/cancel")).status_code == 401


def test_rerun_is_for_staff(
    client: TestClient, session: Session, world: World, settings: Settings
) -> None:
    done = world.submission(
        session, world.alice, status=SubmissionStatus.ERROR, charged=False, file_path="/x.tar"
    )
    refused = client.post(_path(done, "/rerun"), headers=world.headers(session, world.alice))
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "only organisers and judges of subs can do this to a submission"
    )
    answer = client.post(_path(done, "/rerun"), headers=world.headers(session, world.judge))
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "queued" and answer.json()["charged"] is True
    assert [m["headers"]["task"] for m in broker_messages(settings)] == ["podium.evaluate"]
    busy = client.post(_path(done, "/rerun"), headers=world.headers(session, world.organiser))
    assert busy.status_code == 409 and "is still queued" in busy.json()["detail"]


def test_edit_description_by_the_team_only(
    client: TestClient, session: Session, world: World
) -> None:
    sub = world.submission(session, world.alice)
    answer = client.patch(
        _path(sub), json={"description": "tuned"}, headers=world.headers(session, world.alice)
    )
    assert answer.status_code == 200 and answer.json()["description"] == "tuned"
    staff = client.patch(
        _path(sub), json={"description": "x"}, headers=world.headers(session, world.organiser)
    )
    assert staff.status_code == 403
    assert staff.json()["detail"] == "only the team that made this submission can change it"
    other = client.patch(
        _path(sub), json={"description": "x"}, headers=world.headers(session, world.bob)
    )
    assert other.status_code == 404
    too_long = client.patch(
        _path(sub), json={"description": "x" * 2001}, headers=world.headers(session, world.alice)
    )
    assert too_long.status_code == 422


def test_selection_rules(client: TestClient, session: Session, world: World) -> None:
    headers = world.headers(session, world.alice)
    first = world.submission(session, world.alice, status=SubmissionStatus.FINISHED)
    second = world.submission(session, world.alice, status=SubmissionStatus.RUNNING)
    failed = world.submission(session, world.alice, status=SubmissionStatus.FAILED)
    not_here = client.patch(_path(first), json={"selected": True}, headers=headers)
    assert not_here.status_code == 422
    assert not_here.json()["detail"].startswith("phase 'development' ranks each team by its best")
    world.set_phase(session, leaderboard=SELECTED_RULE)
    chosen = client.patch(_path(first), json={"selected": True}, headers=headers)
    assert chosen.status_code == 200 and chosen.json()["selected"] is True
    full = client.patch(_path(second), json={"selected": True}, headers=headers)
    assert full.status_code == 409
    assert "already selected 1 submission(s)" in full.json()["detail"]
    bad = client.patch(_path(failed), json={"selected": True}, headers=headers)
    assert bad.status_code == 409 and "is failed and cannot count" in bad.json()["detail"]
    assert client.patch(_path(first), json={"selected": False}, headers=headers).status_code == 200
    assert client.patch(_path(second), json={"selected": True}, headers=headers).status_code == 200
    world.set_phase(session, end=utcnow() - timedelta(minutes=1))
    frozen = client.patch(_path(second), json={"selected": False}, headers=headers)
    assert frozen.status_code == 409 and "final selections are frozen" in frozen.json()["detail"]
    renamed = client.patch(_path(second), json={"description": "late note"}, headers=headers)
    assert renamed.status_code == 200 and renamed.json()["selected"] is True


def test_listing_own_team_or_everything_for_staff(
    client: TestClient, session: Session, world: World, store: Store
) -> None:
    team = create_team(session, challenge=world.challenge, user=world.alice, name="Owls")
    mine = [world.submission(session, world.alice) for _ in range(2)]
    theirs = world.submission(session, world.bob, status=SubmissionStatus.FINISHED)
    own = client.get(URL, headers=world.headers(session, world.alice))
    assert own.status_code == 200, own.text
    body = own.json()
    assert body["total"] == 2 and [i["id"] for i in body["items"]] == [m.id for m in mine[::-1]]
    assert {i["team_name"] for i in body["items"]} == {team.name}
    assert str(store.root) not in own.text and "file_path" not in own.text
    by_judge = client.get(URL, headers=world.headers(session, world.judge))
    assert by_judge.json()["total"] == 3
    newcomer = client.get(URL, headers=world.headers(session, make_user(session)))
    assert newcomer.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
    staff = world.headers(session, world.organiser)
    done = client.get(URL, params={"status": "finished"}, headers=staff).json()
    assert [(i["id"], i["team_name"]) for i in done["items"]] == [(theirs.id, "bob")]
    page = client.get(URL, params={"limit": 1, "offset": 1, "phase": "development"}, headers=staff)
    assert page.json()["total"] == 3 and [i["id"] for i in page.json()["items"]] == [mine[1].id]
    unknown = client.get(URL, params={"phase": "final"}, headers=staff)
    assert unknown.status_code == 422 and "no phase 'final'" in unknown.json()["detail"]
    assert client.get(URL, params={"status": "lost"}, headers=staff).status_code == 422
    assert client.get(URL, params={"limit": 0}, headers=staff).status_code == 422
    assert client.get(URL).status_code == 401
