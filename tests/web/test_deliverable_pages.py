"""Deliverables on the pages (through the app, without a browser): who sees the section, who
hands in, who downloads, the CSRF token before the body, the body cap."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from podium.app import create_app
from podium.crud.roles import grant_role
from podium.db.models import Challenge, ChallengeRoleKind, Team
from podium.db.models.deliverables import DeliverableRow
from podium.settings import Settings
from podium.store import Store
from tests.platform.deliverable_helpers import deliverables_challenge, pdf_bytes, team_of_two
from tests.platform.factories import PASSWORD, make_user
from tests.web.conftest import csrf_of, log_in


@pytest.fixture
def setup(session: Session, store: Store, tmp_path: Path) -> tuple[Challenge, Team]:
    names = ["ana", "ben", "cy", "dee", "jude"]
    people = {name: make_user(session, username=name) for name in names}
    challenge = deliverables_challenge(session, store, tmp_path, slug="pages-dl")
    grant_role(session, challenge=challenge, user=people["jude"], role=ChallengeRoleKind.JUDGE)
    team = team_of_two(session, challenge, people["ana"], people["ben"])
    team_of_two(session, challenge, people["cy"], people["dee"], name="Larks")
    return challenge, team


def _client(app: FastAPI, username: str) -> TestClient:
    client = TestClient(app, raise_server_exceptions=False)
    log_in(client, username, PASSWORD)
    return client


def _post(
    client: TestClient, team: Team, content: bytes, token: str | None, key: str = "report"
) -> tuple[int, str]:
    query = f"?csrf_token={token}" if token else ""
    answer = client.post(
        f"/teams/{team.id}/deliverables{query}",
        data={"deliverable": f"development/{key}"},
        files={"file": ("report.pdf", content, "application/pdf")},
        follow_redirects=False,
    )
    return answer.status_code, answer.text


def _hand_in(client: TestClient, team: Team, content: bytes, token: str | None) -> int:
    return _post(client, team, content, token)[0]


def test_the_section_is_for_the_team_and_staff_only(
    app: FastAPI, setup: tuple[Challenge, Team]
) -> None:
    _, team = setup
    member = _client(app, "ana").get(f"/teams/{team.id}")
    assert 'id="deliverables"' in member.text and 'id="deliverable-form"' in member.text
    assert "Missing before the deadline" in member.text
    judge = _client(app, "jude").get(f"/teams/{team.id}")
    assert 'id="deliverables"' in judge.text and 'id="deliverable-form"' not in judge.text
    outsider = _client(app, "cy").get(f"/teams/{team.id}")  # the team page itself is public
    assert outsider.status_code == 200 and 'id="deliverables"' not in outsider.text


def test_handing_in_from_the_page_follows_the_rules(
    app: FastAPI, setup: tuple[Challenge, Team], session: Session
) -> None:
    _, team = setup
    ana = _client(app, "ana")
    token = csrf_of(ana.get(f"/teams/{team.id}").text)
    assert _hand_in(ana, team, pdf_bytes(), None) == 403  # no token: refused before the body
    assert _hand_in(ana, team, b"MZ" + b"\x00" * 64, token) == 422
    assert _hand_in(ana, team, pdf_bytes(), token) == 303
    page = ana.get(f"/teams/{team.id}?handed_in=report")
    assert "Handed in: Technical report." in page.text and "report.pdf" in page.text
    judge = _client(app, "jude")
    judge_token = csrf_of(judge.get(f"/teams/{team.id}").text)
    assert _hand_in(judge, team, pdf_bytes(), judge_token) == 403
    cy = _client(app, "cy")
    cy_token = csrf_of(cy.get("/me/teams").text)
    assert _hand_in(cy, team, pdf_bytes(), cy_token) == 404
    assert len(session.exec(select(DeliverableRow)).all()) == 1
    url = f"/teams/{team.id}/deliverables/development/report"
    assert judge.get(url).status_code == 200 and cy.get(url).status_code == 404
    got = ana.get(url)
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["x-content-type-options"] == "nosniff"


def test_a_link_from_the_page_is_checked(app: FastAPI, setup: tuple[Challenge, Team]) -> None:
    _, team = setup
    ana = _client(app, "ana")
    token = csrf_of(ana.get(f"/teams/{team.id}").text)
    url = f"/teams/{team.id}/deliverables/development/code/link"
    bad = ana.post(url, data={"url": "javascript:alert(1)", "csrf_token": token})
    assert bad.status_code == 422 and "only https addresses" in bad.text
    good = ana.post(url, data={"url": "https://gitlab.com/owls/model", "csrf_token": token},
                    follow_redirects=False)  # fmt: skip
    assert good.status_code == 303
    page = ana.get(good.headers["location"]).text
    assert 'href="https://gitlab.com/owls/model" rel="noopener noreferrer nofollow"' in page


def test_the_body_is_capped_at_the_platforms_deliverable_limit(
    settings: Settings, setup: tuple[Challenge, Team]
) -> None:
    _, team = setup
    small = create_app(settings.model_copy(update={"max_deliverable_mb": 1}))
    with TestClient(small, raise_server_exceptions=False) as client:
        log_in(client, "ana", PASSWORD)
        token = csrf_of(client.get(f"/teams/{team.id}").text)
        # slides may be 20 MB, but the platform takes at most 1 MB: cut off while it arrives
        code, page = _post(client, team, pdf_bytes(padding=2 * 1024 * 1024), token, "slides")
        assert code == 413 and "larger than the limit of 1 MB" in page


def test_the_challenge_page_warns_the_team_until_it_has_handed_in(
    app: FastAPI, setup: tuple[Challenge, Team]
) -> None:
    challenge, team = setup
    ana = _client(app, "ana")
    page = ana.get(f"/challenges/{challenge.slug}").text
    assert 'id="missing-deliverables"' in page
    assert "Technical report" in page and "Source code" in page
    token = csrf_of(ana.get(f"/teams/{team.id}").text)
    assert _hand_in(ana, team, pdf_bytes(), token) == 303
    page = ana.get(f"/challenges/{challenge.slug}").text
    assert "Technical report" not in page and "Source code" in page
    link = f"/teams/{team.id}/deliverables/development/code/link"
    ana.post(link, data={"url": "https://github.com/owls/model", "csrf_token": token})
    assert 'id="missing-deliverables"' not in ana.get(f"/challenges/{challenge.slug}").text
    judge_page = _client(app, "jude").get(f"/challenges/{challenge.slug}").text
    assert 'id="missing-deliverables"' not in judge_page
