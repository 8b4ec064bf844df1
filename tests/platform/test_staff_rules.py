"""Staff of a challenge do not compete in it; staff actions are audited (and a judge reads no
other judge's points); publishing reveals the private split only when asked, and two at once
do not fail with a server error; a judge cannot disqualify their own team. Through the API (and
crud where a race must be staged), on the real migrated database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import Session, select

from podium.api.routes.submissions import get_enqueuer
from podium.crud import publishing
from podium.db.models import SubmissionStatus, TeamMember, TeamRole
from podium.db.models.judging import PublishedRanking
from podium.errors import Conflict
from podium.store import Store
from tests.platform.factories import auth_headers, make_submission, make_user
from tests.platform.leaderboard_helpers import World, make_team, make_world, scored
from tests.platform.submission_helpers import build_tar


@pytest.fixture
def world(session: Session, store: Store, tmp_path: Path, app: FastAPI) -> World:
    app.dependency_overrides[get_enqueuer] = lambda: lambda *_: None
    made = make_world(session, store, tmp_path)
    admin = make_user(session, is_admin=True)
    made.headers["admin"] = auth_headers(session, admin)
    return made


def api(client: TestClient, world: World, who: str, method: str, path: str, **kw: Any) -> Any:
    return client.request(method, f"/api/v1{path}", headers=world.headers[who], **kw)


def audit_log(
    client: TestClient, world: World, who: str = "organiser", *, grants: bool = False
) -> list[dict[str, Any]]:
    """The audit log as ``who`` reads it (without the set-up's role grants, unless asked)."""
    answer = api(client, world, who, "GET", f"/challenges/{world.slug}/audit-log")
    assert answer.status_code == 200, answer.text
    return [e for e in answer.json() if grants or e["action"] != "grant_role"]


def test_staff_cannot_form_join_or_be_invited_to_a_team_nor_submit(
    client: TestClient, session: Session, world: World
) -> None:
    slug = world.slug
    team = api(
        client, world, "participant", "POST", f"/challenges/{slug}/teams", json={"name": "A"}
    )
    assert team.status_code == 201
    team_id = team.json()["id"]
    made = api(client, world, "judge", "POST", f"/challenges/{slug}/teams", json={"name": "J"})
    assert made.status_code == 403
    assert made.json()["detail"] == (
        f"you are a judge of {slug}, and staff of {slug} cannot compete in it (no team, no "
        "submission); compete with an account that has no role there"
    )
    invited = api(
        client, world, "participant", "POST", f"/teams/{team_id}/invites",
        json={"username": world.organiser.username},
    )  # fmt: skip
    assert invited.status_code == 409
    assert invited.json()["detail"] == (
        f"{world.organiser.username} is an organiser of {slug}, and staff of {slug} cannot "
        "compete in it; invite someone else"
    )
    joined = api(client, world, "judge", "POST", f"/teams/{team_id}/join")
    assert joined.status_code == 403 and "cannot compete" in joined.json()["detail"]
    upload = {"data": {"kind": "build"}, "files": {"file": ("c.tar", build_tar())}}
    for who, standing in (
        ("organiser", f"an organiser of {slug}"),
        ("admin", "a site administrator (who sees every challenge's private scores)"),
    ):
        sent = api(client, world, who, "POST", f"/challenges/{slug}/submissions", **upload)
        assert sent.status_code == 403, sent.text
        assert sent.json()["detail"].startswith(f"you are {standing}, and staff of {slug}")
    # the judge of another challenge is a participant here
    theirs = api(client, world, "outsider", "POST", f"/challenges/{slug}/submissions", **upload)
    assert theirs.status_code == 201, theirs.text


def test_a_team_member_cannot_be_made_staff(
    client: TestClient, session: Session, world: World
) -> None:
    make_team(session, world, "Owls", [world.participant])
    body = {"username": world.participant.username, "role": "judge"}
    refused = api(client, world, "organiser", "POST", f"/challenges/{world.slug}/roles", json=body)
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        f"{world.participant.username} is a member of team 'Owls' in {world.slug} and cannot "
        "also be its judge: staff of a challenge do not compete in it; choose someone outside "
        "its teams"
    )
    roles = api(client, world, "organiser", "GET", f"/challenges/{world.slug}/roles").json()
    assert world.participant.username not in {r["username"] for r in roles}


def test_judges_do_not_cancel_and_staff_cancels_and_reruns_are_audited(
    client: TestClient, session: Session, world: World
) -> None:
    team = make_team(session, world, "Owls", [world.participant])
    queued = [
        make_submission(
            session,
            challenge=world.challenge,
            phase=world.phase,
            team=team,
            user=world.participant,
            status=SubmissionStatus.QUEUED,
        )  # fmt: skip
        for _ in range(3)
    ]
    done = scored(session, world, team, 0.3, image_digest="sha256:" + "0" * 64)
    judge = api(client, world, "judge", "POST", f"/submissions/{queued[0].id}/cancel")
    assert judge.status_code == 403
    assert judge.json()["detail"] == (
        f"only the team that made submission {queued[0].id} and organisers of {world.slug} can "
        "cancel it; judges re-run or disqualify submissions"
    )
    for who, target in zip(("participant", "organiser", "admin"), queued, strict=True):
        cancelled = api(client, world, who, "POST", f"/submissions/{target.id}/cancel")
        assert cancelled.status_code == 200, (who, cancelled.text)
    again = api(client, world, "organiser", "POST", f"/submissions/{queued[1].id}/cancel")
    assert again.status_code == 409  # refused: and so not audited
    rerun = api(client, world, "judge", "POST", f"/submissions/{done.id}/rerun")
    assert rerun.status_code == 202, rerun.text
    busy = api(client, world, "organiser", "POST", f"/submissions/{done.id}/rerun")
    assert busy.status_code == 409  # still queued: refused, not audited
    log = audit_log(client, world)
    assert [(e["actor"], e["action"], e["target"]) for e in log] == [
        (world.organiser.username, "cancel", f"submission {queued[1].id}"),
        (log[1]["actor"], "cancel", f"submission {queued[2].id}"),
        (world.judge.username, "rerun", f"submission {done.id}"),
    ]
    assert log[0]["detail"] == {"team_id": team.id, "status": "queued"}
    assert log[2]["detail"] == {"team_id": team.id, "status": "finished"}
    assert all(e["at"] for e in log)


def test_role_changes_and_challenge_edits_are_audited(
    client: TestClient, session: Session, world: World
) -> None:
    newcomer = make_user(session)
    url = f"/challenges/{world.slug}"
    body = {"username": newcomer.username, "role": "judge"}
    assert api(client, world, "organiser", "POST", f"{url}/roles", json=body).status_code == 201
    assert api(client, world, "organiser", "POST", f"{url}/roles", json=body).status_code == 201
    gone = api(client, world, "admin", "DELETE", f"{url}/roles/{newcomer.username}/judge")
    assert gone.status_code == 204
    edit = {"title": "Renamed", "tags": ["tabular", "regression"]}  # the tags do not change
    assert api(client, world, "organiser", "PUT", url, json=edit).status_code == 200
    assert api(client, world, "organiser", "PUT", url, json=edit).status_code == 200  # no change
    log = audit_log(client, world, grants=True)
    rows = [(e["actor"], e["action"], e["target"], e["detail"]) for e in log]
    organiser = world.organiser.username
    assert rows[:2] == [
        (organiser, "grant_role", f"user {organiser}", {"role": "organiser"}),  # at creation
        (None, "grant_role", f"user {world.judge.username}", {"role": "judge"}),  # by the test
    ]
    assert rows[2:] == [
        (organiser, "grant_role", f"user {newcomer.username}", {"role": "judge"}),
        (log[3]["actor"], "revoke_role", f"user {newcomer.username}", {"role": "judge"}),
        (organiser, "update", world.slug, {"title": {"from": "Tiny regression", "to": "Renamed"}}),
    ]
    assert log[3]["actor"] is not None and log[3]["actor"] != organiser  # the admin
    judge_view = audit_log(client, world, "judge")
    assert [e["action"] for e in judge_view] == ["revoke_role", "update"]


def test_a_judge_reads_only_their_own_rubric_points_in_the_audit_log(
    client: TestClient, session: Session, world: World
) -> None:
    second = make_user(session)
    url = f"/challenges/{world.slug}"
    grant = {"username": second.username, "role": "judge"}
    assert api(client, world, "organiser", "POST", f"{url}/roles", json=grant).status_code == 201
    world.headers["second"] = auth_headers(session, second)
    team = make_team(session, world, "Owls", [world.participant])
    for who, given in (("judge", 7), ("second", 2), ("organiser", 5)):
        body = {"team_id": team.id, "scores": [{"criterion": "report", "points": given}]}
        assert api(client, world, who, "PUT", f"{url}/rubric-scores", json=body).status_code == 200

    def points(who: str) -> list[tuple[str, Any]]:
        return [(e["actor"], e["detail"]) for e in audit_log(client, world, who)]

    assert points("judge") == [(world.judge.username, {"report": 7.0})]
    assert points("second") == [(second.username, {"report": 2.0})]
    everyone = [
        (world.judge.username, {"report": 7.0}),
        (second.username, {"report": 2.0}),
        (world.organiser.username, {"report": 5.0}),
    ]
    assert points("organiser") == everyone and points("admin") == everyone
    mine = api(client, world, "second", "GET", f"{url}/rubric-scores").json()
    assert [(s["judge"], s["points"]) for s in mine] == [(second.username, 2.0)]


def test_publishing_reveals_the_private_split_only_when_asked(
    client: TestClient, session: Session, world: World
) -> None:
    scored(session, world, make_team(session, world, "Owls", [world.participant]), 0.3)
    url = f"/challenges/{world.slug}"
    private = {"params": {"split": "private"}}
    assert client.get(f"/api/v1{url}/leaderboard", **private).status_code == 403
    refused = api(client, world, "organiser", "POST", f"{url}/publish")
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith(
        f"the private leaderboard of {world.slug} is not revealed yet, and a published ranking "
        "shows everyone its private scores; reveal it first, or publish with reveal"
    )
    no = api(client, world, "organiser", "POST", f"{url}/publish", json={"reveal": False})
    assert no.status_code == 409
    assert client.get(f"/api/v1{url}/published").status_code == 404  # nothing leaked
    assert client.get(f"/api/v1{url}/leaderboard", **private).status_code == 403
    published = api(client, world, "organiser", "POST", f"{url}/publish", json={"reveal": True})
    assert published.status_code == 201, published.text
    assert client.get(f"/api/v1{url}/published").status_code == 200
    assert client.get(f"/api/v1{url}/leaderboard", **private).status_code == 200
    log = audit_log(client, world)
    assert [(e["action"], e["target"]) for e in log] == [
        ("reveal", world.slug),
        ("publish", "version 1"),
    ]
    again = api(client, world, "organiser", "POST", f"{url}/publish")  # revealed: no body needed
    assert again.status_code == 201 and again.json()["version"] == 2


def test_a_judge_cannot_disqualify_or_reinstate_their_own_team(
    client: TestClient, session: Session, world: World
) -> None:
    # a membership from before staff were kept out of teams (the database still allows one)
    team = make_team(session, world, "Owls", [world.participant])
    assert team.id is not None and world.judge.id is not None and world.challenge.id is not None
    session.add(
        TeamMember(
            team_id=team.id,
            user_id=world.judge.id,
            challenge_id=world.challenge.id,
            role=TeamRole.MEMBER,
        )
    )
    session.commit()
    mine = scored(session, world, team, 0.3)
    path = f"/submissions/{mine.id}"
    refused = api(client, world, "judge", "POST", f"{path}/disqualify", json={"reason": "x"})
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        f"you are a member of the team that made submission {mine.id} and cannot disqualify "
        "it; another judge or an organiser must"
    )
    by_organiser = api(
        client, world, "organiser", "POST", f"{path}/disqualify", json={"reason": "x"}
    )
    assert by_organiser.status_code == 200, by_organiser.text
    undo = api(client, world, "judge", "POST", f"{path}/reinstate")
    assert undo.status_code == 403 and "cannot reinstate it" in undo.json()["detail"]


def test_a_publication_that_loses_the_race_for_its_version_is_a_conflict(
    session: Session, world: World, app: FastAPI
) -> None:
    publishing.reveal(session, challenge=world.challenge, actor=world.organiser)

    def publish_first(_: Session) -> None:  # another request publishes version 1 meanwhile
        with Session(app.state.engine) as other:
            assert world.challenge.id is not None
            other.add(PublishedRanking(challenge_id=world.challenge.id, version=1, phase="p"))
            other.commit()

    event.listen(session, "before_commit", publish_first, once=True)
    with pytest.raises(Conflict, match="version 1 of .* was published a moment ago"):
        publishing.publish(
            session, challenge=world.challenge, actor=world.organiser, phase="p", ranking={}
        )
    versions = session.exec(select(PublishedRanking.version)).all()
    assert versions == [1]
