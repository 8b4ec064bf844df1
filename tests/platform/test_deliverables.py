"""Deliverables through the API: who hands in, when, what is accepted, who reads it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from podium.crud.challenges import phases_of
from podium.crud.roles import grant_role
from podium.db.models import Challenge, ChallengeRoleKind, Team, User
from podium.db.models.deliverables import DeliverableRow
from podium.db.models.editions import (
    AdvancedBy,
    Advancement,
    Edition,
    Round,
    RoundEntry,
    RoundPhase,
)
from podium.db.types import utcnow
from podium.store import Store
from tests.platform.deliverable_helpers import (
    EXE_BYTES,
    HTML_AS_PDF,
    deliverables_challenge,
    docx_bytes,
    odp_bytes,
    pdf_bytes,
    pptx_bytes,
    team_of_two,
)
from tests.platform.factories import PASSWORD, auth_headers, make_user
from tests.web.conftest import log_in


@dataclass
class World:
    challenge: Challenge
    team: Team
    other_team: Team
    people: dict[str, User]
    headers: dict[str, dict[str, str]]

    def url(self, tail: str = "", team: Team | None = None) -> str:
        return f"/api/v1/teams/{(team or self.team).id}/deliverables{tail}"


@pytest.fixture
def world(session: Session, store: Store, tmp_path: Path) -> World:
    names = ["owner", "mate", "other", "other2", "judge", "organiser", "admin", "xjudge"]
    people = {name: make_user(session, username=f"dl-{name}") for name in names}
    people["admin"].is_admin = True
    session.add(people["admin"])
    session.commit()
    challenge = deliverables_challenge(
        session, store, tmp_path, slug="dl", owner=people["organiser"]
    )
    grant_role(session, challenge=challenge, user=people["judge"], role=ChallengeRoleKind.JUDGE)
    elsewhere = deliverables_challenge(session, store, tmp_path, slug="dl-x")
    grant_role(session, challenge=elsewhere, user=people["xjudge"], role=ChallengeRoleKind.JUDGE)
    team = team_of_two(session, challenge, people["owner"], people["mate"])
    other = team_of_two(session, challenge, people["other"], people["other2"], name="Larks")
    headers = {name: auth_headers(session, user) for name, user in people.items()}
    return World(challenge, team, other, people, {**headers, "anonymous": {}})


def _upload(
    client: TestClient, world: World, who: str, content: bytes, *, key: str = "report",
    name: str = "report.pdf", team: Team | None = None,
) -> tuple[int, dict]:  # fmt: skip
    answer = client.post(
        world.url(f"/development/{key}", team),
        headers=world.headers[who],
        files={"file": (name, content, "application/octet-stream")},
    )
    return answer.status_code, answer.json()


def _listed(client: TestClient, world: World, who: str = "owner") -> dict[str, dict]:
    answer = client.get(world.url(), headers=world.headers[who])
    assert answer.status_code == 200, answer.text
    return {d["key"]: d for d in answer.json()["deliverables"]}


def test_the_list_shows_what_is_required_and_missing(client: TestClient, world: World) -> None:
    listed = _listed(client, world)
    assert list(listed) == ["report", "slides", "code", "demo"]
    assert listed["report"]["missing"] and listed["code"]["missing"]
    assert not listed["slides"]["missing"] and not listed["demo"]["missing"]
    assert listed["report"]["max_mb"] == 1 and listed["report"]["accepts"] == "a PDF file"
    assert "github.com" in listed["code"]["accepts"]
    detail = client.get("/api/v1/challenges/dl").json()
    assert [d["key"] for d in detail["phases"][0]["deliverables"]] == [
        "report", "slides", "code", "demo",
    ]  # fmt: skip


def test_a_member_uploads_and_the_report_is_no_longer_missing(
    client: TestClient, world: World, store: Store, session: Session
) -> None:
    content = pdf_bytes("v1")
    code, body = _upload(client, world, "mate", content)
    assert code == 201, body
    assert body["filename"] == "report.pdf" and body["size_bytes"] == len(content)
    assert body["uploaded_by"] == "dl-mate" and not body["missing"]
    assert body["download_url"] == world.url("/development/report/file")
    assert not _listed(client, world)["report"]["missing"]
    row = session.exec(select(DeliverableRow)).one()
    first = store.root / str(row.file_path)
    assert first.is_file() and first.is_relative_to(store.deliverables_dir(world.team.id or 0))
    # a new version replaces the old one: one row, the old file gone
    code, body = _upload(client, world, "owner", pdf_bytes("v2"), name="final.pdf")
    assert code == 201 and body["filename"] == "final.pdf" and body["uploaded_by"] == "dl-owner"
    session.expire_all()
    rows = session.exec(select(DeliverableRow)).all()
    assert len(rows) == 1 and not first.exists()
    got = client.get(world.url("/development/report/file"), headers=world.headers["judge"])
    assert got.status_code == 200 and got.content == pdf_bytes("v2")


def test_download_is_an_attachment_with_its_checked_type(client: TestClient, world: World) -> None:
    assert _upload(client, world, "owner", pdf_bytes())[0] == 201
    got = client.get(world.url("/development/report/file"), headers=world.headers["owner"])
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"] == 'attachment; filename="report.pdf"'
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in got.headers["content-security-policy"]


def test_hostile_file_names_are_reduced_to_a_safe_name(client: TestClient, world: World) -> None:
    hostile = '../../etc/"x;\r\nSet-Cookie: a=b<script>.html'
    code, body = _upload(client, world, "owner", pdf_bytes(), name=hostile)
    assert code == 201, body
    name = body["filename"]
    assert name.endswith(".pdf") and "/" not in name and ".." not in name
    assert all(c.isalnum() or c in "._-" for c in name), name
    got = client.get(world.url("/development/report/file"), headers=world.headers["owner"])
    assert "\n" not in got.headers["content-disposition"] and "set-cookie" not in got.headers


@pytest.mark.parametrize(
    ("content", "name", "looks"),
    [
        (EXE_BYTES, "report.pdf", "a Windows program"),
        (HTML_AS_PDF, "report.pdf", "an HTML or XML document"),
        (pptx_bytes(), "report.pdf", "PowerPoint presentation"),
        (b"", "report.pdf", "is empty"),
    ],
)
def test_the_content_decides_not_the_name(
    client: TestClient, world: World, session: Session, content: bytes, name: str, looks: str
) -> None:
    code, body = _upload(client, world, "owner", content, name=name)
    assert code == 422, body
    assert looks in body["detail"] and "report.pdf" in body["detail"]
    assert session.exec(select(DeliverableRow)).first() is None


def test_slides_take_pdf_pptx_and_odp_but_not_other_zips(client: TestClient, world: World) -> None:
    for content, name, extension in [
        (pptx_bytes(), "deck.pptx", ".pptx"), (odp_bytes(), "deck.odp", ".odp"),
        (pdf_bytes(), "deck", ".pdf"), (pptx_bytes(), "deck.exe", ".pptx"),
    ]:  # fmt: skip
        code, body = _upload(client, world, "owner", content, key="slides", name=name)
        assert code == 201, body
        assert body["filename"].endswith(extension), body
    code, body = _upload(client, world, "owner", docx_bytes(), key="slides", name="deck.pptx")
    assert code == 422 and "a zip archive (not a presentation)" in body["detail"]


def test_too_big_is_refused_with_the_deliverables_limit(
    client: TestClient, world: World, store: Store
) -> None:
    code, body = _upload(client, world, "owner", pdf_bytes(padding=1024 * 1024 + 10))
    assert code == 413, body
    assert "larger than 1 MB, the limit for Technical report" in body["detail"]
    uploads = store.uploads_dir()
    assert not uploads.exists() or list(uploads.iterdir()) == []


def test_only_members_hand_in(client: TestClient, world: World) -> None:
    for who, status in [("judge", 403), ("organiser", 403), ("admin", 403), ("other", 404),
                        ("xjudge", 404), ("anonymous", 401)]:  # fmt: skip
        code, body = _upload(client, world, who, pdf_bytes())
        assert code == status, (who, body)
        assert isinstance(body["detail"], str) and body["detail"]
    code, body = _upload(client, world, "owner", pdf_bytes(), team=world.other_team)
    assert code == 404 and "no team with id" in body["detail"]


def test_after_the_deadline_and_before_the_start_nothing_is_handed_in(
    client: TestClient, world: World, session: Session
) -> None:
    phase = phases_of(session, challenge=world.challenge)[0]
    phase.end = utcnow() - timedelta(minutes=1)
    session.add(phase)
    session.commit()
    code, body = _upload(client, world, "owner", pdf_bytes())
    assert code == 409 and "ended at" in body["detail"] and "Technical report" in body["detail"]
    link = client.post(world.url("/development/code/link"), headers=world.headers["owner"],
                       json={"url": "https://github.com/owls/model"})  # fmt: skip
    assert link.status_code == 409
    phase.start, phase.end = utcnow() + timedelta(days=1), utcnow() + timedelta(days=2)
    session.add(phase)
    session.commit()
    code, body = _upload(client, world, "owner", pdf_bytes())
    assert code == 409 and "opens at" in body["detail"]
    # the missing report is still listed as missing: the team sees it
    assert _listed(client, world)["report"]["missing"]


def test_unknown_phase_or_deliverable_names_the_known_ones(
    client: TestClient, world: World
) -> None:
    answer = client.post(world.url("/final/report"), headers=world.headers["owner"],
                         files={"file": ("r.pdf", pdf_bytes())})  # fmt: skip
    assert answer.status_code == 404 and "phases: 'development'" in answer.json()["detail"]
    code, body = _upload(client, world, "owner", pdf_bytes(), key="poster")
    assert code == 404 and "'report', 'slides', 'code', 'demo'" in body["detail"]
    code, body = _upload(client, world, "owner", pdf_bytes(), key="code")
    assert code == 422 and "send its address" in body["detail"]
    link = client.post(world.url("/development/report/link"), headers=world.headers["owner"],
                       json={"url": "https://github.com/owls/report"})  # fmt: skip
    assert link.status_code == 422 and "upload it" in link.json()["detail"]


@pytest.mark.parametrize(
    ("key", "url", "problem"),
    [
        ("code", "http://github.com/owls/model", "only https"),
        ("code", "javascript:alert(1)", "only https"),
        ("code", "https://evil.example.org/owls/model", "not one of the accepted hosts"),
        ("code", "https://github.com.evil.org/owls", "not one of the accepted hosts"),
        ("code", "https://user:pw@github.com/owls/model", "user name or password"),
        ("code", "https://github.com:8443/owls/model", "must not name a port"),
        ("code", "https://github.com/", "has no path"),
        ("code", "https://127.0.0.1/owls", "not an IP address"),
        ("code", "https://github.com/owls model", "spaces or control"),
        ("demo", "https://vimeo.com/123", "not one of the accepted hosts (youtube.com)"),
    ],
)
def test_links_are_checked(
    client: TestClient, world: World, key: str, url: str, problem: str
) -> None:
    answer = client.post(world.url(f"/development/{key}/link"), headers=world.headers["owner"],
                         json={"url": url})  # fmt: skip
    assert answer.status_code == 422, answer.text
    assert problem in answer.json()["detail"]


def test_good_links_are_kept_and_replaced(client: TestClient, world: World) -> None:
    for url in ["https://GitHub.com/owls/model", "https://huggingface.co/owls/model"]:
        answer = client.post(world.url("/development/code/link"), headers=world.headers["mate"],
                             json={"url": url})  # fmt: skip
        assert answer.status_code == 201, answer.text
    listed = _listed(client, world)
    assert listed["code"]["link"] == "https://huggingface.co/owls/model"
    assert not listed["code"]["missing"] and listed["code"]["download_url"] is None
    demo = client.post(world.url("/development/demo/link"), headers=world.headers["owner"],
                       json={"url": "https://www.youtube.com/watch?v=abc"})  # fmt: skip
    assert demo.status_code == 201
    assert client.get(world.url("/development/code/file"), headers=world.headers["owner"]
                      ).status_code == 404  # fmt: skip


READERS = {"owner": 200, "mate": 200, "judge": 200, "organiser": 200, "admin": 200,
           "other": 404, "xjudge": 404, "anonymous": 401}  # fmt: skip


def test_who_reads_a_teams_deliverables(client: TestClient, world: World) -> None:
    assert _upload(client, world, "owner", pdf_bytes())[0] == 201
    for who, status in READERS.items():
        listing = client.get(world.url(), headers=world.headers[who])
        download = client.get(world.url("/development/report/file"), headers=world.headers[who])
        assert (listing.status_code, download.status_code) == (status, status), who
        if status == 404:  # the same answer as a team that does not exist
            unknown = client.get("/api/v1/teams/987654/deliverables", headers=world.headers[who])
            assert unknown.status_code == 404
            assert listing.json()["detail"].replace(str(world.team.id), "N") == unknown.json()[
                "detail"
            ].replace("987654", "N")


def test_staff_list_every_teams_deliverables(client: TestClient, world: World) -> None:
    assert _upload(client, world, "owner", pdf_bytes())[0] == 201
    url = "/api/v1/challenges/dl/deliverables"
    for who, status in [("judge", 200), ("organiser", 200), ("admin", 200), ("owner", 403),
                        ("other", 403), ("xjudge", 403), ("anonymous", 401)]:  # fmt: skip
        assert client.get(url, headers=world.headers[who]).status_code == status, who
    teams = client.get(url, headers=world.headers["judge"], params={"phase": "development"}).json()
    by_name = {t["team_name"]: {d["key"]: d for d in t["deliverables"]} for t in teams}
    assert set(by_name) == {"Owls", "Larks"}  # the baseline team does not compete
    assert not by_name["Owls"]["report"]["missing"] and by_name["Larks"]["report"]["missing"]


def test_a_round_entered_by_advancement_asks_only_the_teams_that_advanced(
    client: TestClient, world: World, session: Session
) -> None:
    edition = Edition(slug="dl-edition", title="Edition")
    session.add(edition)
    session.commit()
    assert edition.id and world.challenge.id and world.other_team.id
    final = Round(
        edition_id=edition.id, name="Final", position=1, start=utcnow(), end=utcnow(),
        entry=RoundEntry.ADVANCEMENT,
    )  # fmt: skip
    session.add(final)
    session.commit()
    assert final.id
    session.add(
        RoundPhase(round_id=final.id, challenge_id=world.challenge.id, phase_name="development")
    )
    session.add(Advancement(round_id=final.id, challenge_id=world.challenge.id,
                            team_id=world.other_team.id, how=AdvancedBy.TOP_N))  # fmt: skip
    session.commit()
    code, body = _upload(client, world, "owner", pdf_bytes())
    assert code == 403 and "did not advance into round 'Final'" in body["detail"]
    listed = _listed(client, world)
    assert not listed["report"]["missing"] and not listed["report"]["expected"]
    code, body = _upload(client, world, "other", pdf_bytes(), team=world.other_team)
    assert code == 201 and body["expected"], body
    log_in(client, "dl-owner", PASSWORD)  # the team page says why nothing is asked
    page = client.get(f"/teams/{world.team.id}").text
    assert "your team did not advance" in page and 'id="deliverable-form"' not in page


def test_a_team_that_goes_takes_its_deliverables_with_it(
    client: TestClient, world: World, store: Store, session: Session
) -> None:
    """The last member leaving a team with no submissions deletes it: its deliverables' rows
    go by cascade, and their files with them."""
    assert _upload(client, world, "owner", pdf_bytes("gone"))[0] == 201
    team_id = world.team.id or 0
    folder = store.deliverables_dir(team_id)
    assert any(folder.iterdir())
    for who in ("mate", "owner"):
        answer = client.post(f"/api/v1/teams/{team_id}/leave", headers=world.headers[who])
        assert answer.status_code == 204, answer.text
    session.expire_all()
    assert session.get(Team, team_id) is None
    assert session.exec(select(DeliverableRow)).all() == []
    assert not folder.exists()
