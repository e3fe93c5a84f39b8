"""The accounts a notification reaches: those its recipients name (by id or username,
the members of a group or a role), which of them are active, and one by its id."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from pacetrack.db.repositories.base import Repository
from pacetrack.db.tables import Account, AccountGroup, AccountGroupMember, AccountRole, Role


class RecipientRepository(Repository):
    def account(self, tenant_id: uuid.UUID, account_id: uuid.UUID) -> Account | None:
        return self.session.get(Account, (tenant_id, account_id))

    def account_id_named(self, tenant_id: uuid.UUID, username: str) -> uuid.UUID | None:
        return self.session.scalar(
            select(Account.id).where(Account.tenant_id == tenant_id, Account.username == username)
        )

    def group_id_named(self, tenant_id: uuid.UUID, name: str) -> uuid.UUID | None:
        return self.session.scalar(
            select(AccountGroup.id).where(
                AccountGroup.tenant_id == tenant_id, AccountGroup.name == name
            )
        )

    def role_id_named(self, tenant_id: uuid.UUID, name: str) -> uuid.UUID | None:
        return self.session.scalar(
            select(Role.id).where(Role.tenant_id == tenant_id, Role.name == name)
        )

    def group_member_ids(
        self, tenant_id: uuid.UUID, group_id: uuid.UUID | None
    ) -> Sequence[uuid.UUID]:
        """The group's members, in the order they were added."""
        return self.session.scalars(
            select(AccountGroupMember.account_id)
            .where(
                AccountGroupMember.tenant_id == tenant_id,
                AccountGroupMember.group_id == group_id,
            )
            .order_by(AccountGroupMember.added_at, AccountGroupMember.account_id)
        ).all()

    def role_member_ids(
        self, tenant_id: uuid.UUID, role_id: uuid.UUID | None
    ) -> Sequence[uuid.UUID]:
        return self.session.scalars(
            select(AccountRole.account_id)
            .where(AccountRole.tenant_id == tenant_id, AccountRole.role_id == role_id)
            .order_by(AccountRole.account_id)
        ).all()

    def active_accounts(
        self, tenant_id: uuid.UUID, account_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, Account]:
        """The active ones of these accounts, by id."""
        return {
            account.id: account
            for account in self.session.scalars(
                select(Account).where(
                    Account.tenant_id == tenant_id,
                    Account.id.in_(account_ids),
                    Account.is_active.is_(True),
                )
            )
        }
