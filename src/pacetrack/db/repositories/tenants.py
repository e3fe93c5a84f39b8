"""Tenants, their roles and the look-ups made when accounts are added to them."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from pacetrack.db.repositories.base import Repository
from pacetrack.db.tables import Account, Role, Tenant


class TenantRepository(Repository):
    def get(self, tenant_id: uuid.UUID) -> Tenant | None:
        return self.session.get(Tenant, tenant_id)

    def by_slug(self, slug: str) -> Tenant | None:
        return self.session.scalars(select(Tenant).where(Tenant.slug == slug)).first()

    def currency_code(self, tenant_id: uuid.UUID) -> str | None:
        return self.session.scalar(select(Tenant.currency).where(Tenant.id == tenant_id))

    def role_named(self, tenant_id: uuid.UUID, name: str) -> Role | None:
        return self.session.scalars(
            select(Role).where(Role.tenant_id == tenant_id, Role.name == name)
        ).first()

    def account_with_email_or_username(
        self, tenant_id: uuid.UUID, *, email: str, username: str
    ) -> Account | None:
        return self.session.scalars(
            select(Account).where(
                Account.tenant_id == tenant_id,
                (Account.email == email) | (Account.username == username),
            )
        ).first()
