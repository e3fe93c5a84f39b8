"""Conditional routing is decided and recorded by the change that fires it: the move (or
field change) writes each ``move_to_step`` automation's run in its own transaction, and
no outbox job is left to look back at what happened, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from pacetrack.db import outbox
from pacetrack.db.tables_automations import AutomationRun
from pacetrack.db.tables_delivery import Outbox
from pacetrack.services import items, moves
from pacetrack.services.context import Actor
from pacetrack.services.items import ItemCreate, ItemFieldsUpdate
from pacetrack.services.moves import MoveItem
from pacetrack.services.side_effects import AUTOMATION_JOB, rule_payload
from tests.automations.support import make_worker
from tests.conftest import Login
from tests.services.moves_support import (
    FieldDef,
    Pipeline,
    StepDef,
    actor_for,
    armed_rules,
    build_pipeline,
    define_fields,
    history,
)


@pytest.fixture
def actor(admin: Login) -> Actor:
    return actor_for(admin.tenant_id, admin.account_id, "admin")


@pytest.fixture
def fields(container: Container, admin: Login) -> None:
    define_fields(
        container,
        admin.tenant_id,
        [
            FieldDef(name="deal_value", field_type="currency"),
            FieldDef(name="status", field_type="dropdown", options=("open", "lost")),
        ],
    )


def route(rule_id: str, to: str, trigger: str = "on_enter", **extra: Any) -> dict[str, Any]:
    return {
        "id": rule_id,
        "trigger": trigger,
        "action": {"type": "move_to_step", "step": to},
        **extra,
    }


def pipeline_of(container: Container, admin: Login, *steps: StepDef) -> Pipeline:
    return build_pipeline(container, admin.tenant_id, list(steps))


def straight_on(container: Container, admin: Login) -> Pipeline:
    """Start, then Review, whose automation “Straight on” sends an entering item to Done."""
    return pipeline_of(
        container,
        admin,
        StepDef(name="Start"),
        StepDef(
            name="Review",
            config={"automations": [{**route("straight_on", "Done"), "name": "Straight on"}]},
        ),
        StepDef(name="Done"),
    )


def new_item(container: Container, actor: Actor, pipeline: Pipeline) -> uuid.UUID:
    with container.uow() as uow:
        created = items.create_item(
            uow, actor, ItemCreate(pipeline_instance_id=pipeline.instance_id, name="Item")
        )
    return created.id


def move(container: Container, actor: Actor, item_id: uuid.UUID, step_id: uuid.UUID) -> Any:
    with container.uow() as uow:
        return moves.move_item(uow, actor, MoveItem(id=item_id, step_id=step_id))


def runs(container: Container, item_id: uuid.UUID) -> list[AutomationRun]:
    with container.uow() as uow:
        rows = list(
            uow.session.scalars(
                select(AutomationRun)
                .where(AutomationRun.item_id == item_id)
                .order_by(AutomationRun.created_at, AutomationRun.automation_id)
            )
        )
        uow.session.expunge_all()
    return rows


def routing_jobs(container: Container) -> list[dict[str, Any]]:
    """The payloads of queued ``automation.run`` jobs whose action is ``move_to_step``."""
    with container.uow() as uow:
        payloads = uow.session.scalars(
            select(Outbox.payload).where(Outbox.kind == AUTOMATION_JOB)
        ).all()
    return [p for p in payloads if p["rule"]["action"]["type"] == "move_to_step"]


def test_the_move_writes_the_run_of_the_automation_it_follows_before_any_worker_runs(
    container: Container, admin: Login, actor: Actor, clock: FrozenClock
) -> None:
    pipeline = straight_on(container, admin)
    item_id = new_item(container, actor, pipeline)

    moved = move(container, actor, item_id, pipeline.step("Review"))

    assert moved.current_step_id == pipeline.step("Done")
    [run] = runs(container, item_id)
    assert (run.automation_id, run.automation_name, run.action_type, run.trigger) == (
        "straight_on",
        "Straight on",
        "move_to_step",
        "on_enter",
    )
    assert (run.status, run.error, run.step_id) == ("succeeded", None, pipeline.step("Review"))
    assert run.rendered_request == {"type": "move_to_step", "step": "Done"}
    assert run.result == {"moved_to": "Done", "version": moved.version}
    assert run.created_at == run.finished_at == clock.now()
    assert routing_jobs(container) == []


def test_the_run_is_part_of_the_move_s_transaction_and_rolls_back_with_it(
    container: Container, admin: Login, actor: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline = straight_on(container, admin)
    item_id = new_item(container, actor, pipeline)

    with container.uow() as uow:
        monkeypatch.setattr(uow, "commit", uow.flush)
        moves.move_item(uow, actor, MoveItem(id=item_id, step_id=pipeline.step("Review")))
        inside = uow.session.scalars(
            select(AutomationRun.status).where(AutomationRun.item_id == item_id)
        ).all()

    assert inside == ["succeeded"]
    assert runs(container, item_id) == []
    assert [name for name, _ in history(container, admin.tenant_id, item_id)] == ["Start"]


def test_a_refused_automatic_move_is_a_failed_run_and_a_rule_that_fired_with_it_is_skipped(
    container: Container, admin: Login, actor: Actor, fields: None
) -> None:
    pipeline = pipeline_of(
        container,
        admin,
        StepDef(name="Start"),
        StepDef(
            name="Review",
            config={
                "validations": [
                    {
                        "id": "valued",
                        "type": "field_required",
                        "field_id": "deal_value",
                        "error_message": "A deal value is needed",
                    }
                ],
                "automations": [route("to_done", "Done"), route("to_archive", "Archive")],
            },
        ),
        StepDef(name="Done"),
        StepDef(name="Archive"),
    )
    item_id = new_item(container, actor, pipeline)

    moved = move(container, actor, item_id, pipeline.step("Review"))

    assert moved.current_step_id == pipeline.step("Review")
    by_rule = {run.automation_id: run for run in runs(container, item_id)}
    assert (by_rule["to_done"].status, by_rule["to_done"].error) == (
        "failed",
        "move blocked: A deal value is needed",
    )
    assert (by_rule["to_archive"].status, by_rule["to_archive"].error) == (
        "skipped",
        "“to_done” fired first and decided the move",
    )
    assert routing_jobs(container) == []


def test_a_field_change_writes_the_run_of_the_route_it_takes(
    container: Container, admin: Login, actor: Actor, fields: None
) -> None:
    pipeline = pipeline_of(
        container,
        admin,
        StepDef(
            name="Open",
            config={
                "automations": [
                    route(
                        "lost",
                        "Lost",
                        trigger="on_field_change",
                        field_id="status",
                        to_value="lost",
                    )
                ]
            },
        ),
        StepDef(name="Lost"),
    )
    item_id = new_item(container, actor, pipeline)

    with container.uow() as uow:
        changed = items.update_fields(
            uow, actor, ItemFieldsUpdate(id=item_id, field_values={"status": "lost"})
        )

    assert changed.current_step_id == pipeline.step("Lost")
    [run] = runs(container, item_id)
    assert (run.trigger, run.status, run.result["moved_to"]) == (
        "on_field_change",
        "succeeded",
        "Lost",
    )
    assert routing_jobs(container) == []


def test_a_step_s_on_exit_route_is_followed_by_the_move_that_leaves_it(
    container: Container, admin: Login, actor: Actor
) -> None:
    pipeline = pipeline_of(
        container,
        admin,
        StepDef(name="Start", config={"automations": [route("file_it", "Archive", "on_exit")]}),
        StepDef(name="Middle"),
        StepDef(name="Archive"),
    )
    item_id = new_item(container, actor, pipeline)

    moved = move(container, actor, item_id, pipeline.step("Middle"))

    assert moved.current_step_id == pipeline.step("Archive")
    assert [name for name, _ in history(container, admin.tenant_id, item_id)] == [
        "Start",
        "Middle",
        "Archive",
    ]
    [run] = runs(container, item_id)
    assert (run.trigger, run.step_id, run.status) == (
        "on_exit",
        pipeline.step("Start"),
        "succeeded",
    )
    assert routing_jobs(container) == []


def test_timed_routes_due_at_entry_join_the_chain_and_arm_no_timer(
    container: Container, admin: Login, actor: Actor, clock: FrozenClock
) -> None:
    def after_no_days_to(step: str) -> dict[str, Any]:
        return {
            "automations": [
                route(f"to_{step.lower()}", step, "on_duration", duration_days=0),
                route(f"later_to_{step.lower()}", step, "on_duration", duration_days=3),
            ],
            "metadata": {"max_automatic_moves": 2},
        }

    pipeline = pipeline_of(
        container,
        admin,
        StepDef(name="Start"),
        StepDef(name="Ping", config=after_no_days_to("Pong")),
        StepDef(name="Pong", config=after_no_days_to("Ping")),
    )
    item_id = new_item(container, actor, pipeline)

    moved = move(container, actor, item_id, pipeline.step("Ping"))

    assert [m.to_step_id for m in moved.automatic_moves] == [
        pipeline.step("Pong"),
        pipeline.step("Ping"),
    ]
    assert sorted((run.trigger, run.status) for run in runs(container, item_id)) == [
        ("on_duration", "failed"),
        ("on_duration", "succeeded"),
        ("on_duration", "succeeded"),
    ]
    assert armed_rules(container, item_id) == ["later_to_pong"]
    assert routing_jobs(container) == []

    clock.advance(timedelta(days=3))
    make_worker(container).drain()

    [timed] = [run for run in runs(container, item_id) if run.automation_id == "later_to_pong"]
    assert (timed.status, timed.result["moved_to"]) == ("succeeded", "Pong")
    assert len(runs(container, item_id)) == 3 + 4  # the timer's move set off a chain of its own


def test_a_routing_job_queued_before_moves_recorded_their_runs_only_settles(
    container: Container, admin: Login, actor: Actor, clock: FrozenClock
) -> None:
    pipeline = pipeline_of(
        container,
        admin,
        StepDef(name="Start", config={"automations": [route("onward", "Done")]}),
        StepDef(name="Done"),
    )
    item_id = new_item(container, actor, pipeline)
    [_] = runs(container, item_id)
    with container.uow() as uow:
        outbox.enqueue(
            uow.session,
            tenant_id=admin.tenant_id,
            kind=AUTOMATION_JOB,
            payload=rule_payload(
                kind="automation",
                rule=route("onward", "Done"),
                trigger="on_enter",
                item_id=item_id,
                step_id=pipeline.step("Start"),
                history_id=None,
                actor_id=None,
                triggered_at=clock.now(),
            ),
            now=clock.now(),
        )
        uow.commit()

    assert make_worker(container).drain() == 1

    settled = [run for run in runs(container, item_id) if run.status == "skipped"]
    assert [(run.automation_id, run.error) for run in settled] == [
        ("onward", "followed by the change that fired it")
    ]
    assert [name for name, _ in history(container, admin.tenant_id, item_id)] == [
        "Start",
        "Done",
    ]
