"""Logging in and bearer tokens."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from pacetrack.adapters.passwords import hash_token, new_token, verify_password
from pacetrack.db import repository
from pacetrack.db.tables import Account, AccountRole, ApiToken, Role, Tenant
from pacetrack.services.context import Actor
from pacetrack.services.errors import NotFound, Unauthenticated
from pacetrack.services.unit_of_work import UnitOfWork


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tenant: str = Field(min_length=1, max_length=63, description="The tenant's slug")
    login: str = Field(min_length=1, max_length=254, description="Email address or username")
    password: str = Field(min_length=1, max_length=1024)


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


def authenticate(uow: UnitOfWork, token: str) -> Actor:
    """The actor behind a bearer token; Unauthenticated when unknown, expired or revoked."""
    row = uow.session.scalars(
        select(ApiToken).where(ApiToken.token_hash == hash_token(token))
    ).first()
    now = uow.clock.now()
    if row is None or row.revoked_at is not None:
        raise Unauthenticated("Unknown or revoked token.")
    if row.expires_at is not None and row.expires_at <= now:
        raise Unauthenticated("The token has expired; log in again.")
    account = repository.get(uow.session, Account, tenant_id=row.tenant_id, id=row.account_id)
    if account is None or not account.is_active:
        raise Unauthenticated("The account is deactivated.")
    roles = role_names(uow, tenant_id=row.tenant_id, account_id=account.id)
    return Actor(tenant_id=row.tenant_id, account_id=account.id, roles=roles, email=account.email)


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
