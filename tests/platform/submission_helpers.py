"""Shared state of the submission tests: a challenge with its people, archives, a recorder.

No tests here: the ``test_submissions_*`` modules import these helpers.
"""

from __future__ import annotations

import io
import json
import sqlite3
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session

from podium.api.routes.submissions import get_enqueuer
from podium.crud.challenges import phases_of
from podium.crud.roles import grant_role
from podium.crud.submissions import record_status
from podium.crud.teams import get_or_create_personal_team
from podium.db.models import (
    Challenge,
    ChallengeRoleKind,
    Phase,
    Submission,
    SubmissionStatus,
    Team,
    User,
)
from podium.settings import Settings
from podium.store import Store
from tests.platform.factories import auth_headers, make_challenge, make_submission, make_user

SLUG = "subs"
URL = f"/api/v1/challenges/{SLUG}/submissions"


def build_tar(*, gz: bool = False) -> bytes:
    """A small build context: a Dockerfile in a tar (gzipped when asked)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz" if gz else "w") as archive:
        data = b'FROM busybox\nCMD ["true"]\n'
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def build_zip() -> bytes:
    """The same context as a zip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Dockerfile", 'FROM busybox\nCMD ["true"]\n')
    return buffer.getvalue()


@dataclass
class Recorder:
    """Stands in for the pipeline's ``enqueue`` where no broker is wanted."""

    ids: list[int] = field(default_factory=list)

    def __call__(self, session: Session, submission: Submission, settings: Settings) -> None:
        assert submission.id is not None
        self.ids.append(submission.id)


@dataclass
class World:
    """A challenge, its development phase, an organiser, a judge, an admin, two participants."""

    challenge: Challenge
    phase: Phase
    organiser: User
    judge: User
    admin: User
    alice: User
    bob: User

    def headers(self, session: Session, user: User) -> dict[str, str]:
        return auth_headers(session, user)

    def team(self, session: Session, user: User) -> Team:
        return get_or_create_personal_team(session, user, self.challenge)

    def submission(self, session: Session, user: User, **overrides: Any) -> Submission:
        """A submission row of ``user``'s team in the development phase."""
        return make_submission(
            session,
            challenge=self.challenge,
            phase=self.phase,
            team=self.team(session, user),
            user=user,
            **overrides,
        )

    def set_phase(self, session: Session, **values: Any) -> None:
        """Change columns of the development phase (JSON columns are replaced whole)."""
        for name, value in values.items():
            setattr(self.phase, name, value)
        session.add(self.phase)
        session.commit()
        session.refresh(self.phase)


def make_world(session: Session, store: Store, tmp_path: Path) -> World:
    organiser = make_user(session, username="olga")
    challenge = make_challenge(session, store, tmp_path, owner=organiser, slug=SLUG)
    judge = make_user(session, username="judy")
    grant_role(session, challenge=challenge, user=judge, role=ChallengeRoleKind.JUDGE)
    return World(
        challenge=challenge,
        phase=phases_of(session, challenge=challenge)[0],
        organiser=organiser,
        judge=judge,
        admin=make_user(session, username="root", is_admin=True),
        alice=make_user(session, username="alice"),
        bob=make_user(session, username="bob"),
    )


def record_recorder(app: FastAPI) -> Recorder:
    """Replace the pipeline's enqueue by a recorder for this app."""
    recorder = Recorder()
    app.dependency_overrides[get_enqueuer] = lambda: recorder
    return recorder


def upload(
    client: TestClient,
    headers: dict[str, str] | None,
    *,
    name: str = "context.tar",
    content: bytes | None = None,
    kind: str = "build",
    **form: str,
) -> Response:
    """POST one submission through the API."""
    data = {"kind": kind, **form}
    payload = build_tar() if content is None else content
    return client.post(URL, headers=headers or {}, data=data, files={"file": (name, payload)})


def set_status(session: Session, submission: Submission, status: SubmissionStatus) -> None:
    record_status(session, submission, status, "test")
    session.commit()


def files_under(folder: Path) -> list[Path]:
    """Every file below ``folder`` (none if it does not exist)."""
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def broker_messages(settings: Settings) -> list[dict[str, Any]]:
    """The messages waiting in the SQLite broker (kombu's SQLAlchemy transport)."""
    path = Path(settings.broker_url.split(":///", 1)[1])
    with sqlite3.connect(path) as db:
        tables = [r[0] for r in db.execute("select name from sqlite_master where type='table'")]
        table = next(t for t in tables if "message" in t)
        payloads = [r[0] for r in db.execute(f"select payload from {table}")]  # noqa: S608
    return [json.loads(p) for p in payloads]
