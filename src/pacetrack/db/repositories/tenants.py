"""Tenants: found by id or slug, and the settings kept on their row."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from pacetrack.db.repositories.base import Repository
from pacetrack.db.tables import Tenant


class TenantRepository(Repository):
    def get(self, tenant_id: uuid.UUID) -> Tenant | None:
        return self.session.get(Tenant, tenant_id)

    def by_slug(self, slug: str) -> Tenant | None:
        return self.session.scalars(select(Tenant).where(Tenant.slug == slug)).first()

    def currency_code(self, tenant_id: uuid.UUID) -> str | None:
        return self.session.scalar(select(Tenant.currency).where(Tenant.id == tenant_id))
