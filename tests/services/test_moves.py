"""services.moves: the one move path, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from pacetrack.db.tables_automations import AutomationRun
from pacetrack.services import items, moves
from pacetrack.services.context import Actor
from pacetrack.services.errors import Conflict, InvalidInput, NotFound
from pacetrack.services.items import ItemCreate, ItemFieldsUpdate
from pacetrack.services.moves import BulkMove, MoveBlocked, MoveItem
from tests.conftest import Login
from tests.services.moves_support import (
    FieldDef,
    Pipeline,
    StepDef,
    activities,
    actor_for,
    build_pipeline,
    define_fields,
    failures,
    history,
)

FIELDS = [
    FieldDef(name="deal_value", field_type="currency"),
    FieldDef(name="decision_maker", field_type="text"),
    FieldDef(name="discount_pct", field_type="number"),
    FieldDef(name="list_price", field_type="currency"),
    FieldDef(name="commission", field_type="currency"),
    FieldDef(name="tracking_number", field_type="text"),
    FieldDef(name="priority", field_type="dropdown", options=("low", "high")),
]


@pytest.fixture
def actor(admin: Login) -> Actor:
    return actor_for(admin.tenant_id, admin.account_id, "admin")


@pytest.fixture
def fields(container: Container, admin: Login) -> None:
    define_fields(container, admin.tenant_id, FIELDS)


def pipeline_of(container: Container, admin: Login, *steps: StepDef) -> Pipeline:
    return build_pipeline(container, admin.tenant_id, list(steps))


def new_item(
    container: Container,
    actor: Actor,
    pipeline: Pipeline,
    *,
    at: str | None = None,
    **values: object,
) -> uuid.UUID:
    with container.uow() as uow:
        created = items.create_item(
            uow,
            actor,
            ItemCreate(
                pipeline_instance_id=pipeline.instance_id,
                name="Item",
                step_id=pipeline.step(at) if at else None,
                field_values=dict(values),
            ),
        )
    return created.id


def move(
    container: Container,
    actor: Actor,
    item_id: uuid.UUID,
    step_id: uuid.UUID,
    version: int | None = None,
) -> moves.MoveOut:
    with container.uow() as uow:
        return moves.move_item(
            uow, actor, MoveItem(id=item_id, step_id=step_id, expected_version=version)
        )


def blocked(
    container: Container, actor: Actor, item_id: uuid.UUID, step_id: uuid.UUID
) -> list[tuple[str, str | None, str]]:
    with pytest.raises(MoveBlocked) as refused:
        move(container, actor, item_id, step_id)
    return [(v.rule_id, v.field_id, v.message) for v in refused.value.violations]


def current_step(container: Container, actor: Actor, item_id: uuid.UUID) -> tuple:
    with container.uow() as uow:
        detail = items.get_item(uow, actor, item_id)
    return detail.item.current_step_id, detail.item.version


LINEAR = (StepDef(name="A"), StepDef(name="B"), StepDef(name="C"), StepDef(name="D"))


def test_a_move_closes_one_history_row_opens_another_and_bumps_the_version(
    container: Container, admin: Login, actor: Actor, fields: None, clock: FrozenClock
) -> None:
    pipeline = pipeline_of(container, admin, *LINEAR)
    item_id = new_item(container, actor, pipeline)
    clock.advance(timedelta(hours=5))

    moved = move(container, actor, item_id, pipeline.step("B"), version=1)

    assert moved.current_step_id == pipeline.step("B")
    assert moved.version == 2
    assert history(container, admin.tenant_id, item_id) == [("A", True), ("B", False)]
    with container.uow() as uow:
        record = items.item_history(uow, actor, item_id)
    assert [e.duration_seconds for e in record.entries] == [5 * 3600, 0]
    assert record.entries[0].exited_by == admin.account_id
    logged = activities(container, admin.tenant_id, item_id, "item.moved")
    assert logged[0]["from_step"] == "A"
    assert logged[0]["to_step"] == "B"
    assert logged[0]["automatic"] is False


def test_required_fields_from_field_configs_block_leaving_the_step(
    container: Container, admin: Login, actor: Actor, fields: None
) -> None:
    pipeline = pipeline_of(
        container,
        admin,
        StepDef(
            name="Qualified",
            config={
                "field_configs": [
                    {"field_definition_id": "deal_value", "is_required": True},
                    {"field_definition_id": "decision_maker", "is_required": True},
                ]
            },
        ),
        StepDef(name="Demo"),
    )
    item_id = new_item(container, actor, pipeline, deal_value=9000)

    violations = blocked(container, actor, item_id, pipeline.step("Demo"))

    assert violations == [
        ("required:decision_maker", "decision_maker", "Decision maker is required")
    ]
    assert current_step(container, actor, item_id) == (pipeline.step("Qualified"), 1)
    assert failures(container, admin.tenant_id, item_id) == ["required:decision_maker"]


def test_every_violation_is_reported_at_once_and_nothing_changes(
    container: Container, admin: Login, actor: Actor, fields: None
) -> None:
    pipeline = pipeline_of(
        container,
        admin,
        StepDef(
            name="Proposal",
            config={
                "field_configs": [{"field_definition_id": "decision_maker", "is_required": True}],
                "validations": [
                    {
                        "id": "max_discount",
                        "type": "field_max_value",
                        "field_id": "discount_pct",
                        "max_value": 30,
                        "error_message": "Discounts above 30% need a manager",
                    },
                    {
                        "id": "tracking",
                        "type": "field_pattern",
                        "field_id": "tracking_number",
                        "pattern": "^[A-Z0-9]{10,20}$",
                    },
                    {"id": "prio", "type": "field_required", "field_id": "priority"},
                ],
                "metadata": {"allowed_next_steps": ["Negotiation"]},
            },
        ),
        StepDef(name="Negotiation"),
        StepDef(name="Closed Lost"),
    )
    item_id = new_item(container, actor, pipeline, discount_pct=45, tracking_number="abc")

    violations = blocked(container, actor, item_id, pipeline.step("Closed Lost"))

    assert [v[0] for v in violations] == [
        "transition:not_allowed",
        "required:decision_maker",
        "max_discount",
        "tracking",
        "prio",
    ]
    assert violations[2][2] == "Discounts above 30% need a manager"
    assert current_step(container, actor, item_id) == (pipeline.step("Proposal"), 1)
    assert history(container, admin.tenant_id, item_id) == [("Proposal", False)]
    assert len(activities(container, admin.tenant_id, item_id, "item.move_blocked")) == 1


def test_a_stale_version_is_a_conflict(
    container: Container, admin: Login, actor: Actor, fields: None
) -> None:
    pipeline = pipeline_of(container, admin, *LINEAR)
    item_id = new_item(container, actor, pipeline)
    move(container, actor, item_id, pipeline.step("B"), version=1)

    with pytest.raises(Conflict):
        move(container, actor, item_id, pipeline.step("C"), version=1)

    assert current_step(container, actor, item_id) == (pipeline.step("B"), 2)


def test_two_concurrent_moves_of_one_item_exactly_one_wins(
    container: Container, admin: Login, actor: Actor, fields: None
) -> None:
    pipeline = pipeline_of(container, admin, *LINEAR)
    item_id = new_item(container, actor, pipeline)
    start = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def attempt(target: str) -> None:
        start.wait(timeout=10)
        try:
            outcomes[target] = move(container, actor, item_id, pipeline.step(target), version=1)
        except Conflict as exc:
            outcomes[target] = exc

    threads = [threading.Thread(target=attempt, args=(name,)) for name in ("B", "C")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    winners = [name for name, result in outcomes.items() if isinstance(result, moves.MoveOut)]
    losers = [name for name, result in outcomes.items() if isinstance(result, Conflict)]
    assert len(winners) == 1
    assert len(losers) == 1
    assert current_step(container, actor, item_id) == (pipeline.step(winners[0]), 2)
    assert history(container, admin.tenant_id, item_id) == [("A", True), (winners[0], False)]


@pytest.mark.parametrize(
    ("metadata", "target", "rule"),
    [
        ({"allowed_next_steps": ["C"]}, "D", "transition:not_allowed"),
        ({"allow_skip": False}, "D", "transition:skip"),
        ({"allow_backward": False}, "A", "transition:backward"),
        ({}, "B", "transition:same_step"),
    ],
)
def test_transition_rules_of_the_step_being_left(
    container: Container,
    admin: Login,
    actor: Actor,
    fields: None,
    metadata: dict,
    target: str,
    rule: str,
) -> None:
    pipeline = pipeline_of(
        container,
        admin,
        StepDef(name="A"),
        StepDef(name="B", config={"metadata": metadata}),
        StepDef(name="C"),
        StepDef(name="D"),
    )
    item_id = new_item(container, actor, pipeline, at="B")

    violations = blocked(container, actor, item_id, pipeline.step(target))

    assert [v[0] for v in violations] == [rule]


@pytest.mark.parametrize(
    ("metadata", "target"),
    [
        ({"allowed_next_steps": ["C", "a"]}, "A"),
        ({"allowed_next_steps": ["D"], "allow_skip": False}, "D"),
        ({"allow_skip": False}, "C"),
        ({"allow_skip": False}, "A"),
        ({"allow_backward": False}, "D"),
        ({}, "A"),
    ],
)
def test_moves_the_transition_rules_allow(
    container: Container,
    admin: Login,
    actor: Actor,
    fields: None,
    metadata: dict,
    target: str,
) -> None:
    pipeline = pipeline_of(
        container,
        admin,
        StepDef(name="A"),
        StepDef(name="B", config={"metadata": metadata}),
        StepDef(name="C"),
        StepDef(name="D"),
    )
    item_id = new_item(container, actor, pipeline, at="B")

    moved = move(container, actor, item_id, pipeline.step(target))

    assert moved.current_step_id == pipeline.step(target)


def test_a_loop_back_opens_a_new_history_row_for_the_same_step(
    container: Container, admin: Login, actor: Actor, fields: None, clock: FrozenClock
) -> None:
    pipeline = pipeline_of(container, admin, *LINEAR)
    item_id = new_item(container, actor, pipeline)
    for target in ("B", "C", "B"):
        clock.advance(timedelta(minutes=1))
        move(container, actor, item_id, pipeline.step(target))

    assert history(container, admin.tenant_id, item_id) == [
        ("A", True),
        ("B", True),
        ("C", True),
        ("B", False),
    ]


def test_entry_requirements_of_the_target_step(
    container: Container, admin: Login, actor: Actor, fields: None
) -> None:
    pipeline = pipeline_of(
        container,
        admin,
        StepDef(name="Intake"),
        StepDef(
            name="Testing",
            config={
                "metadata": {
                    "entry_required_fields": ["tracking_number"],
                    "entry_validations": [
                        {
                            "id": "big_enough",
                            "type": "field_min_value",
                            "field_id": "deal_value",
                            "min_value": 100,
                        }
                    ],
                }
            },
        ),
    )
    item_id = new_item(container, actor, pipeline, deal_value=50)

    violations = blocked(container, actor, item_id, pipeline.step("Testing"))
    with container.uow() as uow:
        items.update_fields(
            uow,
            actor,
            ItemFieldsUpdate(id=item_id, field_values={"tracking_number": "X1", "deal_value": 500}),
        )
    moved = move(container, actor, item_id, pipeline.step("Testing"))

    assert [v[0] for v in violations] == ["entry_required:tracking_number", "big_enough"]
    assert violations[0][2] == "Tracking number is required to enter Testing"
    assert moved.current_step_id == pipeline.step("Testing")


def test_calculations_of_the_target_step_run_on_entry(
    container: Container, admin: Login, actor: Actor, fields: None
) -> None:
    pipeline = pipeline_of(
        container,
        admin,
        StepDef(name="Demo"),
        StepDef(
            name="Proposal",
            config={
                "calculations": [
                    {
                        "id": "commission",
                        "type": "custom",
                        "expression": "deal_value * (1 - discount_pct / 100) * 0.1",
                        "output_field_id": "commission",
                    }
                ]
            },
        ),
    )
    item_id = new_item(container, actor, pipeline, deal_value=10000, discount_pct=20)

    moved = move(container, actor, item_id, pipeline.step("Proposal"))

    assert moved.field_values["commission"] == "800.00"


def test_a_step_of_another_pipeline_is_refused_and_an_unknown_item_is_not_found(
    container: Container, admin: Login, actor: Actor, fields: None, other_admin: Login
) -> None:
    pipeline = pipeline_of(container, admin, *LINEAR)
    other = pipeline_of(container, admin, StepDef(name="Elsewhere"))
    item_id = new_item(container, actor, pipeline)
    stranger = actor_for(other_admin.tenant_id, other_admin.account_id, "admin")

    with pytest.raises(InvalidInput) as wrong_step:
        move(container, actor, item_id, other.step("Elsewhere"))
    with pytest.raises(NotFound):
        move(container, stranger, item_id, pipeline.step("B"))

    assert wrong_step.value.problems[0].field == "step_id"


def test_validation_status_lists_each_requirement_met_or_not_without_moving(
    container: Container, admin: Login, actor: Actor, fields: None
) -> None:
    pipeline = pipeline_of(
        container,
        admin,
        StepDef(
            name="Lead",
            config={
                "field_configs": [{"field_definition_id": "decision_maker", "is_required": True}],
                "validations": [
                    {
                        "id": "min_deal_value",
                        "type": "field_min_value",
                        "field_id": "deal_value",
                        "min_value": 5000,
                        "error_message": "Deals under $5k should go to SMB pipeline",
                    },
                    {"id": "prio", "type": "field_required", "field_id": "priority"},
                ],
            },
        ),
        StepDef(name="Qualified"),
    )
    item_id = new_item(container, actor, pipeline, deal_value=4000, priority="high")

    with container.uow() as uow:
        status = moves.validation_status(uow, actor, item_id)

    assert not status.ready
    assert [(r.rule_id, r.field_id, r.met) for r in status.requirements] == [
        ("required:decision_maker", "decision_maker", False),
        ("min_deal_value", "deal_value", False),
        ("prio", "priority", True),
    ]
    assert status.requirements[1].message == "Deals under $5k should go to SMB pipeline"
    assert current_step(container, actor, item_id) == (pipeline.step("Lead"), 1)
    assert failures(container, admin.tenant_id, item_id) == []


def test_bulk_move_answers_per_item_and_each_is_its_own_transaction(
    container: Container, admin: Login, actor: Actor, fields: None
) -> None:
    pipeline = pipeline_of(
        container,
        admin,
        StepDef(
            name="Lead",
            config={
                "validations": [
                    {
                        "id": "min_deal_value",
                        "type": "field_min_value",
                        "field_id": "deal_value",
                        "min_value": 5000,
                    }
                ]
            },
        ),
        StepDef(name="Qualified"),
    )
    good = [new_item(container, actor, pipeline, deal_value=9000) for _ in range(3)]
    small = new_item(container, actor, pipeline, deal_value=10)
    missing = uuid.uuid4()

    result = moves.bulk_move(
        container.uow,
        actor,
        BulkMove(
            item_ids=[good[0], small, missing, good[1], good[2]],
            step_id=pipeline.step("Qualified"),
        ),
    )

    statuses = {r.id: r.status for r in result.results}
    assert statuses == {
        good[0]: "moved",
        small: "blocked",
        missing: "not_found",
        good[1]: "moved",
        good[2]: "moved",
    }
    assert (result.moved, result.blocked, result.failed) == (3, 1, 1)
    refused = next(r for r in result.results if r.id == small)
    assert [v.rule_id for v in refused.violations] == ["min_deal_value"]
    for item_id in good:
        assert current_step(container, actor, item_id) == (pipeline.step("Qualified"), 2)
    assert current_step(container, actor, small) == (pipeline.step("Lead"), 1)
    assert failures(container, admin.tenant_id, small) == ["min_deal_value"]


def test_bulk_move_refuses_more_than_a_thousand_items() -> None:
    with pytest.raises(ValueError):
        BulkMove(item_ids=[uuid.uuid4() for _ in range(1001)], step_id=uuid.uuid4())


def test_an_automatic_move_chain_stops_at_the_loop_guard_with_a_recorded_error(
    container: Container, admin: Login, actor: Actor, fields: None
) -> None:
    def bounce_to(step: str) -> dict:
        return {
            "automations": [
                {
                    "id": f"to_{step.lower()}",
                    "trigger": "on_enter",
                    "action": {"type": "move_to_step", "step": step},
                }
            ],
            "metadata": {"max_automatic_moves": 3},
        }

    pipeline = pipeline_of(
        container,
        admin,
        StepDef(name="Start"),
        StepDef(name="Ping", config=bounce_to("Pong")),
        StepDef(name="Pong", config=bounce_to("Ping")),
    )
    item_id = new_item(container, actor, pipeline)

    moved = move(container, actor, item_id, pipeline.step("Ping"))

    assert len(moved.automatic_moves) == 3
    assert [m.to_step_id for m in moved.automatic_moves] == [
        pipeline.step("Pong"),
        pipeline.step("Ping"),
        pipeline.step("Pong"),
    ]
    assert moved.current_step_id == pipeline.step("Pong")
    assert moved.version == 5
    stopped = activities(container, admin.tenant_id, item_id, "item.automation_loop_stopped")
    assert len(stopped) == 1
    assert stopped[0]["automatic_moves"] == 3
    assert stopped[0]["limit"] == 3
    assert len(history(container, admin.tenant_id, item_id)) == 5
    with container.uow() as uow:
        runs = uow.session.execute(
            select(AutomationRun.status, AutomationRun.error).where(
                AutomationRun.item_id == item_id
            )
        ).all()
    assert sorted((status, error or "") for status, error in runs) == [
        ("failed", stopped[0]["message"]),
        ("succeeded", ""),
        ("succeeded", ""),
        ("succeeded", ""),
    ]
