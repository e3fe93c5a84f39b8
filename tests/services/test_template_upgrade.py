"""Upgrading running pipelines to a published template version, on SQLite and PostgreSQL:
draft edits stay out of running pipelines until published and upgraded; new steps appear;
items of removed steps need a mapping; armed timers follow the new rules."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from pacetrack.db import changes
from pacetrack.db.changes import Change
from pacetrack.db.tables_delivery import ARMED, Timer
from pacetrack.services import items, moves, pipelines, template_upgrade, templates
from pacetrack.services.activity_feed import item_timeline
from pacetrack.services.context import Actor
from pacetrack.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from pacetrack.services.items import ItemCreate
from pacetrack.services.moves import MoveItem
from pacetrack.services.template_versions import PublishVersion, publish
from pacetrack.services.templates import StepTemplateCreate
from tests.conftest import Login
from tests.services.moves_support import Pipeline, StepDef, actor_for, armed_rules, build_pipeline
from tests.services.test_rule_timers import daily, firings, pass_days
from tests.support.versions import publish_and_upgrade


@pytest.fixture
def actor(admin: Login) -> Actor:
    return actor_for(admin.tenant_id, admin.account_id, "admin")


@pytest.fixture
def pipeline(container: Container, admin: Login) -> Pipeline:
    return build_pipeline(
        container,
        admin.tenant_id,
        [
            StepDef(name="Intake", config={"notifications": [daily("daily_check"), daily("keep")]}),
            StepDef(name="Legal"),
            StepDef(name="Done"),
        ],
    )


def new_item(
    container: Container, actor: Actor, pipeline: Pipeline, name: str = "Deal"
) -> uuid.UUID:
    with container.uow() as uow:
        return items.create_item(
            uow, actor, ItemCreate(pipeline_instance_id=pipeline.instance_id, name=name)
        ).id


def move(container: Container, actor: Actor, item_id: uuid.UUID, step_id: uuid.UUID) -> None:
    with container.uow() as uow:
        moves.move_item(uow, actor, MoveItem(id=item_id, step_id=step_id))


def save_family(
    container: Container, actor: Actor, step_template: uuid.UUID, family: str, raw: Any
) -> None:
    with container.uow() as uow:
        templates.update_family(uow, actor, step_template, family=family, raw=raw)


def add_step(
    container: Container, actor: Actor, pipeline: Pipeline, name: str, **extra: Any
) -> uuid.UUID:
    with container.uow() as uow:
        return templates.create_step(
            uow,
            actor,
            StepTemplateCreate(pipeline_template_id=pipeline.template_id, name=name, **extra),
        ).id


def delete_step(container: Container, actor: Actor, step_template: uuid.UUID) -> None:
    with container.uow() as uow:
        templates.delete_step(uow, actor, step_template)


def publish_draft(container: Container, actor: Actor, pipeline: Pipeline) -> int:
    with container.uow() as uow:
        return publish(uow, actor, PublishVersion(id=pipeline.template_id)).number


def upgrade(container: Container, actor: Actor, pipeline: Pipeline, **options: Any) -> Any:
    with container.uow() as uow:
        return template_upgrade.upgrade_instance(uow, actor, pipeline.instance_id, **options)


def step_names(container: Container, actor: Actor, pipeline: Pipeline) -> list[str]:
    with container.uow() as uow:
        instance = pipelines.get_instance(uow, actor, pipeline.instance_id)
    return [step.name for step in instance.steps or []]


def current_step(container: Container, actor: Actor, item_id: uuid.UUID) -> uuid.UUID | None:
    with container.uow() as uow:
        return items.get_item(uow, actor, item_id).item.current_step_id


def armed(container: Container, item_id: uuid.UUID) -> dict[str, tuple[int, Any]]:
    with container.uow() as uow:
        rows = uow.session.scalars(
            select(Timer).where(Timer.item_id == item_id, Timer.status == ARMED)
        )
        return {row.rule_id: (row.occurrence, row.due_at) for row in rows}


def test_a_draft_edit_reaches_a_running_pipeline_only_once_published_and_upgraded(
    container: Container, actor: Actor, pipeline: Pipeline, clock: FrozenClock
) -> None:
    item_id = new_item(container, actor, pipeline)
    add_step(container, actor, pipeline, "Review", color="#aa0000")
    save_family(
        container, actor, pipeline.step_templates["Intake"], "notifications", [daily("keep")]
    )

    assert step_names(container, actor, pipeline) == ["Intake", "Legal", "Done"]
    pass_days(container, clock, 1)
    assert firings(container, item_id) == {"daily_check": 1, "keep": 1}

    publish_draft(container, actor, pipeline)
    assert step_names(container, actor, pipeline) == ["Intake", "Legal", "Done"]
    report = upgrade(container, actor, pipeline)

    assert (report.from_version, report.to_version) == (1, 2)
    assert report.steps_added == ["Review"]
    assert report.timers.cancelled == 1
    assert step_names(container, actor, pipeline) == ["Intake", "Legal", "Done", "Review"]
    with container.uow() as uow:
        steps = pipelines.get_instance(uow, actor, pipeline.instance_id).steps or []
    assert [s.color for s in steps if s.name == "Review"] == ["#aa0000"]
    assert armed_rules(container, item_id) == ["keep"]


def test_the_deleted_daily_rule_stops_firing_after_the_upgrade(
    container: Container, actor: Actor, pipeline: Pipeline, clock: FrozenClock
) -> None:
    item_id = new_item(container, actor, pipeline)
    pass_days(container, clock, 1)
    save_family(
        container, actor, pipeline.step_templates["Intake"], "notifications", [daily("keep")]
    )
    publish_and_upgrade(container, actor, pipeline.template_id)
    pass_days(container, clock, 4)

    # The deleted rule's armed copy used to fire on each of the 4 days.
    assert firings(container, item_id) == {"daily_check": 1, "keep": 5}


def test_a_changed_duration_rearms_from_the_entry_without_repeating_fired_occurrences(
    container: Container, actor: Actor, pipeline: Pipeline, clock: FrozenClock
) -> None:
    entered = clock.now()
    item_id = new_item(container, actor, pipeline)
    pass_days(container, clock, 2)  # occurrences 1 and 2 of the daily rules fired
    assert firings(container, item_id) == {"daily_check": 2, "keep": 2}
    every_three = {**daily("keep"), "duration_days": 1, "repeat_every_days": 3}
    save_family(
        container,
        actor,
        pipeline.step_templates["Intake"],
        "notifications",
        [daily("daily_check"), every_three],
    )

    report = publish_and_upgrade(container, actor, pipeline.template_id)[0]

    assert report.timers.rearmed == 1
    # Occurrence 3 stays the one armed, now due 1 + 2 * 3 days after the entry.
    assert armed(container, item_id)["keep"] == (3, entered + timedelta(days=7))
    assert armed(container, item_id)["daily_check"] == (3, entered + timedelta(days=3))
    pass_days(container, clock, 5)  # day 7
    assert firings(container, item_id) == {"daily_check": 7, "keep": 3}


def test_a_new_timed_rule_is_armed_for_the_items_in_its_step(
    container: Container, actor: Actor, pipeline: Pipeline, clock: FrozenClock
) -> None:
    entered = clock.now()
    first = new_item(container, actor, pipeline, "First")
    second = new_item(container, actor, pipeline, "Second")
    move(container, actor, second, pipeline.step("Legal"))
    reminder = {**daily("weekly"), "duration_days": 7, "repeat_every_days": None}
    save_family(
        container,
        actor,
        pipeline.step_templates["Intake"],
        "notifications",
        [daily("daily_check"), daily("keep"), reminder],
    )

    report = publish_and_upgrade(container, actor, pipeline.template_id)[0]

    assert report.timers.added == 1
    assert armed(container, first)["weekly"] == (1, entered + timedelta(days=7))
    assert "weekly" not in armed(container, second)


def test_items_of_a_removed_step_need_a_mapping(
    container: Container, actor: Actor, pipeline: Pipeline, clock: FrozenClock
) -> None:
    first, second = (
        new_item(container, actor, pipeline, "A"),
        new_item(container, actor, pipeline, "B"),
    )
    for item_id in (first, second):
        move(container, actor, item_id, pipeline.step("Legal"))
    delete_step(container, actor, pipeline.step_templates["Legal"])
    publish_draft(container, actor, pipeline)

    with pytest.raises(Conflict) as refused:
        upgrade(container, actor, pipeline)
    assert [(p.field, p.message) for p in refused.value.problems] == [
        (
            "step_mapping",
            "“Legal” has 2 items and is not in version 2: map it to a step of that version",
        )
    ]
    assert step_names(container, actor, pipeline) == ["Intake", "Legal", "Done"]

    clock.advance(timedelta(hours=1))
    report = upgrade(
        container,
        actor,
        pipeline,
        step_mapping={pipeline.step_templates["Legal"]: pipeline.step_templates["Intake"]},
    )

    assert report.items_moved == 2
    assert [(s.name, s.items, s.mapped_to_name) for s in report.steps_removed] == [
        ("Legal", 2, "Intake")
    ]
    assert report.timers.added == 4  # the two daily rules of Intake, for each item
    assert step_names(container, actor, pipeline) == ["Intake", "Done"]
    assert current_step(container, actor, first) == pipeline.step("Intake")
    assert armed(container, first)["keep"] == (1, clock.now() + timedelta(days=1))
    with container.uow() as uow:
        words = [entry.text for entry in item_timeline(uow, actor, first)]
    assert "Moved from Legal to Intake by the upgrade to version 2." in words


def test_a_dry_run_reports_what_the_upgrade_then_does_and_writes_nothing(
    container: Container, actor: Actor, pipeline: Pipeline, clock: FrozenClock
) -> None:
    item_id = new_item(container, actor, pipeline)
    move(container, actor, new_item(container, actor, pipeline, "Other"), pipeline.step("Legal"))
    pass_days(container, clock, 1)
    add_step(container, actor, pipeline, "Review")
    delete_step(container, actor, pipeline.step_templates["Legal"])
    save_family(
        container, actor, pipeline.step_templates["Intake"], "notifications", [daily("keep")]
    )
    publish_draft(container, actor, pipeline)
    mapping = {pipeline.step_templates["Legal"]: pipeline.step_templates["Done"]}
    before = armed(container, item_id)

    dry = upgrade(container, actor, pipeline, step_mapping=mapping, dry_run=True)

    assert dry.dry_run is True
    assert armed(container, item_id) == before
    assert step_names(container, actor, pipeline) == ["Intake", "Legal", "Done"]
    real = upgrade(container, actor, pipeline, step_mapping=mapping)
    compared = {"dry_run", "words"}
    assert dry.model_dump(exclude=compared) == real.model_dump(exclude=compared)
    assert (real.items_moved, real.timers.cancelled) == (1, 1)
    assert "Steps added: “Review”." in dry.words


def test_bad_upgrades_are_refused_naming_the_field(
    container: Container, actor: Actor, pipeline: Pipeline, admin: Login
) -> None:
    new_item(container, actor, pipeline)
    with pytest.raises(Conflict) as same:
        upgrade(container, actor, pipeline)
    assert same.value.problems[0].field == "to_version"
    assert same.value.problems[0].message == "the pipeline already runs version 1"
    with pytest.raises(NotFound) as unknown_version:
        upgrade(container, actor, pipeline, to_version=9)
    assert unknown_version.value.problems[0].field == "to_version"
    with pytest.raises(NotFound) as unknown_instance, container.uow() as uow:
        template_upgrade.upgrade_instance(uow, actor, uuid.uuid4())
    assert unknown_instance.value.problems[0].field == "id"

    delete_step(container, actor, pipeline.step_templates["Legal"])
    publish_draft(container, actor, pipeline)
    gone = uuid.uuid4()
    with pytest.raises(InvalidInput) as wrong:
        upgrade(container, actor, pipeline, step_mapping={pipeline.step_templates["Legal"]: gone})
    (problem,) = wrong.value.problems
    assert problem.field == f"step_mapping.{pipeline.step_templates['Legal']}"
    assert problem.message == f"“Legal” is mapped to “{gone}”, which is not a step of version 2"
    with pytest.raises(PermissionDenied):
        upgrade(container, actor_for(admin.tenant_id, admin.account_id, "manager"), pipeline)


def test_a_business_day_rule_rearms_by_the_tenants_working_days(
    container: Container, actor: Actor, pipeline: Pipeline, clock: FrozenClock
) -> None:
    entered = clock.now()  # a Monday, 09:00 UTC (tests.conftest.START)
    item_id = new_item(container, actor, pipeline)
    weekly = {
        **daily("keep"),
        "duration_days": 6,
        "repeat_every_days": None,
        "day_kind": "business",
    }
    save_family(
        container,
        actor,
        pipeline.step_templates["Intake"],
        "notifications",
        [daily("daily_check"), weekly],
    )

    report = publish_and_upgrade(container, actor, pipeline.template_id)[0]

    assert report.timers.rearmed == 1
    # Six working days (Monday to Friday) after a Monday: the Tuesday of the next week.
    assert armed(container, item_id)["keep"] == (1, entered + timedelta(days=8))


def test_an_upgrade_is_announced_to_open_boards_and_a_dry_run_is_not(
    container: Container, actor: Actor, pipeline: Pipeline
) -> None:
    new_item(container, actor, pipeline)
    add_step(container, actor, pipeline, "Review")
    publish_draft(container, actor, pipeline)
    with container.uow() as uow:
        template_upgrade.upgrade_instance(uow, actor, pipeline.instance_id, dry_run=True)
        assert changes.take(uow.session) == []

    async def scenario() -> Change | None:
        subscription = container.feed.subscribe()
        assert await asyncio.to_thread(container.feed.ready, 30), "the LISTEN did not start"
        await asyncio.to_thread(upgrade, container, actor, pipeline)
        try:
            return await subscription.next(30)
        finally:
            subscription.close()

    # On a thread of its own, as an earlier browser test may have left its loop set here.
    with ThreadPoolExecutor(1) as thread:
        announced = thread.submit(asyncio.run, scenario()).result(timeout=120)

    assert announced is not None
    assert (announced.kind, announced.pipeline_id) == ("pipeline.upgraded", pipeline.instance_id)
