"""The item page's move controls, calculated fields and People card, in Chromium.

These run on SQLite only, like ``test_items.py``; the services they call are covered on
both databases by the service and API tests.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from pacetrack.db.tables import Account
from pacetrack.services import fields, items, templates
from pacetrack.services.fields import FieldDefinitionCreate
from tests.conftest import make_login
from tests.support.versions import publish_and_upgrade
from tests.ui.accessibility import assert_accessible, assert_fits_width
from tests.ui.conftest import MIN_DEAL_MESSAGE, Browsing, SalesPipeline, actor_of, screenshot

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
    # At the last step there is no next step: only the menu, open, with the earlier steps.
    expect(page.get_by_role("button", name=re.compile("^Move to "))).to_have_count(0)
    expect(page.get_by_text("Move to a step")).to_be_visible()
    expect(page.get_by_label("Step", exact=True).locator("option")).to_have_text(
        ["Lead", "Qualified"]
    )


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
    publish_and_upgrade(container, actor, sales.template_id)
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


def named_member(container: Container, username: str, name: str, *, active: bool = True) -> None:
    login = make_login(container, slug="acme", username=username, roles=["member"])
    with container.uow() as work:
        account = work.session.get(Account, (login.tenant_id, login.account_id))
        assert account is not None
        account.display_name = name
        account.is_active = active
        work.commit()


def test_the_people_card_assigns_removes_and_changes_the_owner(
    admin_page: Browsing, sales: SalesPipeline, container: Container, clock: FrozenClock
) -> None:
    named_member(container, "ana", "Ana Lima")
    named_member(container, "gus", "Gus Old", active=False)
    page = admin_page.page
    page.goto(f"/items/{sales.item_id}")
    people = page.locator("section[aria-labelledby=people-heading]")
    expect(people).to_contain_text("Nobody is assigned.")

    page.get_by_label("Assign someone").select_option(label="Ana Lima")
    people.get_by_role("button", name="Assign", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    assigned = page.get_by_role("list", name="Assigned")
    expect(assigned).to_have_text("Ana Lima Remove")

    page.get_by_label("Assign someone").select_option(label="Gus Old")
    people.get_by_role("button", name="Assign", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Gus Old is inactive and cannot be assigned.")
    assert page.url.split("#")[0].endswith(f"/items/{sales.item_id}")
    expect(assigned).to_have_text("Ana Lima Remove")

    clock.advance(timedelta(minutes=1))
    page.get_by_label("New owner").select_option(label="Ana Lima")
    page.get_by_role("button", name="Change owner").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    expect(people.locator("dl.facts")).to_contain_text("Ana Lima")

    clock.advance(timedelta(minutes=1))
    page.get_by_role("button", name="Remove Ana Lima").click()
    expect(people).to_contain_text("Nobody is assigned.")
    activity = page.locator("ol.activity > li .activity-text")
    expect(activity.nth(0)).to_have_text("Removed Ana Lima from the assignees.")
    expect(activity.nth(1)).to_have_text("Changed the owner from ada to Ana Lima.")
    expect(activity.nth(2)).to_have_text("Assigned Ana Lima.")
    with container.uow() as work:
        item = items.get_item(work, actor_of(container, admin_page.login), sales.item_id).item
    assert item.assigned_account_ids == []
    assert item.version == 4


@pytest.mark.parametrize("width", [1280, 390])
def test_the_item_page_with_its_activity_passes_axe_and_fits(
    admin_page: Browsing, sales: SalesPipeline, container: Container, width: int
) -> None:
    named_member(container, "ana", "Ana Lima")
    page = admin_page.page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/items/{sales.item_id}")
    page.get_by_role("button", name="Move to Demo").click()
    expect(page.locator("#move-summary")).to_be_visible()
    page.get_by_label("Assign someone").select_option(label="Ana Lima")
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Saved.")

    refused = page.locator('ol.activity > li[data-kind="item.move_blocked"]')
    expect(refused.locator(".activity-text")).to_have_text(
        "The move to Demo was refused (1 reason)."
    )
    expect(refused.locator(".activity-details")).to_have_text(MIN_DEAL_MESSAGE)
    expect(refused.locator(".activity-meta")).to_contain_text("ada")
    page.get_by_text("Move to another step").click()
    assert_accessible(page)
    assert_fits_width(page)
    screenshot(page, f"item-page-{width}")
