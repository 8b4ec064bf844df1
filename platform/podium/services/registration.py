"""Register a challenge bundle: validate it, install it in the store, create its rows, pack
its public folders as zips, and make the uploader its organiser.

A failure leaves nothing behind: files installed for a challenge whose rows could not be created
are removed, so the slug can be used again.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Literal

from sqlmodel import Session

from challenges import Bundle, BundleError, load_bundle
from challenges.paths import sha256_path
from podium.crud.challenges import get_challenge_by_slug, insert_challenge
from podium.crud.roles import grant_role
from podium.db.models import Challenge, ChallengeRoleKind, User
from podium.errors import Conflict, InvalidInput
from podium.services.downloads import build_zips, public_entries
from podium.store import Store

_COPY_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".git")


def register_challenge(
    session: Session,
    *,
    bundle_path: Path,
    owner: User | None,
    store: Store,
    published: bool = True,
    if_exists: Literal["error", "skip"] = "error",
) -> Challenge:
    """Validate a bundle (folder or archive), install it in the store and create its rows.

    The owner (when given) becomes the challenge's organiser; phases are created from the
    spec; a random split secret is generated. ``if_exists="skip"`` returns an existing
    challenge with the same slug untouched (``podium up --examples`` on every start).

    Raises:
        InvalidInput: The bundle is invalid; ``problems`` lists every problem.
        Conflict: A challenge with this slug exists (and ``if_exists`` is ``"error"``).
    """
    work = store.new_upload_path("-extract")
    try:
        with _load(Path(bundle_path), work) as bundle:
            existing = get_challenge_by_slug(session, slug=bundle.spec.slug)
            if existing is not None and if_exists == "skip":
                return existing
            if existing is not None:
                raise Conflict(
                    f"a challenge {bundle.spec.slug!r} exists already; change the slug in "
                    "challenge.yaml, or update the existing one"
                )
            challenge = _install_and_insert(
                session, bundle=bundle, sha256=sha256_path(Path(bundle_path)), owner=owner,
                store=store, published=published,
            )  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if owner is not None:
        grant_role(
            session,
            challenge=challenge,
            user=owner,
            role=ChallengeRoleKind.ORGANISER,
            granted_by=owner,
        )
    return challenge


def _load(bundle_path: Path, work_dir: Path) -> Bundle:
    try:
        return load_bundle(bundle_path, work_dir=work_dir if bundle_path.is_file() else None)
    except BundleError as exc:
        count = len(exc.problems)
        raise InvalidInput(
            f"the challenge bundle has {count} problem{'s' if count != 1 else ''} (listed in "
            "'problems'); fix them and upload it again",
            [str(problem) for problem in exc.problems],
        ) from None


def _install(bundle: Bundle, store: Store) -> Path:
    """Copy the bundle into the store (then rename, so a half copy is never seen)."""
    slug = bundle.spec.slug
    final = store.bundle_dir(slug)
    if final.exists():
        raise Conflict(f"files for {slug!r} already exist in the store at {final}; remove them")
    staging = final.parent / f".bundle-{uuid.uuid4().hex}"
    staging.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(bundle.root, staging, symlinks=False, ignore=_COPY_IGNORE)
    staging.rename(final)
    return final


def _install_and_insert(
    session: Session,
    *,
    bundle: Bundle,
    sha256: str,
    owner: User | None,
    store: Store,
    published: bool,
) -> Challenge:
    root = _install(bundle, store)
    try:
        entries = public_entries(root, bundle.spec, dict(bundle.hashes))
        challenge = insert_challenge(
            session, spec=bundle.spec, root=root, sha256=sha256, public_files=entries,
            owner=owner, published=published,
        )  # fmt: skip
        build_zips(root, entries, root.parent / "downloads")
        return challenge
    except BaseException:  # no rows: remove the files too, so the slug can be used again
        shutil.rmtree(root.parent, ignore_errors=True)
        raise
