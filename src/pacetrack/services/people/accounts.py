"""Accounts and roles of a tenant (their groups: ``account_groups``).

Admins manage everything here; every account may read and change its own
profile through ``me``/``update_me``. Deactivating an account stops its logins
and revokes its tokens for good (``set_active``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from pacetrack.adapters.passwords import hash_password, verify_password
from pacetrack.db.tables import Account, AccountRole, Role
from pacetrack.services import audit
from pacetrack.services.auth import TokenOut, issue_token, role_names
from pacetrack.services.context import ADMIN, BUILT_IN_ROLES, Actor
from pacetrack.services.errors import Conflict, FieldProblem, NotFound, PermissionDenied
from pacetrack.services.input_types import EmailAddress, PlainStr, RoleName, Username
from pacetrack.services.tenants import AccountSpec, add_account, tenant_by_slug
from pacetrack.services.unit_of_work import UnitOfWork

PASSWORD_MIN = 8


# ---------------------------------------------------------------- commands


class AccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: EmailAddress
    username: Username
    display_name: PlainStr = Field(default="", max_length=200)
    password: PlainStr | None = Field(
        default=None,
        min_length=PASSWORD_MIN,
        max_length=1024,
        description="Without a password the account can only use tokens issued for it",
    )
    roles: list[RoleName] = Field(default_factory=lambda: ["member"], max_length=50)


class AccountUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID
    email: EmailAddress | None = None
    username: Username | None = None
    display_name: PlainStr | None = Field(default=None, max_length=200)
    password: PlainStr | None = Field(
        default=None, min_length=PASSWORD_MIN, max_length=1024, description="Resets the password"
    )
    roles: list[RoleName] | None = Field(
        default=None, max_length=50, description="Replaces the roles"
    )


class MyAccountUpdate(BaseModel):
    """What every account may change about itself."""

    model_config = ConfigDict(extra="forbid")
    display_name: PlainStr | None = Field(default=None, max_length=200)
    current_password: PlainStr | None = Field(default=None, max_length=1024)
    new_password: PlainStr | None = Field(default=None, min_length=PASSWORD_MIN, max_length=1024)


class AccountOut(BaseModel):
    id: uuid.UUID
    email: str
    username: str
    display_name: str
    is_active: bool
    has_password: bool
    roles: list[str]
    created_at: datetime
    updated_at: datetime


class RoleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: RoleName = Field(description="Lower-case letters, digits, _ and -; starts with a letter")
    description: PlainStr = Field(default="", max_length=2000)


class RoleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    description: str
    built_in: bool = False


# ---------------------------------------------------------------- helpers


def account_row(uow: UnitOfWork, actor: Actor, account_id: uuid.UUID) -> Account:
    row = uow.people.account(actor.tenant_id, account_id)
    if row is None:
        raise NotFound("Account not found.")
    return row


def _account_out(uow: UnitOfWork, row: Account) -> AccountOut:
    roles = role_names(uow, tenant_id=row.tenant_id, account_id=row.id)
    return AccountOut(
        id=row.id,
        email=row.email,
        username=row.username,
        display_name=row.display_name,
        is_active=row.is_active,
        has_password=row.password_hash is not None,
        roles=sorted(roles),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _roles_by_name(uow: UnitOfWork, tenant_id: uuid.UUID) -> dict[str, Role]:
    return {row.name: row for row in uow.people.roles(tenant_id)}


def _check_roles(uow: UnitOfWork, tenant_id: uuid.UUID, names: Sequence[str]) -> None:
    known = _roles_by_name(uow, tenant_id)
    problems = [
        FieldProblem(field=f"roles[{index}]", message=f"the tenant has no role named “{name}”")
        for index, name in enumerate(names)
        if name not in known
    ]
    if problems:
        raise NotFound("The request names a role the tenant does not have.", problems=problems)


def _check_unique(
    uow: UnitOfWork,
    tenant_id: uuid.UUID,
    *,
    email: str | None,
    username: str | None,
    except_id: uuid.UUID | None = None,
) -> None:
    problems: list[FieldProblem] = []
    for field, value, taken in (
        ("email", email, uow.people.email_taken),
        ("username", username, uow.people.username_taken),
    ):
        if value and taken(tenant_id, value, except_id=except_id):
            problems.append(
                FieldProblem(field=field, message=f"an account with this {field} exists already")
            )
    if problems:
        raise Conflict("An account with these details exists already.", problems=problems)


def _set_roles(uow: UnitOfWork, account: Account, names: Iterable[str]) -> None:
    known = _roles_by_name(uow, account.tenant_id)
    wanted = {known[name].id for name in names}
    current = {row.role_id: row for row in uow.people.account_roles(account.tenant_id, account.id)}
    for role_id, row in current.items():
        if role_id not in wanted:
            uow.people.remove(row)
    for role_id in wanted - current.keys():
        uow.people.add(
            AccountRole(tenant_id=account.tenant_id, account_id=account.id, role_id=role_id)
        )


def _keep_an_admin(uow: UnitOfWork, account: Account) -> None:
    """A tenant without an active admin could never be managed again."""
    if uow.people.active_holder_ids(account.tenant_id, ADMIN) - {account.id}:
        return
    raise Conflict("This is the tenant's last active admin; make another account admin first.")


# ---------------------------------------------------------------- accounts


def create_account(uow: UnitOfWork, actor: Actor, command: AccountCreate) -> AccountOut:
    actor.require_admin("create accounts")
    roles = list(dict.fromkeys(command.roles))
    _check_roles(uow, actor.tenant_id, roles)
    _check_unique(uow, actor.tenant_id, email=command.email, username=command.username)
    account = add_account(
        uow,
        tenant_id=actor.tenant_id,
        spec=AccountSpec(
            email=command.email,
            username=command.username,
            display_name=command.display_name,
            password=command.password,
            roles=roles,
        ),
    )
    uow.flush()
    out = _account_out(uow, account)
    uow.commit()
    return out


def list_accounts(
    uow: UnitOfWork, actor: Actor, *, include_inactive: bool = True
) -> list[AccountOut]:
    rows = uow.people.accounts(actor.tenant_id, active_only=not include_inactive)
    return [_account_out(uow, row) for row in rows]


def get_account(uow: UnitOfWork, actor: Actor, account_id: uuid.UUID) -> AccountOut:
    return _account_out(uow, account_row(uow, actor, account_id))


def me(uow: UnitOfWork, actor: Actor) -> AccountOut:
    if actor.account_id is None:
        raise NotFound("The system actor has no account.")
    return get_account(uow, actor, actor.account_id)


def update_account(uow: UnitOfWork, actor: Actor, command: AccountUpdate) -> AccountOut:
    actor.require_admin("change accounts")
    account = account_row(uow, actor, command.id)
    _check_unique(
        uow, actor.tenant_id, email=command.email, username=command.username, except_id=account.id
    )
    if command.roles is not None:
        roles = list(dict.fromkeys(command.roles))
        _check_roles(uow, actor.tenant_id, roles)
        if ADMIN not in roles and account.is_active:
            _keep_an_admin(uow, account)
        _set_roles(uow, account, roles)
    if command.email is not None:
        account.email = command.email.strip().lower()
    if command.username is not None:
        account.username = command.username
    if command.display_name is not None:
        account.display_name = command.display_name or account.username
    if command.password is not None:
        account.password_hash = hash_password(command.password)
    account.updated_at = uow.clock.now()
    uow.flush()
    out = _account_out(uow, account)
    uow.commit()
    return out


def update_me(uow: UnitOfWork, actor: Actor, command: MyAccountUpdate) -> AccountOut:
    if actor.account_id is None:
        raise NotFound("The system actor has no account.")
    account = account_row(uow, actor, actor.account_id)
    if command.new_password is not None:
        # Changing one's own password proves knowledge of the current one, so a
        # stolen token alone cannot take the account over.
        if account.password_hash is not None and not (
            command.current_password
            and verify_password(account.password_hash, command.current_password)
        ):
            raise PermissionDenied.one(
                "current_password",
                "does not match the current password",
                detail="The current password is needed to set a new one.",
            )
        account.password_hash = hash_password(command.new_password)
    if command.display_name is not None:
        account.display_name = command.display_name or account.username
    account.updated_at = uow.clock.now()
    out = _account_out(uow, account)
    uow.commit()
    return out


def set_active(uow: UnitOfWork, actor: Actor, account_id: uuid.UUID, *, active: bool) -> AccountOut:
    """Deactivating revokes the account's live tokens in the same transaction, so
    reactivating it later does not bring them back: it logs in again."""
    actor.require_admin("deactivate or reactivate accounts")
    account = account_row(uow, actor, account_id)
    if (
        not active
        and account.is_active
        and ADMIN in role_names(uow, tenant_id=account.tenant_id, account_id=account.id)
    ):
        _keep_an_admin(uow, account)
    now = uow.clock.now()
    changed = account.is_active != active
    revoked = 0 if active else uow.people.revoke_live_tokens(account.tenant_id, account.id, now=now)
    if changed or revoked:
        audit.record(
            uow,
            tenant_id=account.tenant_id,
            kind=audit.ACCOUNT_REACTIVATED if active else audit.ACCOUNT_DEACTIVATED,
            account_id=account.id,
            details={
                "by_account_id": str(actor.account_id) if actor.account_id else None,
                **({} if active else {"revoked_tokens": revoked}),
            },
        )
    account.is_active = active
    account.updated_at = now
    out = _account_out(uow, account)
    uow.commit()
    return out


def issue_token_for_login(
    uow: UnitOfWork, *, tenant_slug: str, login: str, name: str, ttl: timedelta | None
) -> TokenOut:
    """A named token for an account (by email or username), for scripts and integrations."""
    tenant = tenant_by_slug(uow, tenant_slug)
    needle = login.strip()
    account = uow.people.account_with_email_or_username(
        tenant.id, email=needle.lower(), username=needle
    )
    if account is None:
        raise NotFound(f"No account “{login}” in tenant “{tenant_slug}”.")
    if not account.is_active:
        raise Conflict(f"The account “{login}” is deactivated.")
    token = issue_token(uow, tenant_id=tenant.id, account_id=account.id, name=name, ttl=ttl)
    uow.commit()
    return token


# ---------------------------------------------------------------- roles


def list_roles(uow: UnitOfWork, actor: Actor) -> list[RoleOut]:
    rows = sorted(_roles_by_name(uow, actor.tenant_id).values(), key=lambda row: row.name)
    return [
        RoleOut(
            id=row.id,
            name=row.name,
            description=row.description,
            built_in=row.name in BUILT_IN_ROLES,
        )
        for row in rows
    ]


def create_role(uow: UnitOfWork, actor: Actor, command: RoleCreate) -> RoleOut:
    actor.require_admin("create roles")
    if command.name in _roles_by_name(uow, actor.tenant_id):
        raise Conflict.one("name", "a role with this name exists already")
    row = Role(
        tenant_id=actor.tenant_id,
        id=uuid.uuid4(),
        name=command.name,
        description=command.description,
    )
    uow.people.add(row)
    uow.flush()
    out = RoleOut(id=row.id, name=row.name, description=row.description)
    uow.commit()
    return out
