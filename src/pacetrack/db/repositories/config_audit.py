"""The configuration audit log as admins read it (its entries are written at each commit
by ``db.config_audit``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select

from pacetrack.db.repositories.base import Repository
from pacetrack.db.tables import Account
from pacetrack.db.tables_auth import ConfigAuditEntry


@dataclass(frozen=True, kw_only=True)
class ConfigAuditFilter:
    """Which entries: every given value must match (``until`` is exclusive)."""

    kind: str | None = None
    entity_id: uuid.UUID | None = None
    actor_id: uuid.UUID | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _conditions(tenant_id: uuid.UUID, wanted: ConfigAuditFilter) -> list[ColumnElement[bool]]:
    entry = ConfigAuditEntry
    conditions: list[ColumnElement[bool]] = [entry.tenant_id == tenant_id]
    if wanted.kind is not None:
        conditions.append(entry.entity_kind == wanted.kind)
    if wanted.entity_id is not None:
        conditions.append(entry.entity_id == wanted.entity_id)
    if wanted.actor_id is not None:
        conditions.append(entry.actor_account_id == wanted.actor_id)
    if wanted.action is not None:
        conditions.append(entry.action == wanted.action)
    if wanted.since is not None:
        conditions.append(entry.at >= wanted.since)
    if wanted.until is not None:
        conditions.append(entry.at < wanted.until)
    return conditions


class ConfigAuditRepository(Repository):
    def page(
        self, tenant_id: uuid.UUID, wanted: ConfigAuditFilter, *, limit: int, offset: int
    ) -> list[tuple[ConfigAuditEntry, str | None]]:
        """The matching entries, newest first, each with its author's display name."""
        rows = self.session.execute(
            select(ConfigAuditEntry, Account.display_name)
            .outerjoin(
                Account,
                (Account.tenant_id == ConfigAuditEntry.tenant_id)
                & (Account.id == ConfigAuditEntry.actor_account_id),
            )
            .where(*_conditions(tenant_id, wanted))
            .order_by(ConfigAuditEntry.at.desc(), ConfigAuditEntry.id)
            .limit(limit)
            .offset(offset)
        ).all()
        return [(entry, display_name) for entry, display_name in rows]

    def count(self, tenant_id: uuid.UUID, wanted: ConfigAuditFilter) -> int:
        total = self.session.scalar(
            select(func.count())
            .select_from(ConfigAuditEntry)
            .where(*_conditions(tenant_id, wanted))
        )
        return int(total or 0)
