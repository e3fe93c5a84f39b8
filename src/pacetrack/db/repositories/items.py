"""Items and their moves: the item locked with its pipeline, and the rows a move writes.

A move (DESIGN.md §3) is bound by round trips, not by the work of each statement: on
PostgreSQL it is ``BEGIN``, one statement that locks the item and reads its pipeline,
one that writes the step change, and ``COMMIT``. Both statements are built once with
bind parameters (building a statement and its cache key costs more CPU than running
it), so each run is a look-up in SQLAlchemy's compiled cache.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    Update,
    and_,
    bindparam,
    exists,
    func,
    insert,
    literal_column,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects import postgresql

from pacetrack.db import changes as announced_changes
from pacetrack.db import repository
from pacetrack.db.repositories.base import Repository
from pacetrack.db.repositories.fields import fields_digest
from pacetrack.db.repositories.steps import (
    CALENDAR,
    ON_INSTANCE,
    ON_VERSION,
    CalendarColumns,
    PipelineRows,
)
from pacetrack.db.tables import (
    RUNNING_STEP,
    Account,
    Activity,
    Item,
    ItemStepHistory,
    PipelineInstance,
    Step,
    Tenant,
)
from pacetrack.db.tables_delivery import ARMED, CANCELLED, Timer
from pacetrack.db.tables_moves import ValidationFailure
from pacetrack.db.tables_versions import PipelineTemplateVersion


@dataclass(frozen=True, kw_only=True)
class LockedItem:
    item: Item
    pipeline: PipelineRows


def _lock_select(*, digest: bool) -> Select[Any]:
    """The item ``item_id`` locked (``FOR UPDATE OF item``), one row per running step of
    its pipeline (one row with no step when it has none), each with the id of the
    version row the pipeline runs, the tenant's calendar, the item's version as of the
    statement's snapshot and, with ``digest``, the tenant's fields digest."""
    # The snapshot's version beside the locked (newest) one: when they differ, the item was
    # written by a transaction that committed while this statement waited for the lock (an
    # upgrade writes every item of its pipeline), and the steps read from the snapshot may
    # be out of date.
    seen_version = (
        select(Item.version)
        .where(Item.tenant_id == bindparam("tenant_id"), Item.id == bindparam("item_id"))
        .scalar_subquery()
        .label("seen_version")
    )
    return (
        select(
            Item,
            Step,
            PipelineTemplateVersion.id.label("version_id"),
            *CALENDAR,
            seen_version,
            *([fields_digest(bindparam("tenant_id")).label("fields_digest")] if digest else []),
        )
        .join(Tenant, Tenant.id == Item.tenant_id)
        .outerjoin(
            Step,
            and_(
                Step.tenant_id == Item.tenant_id,
                Step.pipeline_instance_id == Item.pipeline_instance_id,
                RUNNING_STEP,
            ),
        )
        .outerjoin(PipelineInstance, ON_INSTANCE)
        .outerjoin(PipelineTemplateVersion, ON_VERSION)
        .where(Item.tenant_id == bindparam("tenant_id"), Item.id == bindparam("item_id"))
        .order_by(Step.position, Step.name)
        .with_for_update(of=Item)
        .execution_options(populate_existing=True)
    )


_LOCK = _lock_select(digest=False)
_LOCK_PG = _lock_select(digest=True)
_READS_AFTER_A_WAIT = 3
"""How often the statement is read again when the item changed while it waited."""


_HISTORY = cast(Table, ItemStepHistory.__table__)
_ACTIVITY = cast(Table, Activity.__table__)
_TIMER = cast(Table, Timer.__table__)
_CLOSE = (
    update(_HISTORY)
    .where(
        _HISTORY.c.tenant_id == bindparam("p_tenant_id"),
        _HISTORY.c.item_id == bindparam("p_item_id"),
        _HISTORY.c.exited_at.is_(None),
    )
    .values(exited_at=bindparam("p_now"), exited_by=bindparam("p_actor_id"))
    .returning(_HISTORY.c.id)
)
_OPEN = insert(_HISTORY).values(
    tenant_id=bindparam("p_tenant_id"),
    id=bindparam("p_entered_id"),
    item_id=bindparam("p_item_id"),
    step_id=bindparam("p_step_id"),
    entered_at=bindparam("p_now"),
    exited_at=None,
    entered_by=bindparam("p_actor_id"),
    exited_by=None,
)
_LOG = insert(_ACTIVITY).values(
    tenant_id=bindparam("p_tenant_id"),
    id=bindparam("p_activity_id"),
    item_id=bindparam("p_item_id"),
    actor_account_id=bindparam("p_actor_id"),
    kind="item.moved",
    data=bindparam("p_data"),
    created_at=bindparam("p_now"),
)


def _cancel_timers(stay: ColumnElement[bool]) -> Update:
    """Cancels the armed timers of the stay being left (``stay``: which history row)."""
    return (
        update(_TIMER)
        .where(_TIMER.c.tenant_id == bindparam("p_tenant_id"), stay, _TIMER.c.status == ARMED)
        .values(status=CANCELLED, fired_at=bindparam("p_now"))
    )


_CANCEL = _cancel_timers(_TIMER.c.history_id == bindparam("p_exited_id"))


_ITEM = cast(Table, Item.__table__)
_ITEM_MOVED_CORE = (
    update(_ITEM)
    .where(_ITEM.c.tenant_id == bindparam("p_tenant_id"), _ITEM.c.id == bindparam("p_item_id"))
    .values(
        current_step_id=bindparam("p_step_id"),
        version=bindparam("p_version"),
        updated_at=bindparam("p_now"),
        field_values=bindparam("p_values"),
        calculation_errors=bindparam("p_errors"),
    )
    .returning(*_ITEM.c)
)
# The updated item is loaded from the update's RETURNING as an ORM object, replacing the
# stored values of the one the session holds (``populate_existing``). A Core statement
# wrapped once by ``from_statement`` keeps its cache key from one run to the next (an
# ORM-enabled UPDATE is annotated anew, and its key computed again, on each run).
_ITEM_MOVED = (
    select(Item).from_statement(_ITEM_MOVED_CORE).execution_options(populate_existing=True)
)
# PostgreSQL runs all five as one statement (data-modifying CTEs): the item's update
# returns the item and the ids of the history rows it closed. SQLite runs in-process,
# where separate statements cost nothing extra.
_CLOSED = _CLOSE.cte("closed")
_STEP_CHANGE_PG = (
    select(Item, literal_column("closed_ids"))
    .from_statement(
        _ITEM_MOVED_CORE.returning(
            select(func.array_agg(_CLOSED.c.id)).scalar_subquery().label("closed_ids")
        ).add_cte(
            _CLOSED,
            _OPEN.returning(_HISTORY.c.id).cte("opened"),
            _LOG.returning(_ACTIVITY.c.id).cte("logged"),
            _cancel_timers(_TIMER.c.history_id.in_(select(_CLOSED.c.id)))
            .returning(_TIMER.c.id)
            .cte("cancelled"),
        )
    )
    .execution_options(populate_existing=True)
)


@dataclass(frozen=True, kw_only=True)
class StepChange:
    """What a move writes: the item's new step and version and its values after the move."""

    step_id: uuid.UUID
    version: int
    at: datetime
    field_values: Mapping[str, Any]
    calculation_errors: Mapping[str, Any]


class ItemRepository(Repository):
    def get(self, tenant_id: uuid.UUID, item_id: uuid.UUID) -> Item | None:
        """The item, or None when the tenant has no such item or it is deleted."""
        return repository.get(self.session, Item, tenant_id=tenant_id, id=item_id)

    def lock(self, tenant_id: uuid.UUID, item_id: uuid.UUID) -> Item | None:
        """``get``, the item locked for the rest of the transaction."""
        return repository.get_for_update(self.session, Item, tenant_id=tenant_id, id=item_id)

    def page(
        self,
        tenant_id: uuid.UUID,
        *,
        status: str,
        among_instances: Collection[uuid.UUID] | None,
        instance_id: uuid.UUID | None,
        step_id: uuid.UUID | None,
        assignee: uuid.UUID | None,
        limit: int,
        offset: int,
    ) -> tuple[Sequence[Item], int]:
        """The tenant's items with ``status`` matching every given filter (``among_instances``:
        in one of those pipelines), newest first, and how many match in all."""
        conditions: list[ColumnElement[bool]] = [Item.tenant_id == tenant_id, Item.status == status]
        if among_instances is not None:
            conditions.append(Item.pipeline_instance_id.in_(among_instances))
        if instance_id is not None:
            conditions.append(Item.pipeline_instance_id == instance_id)
        if step_id is not None:
            conditions.append(Item.current_step_id == step_id)
        if assignee is not None:
            conditions.append(self._assigned_to(assignee))
        where = and_(*conditions)
        total = self.session.scalar(select(func.count()).select_from(Item).where(where)) or 0
        rows = self.session.scalars(
            select(Item)
            .where(where)
            .order_by(Item.created_at.desc(), Item.id)
            .limit(limit)
            .offset(offset)
        ).all()
        return rows, total

    def _assigned_to(self, account_id: uuid.UUID) -> ColumnElement[bool]:
        wanted = str(account_id)
        if self.session.get_bind().dialect.name == "postgresql":
            return type_coerce(Item.assigned_account_ids, postgresql.JSONB).contains([wanted])
        members = func.json_each(Item.assigned_account_ids).table_valued("value")
        return exists(select(1).select_from(members).where(members.c.value == wanted))

    def entered_at(
        self, tenant_id: uuid.UUID, item_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, datetime]:
        """When each item entered its current step: its open history row, in one query."""
        if not item_ids:
            return {}
        rows = self.session.execute(
            select(ItemStepHistory.item_id, ItemStepHistory.entered_at).where(
                ItemStepHistory.tenant_id == tenant_id,
                ItemStepHistory.item_id.in_(item_ids),
                ItemStepHistory.exited_at.is_(None),
            )
        ).all()
        return {item_id: entered for item_id, entered in rows}

    def history(
        self, tenant_id: uuid.UUID, item_id: uuid.UUID
    ) -> list[tuple[ItemStepHistory, str]]:
        """Every stay of the item in a step, with the step's name, in the order entered."""
        rows = self.session.execute(
            select(ItemStepHistory, Step.name)
            .join(
                Step,
                and_(
                    Step.tenant_id == ItemStepHistory.tenant_id,
                    Step.id == ItemStepHistory.step_id,
                ),
            )
            .where(ItemStepHistory.tenant_id == tenant_id, ItemStepHistory.item_id == item_id)
            .order_by(ItemStepHistory.entered_at, ItemStepHistory.exited_at.is_(None))
        ).all()
        return [(entry, name) for entry, name in rows]

    def validation_failures(
        self, tenant_id: uuid.UUID, item_id: uuid.UUID
    ) -> Sequence[ValidationFailure]:
        """The item's refused moves' failed rules, oldest first."""
        return self.session.scalars(
            select(ValidationFailure)
            .where(ValidationFailure.tenant_id == tenant_id, ValidationFailure.item_id == item_id)
            .order_by(ValidationFailure.created_at, ValidationFailure.rule_id)
        ).all()

    def activity(
        self, tenant_id: uuid.UUID, item_id: uuid.UUID, *, limit: int
    ) -> Sequence[Activity]:
        """The item's activity log, oldest first."""
        return self.session.scalars(
            select(Activity)
            .where(Activity.tenant_id == tenant_id, Activity.item_id == item_id)
            .order_by(Activity.created_at)
            .limit(limit)
        ).all()

    def active_accounts_among(
        self, tenant_id: uuid.UUID, account_ids: Collection[uuid.UUID]
    ) -> set[uuid.UUID]:
        """Those of ``account_ids`` that are active accounts of the tenant (an item's owner
        and its user fields must name one)."""
        if not account_ids:
            return set()
        return set(
            self.session.scalars(
                select(Account.id).where(
                    Account.tenant_id == tenant_id,
                    Account.id.in_(account_ids),
                    Account.is_active.is_(True),
                )
            )
        )

    def lock_with_pipeline(self, tenant_id: uuid.UUID, item_id: uuid.UUID) -> LockedItem | None:
        """The item locked for the rest of the transaction, its pipeline's running steps
        (each with the id of the version row it runs) and the tenant's calendar columns, in
        one statement; None when the tenant has no such item.

        When the item changed while the statement waited for its lock, the statement runs
        again (the item is locked by then, so the second reading is current): the steps and
        version of the first one come from before that change, which may have been an
        upgrade.

        SQLite has no row locks; its transactions begin IMMEDIATE (``db.session``),
        which serialises writers for the same effect.
        """
        postgres = self.session.get_bind().dialect.name == "postgresql"
        params = {"tenant_id": tenant_id, "item_id": item_id}
        rows: Sequence[Any] = ()
        for _ in range(_READS_AFTER_A_WAIT):
            rows = self.session.execute(_LOCK_PG if postgres else _LOCK, params).all()
            if not rows:
                return None
            if rows[0].Item.version == rows[0].seen_version:
                break
        first = rows[0]
        item: Item = first.Item
        return LockedItem(
            item=item,
            pipeline=PipelineRows(
                steps=[(row.Step, row.version_id) for row in rows if row.Step is not None],
                calendar=CalendarColumns(
                    time_zone=first.time_zone,
                    working_weekdays=first.working_weekdays,
                    holidays=first.holidays,
                ),
                fields_digest=first.fields_digest if postgres else None,
            ),
        )

    def write_move(
        self,
        item: Item,
        *,
        change: StepChange,
        actor_id: uuid.UUID | None,
        entered_id: uuid.UUID,
        activity: Mapping[str, Any],
    ) -> list[uuid.UUID]:
        """Closes the item's open history row and cancels its armed timers, opens the one of
        ``change.step_id`` (id ``entered_id``), logs ``item.moved`` with ``activity`` and
        writes ``change`` to the item; the ids of the history rows closed (one, unless the
        item's history is broken).

        ``item`` then holds the written values as stored ones, so the commit's flush has
        nothing to write for them; changes made to it before are flushed first (the
        returned row replaces every stored value of the object).
        """
        session = self.session
        if session.is_modified(item):
            session.flush()
        params = {
            "p_tenant_id": item.tenant_id,
            "p_item_id": item.id,
            "p_now": change.at,
            "p_actor_id": actor_id,
            "p_entered_id": entered_id,
            "p_step_id": change.step_id,
            "p_activity_id": uuid.uuid4(),
            "p_data": activity,
            "p_version": change.version,
            "p_values": change.field_values,
            "p_errors": change.calculation_errors,
        }
        exited: list[uuid.UUID]
        if session.get_bind().dialect.name == "postgresql":
            row = session.execute(_STEP_CHANGE_PG, params).one()
            exited = list(row.closed_ids or ())
        else:
            exited = list(session.execute(_CLOSE, params).scalars())
            if len(exited) == 1:
                session.execute(_CANCEL, {**params, "p_exited_id": exited[0]})
            session.execute(_OPEN, params)
            session.execute(_LOG, params)
            session.execute(_ITEM_MOVED, params).all()
        # Written past the unit of work's flush, which therefore cannot announce it.
        announced_changes.record(session, [announced_changes.item_moved(item)])
        return exited
