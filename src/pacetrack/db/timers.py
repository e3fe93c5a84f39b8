"""Arming, cancelling and claiming timers.

Due timers are found through the partial index on ``due_at`` of armed rows, so
the cost of finding them depends on how many are due, not on how many exist.
A claim is the row lock of the firing transaction (``FOR UPDATE SKIP LOCKED``
on PostgreSQL, the ``BEGIN IMMEDIATE`` write lock on SQLite): the timer is
marked fired and its outbox rows written in that same transaction, so a worker
that dies mid-batch leaves its timers armed for the next one.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Update, bindparam, not_, select, tuple_, update
from sqlalchemy.orm import Session

from pacetrack.db.tables import Item
from pacetrack.db.tables_delivery import ARMED, CANCELLED, FIRED, Timer


def arm(session: Session, timers: Sequence[Timer]) -> None:
    session.add_all(timers)


def cancel_for_stay(
    session: Session, *, tenant_id: uuid.UUID, history_id: uuid.UUID, now: datetime
) -> int:
    """Cancels the armed timers of one stay in a step (the item left it)."""
    result = session.execute(
        _CANCEL_STAY, {"p_tenant_id": tenant_id, "p_history_id": history_id, "p_now": now}
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def cancel_for_item(
    session: Session, *, tenant_id: uuid.UUID, item_id: uuid.UUID, now: datetime
) -> int:
    """Cancels every armed timer of one item (it was completed or deleted)."""
    result = session.execute(
        _CANCEL_ITEM, {"p_tenant_id": tenant_id, "p_item_id": item_id, "p_now": now}
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def cancel_rules_except(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    step_id: uuid.UUID,
    keep: Collection[tuple[str, str]],
    now: datetime,
) -> int:
    """Cancels the armed timers of step ``step_id`` whose rule (kind, id) is not in ``keep``:
    the rule was deleted, disabled, or no longer waits for a time.

    The timers are reached through the items at the step (``ix_item_instance_step``, then
    the timer's unique key that leads with the item), not by a scan of every timer.
    """
    at_step = select(Item.id).where(Item.tenant_id == tenant_id, Item.current_step_id == step_id)
    statement = _cancel_armed(Timer.item_id.in_(at_step), Timer.step_id == step_id)
    if keep:
        statement = statement.where(not_(tuple_(Timer.rule_kind, Timer.rule_id).in_(list(keep))))
    result = session.execute(statement, {"p_tenant_id": tenant_id, "p_now": now})
    return int(result.rowcount)  # type: ignore[attr-defined]


def _cancel_armed(*where: ColumnElement[bool]) -> Update:
    """Cancels the tenant's armed timers that match ``where``, at ``p_now``."""
    return (
        update(Timer)
        .where(Timer.tenant_id == bindparam("p_tenant_id"), Timer.status == ARMED, *where)
        .values(status=CANCELLED, fired_at=bindparam("p_now"))
        .execution_options(synchronize_session=False)
    )


# Built once: building a statement costs more CPU than running it.
_CANCEL_STAY = _cancel_armed(Timer.history_id == bindparam("p_history_id"))
_CANCEL_ITEM = _cancel_armed(Timer.item_id == bindparam("p_item_id"))


def due_query(now: datetime, limit: int):  # type: ignore[no-untyped-def]
    """The armed timers due at ``now``, earliest first (the statement, for EXPLAIN)."""
    return (
        select(Timer)
        .where(Timer.status == ARMED, Timer.due_at <= now)
        .order_by(Timer.due_at)
        .limit(limit)
    )


def claim_due(session: Session, *, now: datetime, limit: int) -> list[Timer]:
    """Locks up to ``limit`` due timers for the rest of the transaction."""
    statement = due_query(now, limit).with_for_update(skip_locked=True)
    return list(session.scalars(statement.execution_options(populate_existing=True)))


def items_of(session: Session, timers: Sequence[Timer]) -> dict[tuple[uuid.UUID, uuid.UUID], Item]:
    """The items the timers are for, by (tenant id, item id), in one read."""
    keys = {(timer.tenant_id, timer.item_id) for timer in timers}
    rows = session.scalars(select(Item).where(tuple_(Item.tenant_id, Item.id).in_(list(keys))))
    return {(row.tenant_id, row.id): row for row in rows}


def mark_fired(timer: Timer, *, now: datetime) -> None:
    timer.status = FIRED
    timer.fired_at = now
