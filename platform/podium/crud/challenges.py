"""Challenges: look them up, list the visible ones, create their rows, update them.

Registering a bundle (validating it, installing its files, packing its downloads) is
:mod:`podium.services.registration`'s; it calls :func:`insert_challenge` for the rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, or_, select

from challenges import ChallengeSpec
from podium.crud.audit import audit
from podium.crud.leaderboards import board_changed
from podium.crud.roles import challenge_ids_with_role, is_staff
from podium.db.models import Challenge, ChallengeUpdate, Phase, User
from podium.db.types import utcnow
from podium.errors import Conflict, NotFound
from podium.security import new_split_secret


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


def is_visible(session: Session, *, user: User | None, challenge: Challenge) -> bool:
    """Whether ``user`` may know ``challenge`` exists: published, or its staff (or an admin)."""
    return challenge.published or is_staff(session, user=user, challenge=challenge)


def require_visible_challenge(
    session: Session, *, slug: str, user: User | None, listed_at: str = "/api/v1/challenges"
) -> Challenge:
    """The challenge ``slug`` as ``user`` may see it: unpublished ones exist only for their
    staff and admins (the rule :func:`visible_challenges` lists by).

    Raises:
        NotFound: No such challenge, or one the user may not know about (``listed_at`` says
            where to find the others).
    """
    challenge = get_challenge_by_slug(session, slug=slug)
    if challenge is None or not is_visible(session, user=user, challenge=challenge):
        raise NotFound(f"no challenge {slug!r}; list them at {listed_at}")
    return challenge


def visible_challenges(session: Session, *, user: User | None) -> list[Challenge]:
    """Published challenges, plus unpublished ones the user organises or judges (all: admins)."""
    query = select(Challenge).order_by(col(Challenge.created_at).desc(), col(Challenge.id))
    if user is None:
        query = query.where(col(Challenge.published).is_(True))
    elif not user.is_admin:
        mine = challenge_ids_with_role(session, user=user)
        query = query.where(or_(col(Challenge.published).is_(True), col(Challenge.id).in_(mine)))
    return list(session.exec(query).all())


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
            deliverables=[d.model_dump(mode="json") for d in phase.deliverables],
        )
        for position, phase in enumerate(spec.phases)
    ]


def insert_challenge(
    session: Session,
    *,
    spec: ChallengeSpec,
    root: Path,
    sha256: str,
    public_files: list[dict[str, Any]],
    owner: User | None,
    published: bool,
) -> Challenge:
    """Create the rows of a challenge installed at ``root``: the challenge and its phases.

    Raises:
        Conflict: A challenge with this slug was created meanwhile.
    """
    challenge = Challenge(
        slug=spec.slug,
        title=spec.title,
        summary=spec.summary,
        tags=list(spec.tags),
        bundle_path=str(root),
        bundle_sha256=sha256,
        split_secret=new_split_secret(),
        spec=spec.model_dump(mode="json"),
        public_files=public_files,
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
    session.refresh(challenge)
    return challenge


BOARD_FIELDS = frozenset({"published", "revealed_private"})  # what its boards' answers depend on


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
    if changes.keys() & BOARD_FIELDS:
        board_changed(session, challenge_id=challenge.id)
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
