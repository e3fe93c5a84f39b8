"""Password hashing (argon2id) and API token hashing."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's Password Storage Cheat Sheet minimum for argon2id (19 MiB, 2 passes, 1 lane).
# argon2-cffi's defaults (64 MiB, 3 passes, 4 lanes) take several times as long per
# login, and each login holds a core for that time.
MEMORY_KIB = 19_456
TIME_COST = 2
PARALLELISM = 1


@dataclass(frozen=True)
class PasswordCost:
    """The argon2id parameters new hashes are made with (the production ones by default).

    A verification reads the parameters from the stored hash, so changing the cost
    never locks anyone out: a hash made with other parameters is replaced at the next
    login (``needs_rehash``).
    """

    memory_kib: int = MEMORY_KIB
    time_cost: int = TIME_COST
    parallelism: int = PARALLELISM


def _hasher_for(cost: PasswordCost) -> PasswordHasher:
    return PasswordHasher(
        time_cost=cost.time_cost,
        memory_cost=cost.memory_kib,
        parallelism=cost.parallelism,
        type=Type.ID,
    )


# One cost per process, set by ``bootstrap.build`` from the settings.
_cost = PasswordCost()
_hasher = _hasher_for(_cost)


def use_cost(cost: PasswordCost) -> None:
    """Makes new hashes with ``cost`` from now on, in this process."""
    global _cost, _hasher
    _cost, _hasher = cost, _hasher_for(cost)


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
def _stand_in_hash(cost: PasswordCost) -> str:
    return _hasher_for(cost).hash(secrets.token_urlsafe(16))


def verify_against_nothing(password: str) -> None:
    """Spends the time of a verification when there is no account to check, so the
    answer's timing does not tell whether a login name exists."""
    verify_password(_stand_in_hash(_cost), password)


def new_token() -> str:
    """A bearer token: recognisable prefix + 256 random bits."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Tokens are high-entropy, so a fast hash is enough and keeps lookups cheap."""
    return hashlib.sha256(token.encode()).hexdigest()
