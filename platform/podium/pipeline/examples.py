"""`podium up --examples`: install the example challenges and submit their baselines.

Also the one place that turns a file on disk into a queued submission without the API
(:func:`submit_file`), for the demo and for tests and benchmarks of the pipeline.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session

from challenges.examples import SLUGS, build_example
from podium.crud.challenges import phases_of, register_challenge
from podium.crud.teams import get_or_create_personal_team
from podium.crud.users import create_user, get_user_by_username
from podium.db.models import Challenge, Phase, Submission, SubmissionKind, User, UserCreate
from podium.pipeline.dispatch import enqueue
from podium.settings import Settings
from podium.store import Store, safe_filename
from sandbox.packing import pack_folder

log = logging.getLogger(__name__)
DEMO_ORGANISER = "demo-organiser"


def pack_context(folder: Path) -> bytes:
    """A build context as an uncompressed tar (the folder's files at the archive's root)."""
    with tempfile.TemporaryDirectory(prefix="podium-context-") as tmp:
        return pack_folder(folder, Path(tmp) / "context.tar").read_bytes()


def open_phase(session: Session, challenge: Challenge) -> Phase:
    """The phase open now, else the first one."""
    phases = phases_of(session, challenge=challenge)
    now = datetime.now(UTC)
    return next((p for p in phases if p.start <= now < p.end), phases[0])


def submit_file(
    session: Session,
    settings: Settings,
    *,
    challenge: Challenge,
    user: User,
    kind: SubmissionKind,
    content: bytes,
    filename: str,
    phase: Phase | None = None,
    baseline: bool = False,
) -> Submission:
    """Store ``content`` as a new submission of ``user``'s team, commit it and enqueue it."""
    phase = phase or open_phase(session, challenge)
    team = get_or_create_personal_team(session, user, challenge)
    assert challenge.id and phase.id and team.id
    submission = Submission(
        challenge_id=challenge.id,
        phase_id=phase.id,
        team_id=team.id,
        user_id=user.id,
        kind=kind,
        filename=safe_filename(filename),
        file_sha256=hashlib.sha256(content).hexdigest(),
        size_bytes=len(content),
        baseline=baseline,
    )
    session.add(submission)
    session.flush()
    assert submission.id is not None
    path = Store.from_settings(settings).submission_dir(submission.id) / submission.filename
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    submission.file_path = str(path)
    session.commit()
    enqueue(session, submission, settings)
    return submission


def demo_organiser(session: Session) -> User:
    """The demo organiser account (created with a random password on first use)."""
    user = get_user_by_username(session, username=DEMO_ORGANISER)
    if user is not None:
        return user
    create = UserCreate(
        username=DEMO_ORGANISER, email="organiser@example.org", password=secrets.token_urlsafe(16)
    )
    return create_user(session, user_create=create)


def load_examples(session: Session, settings: Settings, work_dir: Path) -> list[Submission]:
    """Install every example challenge (once) and submit the baselines of new ones."""
    owner = demo_organiser(session)
    store = Store.from_settings(settings)
    submitted: list[Submission] = []
    for slug in SLUGS:
        if store.bundle_dir(slug).exists():
            continue  # installed by an earlier `podium up --examples`
        folder = build_example(slug, dest_root=work_dir)
        challenge = register_challenge(
            session, bundle_path=folder, owner=owner, store=store, if_exists="skip"
        )
        submitted += submit_baselines(session, settings, challenge, owner)
    return submitted


def submit_baselines(
    session: Session, settings: Settings, challenge: Challenge, owner: User
) -> list[Submission]:
    """Submit each baseline the challenge declares (build: its folder as a tar; model: the file)."""
    root = Path(challenge.bundle_path)
    submissions = []
    for baseline in challenge.spec.get("baselines", []):
        source = root / baseline["path"]
        kind = SubmissionKind(baseline["kind"])
        if kind is SubmissionKind.BUILD:
            content, name = pack_context(source), f"{baseline['name']}.tar"
        elif source.is_file():
            content, name = source.read_bytes(), source.name
        else:
            log.warning("baseline %s of %s is missing; skipped", baseline["name"], challenge.slug)
            continue
        submissions.append(
            submit_file(session, settings, challenge=challenge, user=owner, kind=kind,
                        content=content, filename=name, baseline=True)
        )  # fmt: skip
    return submissions


def clean_work_dir(work_dir: Path) -> None:
    """Remove the folder the example data was built in."""
    shutil.rmtree(work_dir, ignore_errors=True)
