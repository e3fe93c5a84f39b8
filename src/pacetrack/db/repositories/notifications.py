"""Notifications: the in-app inbox, the preferences, the history of each firing with its
channel outcomes, and the rows a batch of fired notifications writes at once."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import CursorResult, Select, func, select, tuple_, update

from pacetrack.db import bulk, changes
from pacetrack.db.repositories.base import Repository
from pacetrack.db.tables import Base
from pacetrack.db.tables_delivery import (
    Notification,
    NotificationDelivery,
    NotificationLog,
    NotificationPreference,
)

Row = TypeVar("Row", bound=Base)
Key = tuple[uuid.UUID, uuid.UUID]
"""A row's (tenant id, id)."""


@dataclass(frozen=True)
class NewRow:
    """A row to insert past the ORM: its mapped class and its column values."""

    entity: type[Base]
    values: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class QueuedForDigest:
    """A notification waiting for an account's daily digest."""

    delivery_id: uuid.UUID
    subject: str


class NotificationRepository(Repository):
    # --- the inbox ------------------------------------------------------------------------

    def _inbox(self, tenant_id: uuid.UUID, account_id: uuid.UUID) -> Select[Notification]:
        return select(Notification).where(
            Notification.tenant_id == tenant_id, Notification.account_id == account_id
        )

    def inbox_page(
        self,
        tenant_id: uuid.UUID,
        account_id: uuid.UUID,
        *,
        unread_only: bool,
        limit: int,
        offset: int,
    ) -> Sequence[Notification]:
        """The account's notifications, newest first."""
        listed = self._inbox(tenant_id, account_id)
        if unread_only:
            listed = listed.where(Notification.read_at.is_(None))
        return self.session.scalars(
            listed.order_by(Notification.created_at.desc(), Notification.id)
            .limit(limit)
            .offset(offset)
        ).all()

    def inbox_count(self, tenant_id: uuid.UUID, account_id: uuid.UUID) -> int:
        inbox = self._inbox(tenant_id, account_id)
        return int(self.session.scalar(select(func.count()).select_from(inbox.subquery())) or 0)

    def unread_count(self, tenant_id: uuid.UUID, account_id: uuid.UUID) -> int:
        unread = self._inbox(tenant_id, account_id).where(Notification.read_at.is_(None))
        return int(self.session.scalar(select(func.count()).select_from(unread.subquery())) or 0)

    def mark_read(
        self,
        tenant_id: uuid.UUID,
        account_id: uuid.UUID,
        *,
        ids: Collection[uuid.UUID] | None,
        at: datetime,
    ) -> int:
        """Marks the account's unread notifications (those of ``ids``, or all) read at
        ``at``; returns how many changed. A change is announced to the account's badge."""
        statement = update(Notification).where(
            Notification.tenant_id == tenant_id,
            Notification.account_id == account_id,
            Notification.read_at.is_(None),
        )
        if ids is not None:
            statement = statement.where(Notification.id.in_(ids))
        result: CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
            statement.values(read_at=at).execution_options(synchronize_session=False)
        )
        updated = int(result.rowcount)
        if updated:
            # A bulk UPDATE is past the flush, so the unread count is announced here.
            changes.record(
                self.session,
                [changes.notifications_changed(tenant_id=tenant_id, account_id=account_id)],
            )
        return updated

    # --- preferences ----------------------------------------------------------------------

    def preference(
        self, tenant_id: uuid.UUID, account_id: uuid.UUID
    ) -> NotificationPreference | None:
        return self.session.get(NotificationPreference, (tenant_id, account_id))

    def preferences_of(
        self, tenant_id: uuid.UUID, account_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, NotificationPreference]:
        """The stored preferences of these accounts, by account (none: the defaults hold)."""
        return {
            row.account_id: row
            for row in self.session.scalars(
                select(NotificationPreference).where(
                    NotificationPreference.tenant_id == tenant_id,
                    NotificationPreference.account_id.in_(list(account_ids)),
                )
            )
        }

    # --- the history of firings and their channel outcomes --------------------------------

    def log(self, tenant_id: uuid.UUID, log_id: uuid.UUID) -> NotificationLog | None:
        return self.session.get(NotificationLog, (tenant_id, log_id))

    def logs(
        self, tenant_id: uuid.UUID, *, item_id: uuid.UUID | None, limit: int
    ) -> Sequence[NotificationLog]:
        """The tenant's firings (of one item, when given), newest first."""
        statement = select(NotificationLog).where(NotificationLog.tenant_id == tenant_id)
        if item_id is not None:
            statement = statement.where(NotificationLog.item_id == item_id)
        return self.session.scalars(
            statement.order_by(NotificationLog.created_at.desc(), NotificationLog.id).limit(limit)
        ).all()

    def _outcomes(
        self, tenant_id: uuid.UUID, log_ids: Iterable[uuid.UUID], *order: Any
    ) -> Sequence[NotificationDelivery]:
        wanted = list(log_ids)
        if not wanted:
            return []
        return self.session.scalars(
            select(NotificationDelivery)
            .where(
                NotificationDelivery.tenant_id == tenant_id,
                NotificationDelivery.log_id.in_(wanted),
            )
            .order_by(*order)
        ).all()

    def outcomes_by_recipient(
        self, tenant_id: uuid.UUID, log_ids: Iterable[uuid.UUID]
    ) -> Sequence[NotificationDelivery]:
        """The channel outcomes of these firings, by recipient then channel."""
        return self._outcomes(
            tenant_id, log_ids, NotificationDelivery.account_id, NotificationDelivery.channel
        )

    def outcomes_as_recorded(
        self, tenant_id: uuid.UUID, log_ids: Iterable[uuid.UUID]
    ) -> Sequence[NotificationDelivery]:
        """The channel outcomes of these firings, oldest first."""
        return self._outcomes(
            tenant_id, log_ids, NotificationDelivery.created_at, NotificationDelivery.channel
        )

    def email_outcome(
        self, tenant_id: uuid.UUID, log_id: uuid.UUID, account_id: uuid.UUID
    ) -> NotificationDelivery | None:
        """The email channel's outcome of one firing for one recipient."""
        return self.session.scalars(
            select(NotificationDelivery).where(
                NotificationDelivery.tenant_id == tenant_id,
                NotificationDelivery.log_id == log_id,
                NotificationDelivery.account_id == account_id,
                NotificationDelivery.channel == "email",
            )
        ).first()

    def queued_for_digest(
        self, tenant_id: uuid.UUID, account_id: uuid.UUID, *, status: str
    ) -> list[QueuedForDigest]:
        """The account's email outcomes in ``status`` (waiting for its digest), oldest first."""
        rows = self.session.execute(
            select(NotificationDelivery.id, NotificationLog.subject)
            .join(
                NotificationLog,
                (NotificationLog.tenant_id == NotificationDelivery.tenant_id)
                & (NotificationLog.id == NotificationDelivery.log_id),
            )
            .where(
                NotificationDelivery.tenant_id == tenant_id,
                NotificationDelivery.account_id == account_id,
                NotificationDelivery.channel == "email",
                NotificationDelivery.status == status,
            )
            .order_by(NotificationLog.created_at)
        ).all()
        return [QueuedForDigest(delivery_id=row.id, subject=row.subject) for row in rows]

    def set_outcomes(
        self,
        tenant_id: uuid.UUID,
        delivery_ids: Collection[uuid.UUID],
        *,
        status: str,
        reason: str,
        at: datetime,
    ) -> None:
        """Sets the status and reason of these channel outcomes, in one statement."""
        if not delivery_ids:
            return
        self.session.execute(
            update(NotificationDelivery)
            .where(
                NotificationDelivery.tenant_id == tenant_id,
                NotificationDelivery.id.in_(list(delivery_ids)),
            )
            .values(status=status, reason=reason, updated_at=at)
            .execution_options(synchronize_session=False)
        )

    # --- a batch of firings ---------------------------------------------------------------

    def logged(self, keys: Collection[Key]) -> set[Key]:
        """Those of these (tenant, job id) keys whose firing has its history row already."""
        rows = self.session.execute(
            select(NotificationLog.tenant_id, NotificationLog.id).where(
                tuple_(NotificationLog.tenant_id, NotificationLog.id).in_(list(keys))
            )
        )
        return {(row.tenant_id, row.id) for row in rows}

    def load(self, entity: type[Row], keys: Iterable[Key]) -> list[Row]:
        """The rows of ``entity`` with these (tenant, id) keys, in one statement; while
        the caller holds the list, ``held`` finds them without a statement."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return []
        columns: Any = entity
        return list(
            self.session.scalars(
                select(entity).where(tuple_(columns.tenant_id, columns.id).in_(wanted))
            )
        )

    def held(self, entity: type[Row], tenant_id: uuid.UUID, id: uuid.UUID | None) -> Row | None:
        """The row of ``entity`` keyed (tenant, id), first from the rows the session holds:
        a batch loads them all at once (``load``), and ``Session.get`` costs its options'
        processing each time (four look-ups per notification)."""
        if id is None:
            return None
        held = self.session.identity_map.get((entity, (tenant_id, id), None))
        if held is not None:
            return held
        return self.session.get(entity, (tenant_id, id))

    def insert_fired(self, rows: Sequence[NewRow]) -> None:
        """Inserts rows with one insert per table, in the order each table first appears
        (a history row before the rows that refer to it)."""
        by_table: dict[tuple[type[Base], frozenset[str]], list[dict[str, Any]]] = {}
        for row in rows:
            by_table.setdefault((row.entity, frozenset(row.values)), []).append(row.values)
        for (entity, _keys), values in by_table.items():
            bulk.insert_many(self.session, entity.__table__, values)  # type: ignore[arg-type]
        # Written past the ORM, so the flush cannot see them: the recipients' unread counts
        # are announced here (live badges follow them).
        recipients = {
            (row.values["tenant_id"], row.values["account_id"])
            for row in rows
            if row.entity is Notification
        }
        changes.record(
            self.session,
            [
                changes.notifications_changed(tenant_id=tenant_id, account_id=account_id)
                for tenant_id, account_id in sorted(recipients, key=str)
            ],
        )
