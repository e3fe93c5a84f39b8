"""Logging in and bearer tokens.

Every request checks its token in the database (one indexed lookup of the token's
hash, with its account and roles), so a logout, an expiry, a revocation or a
deactivation holds in every server process from the moment it is committed.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import NoReturn

from pydantic import BaseModel, ConfigDict, Field

from pacetrack.adapters.passwords import (
    hash_password,
    hash_token,
    needs_rehash,
    new_token,
    verify_against_nothing,
    verify_password,
)
from pacetrack.db.tables import Account, ApiToken, Tenant
from pacetrack.services import audit, login_throttle
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
    return uow.people.role_names(tenant_id, account_id)


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
    uow.tokens.add(
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


def login(
    uow: UnitOfWork,
    request: LoginRequest,
    *,
    ttl: timedelta,
    policy: login_throttle.LoginPolicy,
    client_address: str,
) -> TokenOut:
    """A token for the account, or Unauthenticated; LoginThrottled (without checking
    the password) while the account or the client address must wait.

    A failure is counted, recorded in the tenant's audit trail and committed before
    Unauthenticated is raised. A hash made with older argon2 parameters is replaced
    by one made with today's when the password matches.
    """
    address = login_throttle.address_key(client_address)
    tenant = uow.tenants.by_slug(request.tenant)
    account = None
    if tenant is not None:
        needle = request.login.strip()
        account = uow.people.account_with_email_or_username(
            tenant.id, email=needle.lower(), username=needle
        )
    key = (account.tenant_id, account.id) if account is not None else None
    login_throttle.check(uow, policy, address=address, account=key)

    if tenant is None or account is None:
        # The same time as a real check, so the answer does not tell what exists.
        verify_against_nothing(request.password)
        _refuse(
            uow,
            policy,
            tenant=tenant,
            account=None,
            address=address,
            reason="unknown account",
            client_address=client_address,
        )
    reason = _refusal(account, request.password)
    if reason is not None:
        _refuse(
            uow,
            policy,
            tenant=tenant,
            account=account,
            address=address,
            reason=reason,
            client_address=client_address,
        )

    login_throttle.forget_account(uow, tenant_id=account.tenant_id, account_id=account.id)
    details: dict[str, object] = {}
    if account.password_hash is not None and needs_rehash(account.password_hash):
        account.password_hash = hash_password(request.password)
        details["password_rehashed"] = True
    result = issue_token(uow, tenant_id=tenant.id, account_id=account.id, name="login", ttl=ttl)
    audit.record(
        uow,
        tenant_id=tenant.id,
        kind=audit.LOGIN_SUCCEEDED,
        account_id=account.id,
        client_address=client_address,
        details=details,
    )
    uow.commit()
    return result


def _refusal(account: Account, password: str) -> str | None:
    """Why the login fails, or None when the password matches an active account.
    Every path checks one password hash, so the time taken tells nothing either."""
    if account.password_hash is None or not account.is_active:
        verify_against_nothing(password)
        return "no password" if account.password_hash is None else "deactivated account"
    if not verify_password(account.password_hash, password):
        return "wrong password"
    return None


def _refuse(
    uow: UnitOfWork,
    policy: login_throttle.LoginPolicy,
    *,
    tenant: Tenant | None,
    account: Account | None,
    address: str,
    client_address: str,
    reason: str,
) -> NoReturn:
    """Counts and records the failure, commits, and raises Unauthenticated."""
    key = (account.tenant_id, account.id) if account is not None else None
    counted = login_throttle.count_failure(uow, policy, address=address, account=key)
    if tenant is not None:
        # A failure for an unknown tenant has no tenant to record it for: it only counts
        # towards the address's streak.
        account_id = account.id if account is not None else None
        details: dict[str, object] = {"reason": reason}
        if counted.account_failures is not None:
            details["failures"] = counted.account_failures
        audit.record(
            uow,
            tenant_id=tenant.id,
            kind=audit.LOGIN_FAILED,
            account_id=account_id,
            client_address=client_address,
            details=details,
        )
        for scope, until, failures in (
            ("account", counted.account_locked_until, counted.account_failures),
            ("address", counted.address_locked_until, counted.address_failures),
        ):
            if until is not None:
                audit.record(
                    uow,
                    tenant_id=tenant.id,
                    kind=audit.LOGIN_LOCKED,
                    account_id=account_id if scope == "account" else None,
                    client_address=client_address,
                    details={"scope": scope, "failures": failures, "until": until.isoformat()},
                )
    uow.commit()
    raise Unauthenticated("Unknown tenant, login or password.")


def authenticate(uow: UnitOfWork, token: str) -> Actor:
    """The actor behind a bearer token; Unauthenticated when unknown, expired or revoked,
    or when its account is deactivated. Read from the database on every call."""
    rows = uow.tokens.holder(hash_token(token))
    if not rows or rows[0].revoked_at is not None:
        raise Unauthenticated("Unknown or revoked token.")
    first = rows[0]
    if first.expires_at is not None and first.expires_at <= uow.clock.now():
        raise Unauthenticated("The token has expired; log in again.")
    if not first.is_active:
        raise Unauthenticated("The account is deactivated.")
    return Actor(
        tenant_id=first.tenant_id,
        account_id=first.account_id,
        roles=frozenset(row.name for row in rows if row.name is not None),
        email=first.email,
    )


def revoke_token(
    uow: UnitOfWork, actor: Actor, token: str, *, client_address: str | None = None
) -> None:
    row = uow.tokens.by_hash(actor.tenant_id, hash_token(token))
    if row is None:
        raise NotFound("Token not found.")
    if row.revoked_at is None:
        row.revoked_at = uow.clock.now()
        audit.record(
            uow,
            tenant_id=row.tenant_id,
            kind=audit.TOKEN_REVOKED,
            account_id=row.account_id,
            client_address=client_address,
            details={"token_id": str(row.id), "token_name": row.name, "reason": "logout"},
        )
    uow.commit()
