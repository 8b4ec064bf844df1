"""Page actions that call the pipeline and the judges' crud: cancel, re-run, reveal, publish."""

from __future__ import annotations

from fastapi.testclient import TestClient
from markupsafe import escape
from sqlmodel import Session, select

from podium.api.deps import get_rerun
from podium.db.models import Challenge, Submission, SubmissionKind, SubmissionStatus
from podium.db.models.judging import PublishedRanking, Reproduction
from tests.web.conftest import csrf_of, log_in
from tests.web.data import SLUG, World

CHALLENGE = f"/challenges/{SLUG}"


def _queued(session: Session, world: World) -> Submission:
    team = world.teams["alpha"]
    sub = Submission(
        challenge_id=world.challenge.id or 0, phase_id=world.phase.id or 0, team_id=team.id or 0,
        user_id=world.student.id, kind=SubmissionKind.IMAGE, status=SubmissionStatus.QUEUED,
    )  # fmt: skip
    session.add(sub)
    session.commit()
    session.refresh(sub)
    return sub


def test_team_cancels_a_queued_submission(
    client: TestClient, world: World, session: Session
) -> None:
    sub = _queued(session, world)
    log_in(client, "stud")
    page = client.get(f"/submissions/{sub.id}")
    assert "Cancel this submission" in page.text
    answer = client.post(f"/submissions/{sub.id}/cancel", data={"csrf_token": csrf_of(page.text)})
    assert answer.status_code == 200
    assert '<span class="status status-cancelled" id="status">cancelled</span>' in answer.text
    session.expire_all()
    stored = session.get(Submission, sub.id)
    assert stored is not None and stored.status == SubmissionStatus.CANCELLED
    again = client.post(f"/submissions/{sub.id}/cancel", data={"csrf_token": csrf_of(page.text)})
    assert again.status_code == 409 and "has already ended" in again.text


def test_rerun_is_for_staff_and_says_what_is_missing(client: TestClient, world: World) -> None:
    sub = world.submissions["alpha1"]
    log_in(client, "stud")
    token = csrf_of(client.get("/me/submissions").text)
    assert (
        client.post(f"/submissions/{sub.id}/rerun", data={"csrf_token": token}).status_code == 403
    )
    organiser = TestClient(client.app)
    log_in(organiser, "orga")
    page = organiser.get(f"{CHALLENGE}/organise")
    assert f'action="/submissions/{sub.id}/rerun"' in page.text
    answer = organiser.post(
        f"/submissions/{sub.id}/rerun",
        data={"csrf_token": csrf_of(page.text), "back": f"{CHALLENGE}/organise"},
    )
    assert answer.status_code == 422
    assert escape(f"submission {sub.id} has no stored file or image to run") in answer.text


def test_organiser_reveals_the_private_board_and_publishes(
    client: TestClient, world: World, session: Session
) -> None:
    log_in(client, "orga")
    page = client.get(f"{CHALLENGE}/organise")
    token = csrf_of(page.text)
    assert (
        client.post(f"{CHALLENGE}/organise/reveal", data={"csrf_token": token}).status_code == 200
    )
    session.expire_all()
    challenge = session.exec(select(Challenge).where(Challenge.slug == SLUG)).one()
    assert challenge.revealed_private
    form = {"csrf_token": token, "phase": "development"}
    answer = client.post(f"{CHALLENGE}/judging/publish", data=form)
    assert answer.status_code == 200 and "Published: version 1 (development)" in answer.text
    row = session.exec(select(PublishedRanking)).one()
    assert [e["team"] for e in row.ranking["entries"]][:1] == ["Beta & co"]
    student = TestClient(client.app)
    log_in(student, "stud")
    private = student.get(f"{CHALLENGE}?split=private")
    assert '<table class="board" data-split="private">' in private.text


def test_judges_may_not_publish(client: TestClient, world: World) -> None:
    log_in(client, "judy")
    page = client.get(f"{CHALLENGE}/judging")
    assert "Publish this ranking" not in page.text
    form = {"csrf_token": csrf_of(page.text), "phase": "development"}
    assert client.post(f"{CHALLENGE}/judging/publish", data=form).status_code == 403


def test_judge_asks_for_a_reproduction(client: TestClient, world: World, session: Session) -> None:
    reran: list[int | None] = []

    def record(db: Session, submission: Submission) -> None:
        reran.append(submission.id)
        db.commit()

    client.app.dependency_overrides[get_rerun] = lambda: record  # type: ignore[attr-defined]
    log_in(client, "judy")
    page = client.get(f"{CHALLENGE}/judging")
    sub = world.submissions["alpha2"]
    url = f"{CHALLENGE}/judging/submissions/{sub.id}/reproduce"
    answer = client.post(url, data={"csrf_token": csrf_of(page.text), "phase": "development"})
    assert answer.status_code == 200 and reran == [sub.id]
    row = session.exec(select(Reproduction)).one()
    assert row.metric == "roc_auc" and row.original_scores["public"]["roc_auc"] == 0.96
    assert "reproduce" in answer.text  # the audit log
