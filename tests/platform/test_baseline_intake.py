"""Organisers' baselines through the upload's own intake: who may, where they go, what they
cost; and the one intake every other way in uses (podium.pipeline.intake)."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from podium.crud.submission_intake import plan_submission
from podium.crud.submissions import events_of
from podium.crud.teams import BASELINE_TEAM, create_team, get_or_create_personal_team, team_of
from podium.db.models import Phase, Submission, SubmissionKind, Team, User
from podium.db.types import utcnow
from podium.errors import PermissionDenied
from podium.settings import Settings
from podium.store import Store
from tests.platform.factories import make_user
from tests.platform.submission_helpers import (
    Recorder,
    World,
    build_tar,
    make_world,
    record_recorder,
    upload,
)


@pytest.fixture
def settings(tmp_path: Path, migrated_template: Path) -> Settings:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(migrated_template, home / "podium.db")
    return Settings(home=home, migrate_on_start=False, max_bundle_mb=1, max_upload_mb=1)


@pytest.fixture
def world(session: Session, store: Store, tmp_path: Path) -> World:
    return make_world(session, store, tmp_path)


@pytest.fixture
def recorder(app: FastAPI) -> Recorder:
    return record_recorder(app)


def _row(session: Session, submission_id: int) -> Submission:
    session.expire_all()
    row = session.get(Submission, submission_id)
    assert row is not None
    return row


def test_an_organisers_baseline_goes_to_the_baseline_team_uncharged(
    client: TestClient, session: Session, world: World, recorder: Recorder
) -> None:
    world.set_phase(session, submission_limits={"per_day": 1, "total": 1, "in_flight": 1})
    headers = world.headers(session, world.organiser)
    ids = []
    for _ in range(3):  # over every limit of the phase: baselines are never counted
        answer = upload(client, headers, baseline="true")
        assert answer.status_code == 201, answer.text
        assert answer.json()["team_name"] == BASELINE_TEAM
        ids.append(answer.json()["id"])
    assert recorder.ids == ids
    rows = [_row(session, i) for i in ids]
    assert all(r.baseline and r.user_id == world.organiser.id for r in rows)
    assert len({r.team_id for r in rows}) == 1
    team = session.get(Team, rows[0].team_id)
    assert team is not None and team.name == BASELINE_TEAM and not team.personal
    assert team_of(session, user=world.organiser, challenge=world.challenge) is None
    assert [e.detail for e in events_of(session, submission=rows[0])] == ["uploaded"]


def test_staff_compete_never_and_only_organisers_and_admins_submit_baselines(
    client: TestClient, session: Session, world: World, recorder: Recorder
) -> None:
    as_competitor = upload(client, world.headers(session, world.organiser))
    assert as_competitor.status_code == 403
    assert "staff of subs cannot compete in it" in as_competitor.json()["detail"]
    for user in (world.alice, world.judge):
        refused = upload(client, world.headers(session, user), baseline="true")
        assert refused.status_code == 403
        assert refused.json()["detail"] == (
            "only organisers of subs (or an admin) submit baselines; "
            "submit without baseline to compete"
        )
    admin = upload(client, world.headers(session, world.admin), baseline="true")
    assert admin.status_code == 201 and admin.json()["team_name"] == BASELINE_TEAM
    assert recorder.ids == [admin.json()["id"]]


def test_a_baseline_may_go_to_a_phase_not_open_yet_a_participant_may_not(
    client: TestClient, session: Session, world: World, recorder: Recorder
) -> None:
    now = utcnow()
    assert world.challenge.id is not None
    session.add(
        Phase(
            challenge_id=world.challenge.id, position=1, name="final", data_key="test",
            start=now + timedelta(days=1), end=now + timedelta(days=2), public_fraction=0.5,
        )
    )  # fmt: skip
    session.commit()
    early = upload(client, world.headers(session, world.organiser), baseline="true", phase="final")
    assert early.status_code == 201 and early.json()["phase"] == "final"
    refused = upload(client, world.headers(session, world.alice), phase="final")
    assert refused.status_code == 409 and "is not open (opens at " in refused.json()["detail"]
    unknown = upload(client, world.headers(session, world.organiser), baseline="true", phase="x")
    assert unknown.status_code == 422 and "subs has no phase 'x'" in unknown.json()["detail"]


def test_no_participant_team_takes_the_baselines_name(session: Session, world: World) -> None:
    from podium.errors import Conflict

    for name in ("baseline", "Baseline", " baseline "):
        with pytest.raises(Conflict, match="organisers' baselines; choose another"):
            create_team(session, challenge=world.challenge, user=world.alice, name=name)
    named = make_user(session, username="baseline")
    team = get_or_create_personal_team(session, named, world.challenge)
    assert team.name == "baseline-solo"


def test_plan_refuses_a_baseline_to_a_judge_before_any_byte(session: Session, world: World) -> None:
    with pytest.raises(PermissionDenied):
        plan_submission(
            session, challenge=world.challenge, user=world.judge, kind=SubmissionKind.BUILD,
            phase_name=None, filename="c.tar", baseline=True,
        )  # fmt: skip
    assert session.exec(select(Submission)).all() == []


def test_a_local_file_goes_through_the_same_intake_as_an_upload(
    session: Session,
    world: World,
    settings: Settings,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``podium.pipeline.intake.submit_file`` (demo, examples, tests, benchmarks): the same
    checks, team, events and stored file as the API; refusals are the API's errors. (The
    pipeline tests run it with the real enqueue and a real worker.)"""
    from podium.errors import InvalidInput, TooLarge
    from podium.pipeline import intake

    sent: list[int | None] = []
    monkeypatch.setattr(intake, "enqueue", lambda _s, sub, _settings: sent.append(sub.id))

    def submit(user: User, content: bytes) -> Submission:
        return intake.submit_file(
            session, settings, challenge=world.challenge, user=user,
            kind=SubmissionKind.BUILD, content=content, filename="c.tar",
        )  # fmt: skip

    made = submit(world.alice, build_tar())
    with pytest.raises(PermissionDenied, match="cannot compete"):
        submit(world.organiser, build_tar())
    with pytest.raises(InvalidInput, match="is empty"):
        submit(world.bob, b"")
    with pytest.raises(TooLarge):
        submit(world.bob, build_tar() + b"\0" * (2 * 1024 * 1024))  # the 1 MB upload cap
    assert sent == [made.id]
    assert made.team_id == get_or_create_personal_team(session, world.alice, world.challenge).id
    assert [e.detail for e in events_of(session, submission=made)] == ["uploaded"]
    assert made.file_path and Path(made.file_path).read_bytes() == build_tar()
    assert list(store.uploads_dir().iterdir()) == []  # nothing staged is left behind
