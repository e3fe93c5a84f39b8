"""Tenants and their first accounts (used by the command line and the demo)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field

from pacetrack.adapters.passwords import hash_password
from pacetrack.db.tables import Account, AccountRole, Role, Tenant
from pacetrack.services.auth import TokenOut, issue_token
from pacetrack.services.context import BUILT_IN_ROLES
from pacetrack.services.errors import Conflict, InvalidInput, NotFound
from pacetrack.services.input_types import EmailAddress, PlainStr, RoleName, Username
from pacetrack.services.unit_of_work import UnitOfWork

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class TenantOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    slug: str
    time_zone: str


class AccountSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: EmailAddress
    username: Username
    display_name: PlainStr = Field(default="", max_length=200)
    password: PlainStr | None = Field(default=None, min_length=8, max_length=1024)
    roles: list[RoleName] = Field(default_factory=lambda: ["member"], max_length=50)
    is_active: bool = True


def create_tenant(uow: UnitOfWork, *, name: str, slug: str, time_zone: str = "UTC") -> TenantOut:
    if not SLUG.match(slug):
        raise InvalidInput.one("slug", "lower-case letters, digits and -, at most 63")
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput.one("time_zone", f"unknown time zone “{time_zone}”") from exc
    if uow.tenants.by_slug(slug) is not None:
        raise Conflict(f"A tenant with slug “{slug}” exists already.")
    tenant = Tenant(
        id=uuid.uuid4(),
        name=name,
        slug=slug,
        time_zone=time_zone,
        working_weekdays=[0, 1, 2, 3, 4],
        holidays=[],
        webhook_allow_list=[],
        created_at=uow.clock.now(),
    )
    uow.tenants.add(tenant)
    uow.flush()
    for role in BUILT_IN_ROLES:
        uow.people.add(Role(tenant_id=tenant.id, id=uuid.uuid4(), name=role, description=""))
    uow.commit()
    return TenantOut.model_validate(tenant)


def tenant_by_slug(uow: UnitOfWork, slug: str) -> Tenant:
    tenant = uow.tenants.by_slug(slug)
    if tenant is None:
        raise NotFound(f"No tenant with slug “{slug}”.")
    return tenant


def ensure_role(uow: UnitOfWork, *, tenant_id: uuid.UUID, name: str) -> Role:
    role = uow.people.role_named(tenant_id, name)
    if role is None:
        role = Role(tenant_id=tenant_id, id=uuid.uuid4(), name=name, description="")
        uow.people.add(role)
        uow.flush()
    return role


def add_account(uow: UnitOfWork, *, tenant_id: uuid.UUID, spec: AccountSpec) -> Account:
    """Adds an account with its roles to the open unit of work (the caller commits)."""
    email = spec.email.strip().lower()
    clash = uow.people.account_with_email_or_username(
        tenant_id, email=email, username=spec.username
    )
    if clash is not None:
        field = "email" if clash.email == email else "username"
        raise InvalidInput.one(field, f"an account with this {field} exists already")
    now = uow.clock.now()
    account = Account(
        tenant_id=tenant_id,
        id=uuid.uuid4(),
        email=email,
        username=spec.username,
        display_name=spec.display_name or spec.username,
        password_hash=hash_password(spec.password) if spec.password else None,
        is_active=spec.is_active,
        created_at=now,
        updated_at=now,
    )
    uow.people.add(account)
    uow.flush()
    for role_name in dict.fromkeys(spec.roles):
        role = ensure_role(uow, tenant_id=tenant_id, name=role_name)
        uow.people.add(AccountRole(tenant_id=tenant_id, account_id=account.id, role_id=role.id))
    return account


def create_account_with_token(
    uow: UnitOfWork, *, tenant_slug: str, spec: AccountSpec, token_ttl: timedelta | None
) -> tuple[Account, TokenOut]:
    tenant = tenant_by_slug(uow, tenant_slug)
    account = add_account(uow, tenant_id=tenant.id, spec=spec)
    token = issue_token(
        uow, tenant_id=tenant.id, account_id=account.id, name="command line", ttl=token_ttl
    )
    uow.commit()
    return account, token
