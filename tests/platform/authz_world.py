"""The people and objects of the authorisation matrix, built once and restored before each call.

Holds no tests; ``test_authorisation_matrix`` imports it. The world is built with the real
crud functions on a migrated SQLite database (the run's ``migrated_template``), then its whole
home folder (database and store) is kept as a snapshot; :meth:`Matrix.fresh_app` puts the
snapshot back and makes a new application on it, so every (operation, role) call starts from
the same state whatever the calls before it changed (a cancel, a join, a revoked role).
Registration and login allowances are raised: the matrix calls them once per role.
"""

from __future__ import annotations

import io
import shutil
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.types import Receive, Scope, Send

from podium.api.deps import get_rerun
from podium.api.routes.submissions import get_enqueuer
from podium.app import create_app
from podium.crud import deliverables, judging
from podium.crud.edition_specs import EditionSpec
from podium.crud.editions import load_edition
from podium.crud.roles import grant_role
from podium.crud.teams import create_team, invite, join
from podium.crud.tokens import issue_token
from podium.db.engine import create_db_engine
from podium.db.models import (
    Challenge,
    ChallengeRoleKind,
    Evaluation,
    Phase,
    Submission,
    SubmissionStatus,
    Team,
    TeamInvite,
    User,
)
from podium.db.models.judging import Reproduction
from podium.services.boards import publish_final
from podium.settings import Settings
from podium.store import Store, StoredFile
from tests.platform.bundles import bundle_zip
from tests.platform.deliverable_helpers import pdf_bytes
from tests.platform.factories import make_challenge, make_submission, make_user
from tests.platform.leaderboard_helpers import JUDGING, add_scores

ROLES = (
    "anonymous",
    "other",  # a participant in another team of the challenge
    "mate",  # a member of the submission's team who did not make it
    "owner",  # the submission's author, owner of its team
    "judge",
    "judge2",  # a second judge of the challenge
    "organiser",
    "admin",
    "xorganiser",  # organiser of another challenge
    "xjudge",  # judge of another challenge
)
SLUG, OTHER_SLUG, DRAFT_SLUG = "authz", "authz-other", "authz-draft"
EDITION = "authz-edition"
FINAL_LENGTH = timedelta(days=30)
WIDE_LIMITS = {"per_day": 50, "total": 100, "in_flight": 10}
DELIVERABLES = [
    {"key": "report", "kind": "pdf", "title": "Report"},
    {"key": "code", "kind": "repository_link", "title": "Code"},
]


def build_context() -> bytes:
    """A build-context upload: a Dockerfile in a tar."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        data = b'FROM podium/runtime-python:3.11\nCMD ["true"]\n'
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@dataclass
class World:
    """Ids and secrets the requests need (rows live in the snapshot, not here)."""

    users: dict[str, str]  # role -> username
    headers: dict[str, dict[str, str]]  # role -> bearer header ({} when anonymous)
    token_ids: dict[str, int]  # role -> id of the token in ``headers``
    team: int  # Owls: owner and mate
    other_team: int  # Larks: other
    done: int  # the owner's finished, scored, reproduced submission
    flying: int  # the owner's queued submission
    theirs: int  # other's finished submission
    banned: int  # other's disqualified submission
    bundle: bytes  # a valid challenge bundle (zip) with a new slug
    context: bytes = field(default_factory=build_context)
    pdf: bytes = field(default_factory=pdf_bytes)  # a report to hand in


class Switch:
    """An ASGI app that passes each request to the current application (one TestClient, a
    new application per operation: nothing it keeps in memory leaks into the next row)."""

    def __init__(self) -> None:
        self.current: FastAPI | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # the migrated snapshot needs no start-up work
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        assert self.current is not None
        await self.current(scope, receive, send)


@dataclass
class Matrix:
    """The world, its snapshot and the switch the test client talks to."""

    world: World
    settings: Settings
    snapshot: Path
    engine: Engine
    switch: Switch = field(default_factory=Switch)

    def new_app(self) -> FastAPI:
        """A new application on the world, which the test client reaches from now on.

        Every application shares one engine (its connections are closed whenever the files are
        put back), so each query is compiled once per run rather than once per application.
        """
        self.restore()
        app = create_app(self.settings)
        app.state.engine.dispose()
        app.state.engine = self.engine
        app.dependency_overrides[get_enqueuer] = lambda: lambda *_: None  # no broker here
        app.dependency_overrides[get_rerun] = lambda: lambda session, _: session.commit()
        self.switch.current = app
        return app

    def restore(self) -> None:
        """Put the snapshot back: the database whole; of the store, remove what calls added
        and put back what they removed (a replaced deliverable's file); no call changes a file
        in place (bundles, uploads and logs are written once).
        The application's in-memory caches follow the database's change tokens."""
        self.engine.dispose()
        home = self.settings.home
        for name in ("podium.db-wal", "podium.db-shm"):
            (home / name).unlink(missing_ok=True)
        shutil.copyfile(self.snapshot / "podium.db", home / "podium.db")
        kept = {p.relative_to(self.snapshot) for p in self.snapshot.rglob("*")}
        for path in sorted(home.rglob("*"), key=lambda p: len(p.parts)):
            if path.exists() and path.relative_to(home) not in kept:
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()
        for kept_path in self.snapshot.rglob("*"):
            target = home / kept_path.relative_to(self.snapshot)
            if kept_path.is_file() and not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(kept_path, target)

    def close(self) -> None:
        self.engine.dispose()


def _people(session: Session) -> dict[str, User]:
    people = {role: make_user(session, username=f"az-{role}") for role in ROLES[1:]}
    people["admin"].is_admin = True
    session.add(people["admin"])
    session.commit()
    return people


def _challenges(
    session: Session, store: Store, tmp: Path, people: dict[str, User]
) -> tuple[Challenge, Phase]:
    challenge = make_challenge(
        session, store, tmp, owner=people["organiser"], slug=SLUG, max_size=4
    )
    challenge.spec = {**challenge.spec, "judging": JUDGING}
    session.add(challenge)
    for judge in ("judge", "judge2"):
        grant_role(session, challenge=challenge, user=people[judge], role=ChallengeRoleKind.JUDGE)
    other = make_challenge(session, store, tmp, owner=people["xorganiser"], slug=OTHER_SLUG)
    grant_role(session, challenge=other, user=people["xjudge"], role=ChallengeRoleKind.JUDGE)
    draft = make_challenge(
        session, store, tmp, owner=people["organiser"], slug=DRAFT_SLUG, published=False
    )
    grant_role(session, challenge=draft, user=people["judge"], role=ChallengeRoleKind.JUDGE)
    _published_ranking(session, other, people["xorganiser"])
    phase = session.exec(select(Phase).where(Phase.challenge_id == challenge.id)).one()
    phase.submission_limits = WIDE_LIMITS
    phase.show_logs = True
    phase.deliverables = DELIVERABLES
    session.add(phase)
    session.commit()
    return challenge, phase


def _published_ranking(session: Session, challenge: Challenge, organiser: User) -> None:
    publish_final(session, challenge=challenge, actor=organiser, phase=None, reveal=True)


def _teams(session: Session, challenge: Challenge, people: dict[str, User]) -> tuple[Team, Team]:
    owls = create_team(session, challenge=challenge, user=people["owner"], name="Owls")
    invite(session, team=owls, challenge=challenge, inviter=people["owner"], invitee=people["mate"])
    join(session, team=owls, challenge=challenge, user=people["mate"])
    larks = create_team(session, challenge=challenge, user=people["other"], name="Larks")
    # invitations to Owls for everyone else, staff included (rows as an older release could
    # have left them): joining must still refuse whoever may not compete
    for role in ("other", "judge", "judge2", "organiser", "admin", "xorganiser", "xjudge"):
        user_id = people[role].id
        assert owls.id is not None and user_id is not None
        session.add(TeamInvite(team_id=owls.id, user_id=user_id))
    session.commit()
    return owls, larks


def _finished(session: Session, challenge: Challenge, phase: Phase, team: Team, user: User) -> int:
    submission = make_submission(
        session,
        challenge=challenge,
        phase=phase,
        team=team,
        user=user,
        status=SubmissionStatus.FINISHED,
        image_digest="sha256:" + "0" * 64,
    )
    assert submission.id is not None
    evaluation = Evaluation(submission_id=submission.id, wall_seconds=1.0, cpu_seconds=1.0)
    session.add(evaluation)
    session.commit()
    add_scores(session, submission, evaluation, 0.3, 0.4)
    return submission.id


def _submissions(
    session: Session, challenge: Challenge, phase: Phase, people: dict[str, User], teams: tuple
) -> dict[str, int]:
    owls, larks = teams
    ids = {
        "done": _finished(session, challenge, phase, owls, people["owner"]),
        "theirs": _finished(session, challenge, phase, larks, people["other"]),
        "banned": _finished(session, challenge, phase, larks, people["other"]),
    }
    flying = make_submission(
        session,
        challenge=challenge,
        phase=phase,
        team=owls,
        user=people["owner"],
        status=SubmissionStatus.QUEUED,
    )
    assert flying.id is not None
    ids["flying"] = flying.id
    banned = session.get(Submission, ids["banned"])
    assert banned is not None
    judging.disqualify(session, submission=banned, actor=people["judge"], reason="copied")
    session.add(
        Reproduction(
            submission_id=ids["done"],
            requested_by=people["judge"].id,
            metric="rmse",
            relative_tolerance=1e-6,
            original_scores={"public": {"rmse": 0.3}, "private": {"rmse": 0.4}},
        )
    )
    session.commit()
    return ids


def _report(session: Session, store: Store, challenge: Challenge, team: Team, user: User) -> None:
    """Owls' report, handed in through the rules (so the matrix can download it)."""
    chosen = deliverables.plan(
        session, team=team, challenge=challenge, user=user, phase_name="development",
        key="report", max_mb=1,
    )  # fmt: skip
    path = store.new_upload_path()
    path.write_bytes(pdf_bytes())
    upload = StoredFile(path, path.stat().st_size, "0" * 64)
    deliverables.accept_file(
        session, chosen=chosen, user=user, upload=upload, filename="r.pdf", store=store
    )


def _edition(session: Session, challenge: Challenge, phase: Phase) -> None:
    """An edition over the challenge: an open round (development), then a final round (a
    phase that opens later, so nothing else here changes) entered by advancement."""
    assert challenge.id is not None
    session.add(Phase(
        challenge_id=challenge.id, name="final", start=phase.end, end=phase.end + FINAL_LENGTH,
        public_fraction=phase.public_fraction, position=1, data_key=phase.data_key,
    ))  # fmt: skip
    session.commit()
    load_edition(session, spec=EditionSpec.model_validate(edition_spec()))


def edition_spec() -> dict[str, object]:
    """The matrix's edition, as the body of PUT /api/v1/editions/{slug}."""
    return {
        "slug": EDITION, "title": "Authz edition", "hosts": [{"name": "ITU"}],
        "problem_statements": [{"challenge": SLUG, "host": "ITU"}],
        "rounds": [
            {"name": "open", "phases": {SLUG: "development"}},
            {"name": "final", "entry": "advancement", "phases": {SLUG: "final"},
             "advance": {"top_n": 1, "shortlist": True}},
        ],
    }  # fmt: skip


def _credentials(session: Session, people: dict[str, User]) -> tuple[dict, dict]:
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    token_ids: dict[str, int] = {"anonymous": 0}
    for role, user in people.items():
        row, secret = issue_token(session, user=user, name="matrix")
        headers[role] = {"Authorization": f"Bearer {secret}"}
        assert row.id is not None
        token_ids[role] = row.id
    return headers, token_ids


def build_matrix(tmp: Path, migrated_template: Path) -> Iterator[Matrix]:
    """Build the world under ``tmp`` and yield its matrix (closed afterwards)."""
    home = tmp / "home"
    home.mkdir()
    shutil.copyfile(migrated_template, home / "podium.db")
    settings = Settings(
        home=home,
        migrate_on_start=False,
        max_bundle_mb=1,
        broker_url="memory://",
        result_backend="cache+memory://",
        register_rate_limit="1000/minute",
        login_rate_limit="1000/minute",
        # a port nothing listens on (discard): a registry of a platform running beside the
        # tests must not answer for this world
        registry_url="http://127.0.0.1:9",
    )
    engine = create_db_engine(settings.database_url)
    store = Store.from_settings(settings)
    with Session(engine, expire_on_commit=False) as session:
        people = _people(session)
        challenge, phase = _challenges(session, store, tmp / "bundles", people)
        teams = _teams(session, challenge, people)
        ids = _submissions(session, challenge, phase, people, teams)
        _report(session, store, challenge, teams[0], people["owner"])
        _edition(session, challenge, phase)
        headers, token_ids = _credentials(session, people)
    engine.dispose()
    snapshot = tmp / "snapshot"
    shutil.copytree(home, snapshot)
    world = World(
        users={role: user.username for role, user in people.items()},
        headers=headers,
        token_ids=token_ids,
        team=teams[0].id or 0,
        other_team=teams[1].id or 0,
        done=ids["done"],
        flying=ids["flying"],
        theirs=ids["theirs"],
        banned=ids["banned"],
        bundle=bundle_zip(tmp, slug="authz-new").read_bytes(),
    )
    matrix = Matrix(world, settings, snapshot, create_db_engine(settings.database_url))
    try:
        yield matrix
    finally:
        matrix.close()
