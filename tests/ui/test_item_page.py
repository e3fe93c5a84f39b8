"""The item page's move controls, calculated fields and People card, in Chromium.

These run on SQLite only, like ``test_items.py``; the services they call are covered on
both databases by the service and API tests.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from pacetrack.bootstrap import Container
from pacetrack.services import fields, items, templates
from pacetrack.services.fields import FieldDefinitionCreate
from tests.ui.accessibility import assert_accessible
from tests.ui.conftest import Browsing, SalesPipeline, actor_of, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True, scope="session"),
]


def current_step(container: Container, browsing: Browsing, sales: SalesPipeline) -> str:
    with container.uow() as work:
        detail = items.get_item(work, actor_of(container, browsing.login), sales.item_id)
    assert detail.step is not None
    return detail.step.name


def test_the_primary_button_moves_to_the_next_step_beside_the_checklists_state(
    admin_page: Browsing, sales: SalesPipeline, container: Container
) -> None:
    page = admin_page.page
    page.goto(f"/items/{sales.item_id}")
    move = page.get_by_role("button", name="Move to Demo")
    expect(move).to_be_enabled()
    expect(page.locator("#move-readiness")).to_have_text("1 requirement not met")
    expect(move).to_have_attribute("aria-describedby", "move-readiness")
    # The version guards the forms but is not shown to people.
    expect(page.locator("dl.facts")).not_to_contain_text("Version")

    move.click()
    expect(page.locator("#move-summary")).to_contain_text("cannot move to Demo")
    assert current_step(container, admin_page, sales) == "Qualified"

    page.get_by_label("Deal value").fill("6000")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#move-readiness")).to_have_text("Ready to move")
    page.get_by_role("button", name="Move to Demo").click()
    expect(page.get_by_role("status")).to_have_text("Moved.")
    expect(page.get_by_label("Current step")).to_have_text("Demo")
    assert current_step(container, admin_page, sales) == "Demo"


def test_the_other_steps_menu_works_from_the_keyboard(
    admin_page: Browsing, sales: SalesPipeline, container: Container
) -> None:
    page = admin_page.page
    page.goto(f"/items/{sales.item_id}")
    page.get_by_label("Deal value").fill("6000")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    expect(page.get_by_label("Step", exact=True)).to_be_hidden()

    page.get_by_text("Move to another step").focus()
    page.keyboard.press("Enter")
    step = page.get_by_label("Step", exact=True)
    expect(step).to_be_visible()
    expect(step.locator("option")).to_have_text(["Lead"])
    step.focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Move", exact=True)).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_have_text("Moved.")
    expect(page.get_by_label("Current step")).to_have_text("Lead")
    assert current_step(container, admin_page, sales) == "Lead"
    # From Lead the next step is Qualified; Demo is in the menu.
    expect(page.get_by_role("button", name="Move to Qualified")).to_be_visible()
    page.get_by_text("Move to another step").click()
    expect(page.get_by_label("Step", exact=True).locator("option")).to_have_text(["Demo"])
    screenshot(page, "item-move")


def test_a_move_refused_from_the_menu_reopens_the_menu_on_that_step(
    admin_page: Browsing, sales: SalesPipeline, container: Container
) -> None:
    page = admin_page.page
    page.goto(f"/items/{sales.item_id}")
    page.get_by_text("Move to another step").click()
    page.get_by_role("button", name="Move", exact=True).click()

    expect(page.locator("#move-summary")).to_contain_text("cannot move to Lead")
    step = page.get_by_label("Step", exact=True)
    expect(step).to_be_visible()
    expect(step).to_have_value(str(sales.steps["Lead"]))
    assert current_step(container, admin_page, sales) == "Qualified"


def test_a_calculated_field_is_read_only_with_its_formula_on_hover_and_focus(
    admin_page: Browsing, sales: SalesPipeline, container: Container
) -> None:
    actor = actor_of(container, admin_page.login)
    with container.uow() as work:
        fields.create_field(
            work,
            actor,
            FieldDefinitionCreate(name="commission", label="Commission", field_type="currency"),
        )
    qualified = sales.step_templates["Qualified"]
    with container.uow() as work:
        templates.update_family(
            work,
            actor,
            qualified,
            family="field_configs",
            raw=[
                {"field_definition_id": "deal_value", "is_visible": True, "is_required": True},
                {"field_definition_id": "decision_maker", "is_visible": True},
                {"field_definition_id": "commission", "is_visible": True},
            ],
        )
    with container.uow() as work:
        templates.update_family(
            work,
            actor,
            qualified,
            family="calculations",
            raw=[
                {
                    "id": "commission",
                    "type": "custom",
                    "expression": "deal_value * 0.1",
                    "output_field_id": "commission",
                }
            ],
        )
    page = admin_page.page
    page.goto(f"/items/{sales.item_id}")
    page.get_by_label("Deal value").fill("6000")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")

    commission = page.get_by_label("Commission (calculated)")
    expect(commission).to_have_value("600.00")
    expect(commission).not_to_be_editable()
    expect(commission).to_have_attribute("title", "Deal value * 0.1")
    expect(commission).to_have_accessible_description(re.compile("Calculated: Deal value \\* 0.1"))
    expect(page.locator("#f-commission-formula")).to_be_visible()
    expect(page.locator("#f-commission-calculation")).to_have_count(0)
    assert_accessible(page)
    with container.uow() as work:
        stored = items.get_item(work, actor, sales.item_id).item.field_values
    assert stored["commission"] == "600.00"
