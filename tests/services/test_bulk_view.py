"""services.views.bulk: each selected item moves or is assigned on its own, and every
outcome reads as words, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from pacetrack.services import items
from pacetrack.services.errors import InvalidInput
from pacetrack.services.views.bulk import assign_selected, move_selected
from tests.conftest import Login
from tests.services.views_support import Sales, open_sales


@pytest.fixture
def sales(container: Container, clock: FrozenClock, admin: Login) -> Sales:
    return open_sales(container, clock, admin)


def step_of(sales: Sales, item_id: uuid.UUID) -> uuid.UUID | None:
    with sales.container.uow() as uow:
        return items.get_item(uow, sales.admin, item_id).item.current_step_id


def test_a_bulk_move_moves_what_it_may_and_says_why_the_rest_stayed(sales: Sales) -> None:
    ready = sales.add("Ready", deal_value="100.00")
    bare = sales.add("Bare")

    result = move_selected(
        sales.container.uow,
        sales.admin,
        sales.pipeline.instance_id,
        item_ids=[ready, bare, ready],
        step_id=sales.pipeline.step("Proposal"),
    )

    assert result.summary == "1 item moved to Proposal, 1 item not moved."
    words = {outcome.name: (outcome.done, outcome.words) for outcome in result.outcomes}
    assert words["Ready"] == (True, "Moved to Proposal.")
    assert words["Bare"][0] is False
    assert words["Bare"][1].startswith("Not moved: ") and "Deal value" in words["Bare"][1]
    assert step_of(sales, ready) == sales.pipeline.step("Proposal")
    assert step_of(sales, bare) == sales.pipeline.step("Lead")


def test_a_bulk_assignment_assigns_each_selected_item(sales: Sales) -> None:
    first = sales.add("First")
    second = sales.add("Second")

    result = assign_selected(
        sales.container.uow,
        sales.admin,
        sales.pipeline.instance_id,
        item_ids=[first, second],
        account_id=sales.bea,
    )

    assert result.summary == "2 items assigned to bea, 0 items not assigned."
    assert {outcome.words for outcome in result.outcomes} == {"Assigned to bea."}
    with sales.container.uow() as uow:
        assigned = items.get_item(uow, sales.admin, second).item.assigned_account_ids
    assert assigned == [str(sales.bea)]


def test_nothing_selected_or_items_of_another_pipeline_change_nothing(sales: Sales) -> None:
    for item_ids, message in (
        ([], "select at least one item"),
        ([uuid.uuid4()], "none of the selected items is in this pipeline"),
    ):
        with pytest.raises(InvalidInput) as refused:
            move_selected(
                sales.container.uow,
                sales.admin,
                sales.pipeline.instance_id,
                item_ids=item_ids,
                step_id=sales.pipeline.step("Won"),
            )
        assert [p.message for p in refused.value.problems] == [message]
    item = sales.add("Here")
    with pytest.raises(InvalidInput) as refused:
        move_selected(
            sales.container.uow,
            sales.admin,
            sales.pipeline.instance_id,
            item_ids=[item],
            step_id=uuid.uuid4(),
        )
    assert [p.field for p in refused.value.problems] == ["step_id"]
    assert step_of(sales, item) == sales.pipeline.step("Lead")
