"""The people of a tenant: accounts, their roles and groups, and the look-ups that name
them (by id, or by username, group name or role name)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, overload

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute

from pacetrack.db import repository
from pacetrack.db.repositories.base import Repository
from pacetrack.db.tables import (
    Account,
    AccountGroup,
    AccountGroupMember,
    AccountRole,
    ApiToken,
    Role,
)
from pacetrack.engine.ids import as_uuid

PeopleKind = Literal["user", "account_group", "role"]
"""What a reference names: an account, an account group or a role."""

_MEMO = "pacetrack.people"

# How an account's role grants, their roles and its group memberships are joined.
_GRANT_OF_ACCOUNT = (AccountRole.tenant_id == Account.tenant_id) & (
    AccountRole.account_id == Account.id
)
_ROLE_OF_GRANT = (Role.tenant_id == AccountRole.tenant_id) & (Role.id == AccountRole.role_id)
_MEMBERSHIP_OF_ACCOUNT = (AccountGroupMember.tenant_id == Account.tenant_id) & (
    AccountGroupMember.account_id == Account.id
)

_NAMED: dict[
    PeopleKind, tuple[type[Account] | type[AccountGroup] | type[Role], InstrumentedAttribute[str]]
] = {
    "user": (Account, Account.username),
    "account_group": (AccountGroup, AccountGroup.name),
    "role": (Role, Role.name),
}


@dataclass(frozen=True, kw_only=True)
class Membership:
    """The groups and roles an account belongs to."""

    group_ids: frozenset[uuid.UUID]
    role_ids: frozenset[uuid.UUID]
    role_names: frozenset[str]


class PeopleRepository(Repository):
    # --- naming people

    @overload
    def find(
        self, kind: Literal["user"], tenant_id: uuid.UUID, reference: str
    ) -> Account | None: ...
    @overload
    def find(
        self, kind: Literal["account_group"], tenant_id: uuid.UUID, reference: str
    ) -> AccountGroup | None: ...
    @overload
    def find(self, kind: Literal["role"], tenant_id: uuid.UUID, reference: str) -> Role | None: ...
    @overload
    def find(
        self, kind: PeopleKind, tenant_id: uuid.UUID, reference: str
    ) -> Account | AccountGroup | Role | None: ...

    def find(
        self, kind: PeopleKind, tenant_id: uuid.UUID, reference: str
    ) -> Account | AccountGroup | Role | None:
        """The account, group or role whose id is ``reference``, else the one it names
        (username, group name, role name)."""
        model, name = _NAMED[kind]
        found: Account | AccountGroup | Role | None = repository.by_id_or_name(
            self.session, model, tenant_id=tenant_id, name=name, reference=reference
        )
        return found

    def id_of(self, kind: PeopleKind, tenant_id: uuid.UUID, reference: str) -> uuid.UUID | None:
        """The id of what ``reference`` names in one read: by id when it is one, else by
        name (an id that names nothing is not tried as a name)."""
        model, name = _NAMED[kind]
        as_id = as_uuid(reference)
        condition = model.id == as_id if as_id is not None else name == reference
        return self.session.scalar(select(model.id).where(model.tenant_id == tenant_id, condition))

    # --- accounts

    def account(self, tenant_id: uuid.UUID, account_id: uuid.UUID) -> Account | None:
        return repository.get(self.session, Account, tenant_id=tenant_id, id=account_id)

    def accounts(self, tenant_id: uuid.UUID, *, active_only: bool = False) -> Sequence[Account]:
        """The tenant's accounts by username."""
        statement = repository.scoped(Account, tenant_id=tenant_id).order_by(Account.username)
        if active_only:
            statement = statement.where(Account.is_active.is_(True))
        return repository.all_rows(self.session, statement)

    def accounts_by_id(
        self, tenant_id: uuid.UUID, account_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, Account]:
        """Those of ``account_ids`` that are accounts of the tenant, in one read."""
        rows = self.session.scalars(
            select(Account).where(Account.tenant_id == tenant_id, Account.id.in_(set(account_ids)))
        )
        return {row.id: row for row in rows}

    def email_taken(
        self, tenant_id: uuid.UUID, email: str, *, except_id: uuid.UUID | None = None
    ) -> bool:
        """Whether another account has ``email``, compared without case."""
        return self._account_with(tenant_id, func.lower(Account.email), email, except_id)

    def username_taken(
        self, tenant_id: uuid.UUID, username: str, *, except_id: uuid.UUID | None = None
    ) -> bool:
        """Whether another account has ``username``, compared without case."""
        return self._account_with(tenant_id, func.lower(Account.username), username, except_id)

    def _account_with(
        self,
        tenant_id: uuid.UUID,
        column: ColumnElement[str],
        value: str,
        except_id: uuid.UUID | None,
    ) -> bool:
        statement = select(Account.id).where(
            Account.tenant_id == tenant_id, column == value.lower()
        )
        if except_id is not None:
            statement = statement.where(Account.id != except_id)
        return self.session.scalars(statement).first() is not None

    def revoke_live_tokens(
        self, tenant_id: uuid.UUID, account_id: uuid.UUID, *, now: datetime
    ) -> int:
        """Revokes the account's tokens that are neither revoked nor expired; how many."""
        result = self.session.execute(
            update(ApiToken)
            .where(
                ApiToken.tenant_id == tenant_id,
                ApiToken.account_id == account_id,
                ApiToken.revoked_at.is_(None),
                or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
            )
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def account_with_email_or_username(
        self, tenant_id: uuid.UUID, *, email: str, username: str
    ) -> Account | None:
        return self.session.scalars(
            select(Account).where(
                Account.tenant_id == tenant_id,
                (Account.email == email) | (Account.username == username),
            )
        ).first()

    # --- roles

    def role_named(self, tenant_id: uuid.UUID, name: str) -> Role | None:
        return self.session.scalars(
            select(Role).where(Role.tenant_id == tenant_id, Role.name == name)
        ).first()

    def roles(self, tenant_id: uuid.UUID) -> Sequence[Role]:
        return repository.all_rows(self.session, repository.scoped(Role, tenant_id=tenant_id))

    def role_names(self, tenant_id: uuid.UUID, account_id: uuid.UUID) -> frozenset[str]:
        """The names of the roles the account holds."""
        statement = (
            select(Role.name)
            .join(
                AccountRole,
                (AccountRole.tenant_id == Role.tenant_id) & (AccountRole.role_id == Role.id),
            )
            .where(AccountRole.tenant_id == tenant_id, AccountRole.account_id == account_id)
        )
        return frozenset(self.session.scalars(statement))

    def account_roles(self, tenant_id: uuid.UUID, account_id: uuid.UUID) -> Sequence[AccountRole]:
        """The account's role grants."""
        return self.session.scalars(
            select(AccountRole).where(
                AccountRole.tenant_id == tenant_id, AccountRole.account_id == account_id
            )
        ).all()

    def active_holder_ids(self, tenant_id: uuid.UUID, role_name: str) -> set[uuid.UUID]:
        """The active accounts that hold the role named ``role_name``."""
        statement = (
            select(Account.id)
            .join(AccountRole, _GRANT_OF_ACCOUNT)
            .join(Role, _ROLE_OF_GRANT)
            .where(
                Account.tenant_id == tenant_id, Account.is_active.is_(True), Role.name == role_name
            )
        )
        return set(self.session.scalars(statement))

    def role_holders(self, tenant_id: uuid.UUID, role_id: uuid.UUID) -> Sequence[Account]:
        """The accounts that hold role ``role_id``, active or not."""
        statement = (
            select(Account)
            .join(AccountRole, _GRANT_OF_ACCOUNT)
            .where(AccountRole.tenant_id == tenant_id, AccountRole.role_id == role_id)
        )
        return self.session.scalars(statement).all()

    # --- groups

    def group(self, tenant_id: uuid.UUID, group_id: uuid.UUID) -> AccountGroup | None:
        return repository.get(self.session, AccountGroup, tenant_id=tenant_id, id=group_id)

    def groups(self, tenant_id: uuid.UUID) -> Sequence[AccountGroup]:
        """The tenant's groups by name."""
        statement = repository.scoped(AccountGroup, tenant_id=tenant_id).order_by(AccountGroup.name)
        return repository.all_rows(self.session, statement)

    def group_name_taken(
        self, tenant_id: uuid.UUID, name: str, *, except_id: uuid.UUID | None = None
    ) -> bool:
        """Whether another group has ``name``, compared without case."""
        statement = select(AccountGroup.id).where(
            AccountGroup.tenant_id == tenant_id, func.lower(AccountGroup.name) == name.lower()
        )
        if except_id is not None:
            statement = statement.where(AccountGroup.id != except_id)
        return self.session.scalars(statement).first() is not None

    def member_ids(self, tenant_id: uuid.UUID, group_id: uuid.UUID) -> list[uuid.UUID]:
        """The group's members by username."""
        statement = (
            select(AccountGroupMember.account_id)
            .join(Account, _MEMBERSHIP_OF_ACCOUNT)
            .where(
                AccountGroupMember.tenant_id == tenant_id,
                AccountGroupMember.group_id == group_id,
            )
            .order_by(Account.username)
        )
        return list(self.session.scalars(statement))

    def group_members(self, tenant_id: uuid.UUID, group_id: uuid.UUID) -> Sequence[Account]:
        """The group's member accounts, active or not."""
        statement = (
            select(Account)
            .join(AccountGroupMember, _MEMBERSHIP_OF_ACCOUNT)
            .where(
                AccountGroupMember.tenant_id == tenant_id, AccountGroupMember.group_id == group_id
            )
        )
        return self.session.scalars(statement).all()

    def memberships_of_group(
        self, tenant_id: uuid.UUID, group_id: uuid.UUID
    ) -> Sequence[AccountGroupMember]:
        return self.session.scalars(
            select(AccountGroupMember).where(
                AccountGroupMember.tenant_id == tenant_id,
                AccountGroupMember.group_id == group_id,
            )
        ).all()

    def membership(
        self, tenant_id: uuid.UUID, group_id: uuid.UUID, account_id: uuid.UUID
    ) -> AccountGroupMember | None:
        return self.session.get(AccountGroupMember, (tenant_id, group_id, account_id))

    # --- who belongs where

    def memberships(
        self, tenant_id: uuid.UUID, account_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, Membership]:
        """The groups and roles of each of ``account_ids``, in two reads."""
        groups: dict[uuid.UUID, set[uuid.UUID]] = {account: set() for account in account_ids}
        roles: dict[uuid.UUID, set[uuid.UUID]] = {account: set() for account in account_ids}
        names: dict[uuid.UUID, set[str]] = {account: set() for account in account_ids}
        if account_ids:
            wanted = list(account_ids)
            for account_id, group_id in self.session.execute(
                select(AccountGroupMember.account_id, AccountGroupMember.group_id).where(
                    AccountGroupMember.tenant_id == tenant_id,
                    AccountGroupMember.account_id.in_(wanted),
                )
            ):
                groups[account_id].add(group_id)
            for account_id, role_id, name in self.session.execute(
                select(AccountRole.account_id, AccountRole.role_id, Role.name)
                .join(Role, _ROLE_OF_GRANT)
                .where(AccountRole.tenant_id == tenant_id, AccountRole.account_id.in_(wanted))
            ):
                roles[account_id].add(role_id)
                names[account_id].add(name)
        return {
            account: Membership(
                group_ids=frozenset(groups[account]),
                role_ids=frozenset(roles[account]),
                role_names=frozenset(names[account]),
            )
            for account in account_ids
        }

    def membership_of(self, tenant_id: uuid.UUID, account_id: uuid.UUID) -> Membership:
        """One account's groups and roles, read once per transaction."""
        memo = self.memo(_MEMO)
        key = (tenant_id, account_id)
        known = memo.get(key)
        if known is None:
            known = memo[key] = self.memberships(tenant_id, [account_id])[account_id]
        assert isinstance(known, Membership)
        return known
