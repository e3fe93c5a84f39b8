"""Items: create, read, change field values, list; their history and activity log.

Field values are stored in canonical form (``engine.fields.normalize_value``):
a request with any bad value is refused as a whole with a 422 naming each
``field_values.<name>``, and nothing is stored. After every change the current
step's calculations run; a calculation that fails is recorded in
``item.calculation_errors`` and never fails the request. Moves live in
``services.moves``; creating an item and changing its fields may set off the
current step's ``move_to_step`` automations, which go through that same path.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pacetrack.db.tables import Item, Step
from pacetrack.engine.calculation_words import calculation_problem, describe_calculation
from pacetrack.engine.calculations import apply_calculations
from pacetrack.engine.config import StepConfig
from pacetrack.engine.events import DomainEvent, FieldChange, FieldsChanged, ItemCreated
from pacetrack.engine.field_view import field_view
from pacetrack.engine.fields import FieldSpec, FieldType, normalize_value
from pacetrack.engine.transitions import transition_violations
from pacetrack.services import access, approval_checks, side_effects
from pacetrack.services.context import Actor
from pacetrack.services.errors import FieldProblem, InvalidInput, NotFound
from pacetrack.services.input_types import JsonObject, PlainStr, Version
from pacetrack.services.item_status import complete_if_terminal, ensure_allows, record_activity
from pacetrack.services.moves import (
    MoveBlocked,
    creation_entry_violations,
    enter_step,
    entered_event,
    errors_document,
    load_context,
    lock_item_in_context,
    open_history,
    route_automatically,
    step_ref,
)
from pacetrack.services.step_configs import effective_config, field_specs, tenant_calendar
from pacetrack.services.unit_of_work import UnitOfWork

MAX_FIELD_VALUES = 500
ItemStatus = Literal["active", "completed", "archived"]
"""The statuses a list can ask for; deleted items are in no list."""


# --- commands and answers --------------------------------------------------------------------


class ItemCreate(BaseModel):
    """A new item in ``pipeline_instance_id``, at its first step unless ``step_id`` says."""

    model_config = ConfigDict(extra="forbid")
    pipeline_instance_id: uuid.UUID
    name: PlainStr = Field(min_length=1, max_length=300)
    step_id: uuid.UUID | None = None
    field_values: JsonObject = Field(default_factory=dict, max_length=MAX_FIELD_VALUES)
    owner_account_id: uuid.UUID | None = Field(default=None, description="Defaults to the caller")


class ItemFieldsUpdate(BaseModel):
    """Set (or, with null, clear) field values; other fields keep theirs."""

    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID
    field_values: JsonObject = Field(max_length=MAX_FIELD_VALUES)
    expected_version: Version | None = Field(default=None)


class ItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    pipeline_instance_id: uuid.UUID
    current_step_id: uuid.UUID | None
    name: str
    field_values: dict[str, Any]
    calculation_errors: dict[str, Any]
    owner_account_id: uuid.UUID | None
    assigned_account_ids: list[str]
    status: str = Field(description="active, completed or archived")
    outcome: str | None = Field(
        default=None, description="The outcome of the terminal step that completed the item"
    )
    completed_at: datetime | None = None
    archived_at: datetime | None = None
    version: int
    source_item_id: uuid.UUID | None
    created_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    current_step_entered_at: datetime | None = Field(
        default=None,
        description="When the item entered its current step (its open history row); given by "
        "get, list and create",
    )


class StepBrief(BaseModel):
    id: uuid.UUID
    name: str
    order: int


class FieldViewOut(BaseModel):
    visible: list[str]
    required: list[str]
    problems: list[str]


class CalculatedFieldOut(BaseModel):
    """A field the current step calculates: people read it, they do not type it."""

    field_id: str
    formula: str = Field(description="What the value is made of, fields named by their labels")
    error: str | None = Field(
        default=None, description="Why the last calculation failed, in words; None when it worked"
    )


class ItemDetail(BaseModel):
    item: ItemOut
    step: StepBrief | None
    field_view: FieldViewOut
    calculated_fields: list[CalculatedFieldOut] = Field(
        default_factory=list,
        description="The current step's calculated fields, with their formulas and errors",
    )
    allowed_next_steps: list[StepBrief] = Field(
        description="The steps the current step's transition rules let the item move to, in "
        "pipeline order (the move still checks validations, approvals and entry requirements)"
    )
    time_zone: str = Field(description="The tenant's time zone, for showing datetimes")


class ItemPage(BaseModel):
    items: list[ItemOut]
    total: int
    limit: int
    offset: int
    time_zone: str = Field(description="The tenant's time zone, for showing datetimes")


class HistoryEntryOut(BaseModel):
    id: uuid.UUID
    step_id: uuid.UUID
    step_name: str
    entered_at: datetime
    exited_at: datetime | None
    duration_seconds: float
    entered_by: uuid.UUID | None
    exited_by: uuid.UUID | None


class ValidationFailureOut(BaseModel):
    rule_id: str
    field_id: str | None
    step_id: uuid.UUID
    target_step_id: uuid.UUID | None
    message: str
    automatic: bool
    actor_account_id: uuid.UUID | None
    created_at: datetime


class ItemHistoryOut(BaseModel):
    item_id: uuid.UUID
    entries: list[HistoryEntryOut]
    validation_failures: list[ValidationFailureOut]


class ActivityOut(BaseModel):
    id: uuid.UUID
    kind: str
    actor_account_id: uuid.UUID | None
    data: dict[str, Any]
    created_at: datetime


def item_out(item: Item, *, entered_at: datetime | None = None) -> ItemOut:
    return ItemOut(
        id=item.id,
        pipeline_instance_id=item.pipeline_instance_id,
        current_step_id=item.current_step_id,
        name=item.name,
        field_values=dict(item.field_values or {}),
        calculation_errors=dict(item.calculation_errors or {}),
        owner_account_id=item.owner_account_id,
        assigned_account_ids=[str(a) for a in item.assigned_account_ids or []],
        status=item.status,
        outcome=item.outcome,
        completed_at=item.completed_at,
        archived_at=item.archived_at,
        version=item.version,
        source_item_id=item.source_item_id,
        created_by=item.created_by,
        created_at=item.created_at,
        updated_at=item.updated_at,
        current_step_entered_at=entered_at,
    )


# --- field values ----------------------------------------------------------------------------


def normalize_values(
    uow: UnitOfWork,
    *,
    tenant_id: uuid.UUID,
    fields: Mapping[str, FieldSpec],
    raw: Mapping[str, Any],
) -> dict[str, Any]:
    """Canonical values for ``raw`` (None clears a field); every bad value is reported."""
    problems: list[FieldProblem] = []
    normalized: dict[str, Any] = {}
    accounts: dict[str, uuid.UUID] = {}
    for name, value in raw.items():
        path = f"field_values.{name}"
        spec = fields.get(name)
        if spec is None:
            problems.append(FieldProblem(field=path, message="unknown field"))
            continue
        result = normalize_value(spec, value)
        if result.error is not None:
            problems.append(FieldProblem(field=path, message=result.error))
            continue
        if spec.field_type is FieldType.USER and result.value is not None:
            accounts[name] = uuid.UUID(result.value)
        normalized[name] = result.value
    active = uow.items.active_accounts_among(tenant_id, set(accounts.values()))
    for name, account_id in accounts.items():
        if account_id not in active:
            problems.append(
                FieldProblem(
                    field=f"field_values.{name}",
                    message=f"{fields[name].display_name} must name an active account",
                )
            )
    if problems:
        raise InvalidInput(problems)
    return normalized


def merged_values(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``current`` with ``changes`` over it (a None change clears the field)."""
    merged = dict(current)
    for name, value in changes.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


def _changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    return tuple(
        FieldChange(field=name, old=before.get(name), new=after.get(name))
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    )


# --- use cases -------------------------------------------------------------------------------


def create_item(uow: UnitOfWork, actor: Actor, data: ItemCreate) -> ItemOut:
    tenant_id = actor.tenant_id
    instance = access.ensure_can_see_instance(uow, actor, data.pipeline_instance_id)
    uow.upgrades.share_instance(tenant_id=tenant_id, instance_id=instance.id)
    steps = uow.steps.running(tenant_id, instance.id)
    if not steps:
        raise InvalidInput.one("pipeline_instance_id", "the pipeline instance has no steps")
    if data.step_id is None:
        step = steps[0]
    else:
        chosen = next((s for s in steps if s.id == data.step_id), None)
        if chosen is None:
            raise InvalidInput.one("step_id", "not a step of this pipeline instance")
        step = chosen
    owner = data.owner_account_id or actor.account_id
    if data.owner_account_id is not None and not uow.items.active_accounts_among(
        tenant_id, {data.owner_account_id}
    ):
        raise InvalidInput.one("owner_account_id", "must name an active account")
    fields = field_specs(uow, tenant_id=tenant_id)
    values = merged_values(
        {}, normalize_values(uow, tenant_id=tenant_id, fields=fields, raw=data.field_values)
    )
    config = effective_config(uow, tenant_id=tenant_id, step=step)
    calendar = tenant_calendar(uow, tenant_id=tenant_id)
    now = uow.clock.now()
    values, errors = apply_calculations(
        config=config, fields=fields, values=values, now=now, calendar=calendar
    )
    blocked = creation_entry_violations(
        uow, step=step, config=config, fields=fields, values=values, calendar=calendar
    )
    if blocked:
        raise MoveBlocked(blocked, f"The item cannot be created at {step.name}.")
    item = Item(
        tenant_id=tenant_id,
        id=uuid.uuid4(),
        pipeline_instance_id=instance.id,
        current_step_id=step.id,
        name=data.name,
        field_values=values,
        calculation_errors=errors_document(errors),
        owner_account_id=owner,
        assigned_account_ids=[],
        status="active",
        version=1,
        source_item_id=None,
        created_by=actor.account_id,
        created_at=now,
        updated_at=now,
    )
    uow.items.add(item)
    history = open_history(uow, item=item, step=step, actor=actor, at=now)
    record_activity(
        uow,
        item=item,
        actor=actor,
        kind="item.created",
        data={"step_id": str(step.id), "step": step.name, "name": item.name},
        at=now,
    )
    events: list[DomainEvent] = [
        ItemCreated(item_id=item.id, at=now, actor_id=actor.account_id, step_id=step.id),
        entered_event(item=item, actor=actor, step=step, history=history, at=now),
    ]
    events.extend(enter_step(uow, actor=actor, item=item, step=step, config=config))
    side_effects.record(uow, actor=actor, item=item, events=events)
    complete_if_terminal(uow, actor=actor, item=item, step=step, config=config, at=now)
    uow.flush()
    context = load_context(uow, item=item)
    route_automatically(uow, actor=actor, item=item, context=context, entered=True)
    entered_at = (
        history.entered_at
        if not any(move.moved for move in context.automatic_moves)
        else uow.items.entered_at(tenant_id, [item.id]).get(item.id)
    )
    uow.commit()
    return item_out(item, entered_at=entered_at)


def _step_brief(step: Step | None) -> StepBrief | None:
    return StepBrief(id=step.id, name=step.name, order=step.position) if step else None


def get_item(uow: UnitOfWork, actor: Actor, item_id: uuid.UUID) -> ItemDetail:
    """The item, its current step, which fields that step shows and requires, and the steps
    its transition rules allow next (decided by the move path's own ``transition_violations``)."""
    item = uow.items.get(actor.tenant_id, item_id)
    if item is None:
        raise NotFound("Item not found.")
    access.ensure_can_see_item(uow, actor, item)
    context = load_context(uow, item=item)
    step = context.step(item.current_step_id)
    view = FieldViewOut(visible=[], required=[], problems=[])
    allowed: list[StepBrief] = []
    calculated: list[CalculatedFieldOut] = []
    if step is not None:
        config = context.config(uow, step)
        calculated = _calculated_fields(config, context.fields, item.calculation_errors or {})
        computed = field_view(
            config=config,
            fields=context.fields,
            values=item.field_values or {},
            now=uow.clock.now(),
            calendar=context.calendar,
        )
        view = FieldViewOut(
            visible=list(computed.visible),
            required=list(computed.required),
            problems=list(computed.problems),
        )
        refs = [step_ref(candidate) for candidate in context.steps]
        here = step_ref(step)
        allowed = [
            StepBrief(id=ref.id, name=ref.name, order=ref.position)
            for ref in refs
            if not transition_violations(
                current=here, target=ref, steps=refs, settings=config.settings
            )
        ]
    entered = uow.items.entered_at(actor.tenant_id, [item.id])
    return ItemDetail(
        item=item_out(item, entered_at=entered.get(item.id)),
        step=_step_brief(step),
        field_view=view,
        calculated_fields=calculated,
        allowed_next_steps=allowed,
        time_zone=context.calendar.time_zone,
    )


def _calculated_fields(
    config: StepConfig, fields: Mapping[str, FieldSpec], errors: Mapping[str, Any]
) -> list[CalculatedFieldOut]:
    """Each calculated field of ``config`` with its formula and the last failure, if any
    (``errors``: the item's ``calculation_errors``, by calculation id)."""
    out: list[CalculatedFieldOut] = []
    for calc in config.calculations:
        failure = errors.get(calc.id)
        message = failure.get("message") if isinstance(failure, Mapping) else None
        out.append(
            CalculatedFieldOut(
                field_id=calc.output_field_id,
                formula=describe_calculation(calc, fields),
                error=calculation_problem(str(message), fields) if message else None,
            )
        )
    return out


def update_fields(uow: UnitOfWork, actor: Actor, data: ItemFieldsUpdate) -> ItemOut:
    """Change field values; recalculates, bumps the version and may route the item on."""
    item, context = lock_item_in_context(
        uow, actor, data.id, expected_version=data.expected_version
    )
    ensure_allows(item, "change")
    normalized = normalize_values(
        uow, tenant_id=actor.tenant_id, fields=context.fields, raw=data.field_values
    )
    before = dict(item.field_values or {})
    step = context.step(item.current_step_id)
    now = uow.clock.now()
    values = merged_values(before, normalized)
    errors = None
    if step is not None:
        values, errors = apply_calculations(
            config=context.config(uow, step),
            fields=context.fields,
            values=values,
            now=now,
            calendar=context.calendar,
        )
    changes = _changes(before, values)
    if not changes:
        return item_out(item)
    item.field_values = values
    if errors is not None:
        item.calculation_errors = errors_document(errors)
    item.version += 1
    item.updated_at = now
    record_activity(
        uow,
        item=item,
        actor=actor,
        kind="item.fields_changed",
        data={
            "step_id": str(item.current_step_id) if item.current_step_id else None,
            "version": item.version,
            "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in changes],
        },
        at=now,
    )
    event = FieldsChanged(
        item_id=item.id,
        at=now,
        actor_id=actor.account_id,
        step_id=item.current_step_id,
        changes=changes,
    )
    side_effects.record(uow, actor=actor, item=item, events=[event])
    if step is not None:
        uow.flush()
        approval_checks.fields_changed(
            uow,
            item=item,
            step=step,
            config=context.config(uow, step),
            changed=[change.field for change in changes],
        )
        route_automatically(
            uow, actor=actor, item=item, context=context, entered=False, changes=changes
        )
    uow.commit()
    return item_out(item)


def list_items(
    uow: UnitOfWork,
    actor: Actor,
    *,
    pipeline_instance_id: uuid.UUID | None = None,
    step_id: uuid.UUID | None = None,
    assignee: uuid.UUID | None = None,
    status: ItemStatus = "active",
    limit: int = 50,
    offset: int = 0,
) -> ItemPage:
    """The tenant's items with ``status`` (open ones unless asked) matching every given
    filter, newest first, with the total."""
    rows, total = uow.items.page(
        actor.tenant_id,
        status=status,
        among_instances=access.visible_instance_ids(uow, actor),
        instance_id=pipeline_instance_id,
        step_id=step_id,
        assignee=assignee,
        limit=limit,
        offset=offset,
    )
    entered = uow.items.entered_at(actor.tenant_id, [row.id for row in rows])
    return ItemPage(
        items=[item_out(row, entered_at=entered.get(row.id)) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
        time_zone=tenant_calendar(uow, tenant_id=actor.tenant_id).time_zone,
    )


def item_history(uow: UnitOfWork, actor: Actor, item_id: uuid.UUID) -> ItemHistoryOut:
    """Every entry into a step with its time spent there, and the refused moves."""
    item = uow.items.get(actor.tenant_id, item_id)
    if item is None:
        raise NotFound("Item not found.")
    access.ensure_can_see_item(uow, actor, item)
    now = uow.clock.now()
    rows = uow.items.history(actor.tenant_id, item.id)
    entries = [
        HistoryEntryOut(
            id=entry.id,
            step_id=entry.step_id,
            step_name=name,
            entered_at=entry.entered_at,
            exited_at=entry.exited_at,
            duration_seconds=((entry.exited_at or now) - entry.entered_at).total_seconds(),
            entered_by=entry.entered_by,
            exited_by=entry.exited_by,
        )
        for entry, name in rows
    ]
    failures = uow.items.validation_failures(actor.tenant_id, item.id)
    return ItemHistoryOut(
        item_id=item.id,
        entries=entries,
        validation_failures=[
            ValidationFailureOut(
                rule_id=f.rule_id,
                field_id=f.field_id,
                step_id=f.step_id,
                target_step_id=f.target_step_id,
                message=f.message,
                automatic=f.automatic,
                actor_account_id=f.actor_account_id,
                created_at=f.created_at,
            )
            for f in failures
        ],
    )


def item_activity(
    uow: UnitOfWork, actor: Actor, item_id: uuid.UUID, *, limit: int = 200
) -> list[ActivityOut]:
    """The item's activity log, oldest first."""
    item = uow.items.get(actor.tenant_id, item_id)
    if item is None:
        raise NotFound("Item not found.")
    access.ensure_can_see_item(uow, actor, item)
    rows = uow.items.activity(actor.tenant_id, item.id, limit=limit)
    return [
        ActivityOut(
            id=row.id,
            kind=row.kind,
            actor_account_id=row.actor_account_id,
            data=dict(row.data or {}),
            created_at=row.created_at,
        )
        for row in rows
    ]
