"""Bearer API tokens: opaque random strings, stored only as their sha256, revocable."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from podium.db.models import ApiToken, User
from podium.db.types import utcnow
from podium.errors import NotFound
from podium.security import hash_token, new_token, token_prefix

# last_used_at is a hint for the owner, not an audit log: skip most writes on busy tokens
LAST_USED_RESOLUTION = timedelta(minutes=1)


def issue_token(
    session: Session, *, user: User, name: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the row and the secret (shown once, never stored)."""
    secret = new_token()
    assert user.id is not None
    row = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=hash_token(secret),
        prefix=token_prefix(secret),
        expires_at=expires_at,
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return row, secret


def user_for_token(session: Session, *, token: str, now: datetime | None = None) -> User | None:
    """The active user a valid (known, unrevoked, unexpired) token belongs to, or None."""
    moment = now or utcnow()
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).first()
    if row is None or row.revoked or (row.expires_at is not None and row.expires_at <= moment):
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    if row.last_used_at is None or moment - row.last_used_at >= LAST_USED_RESOLUTION:
        row.last_used_at = moment
        session.add(row)
        session.commit()
    return user


def list_tokens(session: Session, *, user: User) -> list[ApiToken]:
    """The user's tokens, newest first (revoked ones included, marked)."""
    query = (
        select(ApiToken)
        .where(ApiToken.user_id == user.id)
        .order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc())
    )
    return list(session.exec(query).all())


def revoke_token(session: Session, *, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's tokens (idempotent).

    Raises:
        NotFound: The user has no token with this id.
    """
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound(f"you have no token with id {token_id}; list them at /users/me/tokens")
    if not row.revoked:
        row.revoked = True
        row.revoked_at = utcnow()
        session.add(row)
        session.commit()
        session.refresh(row)
    return row


def revoke_all(session: Session, *, user: User) -> int:
    """Revoke every live token of ``user`` (web sessions and API tokens); the caller commits.

    Returns:
        How many tokens were revoked.
    """
    live = list(
        session.exec(
            select(ApiToken).where(ApiToken.user_id == user.id, col(ApiToken.revoked).is_(False))
        ).all()
    )
    moment = utcnow()
    for row in live:
        row.revoked, row.revoked_at = True, moment
        session.add(row)
    return len(live)
