"""services.lifecycle and the move path: completing, reopening, archiving and deleting items,
on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from pacetrack.db.tables import Item
from pacetrack.db.tables_auth import AuditEvent
from pacetrack.services import items, lifecycle, moves
from pacetrack.services.context import Actor
from pacetrack.services.errors import Conflict, NotFound, PermissionDenied
from pacetrack.services.item_status import ItemNotOpen
from pacetrack.services.items import ItemCreate, ItemFieldsUpdate
from pacetrack.services.lifecycle import ItemLifecycleChange, ReopenItem
from pacetrack.services.moves import MoveBlocked, MoveItem
from tests.conftest import Login
from tests.services.moves_support import (
    FieldDef,
    Pipeline,
    StepDef,
    activities,
    actor_for,
    armed_rules,
    build_pipeline,
    define_fields,
)

NUDGE = {
    "id": "nudge",
    "trigger": "on_duration",
    "duration_days": 1,
    "repeat_every_days": 1,
    "recipients": [{"type": "owner"}],
}
STEPS = (
    StepDef(name="Lead", config={"notifications": [NUDGE]}),
    StepDef(
        name="Negotiation",
        config={
            "metadata": {"entry_required_fields": ["deal_value"]},
            "notifications": [NUDGE],
        },
    ),
    StepDef(
        name="Closed Won",
        config={"metadata": {"terminal": {"outcome": "won"}}, "notifications": [NUDGE]},
    ),
    StepDef(name="Closed Lost", config={"metadata": {"terminal": {"outcome": "lost"}}}),
)


@pytest.fixture
def actor(admin: Login) -> Actor:
    return actor_for(admin.tenant_id, admin.account_id, "admin")


@pytest.fixture
def pipeline(container: Container, admin: Login) -> Pipeline:
    define_fields(container, admin.tenant_id, [FieldDef(name="deal_value", field_type="currency")])
    return build_pipeline(container, admin.tenant_id, list(STEPS))


def new_item(container: Container, actor: Actor, pipeline: Pipeline, **values: object) -> uuid.UUID:
    with container.uow() as uow:
        return items.create_item(
            uow,
            actor,
            ItemCreate(pipeline_instance_id=pipeline.instance_id, name="Deal", field_values=values),
        ).id


def move(container: Container, actor: Actor, item_id: uuid.UUID, step_id: uuid.UUID) -> None:
    with container.uow() as uow:
        moves.move_item(uow, actor, MoveItem(id=item_id, step_id=step_id))


def stored(container: Container, admin: Login, item_id: uuid.UUID) -> Item:
    with container.uow() as uow:
        row = uow.session.get(Item, (admin.tenant_id, item_id))
        assert row is not None
        uow.session.expunge(row)
        return row


def completed_deal(
    container: Container, actor: Actor, pipeline: Pipeline, *, outcome_step: str = "Closed Won"
) -> uuid.UUID:
    item_id = new_item(container, actor, pipeline, deal_value=5000)
    move(container, actor, item_id, pipeline.step(outcome_step))
    return item_id


def change(item_id: uuid.UUID, version: int | None = None) -> ItemLifecycleChange:
    return ItemLifecycleChange(id=item_id, expected_version=version)


def test_entering_a_terminal_step_completes_the_item_and_cancels_its_timers(
    container: Container, admin: Login, actor: Actor, pipeline: Pipeline, clock: FrozenClock
) -> None:
    item_id = new_item(container, actor, pipeline, deal_value=5000)
    assert armed_rules(container, item_id) == ["nudge"]
    clock.advance(timedelta(hours=3))

    move(container, actor, item_id, pipeline.step("Closed Won"))

    row = stored(container, admin, item_id)
    assert (row.status, row.outcome, row.completed_at) == ("completed", "won", clock.now())
    assert row.current_step_id == pipeline.step("Closed Won")
    # Neither the stay in Lead nor the one just begun in Closed Won keeps a timer.
    assert armed_rules(container, item_id) == []
    (logged,) = activities(container, admin.tenant_id, item_id, "item.completed")
    assert (logged["step"], logged["outcome"], logged["timers_cancelled"]) == (
        "Closed Won",
        "won",
        1,
    )


def test_an_item_created_at_a_terminal_step_is_completed_at_once(
    container: Container, admin: Login, actor: Actor, pipeline: Pipeline
) -> None:
    with container.uow() as uow:
        created = items.create_item(
            uow,
            actor,
            ItemCreate(
                pipeline_instance_id=pipeline.instance_id,
                name="Imported win",
                step_id=pipeline.step("Closed Won"),
            ),
        )

    assert (created.status, created.outcome) == ("completed", "won")
    assert armed_rules(container, created.id) == []


def test_a_completed_item_is_not_moved_until_reopened_but_its_fields_can_be_filled_in(
    container: Container, admin: Login, actor: Actor, pipeline: Pipeline
) -> None:
    item_id = completed_deal(container, actor, pipeline)

    with pytest.raises(ItemNotOpen, match="completed; reopen it to move it"):
        move(container, actor, item_id, pipeline.step("Lead"))
    with container.uow() as uow:
        changed = items.update_fields(
            uow, actor, ItemFieldsUpdate(id=item_id, field_values={"deal_value": 7000})
        )
    assert (changed.status, changed.field_values["deal_value"]) == ("completed", "7000.00")
    with container.uow() as uow:
        lifecycle.archive_item(uow, actor, change(item_id))
    with container.uow() as uow, pytest.raises(ItemNotOpen, match="archived; unarchive it"):
        items.update_fields(uow, actor, ItemFieldsUpdate(id=item_id, field_values={}))


def test_reopen_moves_the_item_into_the_chosen_step_and_opens_it_again(
    container: Container, admin: Login, actor: Actor, pipeline: Pipeline
) -> None:
    item_id = completed_deal(container, actor, pipeline)
    version = stored(container, admin, item_id).version

    with container.uow() as uow:
        reopened = lifecycle.reopen_item(
            uow,
            actor,
            ReopenItem(id=item_id, step_id=pipeline.step("Negotiation"), expected_version=version),
        )

    assert (reopened.status, reopened.outcome, reopened.completed_at) == ("active", None, None)
    assert reopened.current_step_id == pipeline.step("Negotiation")
    assert reopened.version == version + 1
    assert armed_rules(container, item_id) == ["nudge"]  # the new stay's timers are armed
    (logged,) = activities(container, admin.tenant_id, item_id, "item.reopened")
    assert (logged["step"], logged["previous_outcome"]) == ("Negotiation", "won")


def test_reopen_applies_the_target_steps_entry_rules_and_keeps_a_refused_item_completed(
    container: Container, admin: Login, actor: Actor, pipeline: Pipeline
) -> None:
    item_id = new_item(container, actor, pipeline)
    move(container, actor, item_id, pipeline.step("Closed Lost"))

    with container.uow() as uow, pytest.raises(MoveBlocked) as refused:
        lifecycle.reopen_item(
            uow, actor, ReopenItem(id=item_id, step_id=pipeline.step("Negotiation"))
        )

    assert [v.rule_id for v in refused.value.violations] == ["entry_required:deal_value"]
    row = stored(container, admin, item_id)
    assert (row.status, row.outcome, row.current_step_id) == (
        "completed",
        "lost",
        pipeline.step("Closed Lost"),
    )


def test_reopening_into_another_terminal_step_completes_with_its_outcome(
    container: Container, admin: Login, actor: Actor, pipeline: Pipeline
) -> None:
    item_id = completed_deal(container, actor, pipeline, outcome_step="Closed Lost")

    with container.uow() as uow:
        lifecycle.reopen_item(
            uow, actor, ReopenItem(id=item_id, step_id=pipeline.step("Closed Won"))
        )

    row = stored(container, admin, item_id)
    assert (row.status, row.outcome) == ("completed", "won")


def test_reopen_archive_and_delete_refuse_a_stale_version(
    container: Container, admin: Login, actor: Actor, pipeline: Pipeline
) -> None:
    item_id = completed_deal(container, actor, pipeline)
    stale = stored(container, admin, item_id).version - 1

    with container.uow() as uow, pytest.raises(Conflict, match="changed since you read it"):
        lifecycle.reopen_item(
            uow,
            actor,
            ReopenItem(id=item_id, step_id=pipeline.step("Lead"), expected_version=stale),
        )
    for operation in (lifecycle.archive_item, lifecycle.delete_item):
        with container.uow() as uow, pytest.raises(Conflict, match="changed since you read it"):
            operation(uow, actor, change(item_id, stale))
    assert stored(container, admin, item_id).status == "completed"


def test_archive_and_unarchive_a_completed_item(
    container: Container, admin: Login, actor: Actor, pipeline: Pipeline, clock: FrozenClock
) -> None:
    item_id = completed_deal(container, actor, pipeline)
    clock.advance(timedelta(days=2))

    with container.uow() as uow:
        archived = lifecycle.archive_item(uow, actor, change(item_id))
    assert (archived.status, archived.archived_at, archived.outcome) == (
        "archived",
        clock.now(),
        "won",
    )
    with container.uow() as uow, pytest.raises(ItemNotOpen, match="unarchive it before"):
        lifecycle.reopen_item(uow, actor, ReopenItem(id=item_id, step_id=pipeline.step("Lead")))

    with container.uow() as uow:
        restored = lifecycle.unarchive_item(uow, actor, change(archived.id, archived.version))
    assert (restored.status, restored.archived_at, restored.version) == (
        "completed",
        None,
        archived.version + 1,
    )
    kinds = [
        kind
        for kind in ("item.archived", "item.unarchived")
        if activities(container, admin.tenant_id, item_id, kind)
    ]
    assert kinds == ["item.archived", "item.unarchived"]


def test_an_open_item_cannot_be_archived_or_unarchived(
    container: Container, actor: Actor, pipeline: Pipeline
) -> None:
    item_id = new_item(container, actor, pipeline)

    with container.uow() as uow, pytest.raises(ItemNotOpen, match="still open"):
        lifecycle.archive_item(uow, actor, change(item_id))
    with container.uow() as uow, pytest.raises(ItemNotOpen, match="not archived"):
        lifecycle.unarchive_item(uow, actor, change(item_id))


def test_only_admins_delete_and_a_deleted_item_is_gone_from_reads_and_lists(
    container: Container, admin: Login, member: Login, actor: Actor, pipeline: Pipeline
) -> None:
    item_id = new_item(container, actor, pipeline)
    member_actor = actor_for(admin.tenant_id, member.account_id, "member")

    with container.uow() as uow, pytest.raises(PermissionDenied, match="Only admins"):
        lifecycle.delete_item(uow, member_actor, change(item_id))
    assert stored(container, admin, item_id).status == "active"

    with container.uow() as uow:
        lifecycle.delete_item(uow, actor, change(item_id))

    row = stored(container, admin, item_id)
    assert (row.status, row.deleted_by) == ("deleted", admin.account_id)
    assert armed_rules(container, item_id) == []
    for read in (items.get_item, items.item_history, items.item_activity):
        with container.uow() as uow, pytest.raises(NotFound):
            read(uow, actor, item_id)
    with container.uow() as uow:
        for status in ("active", "completed", "archived"):
            assert items.list_items(uow, actor, status=status).total == 0  # type: ignore[arg-type]
    with container.uow() as uow, pytest.raises(NotFound):
        lifecycle.delete_item(uow, actor, change(item_id))
    with container.uow() as uow:
        recorded = uow.session.execute(
            select(AuditEvent.account_id, AuditEvent.details).where(
                AuditEvent.kind == "item.deleted"
            )
        ).all()
    assert [(who, details["name"]) for who, details in recorded] == [(admin.account_id, "Deal")]


def test_lists_show_open_items_unless_asked_for_completed_or_archived(
    container: Container, actor: Actor, pipeline: Pipeline
) -> None:
    open_id = new_item(container, actor, pipeline)
    won = completed_deal(container, actor, pipeline)
    put_away = completed_deal(container, actor, pipeline)
    with container.uow() as uow:
        lifecycle.archive_item(uow, actor, change(put_away))

    def listed(**status: str) -> list[uuid.UUID]:
        with container.uow() as uow:
            return [item.id for item in items.list_items(uow, actor, **status).items]  # type: ignore[arg-type]

    assert listed() == [open_id]
    assert listed(status="completed") == [won]
    assert listed(status="archived") == [put_away]
