"""Pages through FastAPI's TestClient: who sees what, escaping, Markdown, CSRF, actions."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from markupsafe import escape
from sqlmodel import Session

from podium.db.models import Submission
from podium.db.models.judging import RubricScoreRow
from podium.store import Store
from tests.web.conftest import csrf_of, log_in
from tests.web.data import HOSTILE_README, HOSTILE_TEAM, SLUG, World, build_world

CHALLENGE = f"/challenges/{SLUG}"


def test_login_sets_an_httponly_lax_cookie_and_logout_revokes_it(
    client: TestClient, world: World
) -> None:
    log_in(client, "stud")
    cookie = next(c for c in client.cookies.jar if c.name == "podium_session")
    assert cookie.has_nonstandard_attr("HttpOnly")
    page = client.get("/me/submissions")
    assert page.status_code == 200 and "Signed in as <strong>stud</strong>" in page.text
    answer = client.post("/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert answer.status_code == 303
    client.cookies.set("podium_session", cookie.value or "")  # a stolen copy is dead too
    assert client.get("/me/submissions", follow_redirects=False).status_code == 303


def test_login_headers_and_wrong_password(client: TestClient, world: World) -> None:
    page = client.get("/login")
    assert "samesite=lax" in page.headers["set-cookie"].lower()
    assert "default-src 'self'" in page.headers["content-security-policy"]
    form = {"login": "stud", "password": "wrong-password", "csrf_token": csrf_of(page.text)}
    answer = client.post("/login", data=form)
    assert answer.status_code == 401
    assert "wrong username or password" in answer.text


def test_login_without_or_with_a_forged_csrf_token_is_refused(
    client: TestClient, world: World
) -> None:
    client.get("/login")
    for token in ("", "0" * 64):
        form = {"login": "stud", "password": "correct-horse-1", "csrf_token": token}
        answer = client.post("/login", data=form, follow_redirects=False)
        assert answer.status_code in (403, 422)
        assert "podium_session" not in answer.headers.get("set-cookie", "")
    answer = client.post("/login", data={**form, "csrf_token": "0" * 64})
    assert answer.status_code == 403
    assert "reload the page and send it again" in answer.text


def test_a_token_of_another_session_is_refused(client: TestClient, world: World) -> None:
    log_in(client, "judy")
    page = client.get(f"{CHALLENGE}/judging")
    token = csrf_of(page.text)
    other = TestClient(client.app)
    log_in(other, "orga")
    url = f"{CHALLENGE}/judging/publish"
    answer = other.post(url, data={"csrf_token": token, "phase": "development"})
    assert answer.status_code == 403


def test_login_redirects_only_to_local_paths(client: TestClient, world: World) -> None:
    page = client.get("/login?next=//evil.example/x")
    assert 'name="next" value="/"' in page.text
    form = {"login": "stud", "password": "correct-horse-1", "csrf_token": csrf_of(page.text)}
    answer = client.post(
        "/login", data={**form, "next": "https://evil.example/"}, follow_redirects=False
    )
    assert answer.headers["location"] == "/"


def test_challenge_list_and_page_render_for_anonymous_visitors(
    client: TestClient, world: World
) -> None:
    listing = client.get("/")
    assert listing.status_code == 200
    assert "Breast cancer diagnosis" in listing.text
    page = client.get(CHALLENGE)
    assert page.status_code == 200
    text = page.text
    assert "<strong>malignant</strong>" in text or "Phases and deadlines" in text
    assert f"/api/v1/challenges/{SLUG}/files/train" in text
    assert text.count('<svg class="bar"') == 3  # one interval bar per team
    assert text.count("<polyline") == 3  # one line per team in the history plot
    assert 'class="tie"' in text  # Alpha and Beta overlap on the public split


def test_leaderboard_ranks_and_escapes_a_hostile_team_name(
    client: TestClient, world: World
) -> None:
    text = client.get(CHALLENGE).text
    assert HOSTILE_TEAM not in text
    assert str(escape(HOSTILE_TEAM)) in text  # in the table and the plot's legend
    assert "<script>alert" not in text
    assert "Beta &amp; co" in text
    board = text[text.index('<table class="board"') :]
    assert board.index("Beta &amp; co") < board.index("Alpha team") < board.index("&lt;script")


def test_markdown_raw_html_is_not_rendered(
    client: TestClient, session: Session, store: Store, built_example: Path, tmp_path: Path
) -> None:
    build_world(session, store, built_example, tmp_path, readme=HOSTILE_README)
    text = client.get(CHALLENGE).text
    assert "<strong>malignant</strong>" in text
    assert '<script>alert("readme")' not in text
    assert "&lt;script&gt;alert(&quot;readme&quot;)" in text
    assert "<img src=x" not in text and "onerror" not in text.replace("onerror=alert(2)&gt;", "")
    assert 'href="javascript:' not in text


def test_unknown_challenge_and_phase_are_404_pages(client: TestClient, world: World) -> None:
    answer = client.get("/challenges/nope")
    assert answer.status_code == 404
    assert "text/html" in answer.headers["content-type"]
    assert str(escape("no challenge 'nope'")) in answer.text
    assert client.get(f"{CHALLENGE}?phase=nope").status_code == 404


def test_private_split_is_refused_to_participants_and_shown_to_judges(
    client: TestClient, world: World
) -> None:
    log_in(client, "stud")
    page = client.get(f"{CHALLENGE}?split=private")
    assert page.status_code == 200
    assert "shown after the organisers reveal" in page.text
    assert '<table class="board"' not in page.text


def test_submission_page_shows_timeline_scores_and_escaped_logs(
    client: TestClient, world: World
) -> None:
    sub = world.submissions["alpha2"]
    assert client.get(f"/submissions/{sub.id}", follow_redirects=False).status_code == 303
    log_in(client, "stud")
    text = client.get(f"/submissions/{sub.id}").text
    for status in ("queued", "running", "scoring", "finished"):
        assert f"<strong>{status}</strong>" in text
    assert "0.96" in text and "public" in text
    assert "private" not in text.split('class="scores"')[1].split("</table>")[0]
    assert "&lt;b&gt;not bold&lt;/b&gt; &amp; done" in text
    assert "&lt;script&gt;alert(&#39;log&#39;)&lt;/script&gt;" in text


def test_submission_of_another_team_is_404_and_my_list_has_only_mine(
    client: TestClient, world: World
) -> None:
    log_in(client, "stud")
    other = world.submissions["beta1"]
    assert client.get(f"/submissions/{other.id}").status_code == 404
    mine = client.get("/me/submissions").text
    ids = {world.submissions[k].id for k in ("alpha1", "alpha2")}
    for sub_id in ids:
        assert f'href="/submissions/{sub_id}"' in mine
    assert f'href="/submissions/{other.id}"' not in mine


def test_staff_pages_need_the_right_role(client: TestClient, world: World) -> None:
    assert client.get(f"{CHALLENGE}/judging", follow_redirects=False).status_code == 303
    log_in(client, "stud")
    assert client.get(f"{CHALLENGE}/judging").status_code == 403
    assert client.get(f"{CHALLENGE}/organise").status_code == 403
    judge = TestClient(client.app)
    log_in(judge, "judy")
    assert judge.get(f"{CHALLENGE}/judging").status_code == 200
    assert judge.get(f"{CHALLENGE}/organise").status_code == 403
    organiser = TestClient(client.app)
    log_in(organiser, "orga")
    page = organiser.get(f"{CHALLENGE}/organise")
    assert page.status_code == 200
    assert '<span class="n">5</span> finished' in page.text
    assert str(escape(HOSTILE_TEAM)) in page.text and HOSTILE_TEAM not in page.text


def test_judge_scores_a_team_through_the_form(
    client: TestClient, world: World, session: Session
) -> None:
    log_in(client, "judy")
    page = client.get(f"{CHALLENGE}/judging")
    team = world.teams["alpha"]
    form = {
        "csrf_token": csrf_of(page.text), "phase": "development",
        "criterion": ["report", "reproducibility"], "points": ["9", ""],
        "comment": ["clear <b>report</b>", ""],
    }  # fmt: skip
    url = f"{CHALLENGE}/judging/teams/{team.id}/rubric"
    answer = client.post(url, data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    rows = session.exec(RubricScoreRow.__table__.select()).all()  # type: ignore[attr-defined]
    assert [(r.criterion, r.points, r.comment) for r in rows] == [
        ("report", 9.0, "clear <b>report</b>")
    ]
    text = client.get(f"{CHALLENGE}/judging").text
    assert "clear &lt;b&gt;report&lt;/b&gt;" in text
    bad = client.post(url, data={**form, "points": ["11", ""]})
    assert bad.status_code == 422 and "report" in bad.text


def test_judge_disqualifies_with_a_reason(
    client: TestClient, world: World, session: Session
) -> None:
    log_in(client, "judy")
    token = csrf_of(client.get(f"{CHALLENGE}/judging").text)
    sub = world.submissions["beta2"]
    url = f"{CHALLENGE}/judging/submissions/{sub.id}/disqualify"
    answer = client.post(url, data={"csrf_token": token, "phase": "development", "reason": "leak"})
    assert answer.status_code == 200  # followed back to the judging page
    session.expire_all()
    stored = session.get(Submission, sub.id)
    assert stored is not None and stored.disqualified and stored.disqualified_reason == "leak"
    assert "disqualify" in answer.text  # the audit log
