"""Per-challenge roles (organiser, judge) and the questions authorisation asks of them."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from podium.crud.errors import NotFound
from podium.db.models import Challenge, ChallengeRole, ChallengeRoleKind, ChallengeRolePublic, User


def roles_of(
    session: Session, *, user: User | None, challenge: Challenge
) -> set[ChallengeRoleKind]:
    """The roles ``user`` holds on ``challenge`` (empty for anonymous callers)."""
    if user is None:
        return set()
    query = select(ChallengeRole.role).where(
        ChallengeRole.user_id == user.id, ChallengeRole.challenge_id == challenge.id
    )
    return {ChallengeRoleKind(role) for role in session.exec(query).all()}


def is_organiser(session: Session, *, user: User | None, challenge: Challenge) -> bool:
    """Admins and the challenge's organisers."""
    if user is None:
        return False
    return user.is_admin or ChallengeRoleKind.ORGANISER in roles_of(
        session, user=user, challenge=challenge
    )


def is_staff(session: Session, *, user: User | None, challenge: Challenge) -> bool:
    """Admins, organisers and judges of the challenge: those who see every submission."""
    if user is None:
        return False
    return user.is_admin or bool(roles_of(session, user=user, challenge=challenge))


def grant_role(
    session: Session,
    *,
    challenge: Challenge,
    user: User,
    role: ChallengeRoleKind,
    granted_by: User | None = None,
) -> ChallengeRole:
    """Give ``user`` ``role`` on ``challenge`` (idempotent: an existing grant is returned)."""
    query = select(ChallengeRole).where(
        ChallengeRole.user_id == user.id,
        ChallengeRole.challenge_id == challenge.id,
        ChallengeRole.role == role,
    )
    existing = session.exec(query).first()
    if existing is not None:
        return existing
    assert user.id is not None and challenge.id is not None
    row = ChallengeRole(
        user_id=user.id,
        challenge_id=challenge.id,
        role=role,
        granted_by=granted_by.id if granted_by else None,
    )
    session.add(row)
    try:
        session.commit()
    except IntegrityError:  # granted concurrently: the grant exists, which is what was asked
        session.rollback()
        return session.exec(query).one()
    session.refresh(row)
    return row


def revoke_role(
    session: Session, *, challenge: Challenge, user: User, role: ChallengeRoleKind
) -> None:
    """Take ``role`` on ``challenge`` away from ``user``.

    Raises:
        NotFound: The user does not hold that role.
    """
    row = session.exec(
        select(ChallengeRole).where(
            ChallengeRole.user_id == user.id,
            ChallengeRole.challenge_id == challenge.id,
            ChallengeRole.role == role,
        )
    ).first()
    if row is None:
        raise NotFound(f"{user.username} is not {role.value} of {challenge.slug}")
    session.delete(row)
    session.commit()


def list_roles(session: Session, *, challenge: Challenge) -> list[ChallengeRolePublic]:
    """Everyone holding a role on the challenge, oldest grant first."""
    query = (
        select(ChallengeRole, User)
        .join(User, col(User.id) == ChallengeRole.user_id)
        .where(ChallengeRole.challenge_id == challenge.id)
        .order_by(col(ChallengeRole.granted_at), col(ChallengeRole.id))
    )
    return [
        ChallengeRolePublic(username=user.username, role=row.role, granted_at=row.granted_at)
        for row, user in session.exec(query).all()
    ]


def challenge_ids_with_role(session: Session, *, user: User) -> set[int]:
    """Ids of the challenges on which ``user`` holds any role."""
    query = select(ChallengeRole.challenge_id).where(ChallengeRole.user_id == user.id)
    return set(session.exec(query).all())
