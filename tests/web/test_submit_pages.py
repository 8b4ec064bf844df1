"""Submitting from the challenge page: the quota shown before, the session and CSRF checked
before the body is read, the API's intake rules, and the live status the page follows."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from podium.api.submission_upload import get_enqueuer
from podium.db.models import Submission, SubmissionKind, SubmissionStatus
from podium.db.types import utcnow
from tests.web.conftest import log_in
from tests.web.data import SLUG, World

CHALLENGE = f"/challenges/{SLUG}"
MODEL = ("model.joblib", b"\x80\x04not really a model", "application/octet-stream")


@pytest.fixture
def queued(app: FastAPI) -> Iterator[list[int]]:
    """The ids the upload enqueued (no broker in these tests)."""
    seen: list[int] = []
    app.dependency_overrides[get_enqueuer] = lambda: lambda _s, sub, _c: seen.append(sub.id)
    yield seen
    app.dependency_overrides.pop(get_enqueuer, None)


def _action(client: TestClient) -> str:
    page = client.get(CHALLENGE).text
    found = re.search(r'id="submit-form" data-upload\s+action="([^"]+)"', page)
    assert found is not None, "the challenge page has no upload form"
    return found.group(1).replace("&amp;", "&")


def _count(session: Session) -> int:
    session.expire_all()
    return len(session.exec(select(Submission)).all())


def test_the_page_shows_the_quota_left_and_the_kinds(client: TestClient, world: World) -> None:
    assert 'id="submit-form"' not in client.get(CHALLENGE).text  # visitors log in first
    log_in(client, "stud")
    page = client.get(CHALLENGE).text
    assert 'id="quota-day">5</strong> of 5 submissions left in the last 24 hours' in page
    assert "198 of 200 in this phase" in page  # alpha has two (long ago)
    assert 'value="model" checked' in page and 'value="build"' in page
    assert "classes_ must be benign, malignant" in page  # the bundle's model-file contract
    staff = TestClient(client.app)
    log_in(staff, "judy")
    assert 'id="submit-form"' not in staff.get(CHALLENGE).text


def test_an_upload_from_the_page_is_accepted_and_queued(
    client: TestClient, world: World, session: Session, queued: list[int]
) -> None:
    log_in(client, "stud")
    action = _action(client)
    token = action.split("csrf_token=")[1]
    answer = client.post(
        action.split("?")[0], files={"file": MODEL},
        data={"kind": "model", "description": "<b>v1</b>"},
        headers={"Accept": "application/json", "X-CSRF-Token": token},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    sub = session.get(Submission, answer.json()["id"])
    assert (
        sub is not None
        and sub.kind == SubmissionKind.MODEL
        and sub.team_id == world.teams["alpha"].id
    )
    assert queued == [sub.id] and answer.json()["url"] == f"/submissions/{sub.id}"
    plain = client.post(
        action, files={"file": MODEL}, data={"kind": "model"}, follow_redirects=False
    )
    assert plain.status_code == 303 and plain.headers["location"].startswith("/submissions/")
    page = client.get(answer.json()["url"]).text
    assert "&lt;b&gt;v1&lt;/b&gt;" in page and 'data-live-status="/submissions/' in page
    assert 'id="quota-day">3</strong> of 5' in client.get(CHALLENGE).text


def test_uploads_without_the_session_or_its_csrf_token_are_refused_unread(
    client: TestClient, world: World, session: Session, queued: list[int]
) -> None:
    url = f"{CHALLENGE}/submissions"
    anonymous = client.post(
        url, files={"file": MODEL}, data={"kind": "model"}, follow_redirects=False
    )
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    log_in(client, "stud")
    for params in ({}, {"csrf_token": "f" * 64}):
        refused = client.post(url, params=params, files={"file": MODEL}, data={"kind": "model"})
        assert refused.status_code == 403 and "did not come from this site" in refused.text
        assert refused.headers.get("connection") == "close"  # the body was never read
    other = TestClient(client.app)
    log_in(other, "rival")
    foreign = _action(other).split("csrf_token=")[1]  # valid, but another session's
    refused = client.post(
        url, params={"csrf_token": foreign}, files={"file": MODEL}, data={"kind": "model"}
    )
    assert refused.status_code == 403
    assert _count(session) == 5 and queued == []


def test_the_intakes_rules_apply_to_page_uploads(
    client: TestClient, world: World, session: Session, queued: list[int]
) -> None:
    log_in(client, "stud")
    action = _action(client)
    empty = client.post(action, files={"file": ("model.joblib", b"", "application/octet-stream")},
                        data={"kind": "model"})  # fmt: skip
    assert empty.status_code == 422 and "is empty" in empty.text
    wrong = client.post(action, files={"file": ("ctx.rar", b"x" * 10, "application/x-rar")},
                        data={"kind": "build"})  # fmt: skip
    assert wrong.status_code == 422
    team = world.teams["alpha"]
    for _ in range(5):  # the day's quota, used
        session.add(Submission(
            challenge_id=world.challenge.id or 0, phase_id=world.phase.id or 0,
            team_id=team.id or 0, user_id=world.student.id, kind=SubmissionKind.MODEL,
            status=SubmissionStatus.FINISHED, created_at=utcnow(),
        ))  # fmt: skip
    session.commit()
    page = client.get(CHALLENGE).text
    assert "You cannot submit more now" in page and 'id="quota-day">0</strong>' in page
    refused = client.post(action, files={"file": MODEL}, data={"kind": "model"})
    assert refused.status_code == 429 and "in the last 24 hours" in refused.text
    assert queued == []


def test_the_live_status_is_for_those_who_may_see_the_submission(
    client: TestClient, world: World
) -> None:
    sub = world.submissions["alpha1"]
    log_in(client, "stud")
    answer = client.get(f"/submissions/{sub.id}/status")
    assert answer.json() == {"id": sub.id, "status": "finished", "terminal": True}
    assert answer.headers["cache-control"] == "no-store"
    assert "data-live-status" not in client.get(f"/submissions/{sub.id}").text  # ended
    rival = TestClient(client.app)
    log_in(rival, "rival")
    assert rival.get(f"/submissions/{sub.id}/status").status_code == 404
