"""The tenant's audit trail of sign-ins, token and account changes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select

from pacetrack.db.repositories.base import Repository
from pacetrack.db.tables_auth import AuditEvent


class AuditRepository(Repository):
    def page(self, tenant_id: uuid.UUID, *, limit: int, offset: int) -> Sequence[AuditEvent]:
        """The tenant's events, newest first."""
        return self.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.tenant_id == tenant_id)
            .order_by(AuditEvent.at.desc(), AuditEvent.id)
            .limit(limit)
            .offset(offset)
        ).all()

    def count(self, tenant_id: uuid.UUID) -> int:
        total = self.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.tenant_id == tenant_id)
        )
        return int(total or 0)
