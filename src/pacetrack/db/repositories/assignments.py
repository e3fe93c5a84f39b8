"""What assignment rules read and keep: the round-robin cursors and the accounts'
workloads (how many active items each is assigned to)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, true, type_coerce
from sqlalchemy.dialects import postgresql, sqlite

from pacetrack.db.repositories.base import Repository
from pacetrack.db.tables import Item
from pacetrack.db.tables_assignments import AssignmentCursor


class AssignmentRepository(Repository):
    def lock_cursor(
        self, tenant_id: uuid.UUID, step_template_id: uuid.UUID, rule_key: str, *, now: datetime
    ) -> AssignmentCursor:
        """The rule's cursor, created when it has none yet and locked for the rest of the
        transaction.

        ``INSERT … ON CONFLICT DO NOTHING`` first, so two first entries do not race to
        create it; then ``SELECT … FOR UPDATE`` (SQLite: its ``BEGIN IMMEDIATE``
        transactions run one at a time).
        """
        values: dict[str, Any] = {
            "tenant_id": tenant_id,
            "step_template_id": step_template_id,
            "rule_key": rule_key,
            "turns": 0,
            "updated_at": now,
        }
        insert = (
            postgresql.insert(AssignmentCursor)
            if self.session.get_bind().dialect.name == "postgresql"
            else sqlite.insert(AssignmentCursor)
        )
        self.session.execute(insert.values(**values).on_conflict_do_nothing())
        statement = (
            select(AssignmentCursor)
            .where(
                AssignmentCursor.tenant_id == tenant_id,
                AssignmentCursor.step_template_id == step_template_id,
                AssignmentCursor.rule_key == rule_key,
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return self.session.scalars(statement).one()

    def cursor(
        self, tenant_id: uuid.UUID, step_template_id: uuid.UUID, rule_key: str
    ) -> AssignmentCursor | None:
        """The cursor as it stands, read without creating or locking it (a preview)."""
        return self.session.scalars(
            select(AssignmentCursor).where(
                AssignmentCursor.tenant_id == tenant_id,
                AssignmentCursor.step_template_id == step_template_id,
                AssignmentCursor.rule_key == rule_key,
            )
        ).first()

    def active_item_counts(
        self,
        tenant_id: uuid.UUID,
        account_ids: Sequence[uuid.UUID],
        *,
        excluding_item: uuid.UUID | None = None,
    ) -> dict[uuid.UUID, int]:
        """How many active items each account is assigned to, in one query.

        The assignee arrays are unnested (``jsonb_array_elements_text`` on
        PostgreSQL, ``json_each`` on SQLite) and counted per account; on PostgreSQL
        a ``?|`` filter lets the GIN index on ``assigned_account_ids`` pick the rows.
        """
        if not account_ids:
            return {}
        wanted = [str(account) for account in account_ids]
        postgres = self.session.get_bind().dialect.name == "postgresql"
        unnest = "jsonb_array_elements_text" if postgres else "json_each"
        elements = getattr(func, unnest)(Item.assigned_account_ids).table_valued("value")
        statement = (
            select(elements.c.value, func.count())
            .select_from(Item)
            .join(elements, true())
            .where(
                Item.tenant_id == tenant_id,
                Item.status == "active",
                elements.c.value.in_(wanted),
            )
            .group_by(elements.c.value)
        )
        if postgres:
            statement = statement.where(
                type_coerce(Item.assigned_account_ids, postgresql.JSONB).has_any(
                    postgresql.array(wanted)
                )
            )
        if excluding_item is not None:
            statement = statement.where(Item.id != excluding_item)
        counts = {account: 0 for account in account_ids}
        for value, count in self.session.execute(statement):
            counts[uuid.UUID(str(value))] = int(count)
        return counts
