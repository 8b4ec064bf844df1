"""`podium up --examples`: install the example challenges and submit their baselines.

The baselines go through the upload's intake (:func:`podium.pipeline.intake.submit_file`) as
the demo organiser's baselines: the challenge's baseline team, never ranked, never charged.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import tempfile
from pathlib import Path

from sqlmodel import Session

from challenges.examples import SLUGS, build_example
from podium.crud.users import create_user, get_user_by_username
from podium.db.models import Challenge, Submission, SubmissionKind, User, UserCreate
from podium.pipeline.example_edition import load_example_edition
from podium.pipeline.intake import submit_file
from podium.services.registration import register_challenge
from podium.settings import Settings
from podium.store import Store
from sandbox.packing import pack_folder

log = logging.getLogger(__name__)
DEMO_ORGANISER = "demo-organiser"


def pack_context(folder: Path) -> bytes:
    """A build context as an uncompressed tar (the folder's files at the archive's root)."""
    with tempfile.TemporaryDirectory(prefix="podium-context-") as tmp:
        return pack_folder(folder, Path(tmp) / "context.tar").read_bytes()


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
    load_example_edition(session)  # the examples' edition, rounds and hosts (idempotent)
    return submitted


def submit_baselines(
    session: Session, settings: Settings, challenge: Challenge, owner: User
) -> list[Submission]:
    """Submit each baseline the challenge declares (build: its folder as a tar; model: the file)."""
    root = Path(challenge.bundle_path)
    submissions = []
    for baseline in challenge.parsed_spec.baselines:
        source = root / baseline.path
        kind = SubmissionKind(baseline.kind)
        if kind is SubmissionKind.BUILD:
            content, name = pack_context(source), f"{baseline.name}.tar"
        elif source.is_file():
            content, name = source.read_bytes(), source.name
        else:
            log.warning("baseline %s of %s is missing; skipped", baseline.name, challenge.slug)
            continue
        submissions.append(
            submit_file(session, settings, challenge=challenge, user=owner, kind=kind,
                        content=content, filename=name, baseline=True)
        )  # fmt: skip
    return submissions


def clean_work_dir(work_dir: Path) -> None:
    """Remove the folder the example data was built in."""
    shutil.rmtree(work_dir, ignore_errors=True)
