"""Domain events become durable side effects inside the transaction that caused them.

Every service that changes an item calls ``record`` with the events it produced
before it commits. Notifications, automations and timers hang off this one
function, so no write path (API, UI, bulk, automation, import) can skip them.

What ``record`` writes:

- a rule that fires now (``on_enter``, ``on_exit``, ``on_field_change``, whose
  condition holds) becomes one outbox job: ``notification.fire`` for a
  notification rule, ``automation.run`` for an automation rule, except
  ``move_to_step`` automations, which the change that fires them follows and
  records itself (``moves.route_automatically``);
- entering a step arms a timer per ``on_duration`` / ``at_risk`` rule (but the
  first occurrence of a ``move_to_step`` one due at once, which the move follows), leaving
  it cancels the stay's timers; ``fire_due_timers`` (run by the worker) turns
  due timers into the same jobs and arms the next occurrence of repeating ones;
- newly assigned accounts get an ``item_assigned`` notification, and a step
  whose assignment rules found nobody tells the pipeline owner and the admins.

Every fired-rule job carries the same payload (``rule_payload``), the contract
for the handlers of each kind.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter

from pacetrack.db import timers as timer_rows
from pacetrack.db.tables import Item, PipelineInstance
from pacetrack.db.tables_delivery import ARMED, CANCELLED, Timer
from pacetrack.engine.calendar import BusinessCalendar
from pacetrack.engine.config import AutomationRule, NotificationRule, StepConfig
from pacetrack.engine.events import (
    AssignmentUnresolved,
    DomainEvent,
    FieldChange,
    FieldsChanged,
    ItemAssigned,
    StepEntered,
    StepExited,
)
from pacetrack.engine.fields import FieldSpec
from pacetrack.engine.timers import next_due
from pacetrack.engine.triggers import (
    Firing,
    InstantTrigger,
    RuleKind,
    condition_holds,
    decide_instant,
    decided_at_entry,
    planned_timers,
    routes_the_item,
)
from pacetrack.services import step_configs
from pacetrack.services.context import ADMIN, Actor
from pacetrack.services.unit_of_work import UnitOfWork

NOTIFICATION_JOB = "notification.fire"
AUTOMATION_JOB = "automation.run"
JOB_KINDS: Mapping[RuleKind, str] = {"notification": NOTIFICATION_JOB, "automation": AUTOMATION_JOB}
"""The outbox kind each kind of fired rule becomes; the worker maps kinds to handlers."""

_RULE_ADAPTERS: Mapping[str, TypeAdapter[Any]] = {
    "notification": TypeAdapter(NotificationRule),
    "automation": TypeAdapter(AutomationRule),
}


def dump_rule(kind: str, rule: NotificationRule | AutomationRule) -> dict[str, Any]:
    dumped: dict[str, Any] = _RULE_ADAPTERS[kind].dump_python(rule, mode="json", exclude_none=True)
    return dumped


def load_rule(kind: str, document: Mapping[str, Any]) -> Any:
    """The typed rule of a job payload or timer (``NotificationRule`` / ``AutomationRule``)."""
    return _RULE_ADAPTERS[kind].validate_python(dict(document))


def rule_payload(
    *,
    kind: str,
    rule: Mapping[str, Any],
    trigger: str,
    item_id: uuid.UUID,
    step_id: uuid.UUID | None,
    history_id: uuid.UUID | None,
    actor_id: uuid.UUID | None,
    triggered_at: datetime,
    occurrence: int | None = None,
    changes: Sequence[FieldChange] = (),
    context: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The payload of a fired-rule job (``notification.fire``, ``automation.run``)."""
    return {
        "rule_kind": kind,
        "rule_id": str(rule.get("id", "")),
        "rule": dict(rule),
        "trigger": trigger,
        "item_id": str(item_id),
        "step_id": str(step_id) if step_id else None,
        "history_id": str(history_id) if history_id else None,
        "actor_id": str(actor_id) if actor_id else None,
        "triggered_at": triggered_at.isoformat(),
        "occurrence": occurrence,
        "changes": [
            {"field": change.field, "old": change.old, "new": change.new} for change in changes
        ],
        "context": dict(context or {}),
    }


@dataclass(kw_only=True)
class _Scope:
    """Per-call caches: one tenant, a few steps."""

    uow: UnitOfWork
    tenant_id: uuid.UUID
    configs: dict[uuid.UUID, StepConfig | None] = field(default_factory=dict)
    _fields: dict[str, FieldSpec] | None = None
    _calendar: BusinessCalendar | None = None

    def config(self, step_id: uuid.UUID | None) -> StepConfig | None:
        if step_id is None:
            return None
        if step_id not in self.configs:
            self.configs[step_id] = step_configs.config_of_step(
                self.uow, tenant_id=self.tenant_id, step_id=step_id
            )
        return self.configs[step_id]

    @property
    def fields(self) -> dict[str, FieldSpec]:
        if self._fields is None:
            self._fields = step_configs.field_specs(self.uow, tenant_id=self.tenant_id)
        return self._fields

    @property
    def calendar(self) -> BusinessCalendar:
        if self._calendar is None:
            self._calendar = step_configs.tenant_calendar(self.uow, tenant_id=self.tenant_id)
        return self._calendar


def _condition_met(scope: _Scope, firing: Firing, *, item: Item, now: datetime) -> bool:
    result = condition_holds(
        firing.rule,
        fields=scope.fields,
        values=item.field_values or {},
        now=now,
        calendar=scope.calendar,
    )
    if result.error is not None:
        _condition_failed(scope, firing, item=item, error=result.error, now=now)
    return result.holds


def _condition_failed(
    scope: _Scope, firing: Firing, *, item: Item, error: str, now: datetime
) -> None:
    scope.uow.activity.log(
        tenant_id=item.tenant_id,
        item_id=item.id,
        actor_id=None,
        kind="rule.condition_failed",
        data={"rule_kind": firing.kind, "rule_id": firing.rule.id, "error": error},
        at=now,
    )


def _fire_instant(
    scope: _Scope,
    *,
    trigger: InstantTrigger,
    config: StepConfig | None,
    item: Item,
    event: StepEntered | StepExited | FieldsChanged,
    history_id: uuid.UUID | None,
    now: datetime,
) -> None:
    if config is None:
        return
    changes = event.changes if isinstance(event, FieldsChanged) else ()
    decided = decide_instant(
        config,
        trigger=trigger,
        changes=changes,
        fields=scope.fields,
        values=item.field_values or {},
        now=now,
        calendar=scope.calendar,
    )
    for entry in decided:
        firing = entry.firing
        if routes_the_item(firing):
            continue
        if entry.condition.error is not None:
            _condition_failed(scope, firing, item=item, error=entry.condition.error, now=now)
        if not entry.condition.holds:
            continue
        scope.uow.outbox.enqueue(
            tenant_id=item.tenant_id,
            kind=JOB_KINDS[firing.kind],
            payload=rule_payload(
                kind=firing.kind,
                rule=dump_rule(firing.kind, firing.rule),
                trigger=trigger,
                item_id=item.id,
                step_id=event.step_id,
                history_id=history_id,
                actor_id=event.actor_id,
                triggered_at=event.at,
                changes=changes,
            ),
            now=now,
        )


def _arm_timers(scope: _Scope, *, config: StepConfig, item: Item, event: StepEntered) -> None:
    rows = []
    for planned in planned_timers(config, entered_at=event.at, calendar=scope.calendar):
        firing, due = planned.firing, planned.due
        if decided_at_entry(planned, entered_at=event.at):
            # The move entering the step has followed the first occurrence itself.
            following = next_due(
                firing.rule,
                entered_at=event.at,
                fired_occurrence=due.occurrence,
                now=event.at,
                target_duration_days=config.target_duration_days,
                calendar=scope.calendar,
            )
            if following is None:
                continue
            due = following
        rows.append(
            Timer(
                tenant_id=item.tenant_id,
                id=uuid.uuid4(),
                item_id=item.id,
                step_id=event.step_id,
                history_id=event.history_id,
                rule_kind=firing.kind,
                rule_id=firing.rule.id,
                trigger=firing.rule.trigger,
                occurrence=due.occurrence,
                entered_at=event.at,
                due_at=due.due_at,
                status=ARMED,
                rule={
                    **dump_rule(firing.kind, firing.rule),
                    "target_duration_days": config.target_duration_days,
                },
                created_at=event.at,
            )
        )
    timer_rows.arm(scope.uow.session, rows)


def _notify_system(
    scope: _Scope,
    *,
    item: Item,
    event: ItemAssigned | AssignmentUnresolved,
    rule: dict[str, Any],
    trigger: str,
    now: datetime,
    context: Mapping[str, Any] | None = None,
) -> None:
    scope.uow.outbox.enqueue(
        tenant_id=item.tenant_id,
        kind=NOTIFICATION_JOB,
        payload=rule_payload(
            kind="notification",
            rule=rule,
            trigger=trigger,
            item_id=item.id,
            step_id=event.step_id,
            history_id=None,
            actor_id=event.actor_id,
            triggered_at=event.at,
            context=context,
        ),
        now=now,
    )


def record(
    uow: UnitOfWork,
    *,
    actor: Actor,
    item: Item,
    events: Sequence[DomainEvent],
    timers_cancelled_for: Collection[uuid.UUID] = (),
) -> None:
    """Writes the outbox rows and arms or cancels the timers that ``events`` call for.

    ``timers_cancelled_for``: the stays (history ids) whose timers the caller has
    cancelled already in the statement that closed them (the move does, to save a
    round trip).
    """
    del actor  # each event names its actor
    if not events:
        return
    session = uow.session
    now = uow.clock.now()
    scope = _Scope(uow=uow, tenant_id=item.tenant_id)
    for event in events:
        if isinstance(event, StepEntered):
            config = scope.config(event.step_id)
            _fire_instant(
                scope,
                trigger="on_enter",
                config=config,
                item=item,
                event=event,
                history_id=event.history_id,
                now=now,
            )
            if config is not None:
                _arm_timers(scope, config=config, item=item, event=event)
        elif isinstance(event, StepExited):
            if event.history_id not in timers_cancelled_for:
                timer_rows.cancel_for_stay(
                    session, tenant_id=item.tenant_id, history_id=event.history_id, now=now
                )
            _fire_instant(
                scope,
                trigger="on_exit",
                config=scope.config(event.step_id),
                item=item,
                event=event,
                history_id=event.history_id,
                now=now,
            )
        elif isinstance(event, FieldsChanged):
            _fire_instant(
                scope,
                trigger="on_field_change",
                config=scope.config(event.step_id),
                item=item,
                event=event,
                history_id=None,
                now=now,
            )
        elif isinstance(event, ItemAssigned) and event.added:
            _notify_system(
                scope,
                item=item,
                event=event,
                rule={
                    "id": "item_assigned",
                    "trigger": "on_enter",
                    "template": "item_assigned",
                    "recipients": [{"type": "user", "id": str(a)} for a in event.added],
                },
                trigger="assigned",
                now=now,
            )
        elif isinstance(event, AssignmentUnresolved):
            instance = session.get(PipelineInstance, (item.tenant_id, item.pipeline_instance_id))
            recipients: list[dict[str, Any]] = [{"type": "role", "id": ADMIN}]
            if instance is not None and instance.owner_account_id is not None:
                recipients.insert(0, {"type": "user", "id": str(instance.owner_account_id)})
            _notify_system(
                scope,
                item=item,
                event=event,
                rule={
                    "id": "assignment_unresolved",
                    "trigger": "on_enter",
                    "template": "assignment_unresolved",
                    "recipients": recipients,
                },
                trigger="assignment_unresolved",
                now=now,
                context={"rule_type": event.rule_type, "reason": event.reason},
            )


def fire_due_timers(uow: UnitOfWork, *, limit: int = 200) -> int:
    """Fires up to ``limit`` due timers in one transaction and commits; returns how many.

    A timer whose item has left the step (or is gone) is cancelled instead. A
    repeating rule arms its next occurrence: the first one still in the future,
    so missed days during downtime produce one late firing, not a burst.
    """
    session = uow.session
    now = uow.clock.now()
    due = timer_rows.claim_due(session, now=now, limit=limit)
    if not due:
        return 0
    items = timer_rows.items_of(session, due)
    scopes: dict[uuid.UUID, _Scope] = {}
    for timer in due:
        item = items.get((timer.tenant_id, timer.item_id))
        if item is None or item.current_step_id != timer.step_id or item.status != "active":
            timer.status = CANCELLED
            timer.fired_at = now
            continue
        timer_rows.mark_fired(timer, now=now)
        scope = scopes.setdefault(timer.tenant_id, _Scope(uow=uow, tenant_id=timer.tenant_id))
        document = {
            key: value for key, value in timer.rule.items() if key != "target_duration_days"
        }
        rule = load_rule(timer.rule_kind, document)
        kind: RuleKind = "automation" if timer.rule_kind == "automation" else "notification"
        firing = Firing(kind=kind, rule=rule)
        if _condition_met(scope, firing, item=item, now=now):
            uow.outbox.enqueue(
                tenant_id=timer.tenant_id,
                kind=JOB_KINDS[kind],
                payload=rule_payload(
                    kind=kind,
                    rule=document,
                    trigger=timer.trigger,
                    item_id=timer.item_id,
                    step_id=timer.step_id,
                    history_id=timer.history_id,
                    actor_id=None,
                    triggered_at=timer.due_at,
                    occurrence=timer.occurrence,
                    context={
                        "timer_id": str(timer.id),
                        "fired_at": now.isoformat(),
                        "target_duration_days": timer.rule.get("target_duration_days"),
                    },
                ),
                now=now,
            )
        following = next_due(
            rule,
            entered_at=timer.entered_at,
            fired_occurrence=timer.occurrence,
            now=now,
            target_duration_days=timer.rule.get("target_duration_days"),
            calendar=scope.calendar,
        )
        if following is not None:
            session.add(
                Timer(
                    tenant_id=timer.tenant_id,
                    id=uuid.uuid4(),
                    item_id=timer.item_id,
                    step_id=timer.step_id,
                    history_id=timer.history_id,
                    rule_kind=timer.rule_kind,
                    rule_id=timer.rule_id,
                    trigger=timer.trigger,
                    occurrence=following.occurrence,
                    entered_at=timer.entered_at,
                    due_at=following.due_at,
                    status=ARMED,
                    rule=timer.rule,
                    created_at=now,
                )
            )
    uow.commit()
    return len(due)
