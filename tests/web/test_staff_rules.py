"""The pages follow the API's rules on staff: judges do not cancel, publishing reveals only when
asked, a judge's audit log holds no other judge's points, and staff actions are audited."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from podium.crud import judging
from podium.db.models import Challenge, Submission, SubmissionKind, SubmissionStatus
from podium.db.models.judging import AuditLog, PublishedRanking
from tests.web.conftest import csrf_of, log_in
from tests.web.data import SLUG, World

CHALLENGE = f"/challenges/{SLUG}"


def _queued(session: Session, world: World) -> Submission:
    team = world.teams["beta"]
    sub = Submission(
        challenge_id=world.challenge.id or 0, phase_id=world.phase.id or 0, team_id=team.id or 0,
        user_id=world.rival.id, kind=SubmissionKind.IMAGE, status=SubmissionStatus.QUEUED,
    )  # fmt: skip
    session.add(sub)
    session.commit()
    session.refresh(sub)
    return sub


def _actions(session: Session) -> list[tuple[str, str]]:
    session.expire_all()
    rows = session.exec(select(AuditLog).order_by(col(AuditLog.id))).all()
    return [(row.action, row.target) for row in rows if row.action != "grant_role"]


def test_a_judge_sees_no_cancel_button_and_may_not_cancel(
    client: TestClient, world: World, session: Session
) -> None:
    sub = _queued(session, world)
    log_in(client, "judy")
    page = client.get(f"/submissions/{sub.id}")
    assert page.status_code == 200 and "Cancel this submission" not in page.text
    answer = client.post(f"/submissions/{sub.id}/cancel", data={"csrf_token": csrf_of(page.text)})
    assert answer.status_code == 403
    assert "judges re-run or disqualify submissions" in answer.text
    session.expire_all()
    stored = session.get(Submission, sub.id)
    assert stored is not None and stored.status == SubmissionStatus.QUEUED


def test_an_organiser_cancels_and_the_cancel_is_audited(
    client: TestClient, world: World, session: Session
) -> None:
    sub = _queued(session, world)
    log_in(client, "orga")
    page = client.get(f"/submissions/{sub.id}")
    assert "Cancel this submission" in page.text
    answer = client.post(f"/submissions/{sub.id}/cancel", data={"csrf_token": csrf_of(page.text)})
    assert answer.status_code == 200
    assert _actions(session) == [("cancel", f"submission {sub.id}")]
    judging_page = client.get(f"{CHALLENGE}/judging")
    assert f"cancel submission {sub.id}" in judging_page.text


def test_publishing_needs_the_reveal_box_until_the_board_is_revealed(
    client: TestClient, world: World, session: Session
) -> None:
    log_in(client, "orga")
    page = client.get(f"{CHALLENGE}/judging")
    assert 'name="reveal"' in page.text
    form = {"csrf_token": csrf_of(page.text), "phase": "development"}
    refused = client.post(f"{CHALLENGE}/judging/publish", data=form)
    assert refused.status_code == 409
    assert f"the private leaderboard of {SLUG} is not revealed yet" in refused.text
    assert session.exec(select(PublishedRanking)).first() is None
    answer = client.post(f"{CHALLENGE}/judging/publish", data=form | {"reveal": "true"})
    assert answer.status_code == 200 and "Published: version 1 (development)" in answer.text
    assert 'name="reveal"' not in answer.text  # revealed now: nothing more to tick
    session.expire_all()
    challenge = session.exec(select(Challenge).where(Challenge.slug == SLUG)).one()
    assert challenge.revealed_private
    assert _actions(session) == [("reveal", SLUG), ("publish", "version 1")]


def test_a_judges_page_shows_only_their_own_rubric_points(
    client: TestClient, world: World, session: Session
) -> None:
    beta, alpha = world.teams["beta"], world.teams["alpha"]
    scores = [("report", 3.0, ""), ("reproducibility", 4.0, "")]
    judging.put_rubric_scores(
        session, challenge=world.challenge, judge=world.organiser, team=beta, scores=scores
    )
    judging.put_rubric_scores(
        session, challenge=world.challenge, judge=world.judge, team=alpha, scores=scores
    )
    log_in(client, "judy")
    page = client.get(f"{CHALLENGE}/judging")
    assert f"rubric_score team {alpha.id}" in page.text
    assert f"rubric_score team {beta.id}" not in page.text
    organiser = TestClient(client.app)
    log_in(organiser, "orga")
    assert f"rubric_score team {beta.id}" in organiser.get(f"{CHALLENGE}/judging").text
