"""The change feed: which items and notification counts a committed transaction changed.

Every session of the session factory records, at each flush, the items it created or
changed and the accounts whose in-app notifications it added or marked read
(``track``). The unit of work hands them to the ``ChangeFeed`` when it commits:

- PostgreSQL: one ``NOTIFY`` per change inside the committing transaction, so only
  committed changes are announced, to every server process listening on the database;
- SQLite: straight to the process's ``ChangeBroker`` after the commit.

A change carries identifiers only (no field values): a subscriber re-reads what it may see.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from sqlalchemy import event, inspect, text
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from pacetrack.db.tables import Item
from pacetrack.db.tables_delivery import Notification

CHANNEL = "pacetrack_changes"
ITEM_CREATED = "item.created"
ITEM_MOVED = "item.moved"
ITEM_ASSIGNED = "item.assigned"
ITEM_UPDATED = "item.updated"
PIPELINE_UPGRADED = "pipeline.upgraded"
NOTIFICATIONS_CHANGED = "notifications.changed"

_PENDING = "pacetrack_changes"
_MARKS = "pacetrack_change_marks"


@dataclass(frozen=True, kw_only=True)
class Change:
    """One thing a transaction changed. ``account_id``: whose notifications (those kinds only)."""

    kind: str
    tenant_id: uuid.UUID
    pipeline_id: uuid.UUID | None = None
    item_id: uuid.UUID | None = None
    step_id: uuid.UUID | None = None
    version: int | None = None
    account_id: uuid.UUID | None = None

    def encode(self) -> str:
        return json.dumps(
            {key: None if value is None else str(value) for key, value in asdict(self).items()},
            separators=(",", ":"),
        )

    @classmethod
    def decode(cls, payload: str) -> Change:
        raw: dict[str, Any] = json.loads(payload)

        def ident(key: str) -> uuid.UUID | None:
            value = raw.get(key)
            return None if value is None else uuid.UUID(value)

        version = raw.get("version")
        return cls(
            kind=str(raw["kind"]),
            tenant_id=uuid.UUID(raw["tenant_id"]),
            pipeline_id=ident("pipeline_id"),
            item_id=ident("item_id"),
            step_id=ident("step_id"),
            version=None if version is None else int(version),
            account_id=ident("account_id"),
        )


def _pending(session: Session) -> list[Change]:
    changes: list[Change] = session.info.setdefault(_PENDING, [])
    return changes


def _changed(instance: object, name: str) -> bool:
    return bool(inspect(instance).attrs[name].history.has_changes())


def _item_kind(item: Item, *, new: bool) -> str:
    if new:
        return ITEM_CREATED
    if _changed(item, "current_step_id"):
        return ITEM_MOVED
    if _changed(item, "assigned_account_ids"):
        return ITEM_ASSIGNED
    return ITEM_UPDATED


def _item_change(item: Item, *, new: bool) -> Change:
    return replace(item_moved(item), kind=_item_kind(item, new=new))


def item_moved(item: Item) -> Change:
    """The move of ``item`` (its current step and version are the new ones)."""
    return Change(
        kind=ITEM_MOVED,
        tenant_id=item.tenant_id,
        pipeline_id=item.pipeline_instance_id,
        item_id=item.id,
        step_id=item.current_step_id,
        version=item.version,
    )


def pipeline_upgraded(*, tenant_id: uuid.UUID, pipeline_id: uuid.UUID) -> Change:
    """An upgrade of pipeline ``pipeline_id`` to another template version: its steps and the
    items in them may all have changed (written in bulk, so the flush cannot see them)."""
    return Change(kind=PIPELINE_UPGRADED, tenant_id=tenant_id, pipeline_id=pipeline_id)


def notifications_changed(*, tenant_id: uuid.UUID, account_id: uuid.UUID) -> Change:
    return Change(kind=NOTIFICATIONS_CHANGED, tenant_id=tenant_id, account_id=account_id)


def record(session: Session, changes: Iterable[Change]) -> None:
    """Announces ``changes`` with the session's next commit (for writes the flush does not
    see, such as a bulk ``UPDATE``)."""
    _pending(session).extend(changes)


def _after_flush(session: Session, _context: object) -> None:
    found: list[Change] = []
    for instance in session.new:
        if isinstance(instance, Item):
            found.append(_item_change(instance, new=True))
        elif isinstance(instance, Notification):
            found.append(
                notifications_changed(tenant_id=instance.tenant_id, account_id=instance.account_id)
            )
    for instance in session.dirty:
        if isinstance(instance, Item) and session.is_modified(instance):
            found.append(_item_change(instance, new=False))
        elif isinstance(instance, Notification) and _changed(instance, "read_at"):
            found.append(
                notifications_changed(tenant_id=instance.tenant_id, account_id=instance.account_id)
            )
    record(session, found)


def _savepoint_started(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        session.info.setdefault(_MARKS, {})[id(transaction)] = len(_pending(session))


def _rolled_back(session: Session, previous: SessionTransaction) -> None:
    # What a rolled-back savepoint flushed never happened; a whole rollback drops everything.
    mark = session.info.get(_MARKS, {}).pop(id(previous), None)
    if mark is not None:
        del _pending(session)[mark:]
    elif previous.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_MARKS, None)


def track(factory: sessionmaker[Session]) -> None:
    """Makes every session of ``factory`` record the changes its flushes write."""
    event.listen(factory, "after_flush", _after_flush)
    event.listen(factory, "after_transaction_create", _savepoint_started)
    event.listen(factory, "after_soft_rollback", _rolled_back)


def take(session: Session) -> list[Change]:
    """The changes recorded since the last commit, each item once (its latest state)."""
    pending = session.info.pop(_PENDING, [])
    session.info.pop(_MARKS, None)
    latest: dict[tuple[str, uuid.UUID | None, uuid.UUID | None], Change] = {}
    for change in pending:
        latest[(change.kind, change.item_id, change.account_id)] = change
    return list(latest.values())


def notify(session: Session, changes: Sequence[Change]) -> None:
    """PostgreSQL: queues one ``NOTIFY`` per change, delivered when the transaction commits."""
    if changes:
        session.execute(
            text(
                "SELECT pg_notify(:channel, payload)"
                " FROM unnest(CAST(:payloads AS text[])) AS payload"
            ),
            {"channel": CHANNEL, "payloads": [change.encode() for change in changes]},
        )
