"""Who works on an item: assignment on entering a step, and changes by hand.

Entering a step that has assignment rules **replaces** the item's assignees with
what the rules choose (the union over the rules, in rule order); entering a
step without rules keeps the assignees the item had. ``assign_on_entry`` runs
inside the mover's unit of work and neither commits nor bumps the item's
version (the move does both once).

``item.assigned_account_ids`` holds account ids as canonical UUID strings.

Round robin keeps the member it chose last in ``assignment_cursor``, created if
need be and locked before it is read (``db.repositories.assignments``), so two
first entries do not race. ``least_assigned`` takes a lock on a row of the same
table before counting, so concurrent entries see each other's choices.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pacetrack.db.repositories.people import PeopleKind
from pacetrack.db.tables import Account, Item, Step
from pacetrack.db.tables_assignments import AssignmentCursor
from pacetrack.engine.assignment import (
    AssignMode,
    Candidate,
    RotationPosition,
    RuleChoice,
    apply_mode,
    choose_everyone,
    choose_least_assigned,
    choose_round_robin,
    difference,
)
from pacetrack.engine.config import (
    Assignment,
    GroupAssignment,
    LeastAssignedAssignment,
    RoleAssignment,
    RoundRobinAssignment,
    StepConfig,
    UserAssignment,
)
from pacetrack.engine.events import AssignmentUnresolved, ItemAssigned
from pacetrack.engine.features import Feature
from pacetrack.services import access, side_effects
from pacetrack.services.context import ADMIN, MANAGER, Actor
from pacetrack.services.errors import (
    Conflict,
    FieldProblem,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ServiceError,
    StaleItem,
)
from pacetrack.services.input_types import Version
from pacetrack.services.item_status import record_activity
from pacetrack.services.tenant_features import require_feature_apart
from pacetrack.services.unit_of_work import UnitOfWork

MAX_BULK_ITEMS = 1000
MAX_ASSIGNEES = 200

# --------------------------------------------------------------------------- people


def _candidates(accounts: Sequence[Account]) -> list[Candidate]:
    return [
        Candidate(account_id=row.id, username=row.username, is_active=row.is_active)
        for row in accounts
    ]


def people(
    uow: UnitOfWork, *, tenant_id: uuid.UUID, kind: PeopleKind, reference: str
) -> tuple[str, list[Candidate] | None]:
    """A readable name of the user, group or role ``reference`` and its candidates.

    The candidates are None when the reference names nothing in the tenant.
    """
    if kind == "user":
        account = uow.people.find("user", tenant_id, reference)
        if account is None:
            return f"user “{reference}”", None
        return f"user “{account.username}”", _candidates([account])
    if kind == "account_group":
        group = uow.people.find("account_group", tenant_id, reference)
        if group is None:
            return f"group “{reference}”", None
        return f"group “{group.name}”", _candidates(uow.people.group_members(tenant_id, group.id))
    role = uow.people.find("role", tenant_id, reference)
    if role is None:
        return f"role “{reference}”", None
    return f"role “{role.name}”", _candidates(uow.people.role_holders(tenant_id, role.id))


def assignees(item: Item) -> tuple[uuid.UUID, ...]:
    return tuple(uuid.UUID(str(value)) for value in item.assigned_account_ids or ())


def _store_assignees(item: Item, accounts: Sequence[uuid.UUID]) -> None:
    # A new list object, so the JSON column is seen as changed.
    item.assigned_account_ids = [str(account) for account in accounts]


# --------------------------------------------------------------------------- entering a step


@dataclass(frozen=True, kw_only=True)
class Placement:
    """Where an assignment choice is made.

    ``instance_id``: the pipeline whose visibility limits who may be chosen (None: a
    draft that runs nowhere yet, everyone counts as seeing it); ``item_id``: the item
    left out of the workload counts; ``step_template_id``: whose round-robin cursor.
    """

    tenant_id: uuid.UUID
    instance_id: uuid.UUID | None
    item_id: uuid.UUID | None
    step_template_id: uuid.UUID | None


def _placement(item: Item, step: Step) -> Placement:
    return Placement(
        tenant_id=item.tenant_id,
        instance_id=item.pipeline_instance_id,
        item_id=item.id,
        step_template_id=step.step_template_id,
    )


def choose(
    uow: UnitOfWork, *, placement: Placement, rule: Assignment, now: datetime, take_turn: bool
) -> RuleChoice:
    """Whom ``rule`` chooses at ``placement``.

    ``take_turn``: the choice is made for real, so the round-robin cursor is created
    if need be, locked and advanced; without it (a simulation) the cursor is only
    read and nothing is written.
    """
    tenant_id = placement.tenant_id
    if isinstance(rule, UserAssignment):
        label, candidates = people(uow, tenant_id=tenant_id, kind="user", reference=rule.id)
        if candidates is None:
            return RuleChoice(unresolved_reason=f"{label} does not exist")
        if not candidates[0].is_active:
            return RuleChoice(unresolved_reason=f"{label} is inactive")
        candidates = _who_can_see(uow, placement, candidates)
        if not candidates[0].can_see:
            return RuleChoice(unresolved_reason=f"{label} cannot see this pipeline")
        return choose_everyone(candidates, what=label)
    if isinstance(rule, RoleAssignment):
        label, candidates = people(uow, tenant_id=tenant_id, kind="role", reference=rule.id)
        if candidates is None:
            return RuleChoice(unresolved_reason=f"{label} does not exist")
        return choose_everyone(_who_can_see(uow, placement, candidates), what=label)
    group = uow.people.find("account_group", tenant_id, rule.id)
    if group is None:
        return RuleChoice(unresolved_reason=f"group “{rule.id}” does not exist")
    label = f"group “{group.name}”"
    members = _who_can_see(
        uow, placement, _candidates(uow.people.group_members(tenant_id, group.id))
    )
    if isinstance(rule, GroupAssignment):
        return choose_everyone(members, what=label)
    rule_key = f"{rule.type}:{group.id}"
    cursor: AssignmentCursor | None = None
    if placement.step_template_id is not None:
        if take_turn:
            cursor = uow.assignments.lock_cursor(
                tenant_id, placement.step_template_id, rule_key, now=now
            )
        else:
            cursor = uow.assignments.cursor(tenant_id, placement.step_template_id, rule_key)
    if isinstance(rule, RoundRobinAssignment):
        last = None
        if (
            cursor is not None
            and cursor.last_account_id is not None
            and cursor.last_username is not None
        ):
            last = RotationPosition(
                account_id=cursor.last_account_id, username=cursor.last_username
            )
        choice = choose_round_robin(members, last=last, what=label)
    else:
        assert isinstance(rule, LeastAssignedAssignment)
        counts = uow.assignments.active_item_counts(
            tenant_id,
            [m.account_id for m in members if m.is_active and m.can_see],
            excluding_item=placement.item_id,
        )
        members = [replace(m, active_items=counts.get(m.account_id, 0)) for m in members]
        choice = choose_least_assigned(members, what=label)
    if take_turn and cursor is not None and choice.chosen:
        cursor.turns += 1
        cursor.updated_at = now
        if choice.rotation is not None:
            cursor.last_account_id = choice.rotation.account_id
            cursor.last_username = choice.rotation.username
    return choice


def _choose(
    uow: UnitOfWork, *, item: Item, step: Step, rule: Assignment, now: datetime
) -> RuleChoice:
    return choose(uow, placement=_placement(item, step), rule=rule, now=now, take_turn=True)


def _ids(accounts: Sequence[uuid.UUID]) -> list[str]:
    return [str(account) for account in accounts]


def assign_on_entry(
    uow: UnitOfWork, *, actor: Actor, item: Item, step: Step, config: StepConfig
) -> ItemAssigned | None:
    """Applies the step's assignment rules to an item entering it.

    Returns the ``ItemAssigned`` event for the caller to record, or None when
    the step has no rules or the assignees did not change. A rule that finds
    nobody eligible is logged; when the item ends up with nobody, an
    ``AssignmentUnresolved`` event per such rule is recorded here, so the
    pipeline's owner and admins are told.
    """
    if not config.assignments:
        return None
    now = uow.clock.now()
    chosen: list[uuid.UUID] = []
    unresolved: list[tuple[Assignment, str]] = []
    # Which rule chose whom, so the activity log can say why someone was assigned.
    choices: list[dict[str, Any]] = []
    for rule in config.assignments:
        choice = _choose(uow, item=item, step=step, rule=rule, now=now)
        if choice.unresolved_reason is not None:
            unresolved.append((rule, choice.unresolved_reason))
        chosen.extend(choice.chosen)
        choices.append(
            {"rule_type": rule.type, "rule_target": rule.id, "chosen": _ids(choice.chosen)}
        )
    before = assignees(item)
    after = tuple(dict.fromkeys(chosen))
    _store_assignees(item, after)
    for rule, reason in unresolved:
        record_activity(
            uow,
            item=item,
            actor=actor,
            kind="assignment.unresolved",
            data={
                "step_id": str(step.id),
                "rule_type": rule.type,
                "rule_target": rule.id,
                "reason": reason,
                "left_unassigned": not after,
            },
        )
    if not after and unresolved:
        side_effects.record(
            uow,
            actor=actor,
            item=item,
            events=[
                AssignmentUnresolved(
                    item_id=item.id,
                    at=now,
                    actor_id=actor.account_id,
                    step_id=step.id,
                    rule_type=rule.type,
                    reason=reason,
                )
                for rule, reason in unresolved
            ],
        )
    added, removed = difference(before, after)
    if not added and not removed:
        return None
    record_activity(
        uow,
        item=item,
        actor=actor,
        kind="item.assigned",
        data={
            "source": "step_entry",
            "step_id": str(step.id),
            "rules": [rule.type for rule in config.assignments],
            "choices": choices,
            "added": _ids(added),
            "removed": _ids(removed),
            "assignees": _ids(after),
        },
    )
    return ItemAssigned(
        item_id=item.id,
        at=now,
        actor_id=actor.account_id,
        step_id=step.id,
        added=added,
        removed=removed,
    )


# --------------------------------------------------------------------------- by hand


class AssignItem(BaseModel):
    """Change an item's assignees: ``add`` to, ``remove`` from or ``replace`` them."""

    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID
    mode: AssignMode
    account_ids: list[uuid.UUID] = Field(max_length=MAX_ASSIGNEES)
    expected_version: int | None = Field(
        default=None, ge=1, description="The item's version you saw; a stale one answers 409"
    )


class AssignmentOut(BaseModel):
    id: uuid.UUID
    version: int
    assigned_account_ids: list[uuid.UUID]
    added: list[uuid.UUID]
    removed: list[uuid.UUID]


class BulkAssignTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID
    expected_version: Version | None = Field(default=None)


class BulkAssign(BaseModel):
    """One assignment change applied to many items, each in its own transaction."""

    model_config = ConfigDict(extra="forbid")
    items: list[BulkAssignTarget] = Field(min_length=1, max_length=MAX_BULK_ITEMS)
    mode: AssignMode
    account_ids: list[uuid.UUID] = Field(max_length=MAX_ASSIGNEES)


BulkResult = Literal["assigned", "not_found", "conflict", "invalid"]


class BulkAssignItemOut(BaseModel):
    id: uuid.UUID
    result: BulkResult
    version: int | None = None
    assigned_account_ids: list[uuid.UUID] | None = None
    message: str | None = None
    errors: list[dict[str, str]] = Field(default_factory=list)


class BulkAssignOut(BaseModel):
    results: list[BulkAssignItemOut]
    counts: dict[str, int]


def _may_assign(actor: Actor, item: Item) -> bool:
    if actor.roles & {ADMIN, MANAGER}:
        return True
    if actor.account_id is None:
        return False
    return actor.account_id == item.owner_account_id or actor.account_id in assignees(item)


def _seeing(uow: UnitOfWork, item: Item, account_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Those of ``account_ids`` who may see the item's pipeline: nobody is given work they
    could not open."""
    return access.accounts_who_can_see(
        uow,
        tenant_id=item.tenant_id,
        instance_id=item.pipeline_instance_id,
        account_ids=account_ids,
    )


def _who_can_see(
    uow: UnitOfWork, placement: Placement, candidates: list[Candidate]
) -> list[Candidate]:
    """The candidates, each marked with whether it may see the placement's pipeline."""
    if placement.instance_id is None:
        return candidates
    visible = access.accounts_who_can_see(
        uow,
        tenant_id=placement.tenant_id,
        instance_id=placement.instance_id,
        account_ids=[candidate.account_id for candidate in candidates],
    )
    return [replace(c, can_see=c.account_id in visible) for c in candidates]


def _check_accounts(
    uow: UnitOfWork, actor: Actor, item: Item | None, account_ids: Sequence[uuid.UUID]
) -> None:
    """Every account exists in the tenant and is active, and (given ``item``) may see the
    item's pipeline."""
    if not account_ids:
        return
    rows = uow.people.accounts_by_id(actor.tenant_id, account_ids)
    visible = set(rows) if item is None else _seeing(uow, item, list(rows))
    problems = []
    unknown = False
    for index, account_id in enumerate(account_ids):
        row = rows.get(account_id)
        if row is None:
            unknown = True
            problems.append(FieldProblem(field=f"account_ids[{index}]", message="no such account"))
        elif not row.is_active:
            problems.append(
                FieldProblem(
                    field=f"account_ids[{index}]",
                    message=f"{row.display_name or row.username} is inactive and cannot be "
                    "assigned",
                )
            )
        elif account_id not in visible:
            problems.append(
                FieldProblem(
                    field=f"account_ids[{index}]",
                    message=f"{row.display_name or row.username} cannot see this pipeline",
                )
            )
    if problems:
        # Naming an account that does not exist is a 404; naming one whose state forbids
        # it (inactive, cannot see the pipeline) is a conflict with that state.
        error = NotFound if unknown else Conflict
        raise error(
            "Only active accounts of the tenant who can see the pipeline can be assigned.",
            problems=problems,
        )


def ensure_version(item: Item, expected: int | None) -> None:
    """A change by hand sent with a stale ``expected_version`` is a conflict."""
    if expected is not None and expected != item.version:
        raise StaleItem(current=item.version, sent=expected)


def assign_item(uow: UnitOfWork, actor: Actor, command: AssignItem) -> AssignmentOut:
    """Changes an item's assignees by hand; one transaction, logged, version bumped.

    Admins and managers may reassign any item; other accounts only items they
    own or are assigned to.
    """
    item = uow.items.lock(actor.tenant_id, command.id)
    if item is None:
        raise NotFound("Item not found.")
    access.ensure_can_see_item(uow, actor, item)
    if not _may_assign(actor, item):
        raise PermissionDenied(
            "Only admins, managers and the item's owner or assignees can change its assignees."
        )
    ensure_version(item, command.expected_version)
    if item.status != "active":
        raise InvalidInput.one("id", f"the item is {item.status}; only active items are assigned")
    if command.mode != "remove":
        _check_accounts(uow, actor, item, command.account_ids)
    before = assignees(item)
    after = apply_mode(before, command.mode, command.account_ids)
    added, removed = difference(before, after)
    if list(before) != list(after):
        now = uow.clock.now()
        _store_assignees(item, after)
        item.version += 1
        item.updated_at = now
        record_activity(
            uow,
            item=item,
            actor=actor,
            kind="item.assigned",
            data={
                "source": "manual",
                "mode": command.mode,
                "step_id": str(item.current_step_id) if item.current_step_id else None,
                "added": _ids(added),
                "removed": _ids(removed),
                "assignees": _ids(after),
            },
        )
        side_effects.record(
            uow,
            actor=actor,
            item=item,
            events=[
                ItemAssigned(
                    item_id=item.id,
                    at=now,
                    actor_id=actor.account_id,
                    step_id=item.current_step_id,
                    added=added,
                    removed=removed,
                )
            ],
        )
    out = AssignmentOut(
        id=item.id,
        version=item.version,
        assigned_account_ids=list(after),
        added=list(added),
        removed=list(removed),
    )
    uow.commit()
    return out


@dataclass(frozen=True, kw_only=True)
class RuleAssigned:
    """What applying one assignment rule did."""

    choice: RuleChoice
    """Whom the rule chose, exactly as on step entry (round robin turns advance)."""
    assignment: AssignmentOut | None
    """The item's new assignees; None when the rule chose nobody (see ``choice``)."""


def assign_by_rule(
    uow: UnitOfWork,
    actor: Actor,
    *,
    item: Item,
    step: Step,
    rule: Assignment,
    mode: AssignMode,
) -> RuleAssigned:
    """Applies one assignment rule to ``item``: the rule's choice, then ``assign_item``.

    The choice is made as when an item enters ``step`` (the same round-robin
    cursor and least-assigned counts); ``mode`` adds the chosen accounts to the
    assignees, replaces them or removes the chosen ones. Commits through
    ``uow`` like ``assign_item``.
    """
    choice = _choose(uow, item=item, step=step, rule=rule, now=uow.clock.now())
    if not choice.chosen:
        return RuleAssigned(choice=choice, assignment=None)
    out = assign_item(
        uow, actor, AssignItem(id=item.id, mode=mode, account_ids=list(choice.chosen))
    )
    return RuleAssigned(choice=choice, assignment=out)


def bulk_assign(
    uow_factory: Callable[[], UnitOfWork], actor: Actor, command: BulkAssign
) -> BulkAssignOut:
    """Applies one change to up to 1,000 items; each item commits or fails alone."""
    actor.require_manager("change assignees in bulk")
    require_feature_apart(uow_factory, tenant_id=actor.tenant_id, feature=Feature.BULK_ACTIONS)
    if command.mode != "remove":
        with uow_factory() as uow:
            _check_accounts(uow, actor, None, command.account_ids)
    results: list[BulkAssignItemOut] = []
    for target in command.items:
        single = AssignItem(
            id=target.id,
            mode=command.mode,
            account_ids=command.account_ids,
            expected_version=target.expected_version,
        )
        try:
            with uow_factory() as uow:
                done = assign_item(uow, actor, single)
        except NotFound as exc:
            results.append(BulkAssignItemOut(id=target.id, result="not_found", message=exc.message))
        except Conflict as exc:
            results.append(BulkAssignItemOut(id=target.id, result="conflict", message=exc.message))
        except InvalidInput as exc:
            results.append(
                BulkAssignItemOut(
                    id=target.id,
                    result="invalid",
                    message=exc.message,
                    errors=[{"field": p.field, "message": p.message} for p in exc.problems],
                )
            )
        except ServiceError as exc:
            results.append(BulkAssignItemOut(id=target.id, result="invalid", message=exc.message))
        else:
            results.append(
                BulkAssignItemOut(
                    id=target.id,
                    result="assigned",
                    version=done.version,
                    assigned_account_ids=done.assigned_account_ids,
                )
            )
    counts: dict[str, int] = {}
    for result in results:
        counts[result.result] = counts.get(result.result, 0) + 1
    return BulkAssignOut(results=results, counts=counts)
