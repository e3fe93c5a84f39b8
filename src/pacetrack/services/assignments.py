"""Changing an item's assignees by hand: one item, many items (each in its own
transaction), or one assignment rule applied on demand (an automation's ``assign``).

Whom the rules choose, and assignment on entering a step: ``services.assignment_rules``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pacetrack.db.tables import Item, Step
from pacetrack.engine.assignment import AssignMode, RuleChoice, apply_mode, difference
from pacetrack.engine.config import Assignment
from pacetrack.engine.events import ItemAssigned
from pacetrack.engine.features import Feature
from pacetrack.services import access, side_effects
from pacetrack.services.assignment_rules import (
    assignees,
    choose_on_entry,
    id_texts,
    store_assignees,
)
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
        store_assignees(item, after)
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
                "added": id_texts(added),
                "removed": id_texts(removed),
                "assignees": id_texts(after),
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
    choice = choose_on_entry(uow, item=item, step=step, rule=rule, now=uow.clock.now())
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
