"""The item's activity in sentences (services.activity_feed), on SQLite and PostgreSQL.

Each kind of entry is made by the service that makes it in the product (create, update,
move, assign, change owner, request and decide approvals) and read back as people see it,
through the service and through GET /api/item/timeline.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from pacetrack.db.tables import Account, Activity
from pacetrack.services import activity_feed, approvals, assignments, items, moves, ownership
from pacetrack.services.activity_feed import TimelineEntry
from pacetrack.services.approvals import RejectRequest, RequestApproval
from pacetrack.services.assignments import AssignItem
from pacetrack.services.context import Actor
from pacetrack.services.items import ItemCreate, ItemFieldsUpdate
from pacetrack.services.moves import MoveBlocked, MoveItem
from pacetrack.services.ownership import ChangeOwner
from tests.conftest import Login
from tests.services.assignments_support import World
from tests.services.moves_support import FieldDef, Pipeline, StepDef, build_pipeline, define_fields

TOO_SMALL = "Deals under $5k go to the SMB pipeline"
MINUTE = timedelta(minutes=1)


@pytest.fixture
def world(container: Container, admin: Login) -> World:
    world = World(container=container, tenant_id=admin.tenant_id)
    world.accounts["ada"] = admin.account_id
    for username in ("ana", "bo", "max"):
        world.add_person(username)
    with container.uow() as uow:
        for username, name in (
            ("ada", "Ada Lovelace"),
            ("ana", "Ana Lima"),
            ("bo", "Bo Chen"),
            ("max", "Max Weber"),
        ):
            account = uow.session.get(Account, (admin.tenant_id, world.accounts[username]))
            assert account is not None
            account.display_name = name
        uow.commit()
    world.add_group("Sales reps", ["ana", "bo"])
    return world


@pytest.fixture
def pipeline(container: Container, admin: Login, world: World) -> Pipeline:
    define_fields(container, admin.tenant_id, [FieldDef(name="deal_value", field_type="currency")])
    rule = {
        "id": "min_deal",
        "type": "field_min_value",
        "field_id": "deal_value",
        "min_value": 5000,
        "error_message": TOO_SMALL,
    }
    return build_pipeline(
        container,
        admin.tenant_id,
        [
            StepDef(name="Lead", config={"validations": [rule]}),
            StepDef(
                name="Qualified",
                config={
                    "assignments": [{"type": "round_robin", "id": "Sales reps"}],
                    "metadata": {"requires_approval": True},
                },
            ),
            StepDef(name="Demo"),
        ],
    )


def admin_actor(admin: Login) -> Actor:
    return Actor(tenant_id=admin.tenant_id, account_id=admin.account_id, roles=frozenset({"admin"}))


def timeline(container: Container, actor: Actor, item_id: uuid.UUID) -> list[TimelineEntry]:
    with container.uow() as uow:
        return activity_feed.item_timeline(uow, actor, item_id)


def said(entries: list[TimelineEntry]) -> list[tuple[str, list[str]]]:
    return [(entry.text, entry.details) for entry in entries]


def create(container: Container, actor: Actor, pipeline: Pipeline, **values: Any) -> uuid.UUID:
    with container.uow() as uow:
        created = items.create_item(
            uow,
            actor,
            ItemCreate(pipeline_instance_id=pipeline.instance_id, name="Acme", field_values=values),
        )
    return created.id


def move(container: Container, actor: Actor, item_id: uuid.UUID, step_id: uuid.UUID) -> None:
    with container.uow() as uow:
        moves.move_item(uow, actor, MoveItem(id=item_id, step_id=step_id))


def test_created_changed_refused_and_moved_read_as_sentences_by_display_name(
    container: Container, admin: Login, pipeline: Pipeline, clock: FrozenClock
) -> None:
    actor = admin_actor(admin)
    item_id = create(container, actor, pipeline, deal_value="4000")
    clock.advance(MINUTE)
    with pytest.raises(MoveBlocked):
        move(container, actor, item_id, pipeline.step("Qualified"))
    clock.advance(MINUTE)
    with container.uow() as uow:
        items.update_fields(
            uow, actor, ItemFieldsUpdate(id=item_id, field_values={"deal_value": 6000})
        )
    # Saved and moved in the same instant: the move is listed after the change it follows.
    move(container, actor, item_id, pipeline.step("Qualified"))

    entries = timeline(container, actor, item_id)

    assert said(entries) == [
        ("Assigned to Ana Lima by round robin among Sales reps.", []),
        ("Moved from Lead to Qualified.", []),
        ("Changed 1 field.", ["Deal value: 4000.00 → 6000.00"]),
        ("The move to Qualified was refused (1 reason).", [TOO_SMALL]),
        ("Created at Lead.", []),
    ]
    assert {entry.actor for entry in entries} == {"Ada Lovelace"}
    assert [entry.outcome for entry in entries] == ["info", "ok", "info", "refused", "info"]


def test_assignments_by_hand_and_a_new_owner_name_the_people(
    container: Container, admin: Login, pipeline: Pipeline, world: World, clock: FrozenClock
) -> None:
    actor = admin_actor(admin)
    item_id = create(container, actor, pipeline, deal_value="6000")
    bo, ana = world.accounts["bo"], world.accounts["ana"]
    clock.advance(MINUTE)
    with container.uow() as uow:
        assignments.assign_item(uow, actor, AssignItem(id=item_id, mode="add", account_ids=[bo]))
    clock.advance(MINUTE)
    with container.uow() as uow:
        assignments.assign_item(uow, actor, AssignItem(id=item_id, mode="remove", account_ids=[bo]))
    clock.advance(MINUTE)
    with container.uow() as uow:
        assignments.assign_item(
            uow, actor, AssignItem(id=item_id, mode="replace", account_ids=[ana, bo])
        )
    clock.advance(MINUTE)
    with container.uow() as uow:
        ownership.change_owner(uow, actor, ChangeOwner(id=item_id, owner_account_id=ana))

    texts = [entry.text for entry in timeline(container, actor, item_id)]

    assert texts[:4] == [
        "Changed the owner from Ada Lovelace to Ana Lima.",
        "Set the assignees to Ana Lima and Bo Chen.",
        "Removed Bo Chen from the assignees.",
        "Assigned Bo Chen.",
    ]


def test_an_assignment_logged_before_rules_were_recorded_still_reads(
    container: Container, admin: Login, pipeline: Pipeline, world: World
) -> None:
    actor = admin_actor(admin)
    item_id = create(container, actor, pipeline, deal_value="6000")
    with container.uow() as uow:
        uow.session.add(
            Activity(
                tenant_id=admin.tenant_id,
                id=uuid.uuid4(),
                item_id=item_id,
                actor_account_id=None,
                kind="item.assigned",
                data={
                    "source": "step_entry",
                    "step_id": str(pipeline.step("Qualified")),
                    "rules": ["round_robin"],
                    "added": [str(world.accounts["bo"])],
                    "removed": [str(world.accounts["ana"])],
                    "assignees": [str(world.accounts["bo"])],
                },
                created_at=uow.clock.now(),
            )
        )
        uow.commit()

    [entry] = [e for e in timeline(container, actor, item_id) if e.kind == "item.assigned"]

    assert (entry.text, entry.details, entry.actor) == (
        "Entering Qualified changed the assignees.",
        ["Assigned to Bo Chen by the step's rules.", "No longer assigned: Ana Lima."],
        None,
    )


def test_approvals_requested_and_decided_with_their_comments(
    container: Container, admin: Login, pipeline: Pipeline, world: World, clock: FrozenClock
) -> None:
    actor = admin_actor(admin)
    item_id = create(container, actor, pipeline, deal_value="6000")
    move(container, actor, item_id, pipeline.step("Qualified"))
    max_ = world.actor("max")
    with container.uow() as uow:
        request = approvals.request_approval(
            uow, max_, RequestApproval(item_id=item_id, comment="Signed the NDA")
        )
    clock.advance(MINUTE)
    with container.uow() as uow:
        approvals.reject(
            uow, actor, RejectRequest(request_id=request.id, comment="Budget not confirmed")
        )

    entries = [e for e in timeline(container, actor, item_id) if e.kind.startswith("approval.")]

    assert [(e.text, e.details, e.actor, e.outcome) for e in entries] == [
        ("Rejected leaving Qualified.", ["“Budget not confirmed”"], "Ada Lovelace", "refused"),
        ("Asked for approval to leave Qualified.", ["“Signed the NDA”"], "Max Weber", "pending"),
    ]


def test_someone_else_s_item_is_not_found(
    container: Container, admin: Login, pipeline: Pipeline, other_admin: Login
) -> None:
    item_id = create(container, admin_actor(admin), pipeline, deal_value="6000")
    stranger = admin_actor(other_admin)
    with container.uow() as uow, pytest.raises(items.NotFound):
        activity_feed.item_timeline(uow, stranger, item_id)


def test_an_unresolved_assignment_and_a_broken_routing_rule_say_why(
    container: Container, admin: Login, world: World
) -> None:
    world.add_group("Night shift", [])
    pipeline = build_pipeline(
        container,
        admin.tenant_id,
        [
            StepDef(name="Intake"),
            StepDef(
                name="Review",
                config={
                    "assignments": [{"type": "round_robin", "id": "Night shift"}],
                    "automations": [
                        {
                            "id": "route_on",
                            "trigger": "on_enter",
                            "action": {"type": "move_to_step", "step": "Archive"},
                        }
                    ],
                },
            ),
        ],
    )
    actor = admin_actor(admin)
    item_id = create(container, actor, pipeline)
    move(container, actor, item_id, pipeline.step("Review"))

    entries = {entry.kind: entry for entry in timeline(container, actor, item_id)}

    unresolved = entries["assignment.unresolved"]
    assert (unresolved.text, unresolved.outcome) == (
        "Nobody could be assigned by round robin among Night shift: group “Night shift” has "
        "no members. The item has no assignee.",
        "failed",
    )
    broken = entries["item.automation_error"]
    assert (broken.text, broken.outcome) == (
        "An automation could not run: no step “Archive” in this pipeline.",
        "failed",
    )


def test_the_timeline_is_also_an_api(
    client: TestClient, container: Container, admin: Login, pipeline: Pipeline
) -> None:
    item_id = create(container, admin_actor(admin), pipeline, deal_value="4000")

    answer = client.get("/api/item/timeline", params={"id": str(item_id)}, headers=admin.headers)
    unknown = client.get(
        "/api/item/timeline", params={"id": str(uuid.uuid4())}, headers=admin.headers
    )
    malformed = client.get("/api/item/timeline", params={"id": "x"}, headers=admin.headers)

    assert answer.status_code == 200
    assert [(e["kind"], e["text"], e["actor"]) for e in answer.json()] == [
        ("item.created", "Created at Lead.", "Ada Lovelace")
    ]
    assert unknown.status_code == 404
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["field"] == "id"
