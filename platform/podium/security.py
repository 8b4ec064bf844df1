"""Passwords (argon2id) and API tokens (opaque random strings stored as sha256).

Tokens are opaque rather than signed: the database row is the single truth, so revoking one is a
row update that takes effect on the next request. A token's sha256 is enough to store because
the token itself carries 256 random bits (no dictionary to attack, unlike a password).
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

TOKEN_PREFIX = "pdm_"
SHOWN_PREFIX_CHARS = 12
_hasher = PasswordHasher()
# compared against when the user does not exist, so a wrong username costs as much time
_DUMMY_HASH = _hasher.hash("podium-dummy-password")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (salted, with the library's current parameters)."""
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Whether ``password`` matches ``password_hash``; a None hash still spends the time."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than the current ones."""
    return _hasher.check_needs_rehash(password_hash)


def new_token() -> str:
    """A fresh API token: ``pdm_`` and 43 URL-safe characters (256 random bits)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The hex sha256 stored for a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_prefix(token: str) -> str:
    """The first characters of a token, shown in listings to recognise it."""
    return token[:SHOWN_PREFIX_CHARS]


def new_split_secret() -> str:
    """A random key for a challenge's public/private split (never shown to anyone)."""
    return secrets.token_hex(32)
