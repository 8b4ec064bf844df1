"""POST /challenges/{slug}/submissions: checks, storage, the real enqueue."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from podium.crud.submissions import events_of
from podium.crud.teams import team_of
from podium.db.models import Phase, Submission, SubmissionStatus
from podium.db.types import utcnow
from podium.settings import Settings
from podium.store import MB, Store
from tests.platform.submission_helpers import (
    URL,
    Recorder,
    World,
    broker_messages,
    build_tar,
    build_zip,
    files_under,
    make_world,
    record_recorder,
    upload,
)


@pytest.fixture
def settings(tmp_path: Path, migrated_template: Path) -> Settings:
    # a 1 MB upload cap, so that "too large" is cheap to test
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


def _rows(session: Session) -> list[Submission]:
    session.expire_all()
    return list(session.exec(select(Submission)).all())


def test_upload_stores_the_file_and_answers_the_submission(
    client: TestClient, session: Session, world: World, store: Store, recorder: Recorder
) -> None:
    content = build_tar()
    answer = upload(
        client, world.headers(session, world.alice), content=content, description="first try"
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert answer.headers["location"] == f"/api/v1/submissions/{body['id']}"
    assert body["status"] == "submitted" and body["kind"] == "build"
    assert body["phase"] == "development" and body["challenge"] == "subs"
    assert body["team_name"] == "alice" and body["username"] == "alice"
    assert body["description"] == "first try" and body["filename"] == "context.tar"
    assert body["file_sha256"] == hashlib.sha256(content).hexdigest()
    assert body["size_bytes"] == len(content)
    assert "file_path" not in body and str(store.root) not in answer.text
    stored = files_under(store.submission_dir(body["id"]))
    assert [p.name for p in stored] == ["context.tar"]
    assert hashlib.sha256(stored[0].read_bytes()).hexdigest() == body["file_sha256"]
    assert files_under(store.uploads_dir()) == []
    assert recorder.ids == [body["id"]]
    row = session.get(Submission, body["id"])
    assert row is not None and row.file_path == str(stored[0])
    assert [e.status for e in events_of(session, submission=row)] == ["submitted"]
    team = team_of(session, user=world.alice, challenge=world.challenge)
    assert team is not None and team.personal and row.team_id == team.id


def test_upload_goes_through_the_real_enqueue(
    client: TestClient, session: Session, world: World, settings: Settings
) -> None:
    answer = upload(client, world.headers(session, world.alice))
    assert answer.status_code == 201, answer.text
    submission_id = answer.json()["id"]
    assert answer.json()["status"] == "queued"
    row = session.get(Submission, submission_id)
    assert row is not None and row.status == SubmissionStatus.QUEUED
    assert [e.status for e in events_of(session, submission=row)] == ["submitted", "queued"]
    messages = broker_messages(settings)
    assert len(messages) == 1
    headers = messages[0]["headers"]
    assert headers["task"] == "podium.evaluate"
    assert json.loads(headers["argsrepr"].replace("(", "[").replace(",)", "]")) == [submission_id]


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("context.tar.gz", build_tar(gz=True), "build"),
        ("context.tgz", build_tar(gz=True), "build"),
        ("context.zip", build_zip(), "build"),
        ("image.tar", build_tar(), "image"),
        ("image.tar.gz", build_tar(gz=True), "image"),
    ],
)
def test_accepted_archive_types(
    client: TestClient,
    session: Session,
    world: World,
    recorder: Recorder,
    name: str,
    content: bytes,
    kind: str,
) -> None:
    answer = upload(
        client, world.headers(session, world.alice), name=name, content=content, kind=kind
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["filename"] == name and answer.json()["kind"] == kind


def test_model_kind_takes_any_single_file_where_the_phase_allows_it(
    client: TestClient, session: Session, world: World, recorder: Recorder
) -> None:
    headers = world.headers(session, world.alice)
    refused = upload(client, headers, name="model.pkl", content=b"weights", kind="model")
    assert refused.status_code == 422
    assert refused.json()["detail"] == (
        "phase 'development' does not accept submissions of kind 'model'; it accepts: image, build"
    )
    world.set_phase(session, submission_kinds=["model"])
    answer = upload(client, headers, name="../../model.pkl", content=b"weights", kind="model")
    assert answer.status_code == 201, answer.text
    assert answer.json()["filename"] == "model.pkl"


@pytest.mark.parametrize(
    ("name", "content", "kind", "message"),
    [
        (
            "context.rar",
            build_tar(),
            "build",
            "'context.rar' does not look like a build submission",
        ),
        ("image.zip", build_zip(), "image", "expected a file ending in .tar, .tar.gz, .tgz"),
        ("context.tar", b"not a tar at all", "build", "its first bytes do not match"),
        ("context.zip", build_tar(), "build", "its first bytes do not match"),
        ("context.tar.gz", build_tar(), "build", "its first bytes do not match"),
        ("context.tar", b"", "build", "'context.tar' is empty"),
    ],
)
def test_file_type_checks(
    client: TestClient,
    session: Session,
    world: World,
    store: Store,
    recorder: Recorder,
    name: str,
    content: bytes,
    kind: str,
    message: str,
) -> None:
    answer = upload(
        client, world.headers(session, world.alice), name=name, content=content, kind=kind
    )
    assert answer.status_code == 422, answer.text
    assert message in answer.json()["detail"]
    assert _rows(session) == [] and recorder.ids == []
    assert files_under(store.root / "submissions") == [] and files_under(store.uploads_dir()) == []


def test_form_validation(
    client: TestClient, session: Session, world: World, recorder: Recorder
) -> None:
    headers = world.headers(session, world.alice)
    bad_kind = upload(client, headers, kind="docker")
    assert bad_kind.status_code == 422
    assert (
        "kind" in bad_kind.json()["detail"]
        and "'image', 'build', 'model' or 'predictions'" in bad_kind.json()["detail"]
    )
    no_file = client.post(URL, headers=headers, data={"kind": "build"})
    assert no_file.status_code == 422 and "file" in no_file.json()["detail"]
    long_text = upload(client, headers, description="x" * 2001)
    assert long_text.status_code == 422 and "description" in long_text.json()["detail"]
    assert _rows(session) == []


def test_phase_choice(
    client: TestClient, session: Session, world: World, recorder: Recorder
) -> None:
    headers = world.headers(session, world.alice)
    unknown = upload(client, headers, phase="final")
    assert unknown.status_code == 422
    assert unknown.json()["detail"] == (
        "subs has no phase 'final'; its phases are 'development' (open now: 'development')"
    )
    named = upload(client, headers, phase="development")
    assert named.status_code == 201 and named.json()["phase"] == "development"
    now = utcnow()
    assert world.challenge.id is not None
    final = Phase(
        challenge_id=world.challenge.id, position=1, name="final", data_key="test",
        start=now + timedelta(days=1), end=now + timedelta(days=2), public_fraction=0.5,
        submission_kinds=["build"],
    )  # fmt: skip
    session.add(final)
    session.commit()
    early = upload(client, headers, phase="final")
    assert early.status_code == 409
    assert early.json()["detail"].startswith("phase 'final' of subs is not open (opens at ")
    assert early.json()["detail"].endswith("phases open now: 'development'")


def test_closed_phase_is_refused(
    client: TestClient, session: Session, world: World, recorder: Recorder
) -> None:
    world.set_phase(session, end=utcnow() - timedelta(hours=1))
    headers = world.headers(session, world.alice)
    named = upload(client, headers, phase="development")
    assert named.status_code == 409
    assert "is not open (ended at " in named.json()["detail"]
    assert named.json()["detail"].endswith("phases open now: none")
    default = upload(client, headers)
    assert default.status_code == 409
    assert default.json()["detail"].startswith(
        "subs has no phase open for submissions now; its last phase, 'development', ended at "
    )
    assert _rows(session) == []


def test_too_large_upload_leaves_nothing(
    client: TestClient, session: Session, world: World, store: Store, recorder: Recorder
) -> None:
    big = build_tar() + b"\0" * MB
    answer = upload(client, world.headers(session, world.alice), content=big)
    assert answer.status_code == 413
    assert answer.json()["detail"].startswith("the upload is larger than the limit of 1 MB")
    assert _rows(session) == [] and recorder.ids == []
    assert files_under(store.uploads_dir()) == []
    assert files_under(store.root / "submissions") == []


def test_login_and_visibility(
    client: TestClient, session: Session, world: World, recorder: Recorder
) -> None:
    anonymous = upload(client, None)
    assert anonymous.status_code == 401 and "log in first" in anonymous.json()["detail"]
    assert anonymous.headers["www-authenticate"] == "Bearer"
    headers = world.headers(session, world.alice)
    missing = client.post(
        "/api/v1/challenges/nope/submissions",
        headers=headers,
        data={"kind": "build"},
        files={"file": ("context.tar", build_tar())},
    )
    assert missing.status_code == 404 and "no challenge 'nope'" in missing.json()["detail"]
    world.challenge.published = False
    session.add(world.challenge)
    session.commit()
    hidden = upload(client, headers)
    assert hidden.status_code == 404 and hidden.json()["detail"].startswith("no challenge 'subs'")
    by_organiser = upload(client, world.headers(session, world.organiser))
    assert by_organiser.status_code == 403  # staff do not compete, published or not
    assert by_organiser.json()["detail"].startswith("you are an organiser of subs, and staff")
    assert _rows(session) == []
