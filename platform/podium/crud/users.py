"""Accounts: create, look up, authenticate, update."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, or_, select

from podium.db.models import User, UserAdminUpdate, UserCreate, UserUpdate
from podium.errors import Conflict, NotFound
from podium.security import hash_password, password_needs_rehash, verify_password


def get_user_by_username(session: Session, *, username: str) -> User | None:
    """The account called ``username`` (case-insensitive), or None."""
    return session.exec(select(User).where(User.username == username.strip().lower())).first()


def get_user_by_login(session: Session, *, login: str) -> User | None:
    """The account whose username or e-mail is ``login`` (case-insensitive), or None."""
    value = login.strip().lower()
    query = select(User).where(or_(col(User.username) == value, col(User.email) == value))
    return session.exec(query).first()


def require_user(session: Session, *, username: str) -> User:
    """The account called ``username``.

    Raises:
        NotFound: No such account.
    """
    user = get_user_by_username(session, username=username)
    if user is None:
        raise NotFound(f"no user named {username!r}; check the spelling")
    return user


def _check_free(session: Session, *, username: str | None, email: str | None) -> None:
    if username and get_user_by_username(session, username=username):
        raise Conflict(f"the username {username!r} is taken; choose another")
    if email and session.exec(select(User).where(User.email == email)).first():
        raise Conflict(
            f"an account with the email {email!r} exists already; log in or reset its password"
        )


def create_user(session: Session, *, user_create: UserCreate, is_admin: bool = False) -> User:
    """Register an account (the password is stored as an argon2 hash).

    Raises:
        Conflict: The username or e-mail is taken.
    """
    _check_free(session, username=user_create.username, email=user_create.email)
    user = User(
        username=user_create.username,
        email=user_create.email,
        password_hash=hash_password(user_create.password),
        is_admin=is_admin,
        can_create_challenges=is_admin,
    )
    session.add(user)
    try:
        session.commit()
    except IntegrityError:  # a concurrent registration won the race
        session.rollback()
        raise Conflict("the username or email was just taken; choose another") from None
    session.refresh(user)
    return user


def authenticate(session: Session, *, login: str, password: str) -> User | None:
    """The active account matching ``login`` (username or e-mail) and ``password``, or None."""
    user = get_user_by_login(session, login=login)
    if not verify_password(password, user.password_hash if user else None):
        return None
    if user is None or not user.is_active:
        return None
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
        session.commit()
    return user


def update_user(session: Session, *, user: User, update: UserUpdate) -> User:
    """Change the account holder's e-mail or password.

    Raises:
        Conflict: The new e-mail belongs to another account.
    """
    if update.email is not None and update.email != user.email:
        _check_free(session, username=None, email=update.email)
        user.email = update.email
    if update.password is not None:
        user.password_hash = hash_password(update.password)
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


def admin_update_user(session: Session, *, user: User, update: UserAdminUpdate) -> User:
    """Set an account's site-wide flags (admin, may create challenges, active)."""
    for name, value in update.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(user, name, value)
    session.add(user)
    session.commit()
    session.refresh(user)
    return user
