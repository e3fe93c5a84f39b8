"""The item page's lifecycle block in Chromium: a move into a terminal step completes the item,
which is reopened, archived, unarchived and deleted from its page; axe at 1280 and 390 px."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from pacetrack.bootstrap import Container
from pacetrack.services import items
from pacetrack.services.items import ItemCreate
from tests.conftest import Login
from tests.services.moves_support import StepDef, actor_for, build_pipeline
from tests.ui.accessibility import assert_accessible
from tests.ui.conftest import Browsing, SalesPipeline, sign_in_with_token

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True, scope="session"),
]


def checked_at_both_widths(page: Page) -> None:
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_an_item_completes_is_reopened_archived_and_deleted_from_its_page(
    admin_page: Browsing, container: Container, admin: Login
) -> None:
    pipeline = build_pipeline(
        container,
        admin.tenant_id,
        [
            StepDef(name="Lead"),
            StepDef(name="Closed Won", config={"metadata": {"terminal": {"outcome": "won"}}}),
        ],
        name="Deals",
    )
    with container.uow() as work:
        item = items.create_item(
            work,
            actor_for(admin.tenant_id, admin.account_id, "admin"),
            ItemCreate(pipeline_instance_id=pipeline.instance_id, name="Initech"),
        )
    page = admin_page.page
    page.goto(f"/items/{item.id}")

    page.get_by_role("button", name="Move to Closed Won").click()

    expect(page.get_by_text("Completed: Won")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Move"))).to_have_count(0)
    expect(page.get_by_text(re.compile(r"^Move to (a|another) step$"))).to_have_count(0)
    checked_at_both_widths(page)

    page.get_by_label("Reopen into").select_option(label="Lead")
    page.get_by_role("button", name="Reopen").click()
    expect(page.get_by_role("status")).to_have_text("Reopened.")
    expect(page.get_by_label("Current step")).to_have_text("Lead")
    expect(page.get_by_text("Completed: Won")).to_have_count(0)

    page.get_by_role("button", name="Move to Closed Won").click()
    page.goto(f"/pipelines/{pipeline.instance_id}")
    won = page.locator("section.board-column", has=page.get_by_role("heading", name="Closed Won"))
    expect(won.locator(".item-card")).to_have_count(0)
    won.get_by_role("link", name="show completed items").click()
    expect(page.get_by_label("Status")).to_have_value("completed")
    expect(won.locator(".item-card")).to_have_text(re.compile("Initech"))
    checked_at_both_widths(page)
    page.goto(f"/items/{item.id}")
    page.get_by_role("button", name="Archive").click()
    expect(page.get_by_role("status")).to_have_text("Archived.")
    expect(page.get_by_text("Archived (Won)")).to_be_visible()
    expect(page.get_by_label("Reopen into")).to_have_count(0)
    checked_at_both_widths(page)
    page.get_by_role("button", name="Unarchive").click()
    expect(page.get_by_role("status")).to_have_text("Back among the completed items.")

    page.get_by_role("button", name="Delete item").click()
    expect(page.get_by_role("status")).to_have_text("The item is deleted.")
    expect(page.get_by_role("heading", name="Deals", level=1)).to_be_visible()
    expect(page.get_by_text("Initech")).to_have_count(0)
    assert page.goto(f"/items/{item.id}").status == 404  # type: ignore[union-attr]


def test_a_member_sees_no_delete_button_and_an_open_item_no_lifecycle_block(
    page: Page, container: Container, admin: Login, member: Login, live_server: str
) -> None:
    pipeline = build_pipeline(container, admin.tenant_id, [StepDef(name="Lead")], name="Deals")
    with container.uow() as work:
        item = items.create_item(
            work,
            actor_for(admin.tenant_id, member.account_id, "member"),
            ItemCreate(pipeline_instance_id=pipeline.instance_id, name="Hooli"),
        )
    sign_in_with_token(page, member, live_server)
    page.goto(f"/items/{item.id}")

    expect(page.get_by_role("heading", name="Hooli", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Delete item")).to_have_count(0)
    expect(page.locator("section.lifecycle")).to_have_count(0)


def test_the_studio_settings_tab_makes_a_step_terminal_and_back(
    admin_page: Browsing, sales: SalesPipeline
) -> None:
    page = admin_page.page
    page.goto(f"/admin/templates/{sales.template_id}")
    page.locator(".step-entry", has_text="Demo").locator(".step-select").click()
    page.get_by_role("tab", name="Settings").click()
    outcome = page.get_by_label("Completes the item with outcome")
    expect(outcome).to_have_value("")

    outcome.select_option(label="Won")
    page.get_by_role("button", name="Save step").click()
    expect(page.get_by_role("status")).to_contain_text("Saved")
    assert saved_metadata(admin_page, sales) == {"terminal": {"outcome": "won"}}
    assert_accessible(page)

    page.get_by_label("Completes the item with outcome").select_option(
        label="No: the item stays open"
    )
    page.get_by_role("button", name="Save step").click()
    expect(page.get_by_role("status")).to_contain_text("Saved")
    assert saved_metadata(admin_page, sales) == {}


def saved_metadata(browsing: Browsing, sales: SalesPipeline) -> object:
    answer = httpx.get(
        f"{browsing.base_url}/api/step-template/get",
        params={"id": str(sales.step_templates["Demo"])},
        headers={"Authorization": f"Bearer {browsing.login.token}"},
    )
    answer.raise_for_status()
    return answer.json()["metadata"]
