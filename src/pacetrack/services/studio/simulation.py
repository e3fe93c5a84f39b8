"""What a step would do to an item, decided by the move's own rules, writing nothing.

A simulation takes a step template (its stored configuration, or a draft of it,
or a draft alone) and an item's values (a stored item, sample values, or the
item's values with samples over them). It answers as entering and leaving the
step would decide: the calculations (``engine.calculations.apply_calculations``),
the field view, the entry requirements and every requirement of leaving
(``engine.requirements``: the checklist a move decides by, in the same words),
whom the assignment rules choose (``assignment_rules.choose`` without taking a turn),
the notification and automation rules that fire (``engine.triggers.decide_instant``,
the decision ``side_effects.record`` acts on) and the timers entering arms
(``engine.triggers.planned_timers``).

Nothing is written: the use case only reads (no row is added, changed or locked,
a round-robin cursor is read and not advanced, no sequence is drawn) and never
commits, so its unit of work ends in a rollback of a transaction that did nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pacetrack.db import repository
from pacetrack.db.tables import Item, PipelineInstance, Step, StepTemplate
from pacetrack.engine.calculations import apply_calculations
from pacetrack.engine.config import StepConfig
from pacetrack.engine.events import FieldChange
from pacetrack.engine.features import Feature
from pacetrack.engine.field_view import field_view
from pacetrack.engine.fields import FieldSpec
from pacetrack.engine.moves import field_changes
from pacetrack.engine.requirements import Requirement, entry_requirements, leave_requirements
from pacetrack.engine.transitions import StepRef
from pacetrack.engine.triggers import Decided, decide_instant, planned_timers, timed_rules
from pacetrack.engine.validations import Violation
from pacetrack.services import access, approval_checks, assignment_rules, items, templates
from pacetrack.services.config_schema import step_config
from pacetrack.services.context import Actor
from pacetrack.services.errors import NotFound
from pacetrack.services.fields import load_field_specs
from pacetrack.services.step_configs import tenant_calendar
from pacetrack.services.studio.audience import (
    Firings,
    People,
    assignment_preview,
    system_notifications,
)
from pacetrack.services.studio.simulation_models import (
    AssignmentOut,
    CalculationOut,
    EnterOut,
    FieldViewOut,
    FiringOut,
    LeaveOut,
    SimulationOut,
    StepSimulation,
    TimerOut,
    ValidationOut,
)
from pacetrack.services.tenant_features import require_feature
from pacetrack.services.unit_of_work import UnitOfWork

# --- the use case ----------------------------------------------------------------------------


def _step(uow: UnitOfWork, actor: Actor, step_id: uuid.UUID | None) -> StepTemplate | None:
    if step_id is None:
        return None
    try:
        return templates.get_step_row(uow, actor, step_id)
    except NotFound:
        raise NotFound.one("step_id", "no such step template") from None


def _item(uow: UnitOfWork, actor: Actor, item_id: uuid.UUID | None) -> Item | None:
    if item_id is None:
        return None
    item = repository.get(uow.session, Item, tenant_id=actor.tenant_id, id=item_id)
    try:
        if item is None:
            raise NotFound("Item not found.")
        access.ensure_can_see_item(uow, actor, item)
    except NotFound:
        raise NotFound.one("item_id", "no such item") from None
    return item


def _config(
    uow: UnitOfWork,
    actor: Actor,
    command: StepSimulation,
    step: StepTemplate | None,
    fields: Mapping[str, FieldSpec],
) -> StepConfig:
    """The step's config with the draft over it, checked exactly as saving the draft would."""
    current = templates.stored_families(step) if step is not None else {}
    duration = step.target_duration_days if step is not None else None
    if "target_duration_days" in command.model_fields_set:
        duration = command.target_duration_days
    checked = templates.checked_families(
        uow,
        tenant_id=actor.tenant_id,
        raw=command.draft(),
        current=current,
        target_duration_days=duration,
        fields=fields,
    )
    return step_config({**current, **checked}, target_duration_days=duration)


def _values(
    uow: UnitOfWork,
    actor: Actor,
    command: StepSimulation,
    item: Item | None,
    fields: Mapping[str, FieldSpec],
) -> dict[str, Any]:
    samples = items.normalize_values(
        uow, tenant_id=actor.tenant_id, fields=fields, raw=command.field_values or {}
    )
    current = (item.field_values or {}) if item is not None else {}
    return items.merged_values(current, samples)


def _check(requirement: Requirement) -> ValidationOut:
    return ValidationOut(
        rule_id=requirement.rule_id,
        field_id=requirement.field_id,
        phase=requirement.phase,
        passed=requirement.met,
        message=requirement.message,
    )


def _approval(
    uow: UnitOfWork,
    config: StepConfig,
    *,
    step: StepTemplate | None,
    step_name: str,
    item: Item | None,
) -> list[Violation]:
    """What the approval of leaving lacks: only an item staying at a copy of the step can
    have one; any other item would enter without."""
    settings = config.settings.approval
    if not settings.required:
        return []
    if item is not None and step is not None and item.current_step_id is not None:
        current = uow.session.get(Step, (item.tenant_id, item.current_step_id))
        if current is not None and current.step_template_id == step.id:
            return approval_checks.leave_violations(uow, item=item, step=current, config=config)
    return [approval_checks.approval_missing(step_name, settings)]


def _calculations(
    config: StepConfig, values: Mapping[str, Any], errors: Iterable[Any]
) -> list[CalculationOut]:
    failed = {error.calculation_id: error.message for error in errors}
    return [
        CalculationOut(
            calculation_id=calc.id,
            output_field_id=calc.output_field_id,
            value=values.get(calc.output_field_id),
            error=failed.get(calc.id),
        )
        for calc in config.calculations
    ]


def _split(firings: list[FiringOut]) -> tuple[list[FiringOut], list[FiringOut]]:
    return (
        [f for f in firings if f.rule_kind == "notification"],
        [f for f in firings if f.rule_kind == "automation"],
    )


def simulate_step(uow: UnitOfWork, actor: Actor, command: StepSimulation) -> SimulationOut:
    """What entering and leaving the step would decide for the values; writes nothing."""
    actor.require_manager("simulate steps")
    require_feature(uow, tenant_id=actor.tenant_id, feature=Feature.STUDIO_SIMULATION)
    session = uow.session
    step = _step(uow, actor, command.step_id)
    item = _item(uow, actor, command.item_id)
    fields = load_field_specs(uow, tenant_id=actor.tenant_id)
    config = _config(uow, actor, command, step, fields)
    values = _values(uow, actor, command, item, fields)
    now = uow.clock.now()
    calendar = tenant_calendar(uow, tenant_id=actor.tenant_id)
    step_name = step.name if step is not None else "the step"

    # Entering: the entry requirements on the values brought in, then the step's calculations.
    entering = entry_requirements(
        target=StepRef(id=uuid.UUID(int=0), name=step_name, position=0),
        config=config,
        fields=fields,
        values=values,
        now=now,
        calendar=calendar,
    )
    computed, calculation_errors = apply_calculations(
        config=config, fields=fields, values=values, now=now, calendar=calendar
    )
    changes: tuple[FieldChange, ...] = field_changes(values, computed)
    view = field_view(config=config, fields=fields, values=computed, now=now, calendar=calendar)
    leaving = leave_requirements(
        step_name=step_name,
        config=config,
        fields=fields,
        values=computed,
        now=now,
        calendar=calendar,
        approval=_approval(uow, config, step=step, step_name=step_name, item=item),
    )
    before = assignment_rules.assignees(item) if item is not None else ()
    after, unresolved = assignment_preview(uow, actor, config, step=step, item=item, now=now)
    instance = (
        session.get(PipelineInstance, (item.tenant_id, item.pipeline_instance_id))
        if item is not None
        else None
    )
    people = People(uow, actor.tenant_id)
    firings = Firings(
        uow,
        actor,
        people,
        instance_id=item.pipeline_instance_id if item is not None else None,
        owner_id=item.owner_account_id if item is not None else None,
    )

    def decided(trigger: Literal["on_enter", "on_exit", "on_field_change"]) -> list[Decided]:
        return list(
            decide_instant(
                config,
                trigger=trigger,
                changes=changes,
                fields=fields,
                values=computed,
                now=now,
                calendar=calendar,
            )
        )

    entered = firings.out([*decided("on_enter"), *decided("on_field_change")], after)
    entered += system_notifications(
        firings,
        before=before,
        after=after,
        unresolved=unresolved,
        pipeline_owner_id=instance.owner_account_id if instance is not None else None,
    )
    # Notifications are addressed when the worker delivers them, after the move: by then
    # the item has the assignees it has now (leaving: the next step's are not known here).
    left = firings.out(decided("on_exit"), before)
    enter_notifications, enter_automations = _split(entered)
    leave_notifications, leave_automations = _split(left)
    validations = [_check(requirement) for requirement in (*entering, *leaving)]
    return SimulationOut(
        step_id=step.id if step is not None else None,
        step_name=step.name if step is not None else None,
        item_id=item.id if item is not None else None,
        values=computed,
        field_view=FieldViewOut(
            visible=list(view.visible), required=list(view.required), problems=list(view.problems)
        ),
        can_enter=all(v.passed for v in validations if v.phase == "enter"),
        ready_to_leave=all(v.passed for v in validations if v.phase == "leave"),
        validations=validations,
        calculations=_calculations(config, computed, calculation_errors),
        assignment=AssignmentOut(
            rules_apply=bool(config.assignments),
            assignees=people.by_ids(list(after)),
            unresolved=unresolved,
        ),
        on_enter=EnterOut(
            notifications=enter_notifications,
            automations=enter_automations,
            timers=[
                TimerOut(
                    rule_kind=timer.firing.kind,
                    rule_id=timer.firing.rule.id,
                    trigger=timer.firing.rule.trigger,
                    occurrence=timer.due.occurrence,
                    due_at=timer.due.due_at,
                )
                for timer in planned_timers(config, entered_at=now, calendar=calendar)
            ],
        ),
        on_leave=LeaveOut(
            notifications=leave_notifications,
            automations=leave_automations,
            timers_cancelled=[firing.rule.id for firing in timed_rules(config)],
        ),
    )
