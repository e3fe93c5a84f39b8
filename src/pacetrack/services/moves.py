"""Moving items between steps: the one path every move takes (DESIGN.md §3).

``move_item`` locks the item row by itself, checks the expected version, reads
the effective configs of the step being left and the target step, the field
definitions and the tenant's calendar, and asks the pure ``engine.moves`` for a
decision. A refused move writes only its ``validation_failure`` rows and an
activity entry, then answers with every violation; an accepted one closes the
open history row, opens a new one, updates the item, writes the activity log
and the side effects, and commits once.

After an item enters or leaves a step or its fields change, the ``move_to_step``
automations that fires may send it on (conditional routing). Those moves go
through the same decision, in the same unit of work, marked automatic, and each
automation that fired gets its automation run there; a chain stops after
``metadata.max_automatic_moves`` (default 10) automatic moves with an error
entry in the activity log.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pacetrack.db.repositories.items import StepChange
from pacetrack.db.tables import Item, ItemStepHistory, Step
from pacetrack.db.tables_moves import ValidationFailure
from pacetrack.engine.calculations import CalculationError
from pacetrack.engine.calendar import BusinessCalendar
from pacetrack.engine.config import StepConfig
from pacetrack.engine.events import DomainEvent, FieldChange, StepEntered
from pacetrack.engine.features import Feature
from pacetrack.engine.fields import FieldSpec
from pacetrack.engine.lifecycle import ACTIVE
from pacetrack.engine.moves import Decision, Route, automatic_route, decide_move
from pacetrack.engine.requirements import Requirement, entry_requirements, move_requirements
from pacetrack.engine.transitions import StepRef, find_step
from pacetrack.engine.validations import Violation
from pacetrack.engine.words import counted
from pacetrack.services import (
    access,
    approval_checks,
    assignment_rules,
    item_status,
    side_effects,
)
from pacetrack.services.context import Actor
from pacetrack.services.errors import Conflict, InvalidInput, NotFound, Refused, StaleItem
from pacetrack.services.input_types import Version
from pacetrack.services.item_status import record_activity
from pacetrack.services.routing_runs import (
    RUN_FAILED,
    RUN_SKIPPED,
    RUN_SUCCEEDED,
    record_route_run,
)
from pacetrack.services.step_configs import (
    PipelineConfigs,
    effective_configs,
    field_specs,
    load_pipeline,
    lock_item_with_pipeline,
)
from pacetrack.services.tenant_features import require_feature_apart
from pacetrack.services.unit_of_work import UnitOfWork

MAX_BULK_ITEMS = 1000


# --- commands and answers --------------------------------------------------------------------


class MoveItem(BaseModel):
    """Move item ``id`` to step ``step_id``; ``expected_version`` guards against stale writes."""

    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID
    step_id: uuid.UUID
    expected_version: Version | None = Field(default=None)


class ViolationOut(BaseModel):
    rule_id: str
    field_id: str | None
    message: str


class AutomaticMoveOut(BaseModel):
    automation_id: str
    from_step_id: uuid.UUID
    to_step_id: uuid.UUID | None
    moved: bool
    violations: list[ViolationOut] = Field(default_factory=list)


class MoveOut(BaseModel):
    """The item after the move (and after any automatic moves it set off)."""

    id: uuid.UUID
    current_step_id: uuid.UUID | None
    version: int
    field_values: dict[str, Any]
    calculation_errors: dict[str, Any]
    assigned_account_ids: list[str]
    automatic_moves: list[AutomaticMoveOut] = Field(default_factory=list)


class MoveBlocked(Refused):
    """The step's rules do not allow this move."""

    def __init__(self, violations: Sequence[Violation], message: str | None = None) -> None:
        super().__init__(message)
        self.violations = tuple(violations)

    @property
    def problem_extra(self) -> dict[str, Any]:
        return {
            "errors": [
                {"field": problem_field(v), "message": v.message, "rule_id": v.rule_id}
                for v in self.violations
            ],
            "violations": [violation_out(v).model_dump() for v in self.violations],
        }


def problem_field(violation: Violation) -> str:
    """The request part a violation is about: the field it names, else the target step."""
    return violation.field_id or "step_id"


def violation_out(violation: Violation) -> ViolationOut:
    return ViolationOut(
        rule_id=violation.rule_id, field_id=violation.field_id, message=violation.message
    )


# --- small shared writers --------------------------------------------------------------------


def open_history(
    uow: UnitOfWork, *, item: Item, step: Step, actor: Actor, at: datetime
) -> ItemStepHistory:
    row = ItemStepHistory(
        tenant_id=item.tenant_id,
        id=uuid.uuid4(),
        item_id=item.id,
        step_id=step.id,
        entered_at=at,
        exited_at=None,
        entered_by=actor.account_id,
        exited_by=None,
    )
    uow.items.add(row)
    return row


def errors_document(errors: Sequence[CalculationError]) -> dict[str, Any]:
    """``item.calculation_errors``: each failed calculation by id, with its output and reason."""
    return {
        error.calculation_id: {"output_field_id": error.output_field_id, "message": error.message}
        for error in errors
    }


def step_ref(step: Step) -> StepRef:
    return StepRef(id=step.id, name=step.name, position=step.position)


def _check_lockable(
    uow: UnitOfWork, actor: Actor, item: Item, expected_version: int | None
) -> None:
    access.ensure_can_see_item(uow, actor, item)
    if expected_version is not None and item.version != expected_version:
        raise StaleItem(current=item.version, sent=expected_version)


# --- the move --------------------------------------------------------------------------------


@dataclass(kw_only=True)
class _Context:
    """What one unit of work has loaded for one item's moves."""

    steps: list[Step]
    configs: dict[uuid.UUID, StepConfig]
    fields: Mapping[str, FieldSpec]
    calendar: BusinessCalendar
    automatic_moves: list[AutomaticMoveOut] = field(default_factory=list)

    def step(self, step_id: uuid.UUID | None) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def config(self, uow: UnitOfWork, step: Step) -> StepConfig:
        config = self.configs.get(step.id)
        if config is None:
            config = effective_configs(uow, tenant_id=step.tenant_id, steps=[step])[step.id]
            self.configs[step.id] = config
        return config


def load_context(
    uow: UnitOfWork, *, item: Item, wanted: Sequence[uuid.UUID | None] = ()
) -> _Context:
    """The item's pipeline, the configs of its current and ``wanted`` steps, fields, calendar."""
    loaded = load_pipeline(
        uow,
        tenant_id=item.tenant_id,
        instance_id=item.pipeline_instance_id,
        wanted={item.current_step_id, *wanted},
    )
    return _context(uow, item, loaded)


def lock_item_in_context(
    uow: UnitOfWork,
    actor: Actor,
    item_id: uuid.UUID,
    *,
    expected_version: int | None,
    wanted: Sequence[uuid.UUID] = (),
) -> tuple[Item, _Context]:
    """The item locked for the rest of the transaction (its ``expected_version`` checked)
    and ``load_context`` for it, read in one round trip."""
    found = lock_item_with_pipeline(uow, tenant_id=actor.tenant_id, item_id=item_id, wanted=wanted)
    if found is None:
        raise NotFound("Item not found.")
    item, loaded = found
    _check_lockable(uow, actor, item, expected_version)
    return item, _context(uow, item, loaded)


def _context(uow: UnitOfWork, item: Item, loaded: PipelineConfigs) -> _Context:
    return _Context(
        steps=loaded.steps,
        configs=loaded.configs,
        fields=field_specs(uow, tenant_id=item.tenant_id, digest=loaded.fields_digest),
        calendar=loaded.calendar,
    )


@dataclass(frozen=True, kw_only=True)
class _Outcome:
    moved: bool
    violations: tuple[Violation, ...] = ()


def _decide(
    uow: UnitOfWork, *, item: Item, current: Step, target: Step, context: _Context
) -> Decision:
    current_config = context.config(uow, current)
    return decide_move(
        current=step_ref(current),
        target=step_ref(target),
        steps=[step_ref(step) for step in context.steps],
        current_config=current_config,
        target_config=context.config(uow, target),
        fields=context.fields,
        values=item.field_values or {},
        now=uow.clock.now(),
        calendar=context.calendar,
        approval=approval_checks.leave_violations(
            uow, item=item, step=current, config=current_config
        ),
    )


def _record_failures(
    uow: UnitOfWork,
    *,
    actor: Actor,
    item: Item,
    current: Step,
    target: Step,
    violations: Sequence[Violation],
    automatic: str | None,
) -> None:
    now = uow.clock.now()
    for violation in violations:
        uow.items.add(
            ValidationFailure(
                tenant_id=item.tenant_id,
                id=uuid.uuid4(),
                item_id=item.id,
                step_id=current.id,
                target_step_id=target.id,
                rule_id=violation.rule_id[:200],
                field_id=violation.field_id,
                message=violation.message,
                actor_account_id=actor.account_id,
                automatic=automatic is not None,
                created_at=now,
            )
        )
    record_activity(
        uow,
        item=item,
        actor=actor,
        kind="item.move_blocked",
        data={
            "from_step_id": str(current.id),
            "to_step_id": str(target.id),
            "to_step": target.name,
            "automation_id": automatic,
            "violations": [violation_out(v).model_dump() for v in violations],
        },
    )


def enter_step(
    uow: UnitOfWork, *, actor: Actor, item: Item, step: Step, config: StepConfig
) -> list[DomainEvent]:
    """What entering a step does besides the history row: assignment (its event, if any)."""
    assigned = assignment_rules.assign_on_entry(
        uow, actor=actor, item=item, step=step, config=config
    )
    return [assigned] if assigned is not None else []


def _apply(
    uow: UnitOfWork,
    *,
    actor: Actor,
    item: Item,
    current: Step,
    target: Step,
    decision: Decision,
    context: _Context,
    automatic: str | None,
) -> None:
    now = uow.clock.now()
    version = item.version + 1
    entered_id = uuid.uuid4()
    exited = uow.items.write_move(
        item,
        change=StepChange(
            step_id=target.id,
            version=version,
            at=now,
            field_values=dict(decision.values),
            calculation_errors=errors_document(decision.calculation_errors),
        ),
        actor_id=actor.account_id,
        entered_id=entered_id,
        activity={
            "from_step_id": str(current.id),
            "from_step": current.name,
            "to_step_id": str(target.id),
            "to_step": target.name,
            "automatic": automatic is not None,
            "automation_id": automatic,
            "version": version,
            "calculated": [change.field for change in decision.changes],
        },
    )
    if len(exited) != 1:
        raise Conflict("The item has no single open step entry to leave.")
    exited_id = exited[0]
    events = list(
        decision.events(
            item_id=item.id,
            actor_id=actor.account_id,
            at=now,
            from_step=current.id,
            to_step=target.id,
            exited_history_id=exited_id,
            entered_history_id=entered_id,
        )
    )
    target_config = context.config(uow, target)
    events.extend(enter_step(uow, actor=actor, item=item, step=target, config=target_config))
    side_effects.record(
        uow, actor=actor, item=item, events=events, timers_cancelled_for=(exited_id,)
    )
    item_status.complete_if_terminal(
        uow, actor=actor, item=item, step=target, config=target_config, at=now
    )


def move_once(
    uow: UnitOfWork,
    *,
    actor: Actor,
    item: Item,
    target: Step,
    context: _Context,
    automatic: str | None,
) -> _Outcome:
    current = context.step(item.current_step_id)
    if current is None:
        raise Conflict("The item is not at a step of its pipeline.")
    decision = _decide(uow, item=item, current=current, target=target, context=context)
    if not decision.ok:
        _record_failures(
            uow,
            actor=actor,
            item=item,
            current=current,
            target=target,
            violations=decision.violations,
            automatic=automatic,
        )
        return _Outcome(moved=False, violations=decision.violations)
    _apply(
        uow,
        actor=actor,
        item=item,
        current=current,
        target=target,
        decision=decision,
        context=context,
        automatic=automatic,
    )
    return _Outcome(moved=True)


def _record_run(
    uow: UnitOfWork,
    *,
    item: Item,
    route: Route,
    at: Step,
    left: Step | None,
    status: str,
    error: str | None = None,
    result: dict[str, Any] | None = None,
) -> None:
    """The run of ``route``, a rule of the step left or of ``at``, the item's step."""
    owner = left if route.of_step_left and left is not None else at
    record_route_run(
        uow, item=item, step_id=owner.id, route=route, status=status, error=error, result=result
    )


def route_automatically(
    uow: UnitOfWork,
    *,
    actor: Actor,
    item: Item,
    context: _Context,
    entered: bool,
    changes: Sequence[FieldChange] = (),
    left: Step | None = None,
) -> None:
    """Follow the ``move_to_step`` automations the change fires until none fires.

    At each step: the ``on_exit`` rules of the step just ``left``, then the step's
    ``on_enter`` (``entered``) or ``on_field_change`` (``changes``) rules, then its
    timed rules due at entry (``engine.moves.automatic_route``). Each automatic
    move is an ordinary move (every rule applies), made in this unit of work, and
    each rule that fired gets its automation run here (``routing_runs``). The chain
    stops at the current step's ``metadata.max_automatic_moves`` with an
    ``item.automation_loop_stopped`` entry in the activity log.
    """
    made = 0
    while True:
        step = context.step(item.current_step_id)
        if step is None or item.status != ACTIVE:
            return  # a completed item stays in its terminal step
        config = context.config(uow, step)
        outcome = automatic_route(
            config=config,
            left=context.config(uow, left) if left is not None else None,
            entered=entered,
            changes=changes,
            fields=context.fields,
            values=item.field_values or {},
            now=uow.clock.now(),
            calendar=context.calendar,
        )
        for problem in outcome.problems:
            record_activity(
                uow,
                item=item,
                actor=actor,
                kind="item.automation_error",
                data={"step_id": str(step.id), "message": problem},
            )
        route = outcome.route
        if route is None:
            return
        record_run = partial(_record_run, uow, item=item, at=step, left=left)
        for passed in outcome.passed_over:
            record_run(
                route=passed,
                status=RUN_SKIPPED,
                error=f"“{route.automation_id}” fired first and decided the move",
            )
        target = find_step(route.step, [step_ref(s) for s in context.steps])
        if target is None:
            message = f"no step “{route.step}” in this pipeline"
            record_activity(
                uow,
                item=item,
                actor=actor,
                kind="item.automation_error",
                data={
                    "step_id": str(step.id),
                    "automation_id": route.automation_id,
                    "message": message,
                },
            )
            record_run(route=route, status=RUN_FAILED, error=message)
            return
        limit = config.settings.max_automatic_moves
        if made >= limit:
            message = (
                f"stopped after {made} automatic moves in one chain "
                f"(limit {limit}); {route.automation_id} would have moved the item to "
                f"{target.name}"
            )
            record_activity(
                uow,
                item=item,
                actor=actor,
                kind="item.automation_loop_stopped",
                data={
                    "step_id": str(step.id),
                    "automation_id": route.automation_id,
                    "automatic_moves": made,
                    "limit": limit,
                    "message": message,
                },
            )
            record_run(route=route, status=RUN_FAILED, error=message)
            return
        target_step = context.step(target.id)
        assert target_step is not None
        uow.flush()
        result = move_once(
            uow,
            actor=actor,
            item=item,
            target=target_step,
            context=context,
            automatic=route.automation_id,
        )
        context.automatic_moves.append(
            AutomaticMoveOut(
                automation_id=route.automation_id,
                from_step_id=step.id,
                to_step_id=target_step.id,
                moved=result.moved,
                violations=[violation_out(v) for v in result.violations],
            )
        )
        if not result.moved:
            messages = "; ".join(v.message for v in result.violations)
            record_run(route=route, status=RUN_FAILED, error=f"move blocked: {messages}")
            return
        record_run(
            route=route,
            status=RUN_SUCCEEDED,
            result={"moved_to": target_step.name, "version": item.version},
        )
        made += 1
        entered, changes, left = True, (), step


def move_out(item: Item, context: _Context | None = None) -> MoveOut:
    return MoveOut(
        id=item.id,
        current_step_id=item.current_step_id,
        version=item.version,
        field_values=dict(item.field_values or {}),
        calculation_errors=dict(item.calculation_errors or {}),
        assigned_account_ids=[str(a) for a in item.assigned_account_ids or []],
        automatic_moves=list(context.automatic_moves) if context else [],
    )


def move_item(uow: UnitOfWork, actor: Actor, command: MoveItem) -> MoveOut:
    """Move the item, or record why not and raise ``MoveBlocked`` with every violation."""
    item, context = lock_item_in_context(
        uow, actor, command.id, expected_version=command.expected_version, wanted=[command.step_id]
    )
    item_status.ensure_allows(item, "move")
    target = context.step(command.step_id)
    if target is None:
        raise InvalidInput.one("step_id", "not a step of the item's pipeline")
    left = context.step(item.current_step_id)
    result = move_once(uow, actor=actor, item=item, target=target, context=context, automatic=None)
    if not result.moved:
        uow.commit()
        raise MoveBlocked(
            result.violations,
            f"The item cannot move to {target.name}: "
            f"{counted(len(result.violations), 'requirement')} not met.",
        )
    route_automatically(uow, actor=actor, item=item, context=context, entered=True, left=left)
    uow.commit()
    return move_out(item, context)


# --- validation status -----------------------------------------------------------------------


class RequirementOut(BaseModel):
    rule_id: str
    field_id: str | None
    met: bool
    message: str


class ValidationStatusOut(BaseModel):
    """What moving the item on needs: leaving its step, then entering ``target_step_id``
    (the step asked for, else the next one in the pipeline; none after the last)."""

    item_id: uuid.UUID
    step_id: uuid.UUID
    step_name: str
    target_step_id: uuid.UUID | None = None
    target_step_name: str | None = None
    version: int
    ready: bool
    requirements: list[RequirementOut]


def requirement_out(requirement: Requirement) -> RequirementOut:
    return RequirementOut(
        rule_id=requirement.rule_id,
        field_id=requirement.field_id,
        met=requirement.met,
        message=requirement.message,
    )


def _next_step(context: _Context, step: Step) -> Step | None:
    later = [s for s in context.steps if s.position > step.position]
    return min(later, key=lambda s: s.position) if later else None


def validation_status(
    uow: UnitOfWork, actor: Actor, item_id: uuid.UUID, *, target_step_id: uuid.UUID | None = None
) -> ValidationStatusOut:
    """The checklist of what moving on needs, met or not, without moving: leaving the
    current step, then entering the target (``target_step_id``, else the next step)."""
    item = uow.items.get(actor.tenant_id, item_id)
    if item is None:
        raise NotFound("Item not found.")
    access.ensure_can_see_item(uow, actor, item)
    context = load_context(uow, item=item, wanted=[target_step_id] if target_step_id else [])
    step = context.step(item.current_step_id)
    if step is None:
        raise Conflict("The item is not at a step of its pipeline.")
    if target_step_id is None:
        target = _next_step(context, step)
    else:
        target = context.step(target_step_id)
        if target is None:
            raise NotFound.one("step_id", "not a step of the item's pipeline")
    config = context.config(uow, step)
    needs = move_requirements(
        current=step_ref(step),
        target=step_ref(target) if target is not None else None,
        steps=[step_ref(s) for s in context.steps],
        current_config=config,
        target_config=context.config(uow, target) if target is not None else None,
        fields=context.fields,
        values=item.field_values or {},
        now=uow.clock.now(),
        calendar=context.calendar,
        approval=approval_checks.leave_violations(uow, item=item, step=step, config=config),
    )
    return ValidationStatusOut(
        item_id=item.id,
        step_id=step.id,
        step_name=step.name,
        target_step_id=target.id if target is not None else None,
        target_step_name=target.name if target is not None else None,
        version=item.version,
        ready=needs.ready,
        requirements=[requirement_out(r) for r in needs.requirements],
    )


# --- bulk ------------------------------------------------------------------------------------


class BulkMove(BaseModel):
    """Move up to 1,000 items to ``step_id``; each item is its own transaction."""

    model_config = ConfigDict(extra="forbid")
    item_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_BULK_ITEMS)
    step_id: uuid.UUID


class BulkMoveItemOut(BaseModel):
    id: uuid.UUID
    status: Literal["moved", "blocked", "not_found", "conflict", "invalid"]
    version: int | None = None
    message: str | None = None
    violations: list[ViolationOut] = Field(default_factory=list)


class BulkMoveOut(BaseModel):
    moved: int
    blocked: int
    failed: int
    results: list[BulkMoveItemOut]


def bulk_move(
    uow_factory: Callable[[], UnitOfWork], actor: Actor, command: BulkMove
) -> BulkMoveOut:
    """Each item moves (or not) in its own unit of work, so one refusal undoes nothing else."""
    require_feature_apart(uow_factory, tenant_id=actor.tenant_id, feature=Feature.BULK_ACTIONS)
    results: list[BulkMoveItemOut] = []
    for item_id in dict.fromkeys(command.item_ids):
        try:
            with uow_factory() as uow:
                moved = move_item(uow, actor, MoveItem(id=item_id, step_id=command.step_id))
            results.append(BulkMoveItemOut(id=item_id, status="moved", version=moved.version))
        except MoveBlocked as exc:
            results.append(
                BulkMoveItemOut(
                    id=item_id,
                    status="blocked",
                    message=exc.message,
                    violations=[violation_out(v) for v in exc.violations],
                )
            )
        except NotFound as exc:
            results.append(BulkMoveItemOut(id=item_id, status="not_found", message=exc.message))
        except Conflict as exc:
            results.append(BulkMoveItemOut(id=item_id, status="conflict", message=exc.message))
        except InvalidInput as exc:
            results.append(
                BulkMoveItemOut(
                    id=item_id,
                    status="invalid",
                    message="; ".join(f"{p.field}: {p.message}" for p in exc.problems),
                )
            )
    moved_count = sum(1 for r in results if r.status == "moved")
    blocked_count = sum(1 for r in results if r.status == "blocked")
    return BulkMoveOut(
        moved=moved_count,
        blocked=blocked_count,
        failed=len(results) - moved_count - blocked_count,
        results=results,
    )


def entered_event(
    *, item: Item, actor: Actor, step: Step, history: ItemStepHistory, at: datetime
) -> StepEntered:
    return StepEntered(
        item_id=item.id,
        at=at,
        actor_id=actor.account_id,
        step_id=step.id,
        history_id=history.id,
        from_step_id=None,
    )


def creation_entry_violations(
    uow: UnitOfWork,
    *,
    step: Step,
    config: StepConfig,
    fields: Mapping[str, FieldSpec],
    values: Mapping[str, Any],
    calendar: BusinessCalendar,
) -> tuple[Violation, ...]:
    """The entry requirements of the step an item is created at that ``values`` do not meet."""
    needs = entry_requirements(
        target=step_ref(step),
        config=config,
        fields=fields,
        values=values,
        now=uow.clock.now(),
        calendar=calendar,
    )
    return tuple(r.violation for r in needs if not r.met)
