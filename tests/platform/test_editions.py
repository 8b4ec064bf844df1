"""Editions over the API: declaring one (admins), what it shows, and its rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from podium.db.models import Challenge, Team
from podium.db.models.editions import Edition, EditionChallenge, HostOrganisation, Round
from podium.store import Store
from tests.platform.edition_helpers import (
    EDITION,
    FINAL,
    EditionWorld,
    make_edition_world,
    spec,
)
from tests.platform.factories import auth_headers, make_user
from tests.platform.leaderboard_helpers import scored

URL = f"/api/v1/editions/{EDITION}"


@pytest.fixture
def ew(session: Session, store: Store, tmp_path: Path) -> EditionWorld:
    return make_edition_world(session, store, tmp_path)


def _body(ew: EditionWorld, **overrides: object) -> dict[str, object]:
    return spec(ew.world, ew.other, **overrides)


def test_only_admins_declare_editions_and_declaring_is_idempotent(
    client: TestClient, session: Session, ew: EditionWorld
) -> None:
    body = _body(ew, title="Renamed edition")
    organiser = ew.world.headers["organiser"]
    assert client.put(URL, json=body).status_code == 401
    refused = client.put(URL, json=body, headers=organiser)
    assert refused.status_code == 403
    assert "only site administrators" in refused.json()["detail"]
    admin = auth_headers(session, ew.admin)
    first = client.put(URL, json=body, headers=admin)
    assert first.status_code == 200, first.text
    again = client.put(URL, json=body, headers=admin)
    assert again.json() == first.json()
    assert first.json()["title"] == "Renamed edition"
    session.expire_all()
    assert len(session.exec(select(Edition)).all()) == 1
    assert len(session.exec(select(EditionChallenge)).all()) == 2
    assert len(session.exec(select(HostOrganisation)).all()) == 2
    assert [r.name for r in session.exec(select(Round).order_by(Round.position)).all()] == [
        "Open round",
        FINAL,
    ]


def test_a_declaration_with_mistakes_is_refused_naming_each(
    client: TestClient, session: Session, ew: EditionWorld
) -> None:
    admin = auth_headers(session, ew.admin)
    problems = _body(
        ew,
        problem_statements=[{"challenge": ew.slug, "host": "Nobody"}],
        rounds=[{"name": "R", "entry": "advancement", "advance": {"top_n": 3},
                 "phases": {ew.slug: "final"}}],
    )  # fmt: skip
    answer = client.put(URL, json=problems, headers=admin)
    assert answer.status_code == 422
    text = answer.text
    assert "names host 'Nobody', which is not in hosts" in text
    assert "the first round, 'R', has no round to advance from" in text
    missing = _body(ew, problem_statements=[{"challenge": "no-such", "host": "ITU"}], rounds=[])
    answer = client.put(URL, json=missing, headers=admin)
    assert answer.status_code == 422 and "no challenge 'no-such'" in answer.text
    bad_phase = _body(ew, rounds=[{"name": "R", "phases": {ew.slug: "semi-final"}}])
    answer = client.put(URL, json=bad_phase, headers=admin)
    assert answer.status_code == 422 and "has no phase 'semi-final'" in answer.text
    rounds = [
        {"name": "A", "phases": {ew.slug: "development"}},
        {"name": "B", "entry": "advancement", "phases": {ew.slug: "final"}},
    ]
    no_rule = _body(ew, rounds=rounds)
    answer = client.put(URL, json=no_rule, headers=admin)
    assert answer.status_code == 422 and "give advance.top_n" in answer.text
    window = {"start": "2030-01-01T00:00:00", "end": "2029-01-01T00:00:00Z"}
    naive = _body(ew, rounds=[{"name": "A", "phases": {ew.slug: "development"}, **window}])
    answer = client.put(URL, json=naive, headers=admin)
    assert answer.status_code == 422 and "timezone" in answer.text
    window["start"] += "Z"
    backwards = _body(ew, rounds=[{"name": "A", "phases": {ew.slug: "development"}, **window}])
    answer = client.put(URL, json=backwards, headers=admin)
    assert answer.status_code == 422 and "round 'A' ends before it starts" in answer.text
    other_url = "/api/v1/editions/other-edition"
    taken = _body(ew, slug="other-edition")
    answer = client.put(other_url, json=taken, headers=admin)
    assert answer.status_code == 409
    assert "already a problem statement of edition 'test-edition'" in answer.json()["detail"]
    assert client.put(other_url, json=_body(ew), headers=admin).status_code == 422  # slug differs


def test_edition_lists_problem_statements_hosts_state_deadlines_and_rounds(
    client: TestClient, ew: EditionWorld
) -> None:
    listed = client.get("/api/v1/editions").json()
    summary = "Two problem statements, two rounds."
    assert listed == [
        {"slug": EDITION, "title": "Test edition", "summary": summary, "problem_statements": 2}
    ]
    detail = client.get(URL).json()
    statements = {p["challenge"]: p for p in detail["problem_statements"]}
    assert statements[ew.slug]["host"] == "ITU"
    assert statements[ew.slug]["state"] == "open"
    assert [d["phase"] for d in statements[ew.slug]["deadlines"]] == ["development", "final"]
    itu = {"name": "ITU", "contact_name": "Ada", "contact_email": "ada@itu.example"}
    assert detail["hosts"][0] == {**itu, "url": "https://itu.example"}
    final = detail["rounds"][1]
    assert final["entry"] == "advancement" and final["advance_top_n"] == 2
    assert all(c["decided"] is False and c["advanced"] == [] for c in final["challenges"])
    assert client.get("/api/v1/editions/nope").status_code == 404


def test_an_unpublished_challenge_is_listed_only_to_its_staff(
    client: TestClient, session: Session, ew: EditionWorld
) -> None:
    challenge = session.get(Challenge, ew.world.challenge.id)
    assert challenge is not None
    challenge.published = False
    session.add(challenge)
    session.commit()
    seen = [p["challenge"] for p in client.get(URL).json()["problem_statements"]]
    assert seen == [ew.other.slug]
    participant = ew.world.headers["participant"]
    assert ew.slug not in client.get(URL, headers=participant).text
    assert client.get(f"{ew.round_url()}/advancement", headers=participant).status_code == 404
    staff = [p["challenge"] for p in client.get(URL, headers=ew.world.headers["judge"]).json()[
        "problem_statements"]]  # fmt: skip
    assert staff == [ew.slug, ew.other.slug]


def test_preview_equals_commit_which_is_audited_once_and_idempotent(
    client: TestClient, session: Session, ew: EditionWorld
) -> None:
    organiser = ew.world.headers["organiser"]
    judge = ew.world.headers["judge"]
    fifth = ew.teams[4]
    assert client.put(f"{ew.round_url()}/shortlist/{fifth.id}", headers=judge).status_code == 200
    preview = client.get(f"{ew.round_url()}/advancement", headers=organiser)
    assert preview.status_code == 200, preview.text
    planned = preview.json()
    assert [(t["team"], t["how"], t["rank"]) for t in planned["teams"]] == [
        ("team-1", "top_n", 1), ("team-2", "top_n", 2), ("team-5", "shortlist", 5)
    ]  # fmt: skip
    assert (planned["from_phase"], planned["to_phase"]) == ("development", "final")
    done = client.post(f"{ew.round_url()}/advancement", headers=organiser)
    assert done.status_code == 200, done.text
    committed = done.json()
    assert committed["added"] == 3
    assert [(t["team_id"], t["how"]) for t in committed["teams"]] == [
        (t["team_id"], t["how"]) for t in planned["teams"]
    ]
    assert all(t["already_advanced"] for t in committed["teams"])
    again = client.post(f"{ew.round_url()}/advancement", headers=organiser).json()
    assert again["added"] == 0 and again["teams"] == committed["teams"]
    log = client.get(f"/api/v1/challenges/{ew.slug}/audit-log", headers=organiser).json()
    advances = [e for e in log if e["action"] == "advance"]
    assert len(advances) == 1
    assert advances[0]["target"] == f"round {FINAL}"
    assert [t["name"] for t in advances[0]["detail"]["teams"]] == ["team-1", "team-2", "team-5"]
    assert [e["action"] for e in log].count("shortlist") == 1


def test_only_organisers_and_admins_advance(
    client: TestClient, session: Session, ew: EditionWorld
) -> None:
    url = f"{ew.round_url()}/advancement"
    assert client.post(url).status_code == 401
    for who in ("participant", "judge", "outsider"):
        answer = client.post(url, headers=ew.world.headers[who])
        assert answer.status_code == 403, who
        assert f"only organisers of {ew.slug} (or an admin) advance" in answer.json()["detail"]
        assert client.get(url, headers=ew.world.headers[who]).status_code == 403
    answer = client.post(url, headers=auth_headers(session, ew.admin))
    assert answer.status_code == 200 and answer.json()["added"] == 2
    # the other challenge's organiser (there is none: only admins) cannot reach this one's
    other_url = f"{ew.round_url(challenge=ew.other.slug)}/advancement"
    assert client.post(other_url, headers=ew.world.headers["organiser"]).status_code == 403


def test_the_open_round_has_nothing_to_advance_and_unknown_names_are_404(
    client: TestClient, ew: EditionWorld
) -> None:
    organiser = ew.world.headers["organiser"]
    answer = client.get(f"{ew.round_url('Open round')}/advancement", headers=organiser)
    assert answer.status_code == 409 and "open to every team" in answer.json()["detail"]
    answer = client.get(f"{ew.round_url('Semi')}/advancement", headers=organiser)
    assert answer.status_code == 404 and "has no round 'Semi'" in answer.json()["detail"]
    answer = client.get(f"{ew.round_url(challenge='nope')}/advancement", headers=organiser)
    assert answer.status_code == 404


def test_the_shortlist_is_for_judges_and_organisers_only(
    client: TestClient, session: Session, ew: EditionWorld
) -> None:
    url = f"{ew.round_url()}/shortlist"
    team = ew.teams[3]
    for who in ("participant", "outsider"):
        assert client.get(url, headers=ew.world.headers[who]).status_code == 403
        assert client.put(f"{url}/{team.id}", headers=ew.world.headers[who]).status_code == 403
    judge = ew.world.headers["judge"]
    listed = client.put(f"{url}/{team.id}", headers=judge).json()
    assert [s["team"] for s in listed] == ["team-4"]
    assert client.put(f"{url}/{team.id}", headers=judge).json() == listed  # idempotent
    assert "team-4" not in client.get(URL).text  # private until advanced
    assert client.delete(f"{url}/{team.id}", headers=judge).json() == []
    assert ew.other.id is not None
    foreign = Team(name="elsewhere", challenge_id=ew.other.id)
    session.add(foreign)
    session.commit()
    answer = client.put(f"{url}/{foreign.id}", headers=judge)
    assert answer.status_code == 404 and f"no team {foreign.id} in {ew.slug}" in answer.text
    assert client.put(f"{url}/999999", headers=judge).status_code == 404


def test_a_team_that_did_not_advance_cannot_submit_to_the_final_round(
    client: TestClient, session: Session, ew: EditionWorld, app: object
) -> None:
    from tests.platform.submission_helpers import build_tar, record_recorder

    record_recorder(app)  # type: ignore[arg-type]
    upload = f"/api/v1/challenges/{ew.slug}/submissions"

    def submit(user_index: int, phase: str) -> object:
        headers = auth_headers(session, ew.members[user_index])
        files = {"file": ("context.tar", build_tar())}
        return client.post(upload, headers=headers, data={"kind": "build", "phase": phase},
                           files=files)  # fmt: skip

    before = submit(0, "final")
    assert before.status_code == 403  # nobody advanced yet
    assert "team 'team-1' did not advance into round 'Final round'" in before.json()["detail"]
    client.post(f"{ew.round_url()}/advancement", headers=ew.world.headers["organiser"])
    assert submit(0, "final").status_code == 201
    refused = submit(3, "final")
    assert refused.status_code == 403
    assert "team 'team-4' did not advance into round 'Final round'" in refused.json()["detail"]
    assert submit(3, "development").status_code == 201  # the open round takes everyone
    teamless = auth_headers(session, make_user(session))
    answer = client.post(upload, headers=teamless, data={"kind": "build", "phase": "final"},
                         files={"file": ("context.tar", build_tar())})  # fmt: skip
    assert answer.status_code == 403
    assert answer.json()["detail"].startswith(
        f"you have no team in {ew.slug} that advanced: phase 'final' of {ew.slug} belongs to "
        "round 'Final round', which takes only teams advanced from the previous round"
    )


def test_a_team_sees_its_own_standing_and_nobody_else_does(
    client: TestClient, session: Session, ew: EditionWorld
) -> None:
    first, fourth = ew.teams[0], ew.teams[3]
    own = auth_headers(session, ew.members[0])
    status = client.get(f"/api/v1/teams/{first.id}/advancement", headers=own).json()
    assert status["edition"] == EDITION
    assert [(r["round"], r["status"]) for r in status["rounds"]] == [
        ("Open round", "open"), (FINAL, "pending")
    ]  # fmt: skip
    client.post(f"{ew.round_url()}/advancement", headers=ew.world.headers["organiser"])
    status = client.get(f"/api/v1/teams/{first.id}/advancement", headers=own).json()
    assert status["rounds"][1]["status"] == "advanced" and status["rounds"][1]["how"] == "top_n"
    theirs = auth_headers(session, ew.members[3])
    status = client.get(f"/api/v1/teams/{fourth.id}/advancement", headers=theirs).json()
    assert status["rounds"][1]["status"] == "not_advanced"
    assert client.get(f"/api/v1/teams/{fourth.id}/advancement", headers=own).status_code == 404
    judge = ew.world.headers["judge"]
    assert client.get(f"/api/v1/teams/{fourth.id}/advancement", headers=judge).status_code == 200
    public = client.get(URL).json()["rounds"][1]["challenges"]
    mine = next(c for c in public if c["challenge"] == ew.slug)
    assert mine["decided"] and [a["team"] for a in mine["advanced"]] == ["team-1", "team-2"]


def test_a_round_that_let_teams_in_cannot_be_dropped(
    client: TestClient, session: Session, ew: EditionWorld
) -> None:
    client.post(f"{ew.round_url()}/advancement", headers=ew.world.headers["organiser"])
    body = _body(ew, rounds=[{"name": "Open round", "phases": {ew.slug: "development"}}])
    answer = client.put(URL, json=body, headers=auth_headers(session, ew.admin))
    assert answer.status_code == 409
    assert "already let teams in and cannot be dropped" in answer.json()["detail"]


def test_advanced_teams_stay_advanced_and_later_qualifiers_can_follow(
    client: TestClient, session: Session, ew: EditionWorld
) -> None:
    organiser = ew.world.headers["organiser"]
    url = f"{ew.round_url()}/advancement"
    client.post(url, headers=organiser)
    scored(session, ew.world, ew.teams[3], 0.01, minutes=30)  # team-4 now leads
    preview = client.get(url, headers=organiser).json()["teams"]
    # team-2 fell to rank 3, below the cut, and stays advanced; team-4 qualifies now
    assert [(t["team"], t["rank"], t["already_advanced"]) for t in preview] == [
        ("team-4", 1, False), ("team-1", 2, True), ("team-2", 3, True)
    ]  # fmt: skip
    done = client.post(url, headers=organiser).json()
    assert done["added"] == 1
    assert {t["team"] for t in done["teams"]} == {"team-1", "team-2", "team-4"}
