"""Account pages: register, API tokens, password resets through an organiser, and CSRF.

The rules are the API's (``users``, ``tokens``, ``password_resets``): these tests check that
the pages apply them and refuse what they must.
"""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from podium.crud.password_resets import INVALID_CODE
from podium.db.models import ApiToken, PasswordReset, User
from podium.db.models.judging import AuditLog
from podium.db.types import utcnow
from tests.platform.factories import make_user
from tests.web.conftest import csrf_of, log_in
from tests.web.data import SLUG, World

NEW_PASSWORD = "brand-new-pass-9"


def _register(client: TestClient, **values: str) -> tuple[int, str]:
    page = client.get("/register")
    form = {
        "username": "newbie", "email": "newbie@example.org", "password": "long-enough-1",
        "password_again": "long-enough-1", "csrf_token": csrf_of(page.text), **values,
    }  # fmt: skip
    answer = client.post("/register", data=form, follow_redirects=False)
    return answer.status_code, answer.text


def test_registering_in_the_browser_logs_in(client: TestClient, session: Session) -> None:
    status, _ = _register(client)
    assert status == 303
    assert "Signed in as <strong>newbie</strong>" in client.get("/").text
    user = session.exec(select(User).where(User.username == "newbie")).one()
    assert user.email == "newbie@example.org" and not user.is_admin


def test_registration_problems_are_shown_beside_the_form(client: TestClient) -> None:
    status, text = _register(client, username="x", password_again="something-else")
    assert status == 422
    assert "username: username must be 3 to 32 characters" in text
    assert "the two passwords differ" in text
    assert 'value="newbie@example.org"' in text  # what was typed stays
    _register(client)
    fresh = TestClient(client.app)
    status, text = _register(fresh, email="other@example.org")
    assert status == 409 and "the username &#39;newbie&#39; is taken" in text


def test_registration_escapes_what_is_typed(client: TestClient) -> None:
    status, text = _register(client, username="<script>x</script>", email='"><b>mail')
    assert status == 422
    assert "<script>x</script>" not in text and "&lt;script&gt;x&lt;/script&gt;" in text
    assert '"><b>mail' not in text


def test_forms_without_the_sessions_csrf_token_are_refused(
    client: TestClient, world: World
) -> None:
    form = {"username": "csrfless", "email": "c@example.org", "password": "long-enough-1",
            "password_again": "long-enough-1"}  # fmt: skip
    assert client.post("/register", data=form).status_code == 422  # the field is required
    answer = client.post("/register", data={**form, "csrf_token": "0" * 64})
    assert answer.status_code == 403 and "did not come from this site" in answer.text
    log_in(client, "stud")
    other = TestClient(client.app)
    log_in(other, "rival")
    foreign = csrf_of(other.get("/me/tokens").text)  # a valid token of another session
    answer = client.post("/me/tokens", data={"name": "x", "csrf_token": foreign})
    assert answer.status_code == 403
    for url in ("/password-resets", "/me/tokens/1/revoke", "/reset-password"):
        assert client.post(url, data={"csrf_token": foreign}).status_code in (403, 422)


def test_api_tokens_are_shown_once_work_and_are_revoked(
    client: TestClient, world: World, session: Session
) -> None:
    log_in(client, "stud")
    page = client.get("/me/tokens")
    created = client.post(
        "/me/tokens",
        data={"name": "laptop <b>", "expires_in_hours": "", "csrf_token": csrf_of(page.text)},
    )
    assert created.status_code == 201
    secret = re.search(r'id="token-secret">([^<]+)<', created.text)
    assert secret is not None
    headers = {"Authorization": f"Bearer {secret.group(1)}"}
    assert client.get("/api/v1/users/me", headers=headers).json()["username"] == "stud"
    listing = client.get("/me/tokens").text
    assert secret.group(1) not in listing and "laptop &lt;b&gt;" in listing
    row = session.exec(select(ApiToken).where(ApiToken.name == "laptop <b>")).one()
    revoke = client.post(f"/me/tokens/{row.id}/revoke", data={"csrf_token": csrf_of(listing)})
    assert revoke.status_code == 200 and "revoked" in revoke.text
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401


def test_nobody_revokes_another_users_token(
    client: TestClient, world: World, session: Session
) -> None:
    log_in(TestClient(client.app), "stud")  # the student's web session: a token row
    theirs = session.exec(select(ApiToken).where(ApiToken.user_id == world.student.id)).one()
    log_in(client, "rival")
    token = csrf_of(client.get("/me/tokens").text)
    answer = client.post(f"/me/tokens/{theirs.id}/revoke", data={"csrf_token": token})
    assert answer.status_code == 404
    session.refresh(theirs)
    assert not theirs.revoked


def _issue(client: TestClient, username: str, challenge: str = SLUG) -> tuple[int, str]:
    page = client.get("/password-resets")
    if page.status_code != 200:
        return page.status_code, page.text
    form = {"username": username, "challenge": challenge, "csrf_token": csrf_of(page.text)}
    answer = client.post("/password-resets", data=form)
    return answer.status_code, answer.text


def _code_of(text: str) -> str:
    found = re.search(r'id="reset-code">([^<]+)<', text)
    assert found is not None, text
    return found.group(1)


def _use(client: TestClient, code: str, password: str = NEW_PASSWORD) -> tuple[int, str]:
    page = client.get(f"/reset-password?code={code}")
    assert f'value="{code}"' in page.text
    form = {"code": code, "password": password, "password_again": password,
            "csrf_token": csrf_of(page.text)}  # fmt: skip
    answer = client.post("/reset-password", data=form, follow_redirects=False)
    return answer.status_code, answer.text


def test_an_organiser_resets_a_participants_password_once(
    client: TestClient, world: World, session: Session
) -> None:
    student = TestClient(client.app)
    log_in(student, "stud")  # a session the reset must end
    log_in(client, "orga")
    status, text = _issue(client, "stud")
    assert status == 201 and "/reset-password?code=" in text
    code = _code_of(text)
    user = TestClient(client.app)
    assert _use(user, code)[0] == 303
    assert "Signed in as <strong>stud</strong>" in user.get("/").text
    assert "Log in" in student.get("/").text  # the old session was revoked
    again = _use(TestClient(client.app), code, "another-pass-12")
    assert again[0] == 422 and INVALID_CODE.split(";")[0] in again[1].replace("&#39;", "'")
    log_in(TestClient(client.app), "stud", NEW_PASSWORD)
    actions = session.exec(
        select(AuditLog.action, AuditLog.target).where(AuditLog.challenge_id == world.challenge.id)
        .where(col(AuditLog.action).startswith("password_reset"))
    ).all()  # fmt: skip
    assert sorted(actions) == [("password_reset_issued", "stud"), ("password_reset_used", "stud")]


def test_a_reset_code_expires_and_a_new_one_replaces_it(
    client: TestClient, world: World, session: Session
) -> None:
    log_in(client, "orga")
    first = _code_of(_issue(client, "stud")[1])
    second = _code_of(_issue(client, "stud")[1])
    assert _use(TestClient(client.app), first)[0] == 422  # replaced by the second
    row = session.exec(select(PasswordReset).order_by(col(PasswordReset.id).desc())).first()
    assert row is not None
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.commit()
    assert _use(TestClient(client.app), second)[0] == 422


def test_only_organisers_and_admins_issue_resets_and_only_for_whom_they_may(
    client: TestClient, world: World, session: Session
) -> None:
    log_in(client, "stud")
    assert _issue(client, "rival")[0] == 403  # a participant
    judge = TestClient(client.app)
    log_in(judge, "judy")
    assert _issue(judge, "stud")[0] == 403  # a judge is not an organiser
    organiser = TestClient(client.app)
    log_in(organiser, "orga")
    status, text = _issue(organiser, "outsider")  # in no team of the challenge
    assert status == 403 and "is in no team of" in text
    status, text = _issue(organiser, "judy")  # staff: an organiser could take them over
    assert status == 403 and "only an admin can reset" in text
    assert _issue(organiser, "stud", challenge="no-such-challenge")[0] == 403
    make_user(session, username="root", is_admin=True)
    admin = TestClient(client.app)
    log_in(admin, "root")
    assert _issue(admin, "judy")[0] == 201
    assert _issue(admin, "outsider")[0] == 201
