"""``least_assigned`` counts open items only: work completed through a terminal step, archived
or deleted stops counting at once, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest

from pacetrack.bootstrap import Container
from pacetrack.services import lifecycle, moves
from pacetrack.services.lifecycle import ItemLifecycleChange
from pacetrack.services.moves import MoveItem
from tests.services.assignments_support import World, make_world


@pytest.fixture
def world(container: Container) -> World:
    world = make_world(container)
    for name in ("ann", "bob", "cat"):
        world.add_person(name)
    world.add_group("team", ["ann", "bob", "cat"])
    world.add_step("Start")
    world.add_step("Won", metadata={"terminal": {"outcome": "won"}})
    world.add_step("Demo", assignments=[{"type": "least_assigned", "id": "team"}])
    return world


def move(world: World, item_id: uuid.UUID, step: str) -> None:
    with world.container.uow() as uow:
        moves.move_item(uow, world.actor(), MoveItem(id=item_id, step_id=world.steps[step]))


def test_least_assigned_stops_counting_items_once_they_are_completed(world: World) -> None:
    anns = [world.add_item(step="Start", assignees=["ann"]) for _ in range(3)]
    world.add_item(step="Start", assignees=["bob"])
    world.add_item(step="Start", assignees=["cat"])
    first = world.add_item(step="Start")

    move(world, first, "Demo")
    # ann has 3 open items, bob and cat 1 each: bob comes first by username.
    assert world.assignees(first) == ["bob"]

    for item_id in anns:
        move(world, item_id, "Won")
    second = world.add_item(step="Start")
    move(world, second, "Demo")

    # ann's deals are completed: 0 open items, against bob's 2 and cat's 1.
    assert world.assignees(second) == ["ann"]


def test_archived_and_deleted_items_do_not_count_either(world: World) -> None:
    archived = world.add_item(step="Start", assignees=["ann"])
    deleted = world.add_item(step="Start", assignees=["ann"])
    world.add_item(step="Start", assignees=["bob"])
    world.add_item(step="Start", assignees=["cat"])
    move(world, archived, "Won")
    with world.container.uow() as uow:
        lifecycle.archive_item(uow, world.actor(), ItemLifecycleChange(id=archived))
    with world.container.uow() as uow:
        lifecycle.delete_item(uow, world.actor(), ItemLifecycleChange(id=deleted))
    item = world.add_item(step="Start")

    move(world, item, "Demo")

    assert world.assignees(item) == ["ann"]
