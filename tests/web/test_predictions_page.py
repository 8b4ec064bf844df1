"""A phase whose test inputs are public takes a predictions file from the challenge page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from podium.api.submission_upload import get_enqueuer
from podium.crud.teams import create_team
from podium.db.models import Submission, SubmissionKind
from podium.services.registration import register_challenge
from podium.store import Store
from tests.challenges.import_bundles import NATIVE, native_predictions
from tests.platform.factories import make_user
from tests.web.conftest import log_in

PAGE = f"/challenges/{NATIVE['slug']}"


@pytest.fixture
def queued(app: FastAPI) -> Iterator[list[int]]:
    """The ids the upload enqueued (no broker here)."""
    seen: list[int] = []
    app.dependency_overrides[get_enqueuer] = lambda: lambda _s, sub, _c: seen.append(sub.id)
    yield seen
    app.dependency_overrides.pop(get_enqueuer, None)


def test_a_predictions_file_is_offered_and_accepted_from_the_page(
    client: TestClient, session: Session, store: Store, tmp_path: Path, queued: list[int]
) -> None:
    owner = make_user(session, can_create_challenges=True)
    challenge = register_challenge(
        session, bundle_path=native_predictions(tmp_path / "native"), owner=owner, store=store
    )
    student = make_user(session)
    create_team(session, challenge=challenge, user=student, name="letters")
    session.commit()
    log_in(client, student.username)
    page = client.get(PAGE).text
    assert 'value="predictions" checked' in page and 'value="model"' not in page
    assert "a predictions file" in page
    found = re.search(r'id="submit-form" data-upload\s+action="([^"]+)"', page)
    assert found is not None
    action = found.group(1).replace("&amp;", "&")
    answer = client.post(
        action.split("?")[0],
        files={"file": ("predictions.csv", b"id,letter\n0,a\n", "text/csv")},
        data={"kind": "predictions"},
        headers={"Accept": "application/json", "X-CSRF-Token": action.split("csrf_token=")[1]},
    )
    assert answer.status_code == 201, answer.text
    made = session.get(Submission, answer.json()["id"])
    assert made is not None and made.kind == SubmissionKind.PREDICTIONS
    assert queued == [made.id]
