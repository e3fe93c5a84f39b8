"""Logging in and bearer tokens."""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import ORMExecuteState, Session

from pacetrack.adapters.passwords import hash_token, new_token, verify_password
from pacetrack.db.tables import Account, AccountRole, ApiToken, Role, Tenant
from pacetrack.services.context import Actor
from pacetrack.services.errors import NotFound, Unauthenticated
from pacetrack.services.input_types import PlainStr
from pacetrack.services.unit_of_work import UnitOfWork


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tenant: PlainStr = Field(min_length=1, max_length=63, description="The tenant's slug")
    login: PlainStr = Field(min_length=1, max_length=254, description="Email address or username")
    password: PlainStr = Field(min_length=1, max_length=1024)


class TokenOut(BaseModel):
    token: str
    token_type: str = "bearer"
    expires_at: datetime | None
    account_id: uuid.UUID
    tenant_id: uuid.UUID


def role_names(uow: UnitOfWork, *, tenant_id: uuid.UUID, account_id: uuid.UUID) -> frozenset[str]:
    statement = (
        select(Role.name)
        .join(
            AccountRole,
            (AccountRole.tenant_id == Role.tenant_id) & (AccountRole.role_id == Role.id),
        )
        .where(AccountRole.tenant_id == tenant_id, AccountRole.account_id == account_id)
    )
    return frozenset(uow.session.scalars(statement))


def issue_token(
    uow: UnitOfWork,
    *,
    tenant_id: uuid.UUID,
    account_id: uuid.UUID,
    name: str,
    ttl: timedelta | None,
) -> TokenOut:
    """Stores the token's hash and returns the token itself (shown once)."""
    token = new_token()
    now = uow.clock.now()
    expires_at = now + ttl if ttl is not None else None
    uow.session.add(
        ApiToken(
            tenant_id=tenant_id,
            id=uuid.uuid4(),
            account_id=account_id,
            name=name,
            token_hash=hash_token(token),
            token_prefix=token[:10],
            created_at=now,
            expires_at=expires_at,
            revoked_at=None,
        )
    )
    return TokenOut(token=token, expires_at=expires_at, account_id=account_id, tenant_id=tenant_id)


def login(uow: UnitOfWork, request: LoginRequest, *, ttl: timedelta) -> TokenOut:
    failure = Unauthenticated("Unknown tenant, login or password.")
    tenant = uow.session.scalars(select(Tenant).where(Tenant.slug == request.tenant)).first()
    if tenant is None:
        raise failure
    needle = request.login.strip()
    account = uow.session.scalars(
        select(Account).where(
            Account.tenant_id == tenant.id,
            (Account.email == needle.lower()) | (Account.username == needle),
        )
    ).first()
    if account is None or not account.password_hash or not account.is_active:
        raise failure
    if not verify_password(account.password_hash, request.password):
        raise failure
    result = issue_token(uow, tenant_id=tenant.id, account_id=account.id, name="login", ttl=ttl)
    uow.commit()
    return result


_WHO = (
    select(
        ApiToken.tenant_id,
        ApiToken.account_id,
        ApiToken.revoked_at,
        ApiToken.expires_at,
        Account.is_active,
        Account.email,
        Role.name,
    )
    .join(Account, (Account.tenant_id == ApiToken.tenant_id) & (Account.id == ApiToken.account_id))
    .outerjoin(
        AccountRole,
        (AccountRole.tenant_id == Account.tenant_id) & (AccountRole.account_id == Account.id),
    )
    .outerjoin(Role, (Role.tenant_id == AccountRole.tenant_id) & (Role.id == AccountRole.role_id))
    .where(ApiToken.token_hash == bindparam("token_hash"))
)
"""The token, its account and the account's role names (one row per role) in one query."""


@dataclass(frozen=True, kw_only=True)
class _Checked:
    actor: Actor
    token_expires_at: datetime | None
    checked_at: float
    """``time.monotonic()`` when the database said the token and account were good."""


class _CheckedTokens:
    """Recently checked tokens of this process, keyed by the engine and the token's hash.

    ``generation`` changes whenever a token, an account or a role changes in this
    process, so a check that read the database before the change is never stored
    after it.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[str, str], _Checked] = OrderedDict()
        self._lock = threading.Lock()
        self.generation = 0

    def get(self, key: tuple[str, str], *, max_age: float) -> _Checked | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if time.monotonic() - entry.checked_at >= max_age:
                del self._entries[key]
                return None
            return entry

    def put(self, key: tuple[str, str], entry: _Checked, *, generation: int) -> None:
        with self._lock:
            if generation != self.generation:
                return
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def forget_all(self) -> None:
        with self._lock:
            self.generation += 1
            self._entries.clear()


_checked = _CheckedTokens(10_000)
_TOUCHED = "pacetrack.auth.touched"
_WATCHED = (ApiToken, Account, AccountRole, Role)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(row, _WATCHED) for row in changed):
        session.info[_TOUCHED] = True
        _checked.forget_all()


@event.listens_for(Session, "do_orm_execute")
def _bulk_change(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and any(
        issubclass(mapper.class_, _WATCHED) for mapper in state.all_mappers
    ):
        state.session.info[_TOUCHED] = True
        _checked.forget_all()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    # Again after the commit: a check that read the database between the flush and the
    # commit saw the old rows.
    if session.info.pop(_TOUCHED, False):
        _checked.forget_all()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_TOUCHED, None)


def forget_checked_tokens() -> None:
    """Check every token against the database again (after changes made outside the ORM)."""
    _checked.forget_all()


def recently_checked(
    *, database: str, token: str, now: datetime, cache_seconds: float
) -> Actor | None:
    """The actor of a token this process checked less than ``cache_seconds`` ago and that
    has not expired since, without reading the database; None when it must be read."""
    if cache_seconds <= 0:
        return None
    known = _checked.get((database, hash_token(token)), max_age=cache_seconds)
    if known is None or (known.token_expires_at is not None and known.token_expires_at <= now):
        return None
    return known.actor


def authenticate(uow: UnitOfWork, token: str, *, cache_seconds: float = 0) -> Actor:
    """The actor behind a bearer token; Unauthenticated when unknown, expired or revoked.

    With ``cache_seconds`` > 0 a token checked by this process less than that long
    ago is not read again (its expiry is still checked). Revoking a token,
    deactivating an account or changing roles through this process forgets every
    checked token at once; a change made by another process (another server
    worker, the command line) takes effect here within ``cache_seconds``.
    """
    database = str(uow.session.get_bind().engine.url)
    now = uow.clock.now()
    known = recently_checked(database=database, token=token, now=now, cache_seconds=cache_seconds)
    if known is not None:
        return known
    generation = _checked.generation
    token_hash = hash_token(token)
    rows = uow.session.execute(_WHO, {"token_hash": token_hash}).all()
    if not rows or rows[0].revoked_at is not None:
        raise Unauthenticated("Unknown or revoked token.")
    first = rows[0]
    if first.expires_at is not None and first.expires_at <= now:
        raise Unauthenticated("The token has expired; log in again.")
    if not first.is_active:
        raise Unauthenticated("The account is deactivated.")
    actor = Actor(
        tenant_id=first.tenant_id,
        account_id=first.account_id,
        roles=frozenset(row.name for row in rows if row.name is not None),
        email=first.email,
    )
    if cache_seconds > 0:
        _checked.put(
            (database, token_hash),
            _Checked(actor=actor, token_expires_at=first.expires_at, checked_at=time.monotonic()),
            generation=generation,
        )
    return actor


def revoke_token(uow: UnitOfWork, actor: Actor, token: str) -> None:
    row = uow.session.scalars(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(token), ApiToken.tenant_id == actor.tenant_id
        )
    ).first()
    if row is None:
        raise NotFound("Token not found.")
    row.revoked_at = uow.clock.now()
    uow.commit()
