"""Password hashing (argon2id) and API token hashing."""

from __future__ import annotations

import hashlib
import secrets
from functools import cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's Password Storage Cheat Sheet minimum for argon2id (19 MiB, 2 passes, 1 lane).
# argon2-cffi's defaults (64 MiB, 3 passes, 4 lanes) take several times as long per
# login, and each login holds a core for that time.
MEMORY_KIB = 19_456
TIME_COST = 2
PARALLELISM = 1

_hasher = PasswordHasher(
    time_cost=TIME_COST, memory_cost=MEMORY_KIB, parallelism=PARALLELISM, type=Type.ID
)
TOKEN_PREFIX = "pt_"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches, whatever argon2 parameters the hash was made with."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether a hash that just verified was made with other parameters than today's."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@cache
def _stand_in_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def verify_against_nothing(password: str) -> None:
    """Spends the time of a verification when there is no account to check, so the
    answer's timing does not tell whether a login name exists."""
    verify_password(_stand_in_hash(), password)


def new_token() -> str:
    """A bearer token: recognisable prefix + 256 random bits."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Tokens are high-entropy, so a fast hash is enough and keeps lookups cheap."""
    return hashlib.sha256(token.encode()).hexdigest()
