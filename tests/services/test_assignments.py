"""Assignment on entering a step: every rule type, inactive accounts, nobody eligible."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from pacetrack.bootstrap import Container
from pacetrack.engine.events import AssignmentUnresolved, DomainEvent, ItemAssigned
from pacetrack.services import assignment_rules, assignments, pipelines, side_effects
from pacetrack.services.access import AccessSpec
from pacetrack.services.assignments import AssignItem
from pacetrack.services.errors import Conflict
from pacetrack.services.pipelines import AccessUpdate
from tests.services.assignments_support import World, make_world


@pytest.fixture
def world(container: Container) -> World:
    world = make_world(container)
    for name in ("ann", "bob", "cat", "dan"):
        world.add_person(name)
    world.add_person("eve", active=False)
    world.add_person("phil", roles=["physician"])
    world.add_person("pam", roles=["physician", "member"])
    world.add_person("pete", roles=["physician"], active=False)
    world.add_group("team", ["dan", "bob", "ann", "cat", "eve"])
    world.add_group("ghosts", ["eve"])
    world.add_step("Start")
    return world


def enter(world: World, item_id: uuid.UUID, step: str) -> ItemAssigned | None:
    with world.container.uow() as uow:
        item = world.item(uow, item_id)
        entered = world.enter(uow, item, step)
        _step, config = world.step(uow, step)
        event = assignment_rules.assign_on_entry(
            uow, actor=world.actor(), item=item, step=entered, config=config
        )
        uow.commit()
    return event


def test_user_rule_assigns_the_named_user_by_username_or_id(world: World) -> None:
    world.add_step("By name", assignments=[{"type": "user", "id": "bob"}])
    world.add_step("By id", assignments=[{"type": "user", "id": str(world.accounts["cat"])}])
    item = world.add_item(step="Start")

    first = enter(world, item, "By name")
    after_first = world.assignees(item)
    second = enter(world, item, "By id")

    assert after_first == ["bob"]
    assert first is not None and first.added == (world.accounts["bob"],)
    assert world.assignees(item) == ["cat"]
    assert second is not None
    assert second.added == (world.accounts["cat"],)
    assert second.removed == (world.accounts["bob"],)


def test_group_rule_assigns_every_active_member(world: World) -> None:
    world.add_step("Review", assignments=[{"type": "account_group", "id": "team"}])
    item = world.add_item(step="Start")

    event = enter(world, item, "Review")

    assert world.assignees(item) == ["ann", "bob", "cat", "dan"]
    assert event is not None and len(event.added) == 4
    logged = world.activities(item, "item.assigned")
    assert len(logged) == 1
    assert logged[0].data["source"] == "step_entry"


def test_role_rule_assigns_every_active_account_with_the_role(world: World) -> None:
    world.add_step("Post-Op", assignments=[{"type": "role", "id": "physician"}])
    item = world.add_item(step="Start")

    enter(world, item, "Post-Op")

    assert world.assignees(item) == ["pam", "phil"]


def test_round_robin_rotates_in_username_order_and_skips_inactive(world: World) -> None:
    world.add_step("Screen", assignments=[{"type": "round_robin", "id": "team"}])
    items = [world.add_item(f"Item {n}", step="Start") for n in range(6)]

    for item in items:
        enter(world, item, "Screen")

    chosen = [world.assignees(item) for item in items]
    assert chosen == [["ann"], ["bob"], ["cat"], ["dan"], ["ann"], ["bob"]]


def test_round_robin_continues_after_the_last_member_leaves_the_group(world: World) -> None:
    world.add_group("pair", ["ann", "cat"])
    world.add_step("Screen", assignments=[{"type": "round_robin", "id": "pair"}])
    first, second = world.add_item(step="Start"), world.add_item(step="Start")
    enter(world, first, "Screen")
    with world.container.uow() as uow:
        from pacetrack.db.tables import Account

        row = uow.session.get(Account, (world.tenant_id, world.accounts["ann"]))
        assert row is not None
        row.is_active = False
        uow.commit()

    enter(world, second, "Screen")

    assert world.assignees(first) == ["ann"]
    assert world.assignees(second) == ["cat"]


def test_least_assigned_picks_the_member_with_fewest_active_items(world: World) -> None:
    world.add_step("Demo", assignments=[{"type": "least_assigned", "id": "team"}])
    for _ in range(2):
        world.add_item(step="Start", assignees=["ann"])
    world.add_item(step="Start", assignees=["bob"])
    world.add_item(step="Start", assignees=["cat", "ann"])
    # Closed work does not count as workload.
    for _ in range(3):
        world.add_item(step="Start", assignees=["dan"], status="completed")
    item = world.add_item(step="Start", assignees=["dan"])

    enter(world, item, "Demo")

    # ann 3, bob 1, cat 1, dan 0 (the entering item's own assignment is not counted)
    assert world.assignees(item) == ["dan"]


def test_least_assigned_breaks_ties_by_username_then_fills_evenly(world: World) -> None:
    world.add_step("Demo", assignments=[{"type": "least_assigned", "id": "team"}])
    world.add_item(step="Start", assignees=["ann"])
    world.add_item(step="Start", assignees=["dan"])
    items = [world.add_item(step="Start") for _ in range(4)]

    for item in items:
        enter(world, item, "Demo")

    # bob and cat tie at 0 (bob first); then cat; then all four tie at 1 (ann first);
    # then bob, cat and dan tie at 1 (bob first).
    assert [world.assignees(item) for item in items] == [["bob"], ["cat"], ["ann"], ["bob"]]


def test_entering_a_step_without_rules_keeps_the_assignees(world: World) -> None:
    world.add_step("Plain")
    item = world.add_item(step="Start", assignees=["bob"])

    event = enter(world, item, "Plain")

    assert event is None
    assert world.assignees(item) == ["bob"]


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ({"type": "user", "id": "eve"}, "user “eve” is inactive"),
        ({"type": "user", "id": "nobody"}, "user “nobody” does not exist"),
        ({"type": "account_group", "id": "ghosts"}, "group “ghosts” has no active members"),
        ({"type": "round_robin", "id": "ghosts"}, "group “ghosts” has no active members"),
        ({"type": "least_assigned", "id": "missing"}, "group “missing” does not exist"),
        ({"type": "role", "id": "janitor"}, "role “janitor” does not exist"),
    ],
)
def test_nobody_eligible_leaves_the_item_unassigned_logs_why_and_tells_admins(
    world: World, monkeypatch: pytest.MonkeyPatch, rule: dict[str, Any], reason: str
) -> None:
    recorded: list[DomainEvent] = []
    real_record = side_effects.record

    def spy(uow: Any, *, actor: Any, item: Any, events: Any) -> None:
        recorded.extend(events)
        real_record(uow, actor=actor, item=item, events=events)

    monkeypatch.setattr(side_effects, "record", spy)
    world.add_step("Nobody", assignments=[rule])
    item = world.add_item(step="Start", assignees=["bob"])

    event = enter(world, item, "Nobody")

    assert world.assignees(item) == []
    assert event is not None and event.removed == (world.accounts["bob"],)
    logged = world.activities(item, "assignment.unresolved")
    assert [row.data["reason"] for row in logged] == [reason]
    assert logged[0].data["left_unassigned"] is True
    unresolved = [e for e in recorded if isinstance(e, AssignmentUnresolved)]
    assert [(e.rule_type, e.reason, e.step_id) for e in unresolved] == [
        (rule["type"], reason, world.steps["Nobody"])
    ]


def test_one_unresolved_rule_beside_a_resolved_one_is_logged_but_not_escalated(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded: list[DomainEvent] = []
    monkeypatch.setattr(
        side_effects, "record", lambda uow, *, actor, item, events: recorded.extend(events)
    )
    world.add_step(
        "Mixed",
        assignments=[{"type": "user", "id": "eve"}, {"type": "user", "id": "ann"}],
    )
    item = world.add_item(step="Start")

    enter(world, item, "Mixed")

    assert world.assignees(item) == ["ann"]
    assert len(world.activities(item, "assignment.unresolved")) == 1
    assert recorded == []


def restrict(world: World, accounts: list[str]) -> None:
    assert world.pipeline_id is not None
    with world.container.uow() as uow:
        pipelines.update_access(
            uow,
            world.actor(),
            AccessUpdate(
                id=world.pipeline_id, access=AccessSpec(restricted=True, accounts=accounts)
            ),
        )


def test_rules_choose_only_people_who_can_see_a_restricted_pipeline(world: World) -> None:
    world.add_step("Team", assignments=[{"type": "account_group", "id": "team"}])
    world.add_step("Rotation", assignments=[{"type": "round_robin", "id": "team"}])
    world.add_step("Least", assignments=[{"type": "least_assigned", "id": "team"}])
    world.add_step("Bob", assignments=[{"type": "user", "id": "bob"}])
    item = world.add_item(step="Start")
    restrict(world, accounts=["cat", "dan"])

    enter(world, item, "Team")
    as_team = world.assignees(item)
    enter(world, item, "Rotation")
    as_rotation = world.assignees(item)
    enter(world, item, "Least")
    as_least = world.assignees(item)
    enter(world, item, "Bob")

    assert as_team == ["cat", "dan"]
    assert as_rotation == ["cat"]
    assert as_least in (["cat"], ["dan"])
    assert world.assignees(item) == []
    reasons = [entry.data["reason"] for entry in world.activities(item, "assignment.unresolved")]
    assert reasons == ["user “bob” cannot see this pipeline"]


def test_a_group_with_nobody_who_can_see_the_pipeline_is_unresolved(world: World) -> None:
    world.add_step("Team", assignments=[{"type": "account_group", "id": "team"}])
    item = world.add_item(step="Start")
    restrict(world, accounts=["phil"])

    enter(world, item, "Team")

    reasons = [entry.data["reason"] for entry in world.activities(item, "assignment.unresolved")]
    assert reasons == ["group “team” has no active members who can see this pipeline"]


def test_assigning_by_hand_refuses_someone_who_cannot_see_the_pipeline(world: World) -> None:
    item = world.add_item(step="Start")
    restrict(world, accounts=["cat"])

    with world.container.uow() as uow, pytest.raises(Conflict) as refused:
        assignments.assign_item(
            uow,
            world.actor(),
            AssignItem(id=item, mode="add", account_ids=[world.accounts["bob"]]),
        )

    assert [(p.field, p.message) for p in refused.value.problems] == [
        ("account_ids[0]", "bob cannot see this pipeline")
    ]
    assert world.assignees(item) == []
