"""The set-based statements of an upgrade to another template version.

An upgrade touches every item of a pipeline and the timers of whole steps, so each
change is one statement over a step's rows (``UPDATE … WHERE current_step_id = …``,
``INSERT … SELECT``), never a statement per item. Identifiers of new rows are made by
the database (``dialect.new_id``). Calendar-day due times are computed in SQL; a
business-day rule depends on the tenant's calendar and is computed per timer here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    Table,
    Uuid,
    bindparam,
    exists,
    func,
    insert,
    literal,
    not_,
    select,
    tuple_,
    update,
)

from pacetrack.db import changes, repository
from pacetrack.db.repositories.base import Repository
from pacetrack.db.repositories.dialect import inserted_count, new_id, plus_days
from pacetrack.db.tables import Activity, Item, ItemStepHistory, PipelineInstance
from pacetrack.db.tables_delivery import ARMED, CANCELLED, Timer
from pacetrack.db.types import Json, UTCDateTime

_ITEM = cast(Table, Item.__table__)
_HISTORY = cast(Table, ItemStepHistory.__table__)
_TIMER = cast(Table, Timer.__table__)
_ACTIVITY = cast(Table, Activity.__table__)
ACTIVE = "active"


@dataclass(frozen=True, kw_only=True)
class StepRows:
    """The rows of one step of one pipeline."""

    tenant_id: uuid.UUID
    instance_id: uuid.UUID
    step_id: uuid.UUID


@dataclass(frozen=True, kw_only=True)
class TimedRule:
    """A timed rule as the timers of a step are to follow it.

    Occurrence ``k`` falls due ``first + (k - 1) * every`` days after the stay's entry
    (``every`` None: occurrence 1 only); ``due``: a business-day rule's due time for an
    (entry, occurrence), computed here per timer."""

    kind: str
    rule_id: str
    trigger: str
    document: Mapping[str, Any]
    first: int
    every: int | None
    due: Callable[[datetime, int], datetime] | None


@dataclass(frozen=True, kw_only=True)
class NewTimer:
    """A timer to arm for every item moved into a step now (all due at ``due_at``)."""

    kind: str
    rule_id: str
    trigger: str
    document: Mapping[str, Any]
    due_at: datetime


_TIMER_COLUMNS = [
    "tenant_id",
    "id",
    "item_id",
    "step_id",
    "history_id",
    "rule_kind",
    "rule_id",
    "trigger",
    "occurrence",
    "entered_at",
    "due_at",
    "status",
    "rule",
    "created_at",
]


def _items_at(rows: StepRows) -> Any:
    return select(_ITEM.c.id).where(
        _ITEM.c.tenant_id == rows.tenant_id,
        _ITEM.c.pipeline_instance_id == rows.instance_id,
        _ITEM.c.current_step_id == rows.step_id,
    )


def _armed_at(rows: StepRows) -> list[ColumnElement[bool]]:
    return [
        _TIMER.c.tenant_id == rows.tenant_id,
        _TIMER.c.status == ARMED,
        _TIMER.c.step_id == rows.step_id,
        _TIMER.c.item_id.in_(_items_at(rows)),
    ]


def _of_rule(rows: StepRows, kind: str, rule_id: str) -> list[ColumnElement[bool]]:
    return [*_armed_at(rows), _TIMER.c.rule_kind == kind, _TIMER.c.rule_id == rule_id]


def _rowcount(result: Any) -> int:
    return int(result.rowcount)


class UpgradeRepository(Repository):
    def locked_instance(
        self, *, tenant_id: uuid.UUID, instance_id: uuid.UUID
    ) -> PipelineInstance | None:
        """The pipeline, its row locked (one upgrade of it at a time); None when there is none."""
        found = self.session.execute(
            select(PipelineInstance.id)
            .where(PipelineInstance.tenant_id == tenant_id, PipelineInstance.id == instance_id)
            .with_for_update()
        ).first()
        if found is None:
            return None
        return repository.get(self.session, PipelineInstance, tenant_id=tenant_id, id=instance_id)

    def share_instance(self, *, tenant_id: uuid.UUID, instance_id: uuid.UUID) -> None:
        """Holds off an upgrade of the pipeline until this transaction ends (an item created
        now lands in a step of the version the pipeline runs when it commits)."""
        self.session.execute(
            select(PipelineInstance.id)
            .where(PipelineInstance.tenant_id == tenant_id, PipelineInstance.id == instance_id)
            .with_for_update(read=True, key_share=True)
        )

    def touch_items(self, *, tenant_id: uuid.UUID, instance_id: uuid.UUID, now: datetime) -> int:
        """Locks every item of the pipeline by writing its version (waiting for the moves in
        flight): a move that waited for one of them sees the change and reads its pipeline
        again (``services.step_configs.lock_item_with_pipeline``), and a form opened before
        the upgrade is refused as stale instead of saving against the old rules."""
        result = self.session.execute(
            update(_ITEM)
            .where(_ITEM.c.tenant_id == tenant_id, _ITEM.c.pipeline_instance_id == instance_id)
            .values(version=_ITEM.c.version + 1, updated_at=now)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def items_per_step(
        self, *, tenant_id: uuid.UUID, instance_id: uuid.UUID
    ) -> dict[uuid.UUID, int]:
        rows = self.session.execute(
            select(_ITEM.c.current_step_id, func.count())
            .where(_ITEM.c.tenant_id == tenant_id, _ITEM.c.pipeline_instance_id == instance_id)
            .group_by(_ITEM.c.current_step_id)
        )
        return {step_id: int(count) for step_id, count in rows if step_id is not None}

    def _cancel(self, where: Sequence[ColumnElement[bool]], now: datetime) -> int:
        statement = update(_TIMER).where(*where).values(status=CANCELLED, fired_at=now)
        return _rowcount(self.session.execute(statement))

    def cancel_all_but(
        self, rows: StepRows, *, keep: Collection[tuple[str, str]], now: datetime
    ) -> int:
        """Cancels the armed timers at the step whose (kind, rule id) is not in ``keep``."""
        where = _armed_at(rows)
        if keep:
            where.append(not_(tuple_(_TIMER.c.rule_kind, _TIMER.c.rule_id).in_(list(keep))))
        return self._cancel(where, now)

    def cancel_rule(self, rows: StepRows, *, kind: str, rule_id: str, now: datetime) -> int:
        """Cancels the armed timers of one rule at the step."""
        return self._cancel(_of_rule(rows, kind, rule_id), now)

    def rearm(self, rows: StepRows, rule: TimedRule, *, now: datetime) -> tuple[int, int]:
        """The armed timers of ``rule`` at the step follow its new settings: due again from the
        stay's entry, keeping their occurrence, with the new rule copy; an occurrence the rule
        no longer has is cancelled. (re-armed, cancelled)."""
        of_rule = _of_rule(rows, rule.kind, rule.rule_id)
        cancelled = 0
        if rule.every is None:
            cancelled = self._cancel([*of_rule, _TIMER.c.occurrence > 1], now)
        values: dict[str, Any] = {"rule": dict(rule.document), "trigger": rule.trigger}
        if rule.due is None:
            days = literal(rule.first, Integer) + (_TIMER.c.occurrence - 1) * literal(
                rule.every or 0, Integer
            )
            values["due_at"] = plus_days(self.session, _TIMER.c.entered_at, days)
            result = self.session.execute(update(_TIMER).where(*of_rule).values(**values))
            return _rowcount(result), cancelled
        timers = self.session.execute(
            select(_TIMER.c.id, _TIMER.c.entered_at, _TIMER.c.occurrence).where(*of_rule)
        ).all()
        if timers:
            self.session.execute(
                update(_TIMER)
                .where(_TIMER.c.tenant_id == rows.tenant_id, _TIMER.c.id == bindparam("p_id"))
                .values(due_at=bindparam("p_due"), **values),
                [
                    {"p_id": timer_id, "p_due": rule.due(entered_at, occurrence)}
                    for timer_id, entered_at, occurrence in timers
                ],
            )
        return len(timers), cancelled

    def _timer_insert(
        self,
        *,
        step_id: uuid.UUID,
        timer: NewTimer | TimedRule,
        due_at: ColumnElement[datetime],
        entered_at: ColumnElement[datetime],
        where: Sequence[ColumnElement[bool]],
        now: datetime,
    ) -> int:
        chosen = select(
            _HISTORY.c.tenant_id,
            new_id(self.session),
            _HISTORY.c.item_id,
            literal(step_id, Uuid),
            _HISTORY.c.id,
            literal(timer.kind, String),
            literal(timer.rule_id, String),
            literal(timer.trigger, String),
            literal(1, Integer),
            entered_at,
            due_at,
            literal(ARMED, String),
            literal(dict(timer.document), Json),
            literal(now, UTCDateTime()),
        ).where(*where)
        return inserted_count(self.session, insert(_TIMER).from_select(_TIMER_COLUMNS, chosen))

    def arm_for_stays(self, rows: StepRows, rule: TimedRule, *, now: datetime) -> int:
        """Arms occurrence 1 of a rule new to the step for every active item in it, due
        ``rule.first`` days after the item entered the step. A stay that has a timer of the
        rule already is skipped."""
        where = [
            _HISTORY.c.tenant_id == rows.tenant_id,
            _HISTORY.c.step_id == rows.step_id,
            _HISTORY.c.exited_at.is_(None),
            _HISTORY.c.item_id.in_(_items_at(rows).where(_ITEM.c.status == ACTIVE)),
            ~exists().where(
                _TIMER.c.tenant_id == _HISTORY.c.tenant_id,
                _TIMER.c.item_id == _HISTORY.c.item_id,
                _TIMER.c.history_id == _HISTORY.c.id,
                _TIMER.c.rule_id == rule.rule_id,
            ),
        ]
        if rule.due is None:
            return self._timer_insert(
                step_id=rows.step_id,
                timer=rule,
                due_at=plus_days(self.session, _HISTORY.c.entered_at, literal(rule.first, Integer)),
                entered_at=_HISTORY.c.entered_at,
                where=where,
                now=now,
            )
        stays = self.session.execute(
            select(_HISTORY.c.id, _HISTORY.c.item_id, _HISTORY.c.entered_at).where(*where)
        ).all()
        if stays:
            self.session.execute(
                insert(_TIMER),
                [
                    {
                        "tenant_id": rows.tenant_id,
                        "id": uuid.uuid4(),
                        "item_id": item_id,
                        "step_id": rows.step_id,
                        "history_id": history_id,
                        "rule_kind": rule.kind,
                        "rule_id": rule.rule_id,
                        "trigger": rule.trigger,
                        "occurrence": 1,
                        "entered_at": entered_at,
                        "due_at": rule.due(entered_at, 1),
                        "status": ARMED,
                        "rule": dict(rule.document),
                        "created_at": now,
                    }
                    for history_id, item_id, entered_at in stays
                ],
            )
        return len(stays)

    def map_items(
        self,
        source: StepRows,
        *,
        to_step: uuid.UUID,
        actor_id: uuid.UUID | None,
        activity: Mapping[str, Any],
        timers: Sequence[NewTimer],
        now: datetime,
    ) -> tuple[int, int, int]:
        """Moves every item of step ``source`` to ``to_step`` as a move's bookkeeping does: the
        open stay closed and its armed timers cancelled, a stay at the new step opened (entered
        now), an ``item.moved`` activity, and ``timers`` armed for the active items.
        (items moved, timers cancelled, timers armed)."""
        at_step = _items_at(source)
        self.session.execute(
            update(_HISTORY)
            .where(
                _HISTORY.c.tenant_id == source.tenant_id,
                _HISTORY.c.exited_at.is_(None),
                _HISTORY.c.item_id.in_(at_step),
            )
            .values(exited_at=now, exited_by=actor_id)
        )
        cancelled = self.cancel_all_but(source, keep=(), now=now)
        in_source = [
            _ITEM.c.tenant_id == source.tenant_id,
            _ITEM.c.pipeline_instance_id == source.instance_id,
            _ITEM.c.current_step_id == source.step_id,
        ]
        moving = select(_ITEM.c.tenant_id, new_id(self.session), _ITEM.c.id).where(*in_source)
        stay = ["tenant_id", "id", "item_id", "step_id", "entered_at", "exited_at", "entered_by"]
        self.session.execute(
            insert(_HISTORY).from_select(
                [*stay, "exited_by"],
                moving.add_columns(
                    literal(to_step, Uuid),
                    literal(now, UTCDateTime()),
                    literal(None, UTCDateTime()),
                    literal(actor_id, Uuid),
                    literal(None, Uuid),
                ),
            )
        )
        self.session.execute(
            insert(_ACTIVITY).from_select(
                ["tenant_id", "id", "item_id", "actor_account_id", "kind", "data", "created_at"],
                moving.add_columns(
                    literal(actor_id, Uuid),
                    literal("item.moved", String),
                    literal(dict(activity), Json),
                    literal(now, UTCDateTime()),
                ),
            )
        )
        entered = [
            _HISTORY.c.tenant_id == source.tenant_id,
            _HISTORY.c.step_id == to_step,
            _HISTORY.c.entered_at == now,
            _HISTORY.c.exited_at.is_(None),
            _HISTORY.c.item_id.in_(at_step.where(_ITEM.c.status == ACTIVE)),
        ]
        armed = sum(
            self._timer_insert(
                step_id=to_step,
                timer=timer,
                due_at=literal(timer.due_at, UTCDateTime()),
                entered_at=literal(now, UTCDateTime()),
                where=entered,
                now=now,
            )
            for timer in timers
        )
        moved = self.session.execute(
            update(_ITEM).where(*in_source).values(current_step_id=to_step)
        )
        return _rowcount(moved), cancelled, armed

    def announce_upgraded(self, *, tenant_id: uuid.UUID, pipeline_id: uuid.UUID) -> None:
        """Announces with the next commit that the pipeline's board changed as a whole (the
        set-based writes are not seen by the flush)."""
        changes.record(
            self.session, [changes.pipeline_upgraded(tenant_id=tenant_id, pipeline_id=pipeline_id)]
        )
