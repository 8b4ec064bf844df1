"""Edition pages: the list, one edition (escaped), the staff's advancement page with CSRF, and
a team's standing on its page and on the edition's."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from podium.crud.edition_specs import EditionSpec
from podium.crud.editions import load_edition
from podium.db.models import Team
from podium.store import Store
from tests.platform.edition_helpers import EDITION, FINAL, EditionWorld, make_edition_world, spec
from tests.web.conftest import csrf_of, log_in

PAGE = f"/editions/{EDITION}"
HOSTILE = "<script>alert(1)</script>"


@pytest.fixture
def ew(session: Session, store: Store, tmp_path: Path) -> EditionWorld:
    return make_edition_world(session, store, tmp_path)


def _advance_page(ew: EditionWorld) -> str:
    return f"/editions/{EDITION}/rounds/{FINAL}/challenges/{ew.slug}"


def test_the_edition_page_lists_statements_hosts_and_rounds_escaped(
    client: TestClient, session: Session, ew: EditionWorld
) -> None:
    body = spec(ew.world, ew.other, title=f"Edition {HOSTILE}", summary=HOSTILE)
    body["hosts"][0]["name"] = f"ITU {HOSTILE}"
    body["hosts"][0]["contact_name"] = HOSTILE
    body["problem_statements"][0]["host"] = f"ITU {HOSTILE}"
    load_edition(session, spec=EditionSpec.model_validate(body))
    team = session.get(Team, ew.teams[0].id)
    assert team is not None
    team.name = HOSTILE
    session.add(team)
    session.commit()
    listing = client.get("/editions").text
    assert "Edition &lt;script&gt;" in listing and HOSTILE not in listing
    page = client.get(PAGE)
    assert page.status_code == 200
    assert HOSTILE not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert 'href="/editions"' in page.text  # the nav link
    assert "open" in page.text and "not decided yet" in page.text
    assert "preview and advance" not in page.text  # not for visitors
    challenge_page = client.get(f"/challenges/{ew.slug}").text
    assert f'href="/editions/{EDITION}"' in challenge_page
    hostile_url = {**body, "hosts": [{**body["hosts"][0], "url": "javascript:alert(1)"}]}
    with pytest.raises(ValueError, match="should match pattern"):
        EditionSpec.model_validate(hostile_url)


def test_only_staff_open_the_advancement_page_and_only_organisers_commit(
    client: TestClient, session: Session, ew: EditionWorld
) -> None:
    url = _advance_page(ew)
    log_in(client, ew.members[0].username)
    assert client.get(url).status_code == 403
    judge = TestClient(client.app)
    log_in(judge, ew.world.judge.username)
    page = judge.get(url)
    assert page.status_code == 200 and "Judges' shortlist" in page.text
    assert "Advance these teams" not in page.text
    token = csrf_of(page.text)
    refused = judge.post(f"{url}/advance", data={"csrf_token": token}, follow_redirects=False)
    assert refused.status_code == 403
    listed = judge.post(f"{url}/shortlist", data={"csrf_token": token, "team_id": str(
        ew.teams[4].id), "listed": "yes"}, follow_redirects=True)  # fmt: skip
    assert listed.status_code == 200 and 'class="shortlisted">team-5' in listed.text
    huge = judge.post(f"{url}/shortlist", data={"csrf_token": token, "team_id": str(2**70),
                                                "listed": "yes"})  # fmt: skip
    assert huge.status_code in (404, 422)


def test_an_organiser_advances_teams_with_csrf_and_teams_see_it(
    client: TestClient, session: Session, ew: EditionWorld
) -> None:
    url = _advance_page(ew)
    organiser = client
    log_in(organiser, ew.world.organiser.username)
    page = organiser.get(url)
    assert page.status_code == 200 and "Advance these teams" in page.text
    forged = organiser.post(f"{url}/advance", data={"csrf_token": "0" * 64})
    assert forged.status_code == 403
    token = csrf_of(page.text)
    done = organiser.post(f"{url}/advance", data={"csrf_token": token}, follow_redirects=True)
    assert done.status_code == 200 and 'id="all-advanced"' in done.text
    first, fourth = TestClient(client.app), TestClient(client.app)
    log_in(first, ew.members[0].username)
    log_in(fourth, ew.members[3].username)
    team_page = first.get(f"/teams/{ew.teams[0].id}").text
    assert f"{FINAL} (final): <strong>advanced" in team_page
    assert (
        f"{FINAL} (final): <strong>did not advance" in fourth.get(f"/teams/{ew.teams[3].id}").text
    )
    assert "Rounds of" not in fourth.get(f"/teams/{ew.teams[0].id}").text  # not their team
    edition = first.get(PAGE).text
    assert 'id="my-standing"' in edition and "<strong>advanced</strong>" in edition
    assert 'class="advanced-team">team-1' in edition and "team-4" not in edition
