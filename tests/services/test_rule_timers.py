"""A deleted or disabled rule stops at once: saving a running step's rules, or upgrading a
pipeline to a published version of its template, cancels the armed timers of rules that are
gone, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from pacetrack.db.tables_delivery import Outbox
from pacetrack.services import items, pipelines, side_effects, templates
from pacetrack.services.context import Actor
from pacetrack.services.items import ItemCreate
from pacetrack.services.pipelines import StepOverridesUpdate
from tests.conftest import Login
from tests.services.moves_support import (
    FieldDef,
    Pipeline,
    StepDef,
    actor_for,
    armed_rules,
    build_pipeline,
    define_fields,
)
from tests.support.versions import publish_and_upgrade


def daily(rule_id: str) -> dict[str, Any]:
    return {
        "id": rule_id,
        "trigger": "on_duration",
        "duration_days": 1,
        "repeat_every_days": 1,
        "recipients": [{"type": "owner"}],
    }


CHASE = {
    "id": "chase",
    "trigger": "on_duration",
    "duration_days": 1,
    "repeat_every_days": 1,
    "action": {"type": "update_field", "field_id": "note", "value": "chased"},
}


@pytest.fixture
def actor(admin: Login) -> Actor:
    return actor_for(admin.tenant_id, admin.account_id, "admin")


@pytest.fixture
def pipeline(container: Container, admin: Login) -> Pipeline:
    define_fields(container, admin.tenant_id, [FieldDef(name="note", field_type="text")])
    return build_pipeline(
        container,
        admin.tenant_id,
        [
            StepDef(
                name="Recovery",
                config={
                    "notifications": [daily("daily_check"), daily("keep")],
                    "automations": [CHASE],
                },
            ),
            StepDef(name="Discharged"),
        ],
    )


def new_item(container: Container, actor: Actor, pipeline: Pipeline) -> uuid.UUID:
    with container.uow() as uow:
        return items.create_item(
            uow, actor, ItemCreate(pipeline_instance_id=pipeline.instance_id, name="Patient")
        ).id


def pass_days(container: Container, clock: FrozenClock, days: int) -> None:
    for _day in range(days):
        clock.advance(timedelta(days=1))
        with container.uow() as uow:
            side_effects.fire_due_timers(uow)


def firings(container: Container, item_id: uuid.UUID) -> dict[str, int]:
    """How many times each rule fired for the item (its jobs in the outbox)."""
    counts: dict[str, int] = {}
    with container.uow() as uow:
        for payload in uow.session.scalars(select(Outbox.payload)):
            if payload.get("item_id") == str(item_id) and payload.get("trigger") == "on_duration":
                counts[payload["rule_id"]] = counts.get(payload["rule_id"], 0) + 1
    return counts


def override_notifications(
    container: Container, actor: Actor, pipeline: Pipeline, rules: list[dict[str, Any]]
) -> None:
    with container.uow() as uow:
        pipelines.update_step_overrides(
            uow,
            actor,
            StepOverridesUpdate(
                step_id=pipeline.step("Recovery"), config_overrides={"notifications": rules}
            ),
        )


def save_template_family(
    container: Container, actor: Actor, pipeline: Pipeline, family: str, raw: Any
) -> None:
    """Saves the template's family, publishes it and upgrades the pipeline to it (a template
    edit is a draft until then)."""
    with container.uow() as uow:
        templates.update_family(
            uow, actor, pipeline.step_templates["Recovery"], family=family, raw=raw
        )
    publish_and_upgrade(container, actor, pipeline.template_id)


def test_a_daily_rule_deleted_after_entry_does_not_fire_again(
    container: Container, actor: Actor, pipeline: Pipeline, clock: FrozenClock
) -> None:
    item_id = new_item(container, actor, pipeline)
    pass_days(container, clock, 1)
    assert firings(container, item_id) == {"daily_check": 1, "keep": 1, "chase": 1}

    save_template_family(container, actor, pipeline, "notifications", [daily("keep")])
    assert armed_rules(container, item_id) == ["chase", "keep"]
    pass_days(container, clock, 4)

    # Before rules stopped at once, the deleted rule's armed copy fired on each of the 4 days.
    assert firings(container, item_id) == {"daily_check": 1, "keep": 5, "chase": 5}


def test_disabling_an_automation_cancels_its_timer_at_once(
    container: Container, actor: Actor, pipeline: Pipeline, clock: FrozenClock
) -> None:
    item_id = new_item(container, actor, pipeline)

    save_template_family(
        container, actor, pipeline, "automations", [{**CHASE, "is_enabled": False}]
    )
    assert armed_rules(container, item_id) == ["daily_check", "keep"]
    pass_days(container, clock, 3)

    assert "chase" not in firings(container, item_id)


def test_removing_a_rule_in_a_running_steps_override_cancels_its_timer(
    container: Container, actor: Actor, pipeline: Pipeline, clock: FrozenClock
) -> None:
    item_id = new_item(container, actor, pipeline)
    pass_days(container, clock, 1)

    override_notifications(container, actor, pipeline, [daily("keep")])
    assert armed_rules(container, item_id) == ["chase", "keep"]
    pass_days(container, clock, 2)

    assert firings(container, item_id) == {"daily_check": 1, "keep": 3, "chase": 3}


def test_a_template_change_leaves_a_step_whose_override_replaces_the_family_alone(
    container: Container, actor: Actor, pipeline: Pipeline
) -> None:
    override_notifications(container, actor, pipeline, [daily("daily_check")])
    item_id = new_item(container, actor, pipeline)

    save_template_family(container, actor, pipeline, "notifications", [])

    assert armed_rules(container, item_id) == ["chase", "daily_check"]
