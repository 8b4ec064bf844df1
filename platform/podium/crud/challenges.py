"""Challenges: register a bundle (validate, install in the store, create rows), update, list."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, or_, select

from challenges import Bundle, BundleError, ChallengeSpec, load_bundle
from challenges.paths import sha256_path
from podium.crud.audit import audit
from podium.crud.downloads import build_zips, public_entries
from podium.crud.roles import challenge_ids_with_role, grant_role
from podium.db.models import Challenge, ChallengeRoleKind, ChallengeUpdate, Phase, User
from podium.db.types import utcnow
from podium.errors import Conflict, InvalidInput, NotFound
from podium.security import new_split_secret
from podium.store import Store

_COPY_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".git")


def get_challenge_by_slug(session: Session, *, slug: str) -> Challenge | None:
    """The challenge called ``slug``, or None."""
    return session.exec(select(Challenge).where(Challenge.slug == slug)).first()


def require_challenge(session: Session, *, slug: str) -> Challenge:
    """The challenge called ``slug``.

    Raises:
        NotFound: No such challenge.
    """
    challenge = get_challenge_by_slug(session, slug=slug)
    if challenge is None:
        raise NotFound(f"no challenge {slug!r}; list them at /api/v1/challenges")
    return challenge


def require_challenge_by_id(session: Session, *, challenge_id: int) -> Challenge:
    """The challenge with this id.

    Raises:
        NotFound: No such challenge.
    """
    challenge = session.get(Challenge, challenge_id)
    if challenge is None:
        raise NotFound(f"no challenge with id {challenge_id}")
    return challenge


def phases_of(session: Session, *, challenge: Challenge) -> list[Phase]:
    """The challenge's phases in the bundle's order."""
    query = select(Phase).where(Phase.challenge_id == challenge.id).order_by(col(Phase.position))
    return list(session.exec(query).all())


def visible_challenges(session: Session, *, user: User | None) -> list[Challenge]:
    """Published challenges, plus unpublished ones the user organises or judges (all: admins)."""
    query = select(Challenge).order_by(col(Challenge.created_at).desc(), col(Challenge.id))
    if user is None:
        query = query.where(col(Challenge.published).is_(True))
    elif not user.is_admin:
        mine = challenge_ids_with_role(session, user=user)
        query = query.where(or_(col(Challenge.published).is_(True), col(Challenge.id).in_(mine)))
    return list(session.exec(query).all())


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


def _phases(spec: ChallengeSpec, challenge_id: int) -> list[Phase]:
    return [
        Phase(
            challenge_id=challenge_id,
            position=position,
            name=phase.name,
            start=phase.start,
            end=phase.end,
            public_fraction=phase.public_fraction,
            data_key=phase.data,
            submission_kinds=list(phase.submission_kinds),
            submission_limits=phase.submissions.model_dump(mode="json"),
            limits=phase.limits.model_dump(mode="json"),
            gpu=phase.limits.gpu_count > 0,
            show_logs=phase.show_logs,
            leaderboard=phase.leaderboard.model_dump(mode="json"),
        )
        for position, phase in enumerate(spec.phases)
    ]


def _insert(
    session: Session,
    *,
    bundle: Bundle,
    root: Path,
    sha256: str,
    owner: User | None,
    published: bool,
) -> Challenge:
    spec = bundle.spec
    entries = public_entries(root, spec, dict(bundle.hashes))
    challenge = Challenge(
        slug=spec.slug,
        title=spec.title,
        summary=spec.summary,
        tags=list(spec.tags),
        bundle_path=str(root),
        bundle_sha256=sha256,
        split_secret=new_split_secret(),
        spec=spec.model_dump(mode="json"),
        public_files=entries,
        max_team_size=spec.teams.max_size,
        created_by=owner.id if owner else None,
        published=published,
    )
    session.add(challenge)
    session.flush()
    assert challenge.id is not None
    session.add_all(_phases(spec, challenge.id))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"a challenge {spec.slug!r} was just created; choose another slug") from None
    build_zips(root, entries, root.parent / "downloads")
    session.refresh(challenge)
    return challenge


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
        return _insert(
            session, bundle=bundle, root=root, sha256=sha256, owner=owner, published=published
        )
    except BaseException:  # no rows: remove the files too, so the slug can be used again
        shutil.rmtree(root.parent, ignore_errors=True)
        raise


def update_challenge(
    session: Session, *, challenge: Challenge, update: ChallengeUpdate, actor: User | None = None
) -> Challenge:
    """Change a challenge's title, summary, tags, publication or private-score reveal.

    The fields that change are written to the audit log (``{field: {"from", "to"}}``).
    """
    changes: dict[str, Any] = {}
    for name, value in update.model_dump(exclude_unset=True, exclude_none=True).items():
        before = getattr(challenge, name)
        if before != value:
            changes[name] = {"from": before, "to": value}
        setattr(challenge, name, value)
    challenge.updated_at = utcnow()
    session.add(challenge)
    if changes:
        audit(
            session,
            challenge_id=challenge.id,
            actor=actor,
            action="update",
            target=challenge.slug,
            detail=changes,
        )
    session.commit()
    session.refresh(challenge)
    return challenge
