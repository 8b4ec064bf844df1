"""Per-challenge roles (organiser, judge) and the questions authorisation asks of them.

Staff of a challenge (its organisers and judges, and site administrators, who see every
challenge's private scores) do not compete in it: :func:`check_may_compete` refuses them a
team, a place in one and a submission, and :func:`grant_role` refuses a role to a member of one
of its teams. Grants and revocations are written to the challenge's audit log.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from podium.crud.audit import audit
from podium.db.models import (
    Challenge,
    ChallengeRole,
    ChallengeRoleKind,
    ChallengeRolePublic,
    User,
)
from podium.errors import Conflict, NotFound, PermissionDenied


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


def staff_standing(session: Session, *, user: User, challenge: Challenge) -> str | None:
    """What makes ``user`` staff of ``challenge``, as words ("a judge of slug"), or None for
    someone who may compete in it."""
    held = roles_of(session, user=user, challenge=challenge)
    if ChallengeRoleKind.ORGANISER in held:
        return f"an organiser of {challenge.slug}"
    if ChallengeRoleKind.JUDGE in held:
        return f"a judge of {challenge.slug}"
    if user.is_admin:
        return "a site administrator (who sees every challenge's private scores)"
    return None


def check_may_compete(
    session: Session, *, user: User, challenge: Challenge, caller: bool = True
) -> None:
    """Refuse a team, a team place or a submission in ``challenge`` to its staff.

    Raises:
        PermissionDenied: ``user`` (the caller) is staff of the challenge.
        Conflict: ``user`` is someone else (``caller=False``: an invitee) who is staff of it.
    """
    standing = staff_standing(session, user=user, challenge=challenge)
    if standing is None:
        return
    if caller:
        raise PermissionDenied(
            f"you are {standing}, and staff of {challenge.slug} cannot compete in it (no team, "
            "no submission); compete with an account that has no role there"
        )
    raise Conflict(
        f"{user.username} is {standing}, and staff of {challenge.slug} cannot compete in it; "
        "invite someone else"
    )


def _check_not_competing(
    session: Session, *, user: User, challenge: Challenge, role: ChallengeRoleKind
) -> None:
    from podium.crud.teams import team_of  # teams asks this module who is staff: import late

    team = team_of(session, user=user, challenge=challenge)
    if team is not None:
        raise Conflict(
            f"{user.username} is a member of team {team.name!r} in {challenge.slug} and "
            f"cannot also be its {role.value}: staff of a challenge do not compete in it; "
            "choose someone outside its teams"
        )


def grant_role(
    session: Session,
    *,
    challenge: Challenge,
    user: User,
    role: ChallengeRoleKind,
    granted_by: User | None = None,
) -> ChallengeRole:
    """Give ``user`` ``role`` on ``challenge`` (idempotent: an existing grant is returned).

    Raises:
        Conflict: ``user`` is a member of one of the challenge's teams.
    """
    query = select(ChallengeRole).where(
        ChallengeRole.user_id == user.id,
        ChallengeRole.challenge_id == challenge.id,
        ChallengeRole.role == role,
    )
    existing = session.exec(query).first()
    if existing is not None:
        return existing
    _check_not_competing(session, user=user, challenge=challenge, role=role)
    assert user.id is not None and challenge.id is not None
    row = ChallengeRole(
        user_id=user.id,
        challenge_id=challenge.id,
        role=role,
        granted_by=granted_by.id if granted_by else None,
    )
    session.add(row)
    audit(
        session,
        challenge_id=challenge.id,
        actor=granted_by,
        action="grant_role",
        target=f"user {user.username}",
        detail={"role": role.value},
    )
    try:
        session.commit()
    except IntegrityError:  # granted concurrently: the grant exists, which is what was asked
        session.rollback()
        return session.exec(query).one()
    session.refresh(row)
    return row


def revoke_role(
    session: Session,
    *,
    challenge: Challenge,
    user: User,
    role: ChallengeRoleKind,
    revoked_by: User | None = None,
) -> None:
    """Take ``role`` on ``challenge`` away from ``user`` (audited).

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
    audit(
        session,
        challenge_id=challenge.id,
        actor=revoked_by,
        action="revoke_role",
        target=f"user {user.username}",
        detail={"role": role.value},
    )
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
