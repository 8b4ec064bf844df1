"""Factory functions: rows with sensible defaults, each overridable."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from sqlmodel import Session

from podium.crud.tokens import issue_token
from podium.db.models import Challenge, Phase, Submission, SubmissionKind, Team, User
from podium.security import hash_password
from podium.services.registration import register_challenge
from podium.store import Store
from tests.platform.bundles import write_bundle

PASSWORD = "correct-horse-1"
_PASSWORD_HASH = hash_password(PASSWORD)  # argon2 is slow on purpose: hash once per run
_counter = itertools.count(1)


def make_user(session: Session, **overrides: Any) -> User:
    """A saved user whose password is :data:`PASSWORD`."""
    n = next(_counter)
    values: dict[str, Any] = {
        "username": f"user{n}",
        "email": f"user{n}@example.org",
        "password_hash": _PASSWORD_HASH,
    }
    values.update(overrides)
    user = User(**values)
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


def auth_headers(session: Session, user: User) -> dict[str, str]:
    """A bearer header with a fresh token of ``user``."""
    _, secret = issue_token(session, user=user, name="test")
    return {"Authorization": f"Bearer {secret}"}


def make_challenge(
    session: Session,
    store: Store,
    tmp_path: Path,
    *,
    owner: User | None = None,
    slug: str | None = None,
    max_size: int = 2,
    published: bool = True,
) -> Challenge:
    """A challenge registered from a fresh copy of the tiny bundle."""
    slug = slug or f"tiny-{next(_counter)}"
    folder = write_bundle(tmp_path / f"bundle-{slug}", slug=slug, max_size=max_size)
    return register_challenge(
        session, bundle_path=folder, owner=owner, store=store, published=published
    )


def make_submission(
    session: Session,
    *,
    challenge: Challenge,
    phase: Phase,
    team: Team,
    user: User,
    **overrides: Any,
) -> Submission:
    """A saved submission row (no file, no evaluation)."""
    assert challenge.id and phase.id and team.id
    values: dict[str, Any] = {
        "challenge_id": challenge.id,
        "phase_id": phase.id,
        "team_id": team.id,
        "user_id": user.id,
        "kind": SubmissionKind.IMAGE,
    }
    values.update(overrides)
    submission = Submission(**values)
    session.add(submission)
    session.commit()
    session.refresh(submission)
    return submission
