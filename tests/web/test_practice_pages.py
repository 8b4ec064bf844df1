"""The practice section of the challenge page: shown to team members only, CSRF checked before
the body, the API's intake with the practice quota, and the run's page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from podium.api.submission_upload import get_enqueuer
from podium.crud.submissions import record_status
from podium.db.models import Submission, SubmissionStatus
from tests.web.conftest import log_in
from tests.web.data import SLUG, World

CHALLENGE = f"/challenges/{SLUG}"
MODEL = ("model.joblib", b"\x80\x04not really a model", "application/octet-stream")


@pytest.fixture
def queued(app: FastAPI) -> Iterator[list[int]]:
    seen: list[int] = []
    app.dependency_overrides[get_enqueuer] = lambda: lambda _s, sub, _c: seen.append(sub.id)
    yield seen
    app.dependency_overrides.pop(get_enqueuer, None)


def _action(client: TestClient) -> str:
    found = re.search(r'id="practice-form"\s+action="([^"]+)"', client.get(CHALLENGE).text)
    assert found is not None, "the challenge page has no practice form"
    return found.group(1).replace("&amp;", "&")


def test_only_team_members_see_the_practice_section(client: TestClient, world: World) -> None:
    assert 'id="practice"' not in client.get(CHALLENGE).text
    log_in(client, "stud")
    page = client.get(CHALLENGE).text
    assert "<strong>20</strong> of 20 practice runs left" in page
    assert 'name="kind" value="model" checked' in page
    staff = TestClient(client.app)
    log_in(staff, "judy")
    assert 'id="practice"' not in staff.get(CHALLENGE).text


def test_a_practice_run_started_from_the_page(
    client: TestClient, world: World, session: Session, queued: list[int]
) -> None:
    log_in(client, "stud")
    action = _action(client)
    refused = client.post(action.split("?")[0], files={"file": MODEL}, data={"kind": "model"})
    assert refused.status_code == 403 and queued == []  # no CSRF token: refused before the body
    answer = client.post(action, files={"file": MODEL}, data={"kind": "model"},
                         follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303, answer.text
    run_id = int(answer.headers["location"].rsplit("/", 1)[1])
    run = session.get(Submission, run_id)
    assert run is not None and run.practice and queued == [run_id]
    record_status(session, run, SubmissionStatus.FINISHED, "test", reason="<script>x</script>")
    session.commit()
    page = client.get(f"/submissions/{run_id}").text
    assert f"Practice run {run_id}" in page and 'id="practice-note"' in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script>x</script>" not in page
    listed = client.get(CHALLENGE).text
    assert f"practice run {run_id}" in listed and "<strong>19</strong> of 20" in listed


def test_a_predictions_only_phase_offers_no_practice_runs(
    client: TestClient, world: World, session: Session
) -> None:
    world.phase.submission_kinds = ["predictions"]
    session.add(world.phase)
    session.commit()
    log_in(client, "stud")
    page = client.get(CHALLENGE).text
    assert 'id="practice-closed"' in page and "takes predictions files only" in page
    assert 'id="practice-form"' not in page
