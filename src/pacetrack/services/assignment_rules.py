"""Whom assignment rules choose, and assignment on entering a step.

Entering a step that has assignment rules **replaces** the item's assignees with
what the rules choose (the union over the rules, in rule order); entering a
step without rules keeps the assignees the item had. ``assign_on_entry`` runs
inside the mover's unit of work and neither commits nor bumps the item's
version (the move does both once). Changes by hand: ``services.assignments``.

``item.assigned_account_ids`` holds account ids as canonical UUID strings.

Round robin keeps the member it chose last in ``assignment_cursor``, created if
need be and locked before it is read (``db.repositories.assignments``), so two
first entries do not race. ``least_assigned`` takes a lock on a row of the same
table before counting, so concurrent entries see each other's choices.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from pacetrack.db.repositories.people import PeopleKind
from pacetrack.db.tables import Account, Item, Step
from pacetrack.db.tables_assignments import AssignmentCursor
from pacetrack.engine.assignment import (
    Candidate,
    RotationPosition,
    RuleChoice,
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
from pacetrack.services import access, side_effects
from pacetrack.services.context import Actor
from pacetrack.services.item_status import record_activity
from pacetrack.services.unit_of_work import UnitOfWork


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
    """The item's assignees."""
    return tuple(uuid.UUID(str(value)) for value in item.assigned_account_ids or ())


def store_assignees(item: Item, accounts: Sequence[uuid.UUID]) -> None:
    """Makes ``accounts`` the item's assignees."""
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


def choose_on_entry(
    uow: UnitOfWork, *, item: Item, step: Step, rule: Assignment, now: datetime
) -> RuleChoice:
    """Whom ``rule`` chooses for ``item`` entering ``step``, taking a turn."""
    return choose(uow, placement=_placement(item, step), rule=rule, now=now, take_turn=True)


def id_texts(accounts: Sequence[uuid.UUID]) -> list[str]:
    """The ids as the activity log and ``assigned_account_ids`` keep them."""
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
        choice = choose_on_entry(uow, item=item, step=step, rule=rule, now=now)
        if choice.unresolved_reason is not None:
            unresolved.append((rule, choice.unresolved_reason))
        chosen.extend(choice.chosen)
        choices.append(
            {"rule_type": rule.type, "rule_target": rule.id, "chosen": id_texts(choice.chosen)}
        )
    before = assignees(item)
    after = tuple(dict.fromkeys(chosen))
    store_assignees(item, after)
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
            "added": id_texts(added),
            "removed": id_texts(removed),
            "assignees": id_texts(after),
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
