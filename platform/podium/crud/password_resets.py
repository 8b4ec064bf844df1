"""Password resets without a mail server: an organiser or admin issues a one-time code.

The student who forgot their password asks an organiser of a challenge they take part in (or
an admin); the organiser issues a code on the challenge's page and passes it on (chat, in
person). The code works once, within ``password_reset_minutes``; only its sha256 is stored; a
new code replaces the user's earlier unused ones; using it sets the password and revokes every
token of the account (web sessions and API tokens), since whoever held them may not be its
owner. Issue and use are written to the challenge's audit log.

Who may reset whom: an organiser only participants of their challenge (a member of one of its
teams) who hold no staff role anywhere and are not admins (else an organiser of one challenge
could take over the organiser of another); an admin anyone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from podium.crud.audit import audit
from podium.crud.roles import challenge_ids_with_role, is_organiser
from podium.crud.tokens import revoke_all
from podium.db.models import Challenge, PasswordReset, TeamMember, User
from podium.db.types import utcnow
from podium.errors import InvalidInput, PermissionDenied
from podium.security import hash_password, hash_token, new_token

INVALID_CODE = (
    "this reset code is unknown, used already or expired; ask an organiser of your challenge "
    "(or an admin) for a new one"
)


def _check_may_reset(session: Session, *, issuer: User, target: User, challenge: Challenge) -> None:
    if not is_organiser(session, user=issuer, challenge=challenge):
        raise PermissionDenied(
            f"only organisers of {challenge.slug} (or an admin) can issue password resets"
        )
    if issuer.is_admin:
        return
    if (
        target.is_admin
        or target.can_create_challenges
        or challenge_ids_with_role(session, user=target)
    ):
        raise PermissionDenied(
            f"{target.username} is an admin or staff of a challenge; only an admin can reset "
            "that password"
        )
    member = select(TeamMember.id).where(
        TeamMember.user_id == target.id, TeamMember.challenge_id == challenge.id
    )
    if session.exec(member).first() is None:
        raise PermissionDenied(
            f"{target.username} is in no team of {challenge.slug}; you can reset the passwords "
            "of your challenge's participants only (ask an admin for anyone else)"
        )


def issue_reset(
    session: Session,
    *,
    issuer: User,
    target: User,
    challenge: Challenge,
    minutes: int,
    now: datetime | None = None,
) -> tuple[PasswordReset, str]:
    """Issue a one-time code for ``target``; returns the row and the code (shown once).

    Raises:
        PermissionDenied: ``issuer`` may not reset ``target``'s password.
    """
    _check_may_reset(session, issuer=issuer, target=target, challenge=challenge)
    moment = now or utcnow()
    earlier = (
        update(PasswordReset)
        .where(col(PasswordReset.user_id) == target.id, col(PasswordReset.used_at).is_(None))
        .where(col(PasswordReset.expires_at) > moment)
        .values(expires_at=moment)
    )
    session.execute(earlier)
    code = new_token()
    assert target.id is not None and challenge.id is not None
    row = PasswordReset(
        user_id=target.id,
        issued_by=issuer.id,
        challenge_id=challenge.id,
        code_hash=hash_token(code),
        created_at=moment,
        expires_at=moment + timedelta(minutes=minutes),
    )
    session.add(row)
    audit(
        session, challenge_id=challenge.id, actor=issuer, action="password_reset_issued",
        target=target.username, detail={"expires_at": row.expires_at.isoformat()},
    )  # fmt: skip
    session.commit()
    session.refresh(row)
    return row, code


def user_for_code(session: Session, *, code: str, now: datetime | None = None) -> User:
    """The account a valid (known, unused, unexpired) code belongs to.

    Raises:
        InvalidInput: The code is unknown, used or expired.
    """
    row = _valid_row(session, code=code, now=now or utcnow())
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise InvalidInput(INVALID_CODE)
    return user


def _valid_row(session: Session, *, code: str, now: datetime) -> PasswordReset:
    query = select(PasswordReset).where(PasswordReset.code_hash == hash_token(code))
    row = session.exec(query).first()
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise InvalidInput(INVALID_CODE)
    return row


def use_reset(session: Session, *, code: str, password: str, now: datetime | None = None) -> User:
    """Set a new password with a code, once; every token of the account is revoked.

    ``password`` must already be checked (``UserUpdate``'s length rule).

    Raises:
        InvalidInput: The code is unknown, used or expired (also when a concurrent use won).
    """
    moment = now or utcnow()
    row = _valid_row(session, code=code, now=moment)
    user = user_for_code(session, code=code, now=moment)
    claim = (
        update(PasswordReset)
        .where(col(PasswordReset.id) == row.id, col(PasswordReset.used_at).is_(None))
        .values(used_at=moment)
    )
    if session.execute(claim).rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise InvalidInput(INVALID_CODE)
    user.password_hash = hash_password(password)
    session.add(user)
    revoked = revoke_all(session, user=user)
    audit(
        session, challenge_id=row.challenge_id, actor=user, action="password_reset_used",
        target=user.username, detail={"tokens_revoked": revoked},
    )  # fmt: skip
    session.commit()
    session.refresh(user)
    return user
