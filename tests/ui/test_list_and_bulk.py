"""The list view, its CSV download, bulk moves with mixed results and their result page,
in headless Chromium, with axe-core at 1280 and 390 px on the board, the list and the result."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from pacetrack.bootstrap import Container
from pacetrack.db.tables import Item
from pacetrack.services import items, templates
from pacetrack.services.board_setting import BoardSetting
from pacetrack.services.items import ItemCreate
from pacetrack.services.templates import PipelineTemplateUpdate
from tests.conftest import Login
from tests.support.features import switch
from tests.support.versions import publish_and_upgrade
from tests.ui.accessibility import assert_accessible, assert_fits_width
from tests.ui.conftest import (
    MIN_DEAL_MESSAGE,
    Browsing,
    SalesPipeline,
    actor_of,
    sign_in_with_token,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True, scope="session"),
]


@pytest.fixture
def deals(container: Container, admin: Login, sales: SalesPipeline) -> SalesPipeline:
    """The sales pipeline with a board setting and a second, big enough deal at Qualified."""
    actor = actor_of(container, admin)
    with container.uow() as work:
        templates.update_template(
            work,
            actor,
            PipelineTemplateUpdate(
                id=sales.template_id,
                board=BoardSetting(money_field="deal_value", card_fields=["decision_maker"]),
            ),
        )
    publish_and_upgrade(container, actor, sales.template_id)  # the board follows the version
    with container.uow() as work:
        items.create_item(
            work,
            actor,
            ItemCreate(
                pipeline_instance_id=sales.instance_id,
                name="Globex expansion",
                step_id=sales.steps["Qualified"],
                field_values={"deal_value": "146000", "decision_maker": "=cmd|' /C calc'!A0"},
            ),
        )
    return sales


def test_the_board_totals_and_the_list_sort_and_filter(
    admin_page: Browsing, deals: SalesPipeline
) -> None:
    page = admin_page.page
    page.goto(f"/pipelines/{deals.instance_id}")
    qualified = page.locator('section.board-column[data-step="Qualified"]')
    expect(qualified.locator(".column-total")).to_have_text("Total $150,000.00")
    expect(qualified.locator(".item-card")).to_have_count(2)

    page.get_by_role("link", name="List", exact=True).click()
    expect(page).to_have_url(re.compile(f"/pipelines/{deals.instance_id}/list$"))
    rows = page.locator("table.item-table tbody tr")
    expect(rows.locator("td:nth-child(2) a")).to_have_text(["Acme renewal", "Globex expansion"])
    expect(page.locator("th[aria-sort]")).to_have_text(re.compile(r"^\s*Name"))

    page.get_by_role("link", name="Deal value").click()
    page.get_by_role("link", name="Deal value").click()
    expect(page.locator("th[aria-sort=descending]")).to_have_text(re.compile(r"^\s*Deal value"))
    expect(rows.locator("td:nth-child(2) a")).to_have_text(["Globex expansion", "Acme renewal"])
    expect(rows.first).to_contain_text("$146,000.00")

    page.get_by_label("Name contains").fill("acme")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"q=acme"))
    expect(rows).to_have_count(1)
    page.get_by_role("link", name="Board", exact=True).click()
    expect(page.locator(".item-card")).to_have_count(1)
    expect(page.get_by_label("Name contains")).to_have_value("acme")


def test_the_csv_download_holds_the_filtered_list_with_formulas_neutralised(
    admin_page: Browsing, deals: SalesPipeline
) -> None:
    page = admin_page.page
    page.goto(f"/pipelines/{deals.instance_id}/list?q=globex")
    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download CSV").click()
    download = waiting.value
    assert download.suggested_filename == "Q3-deals.csv"
    path = download.path()
    assert path is not None
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))

    assert rows[0] == [
        "Name",
        "Step",
        "Owner",
        "Assigned to",
        "Days in step",
        "At risk",
        "Deal value (USD)",
        "Decision maker",
    ]
    assert rows[1:] == [
        ["Globex expansion", "Qualified", "ada", "", "0", "no", "146000.00", "'=cmd|' /C calc'!A0"]
    ]


def test_a_bulk_move_with_mixed_results_lists_each_item_and_reloads_safely(
    admin_page: Browsing, deals: SalesPipeline, container: Container
) -> None:
    page = admin_page.page
    page.goto(f"/pipelines/{deals.instance_id}")
    page.get_by_label("Select Acme renewal").check()
    page.get_by_label("Select Globex expansion").check()
    page.get_by_label("Step to move the selected items to").select_option(label="Demo")
    page.get_by_role("button", name="Move selected").click()

    expect(page).to_have_url(re.compile(f"/pipelines/{deals.instance_id}/bulk-result$"))
    expect(page.get_by_role("status")).to_have_text("1 item moved to Demo, 1 item not moved.")
    results = page.locator(".bulk-results li")
    expect(results).to_have_text(
        [f"Acme renewal: Not moved: {MIN_DEAL_MESSAGE}.", "Globex expansion: Moved to Demo."]
    )

    page.reload()
    expect(page.get_by_text("There is no recent bulk action to show.")).to_be_visible()
    page.get_by_role("link", name="Back to Q3 deals").click()
    expect(page.locator('section.board-column[data-step="Demo"] .item-card')).to_have_text(
        re.compile("Globex expansion")
    )
    expect(page.locator('section.board-column[data-step="Qualified"] .item-card')).to_have_text(
        re.compile("Acme renewal")
    )


def test_a_bulk_assignment_from_the_list(admin_page: Browsing, deals: SalesPipeline) -> None:
    page = admin_page.page
    page.goto(f"/pipelines/{deals.instance_id}/list")
    page.get_by_label("Select Globex expansion").check()
    page.get_by_label("Person to assign the selected items to").select_option(label="ada")
    page.get_by_role("button", name="Assign selected").click()

    expect(page.locator(".bulk-results li")).to_have_text(["Globex expansion: Assigned to ada."])
    page.get_by_role("link", name="Back to Q3 deals").click()
    expect(page).to_have_url(re.compile("/list$"))
    expect(page.locator("tbody tr", has_text="Globex expansion")).to_contain_text("ada")


def test_a_tenant_without_bulk_actions_is_told_so_and_nothing_changes(
    admin_page: Browsing, deals: SalesPipeline, admin: Login, container: Container
) -> None:
    switch(container, admin.tenant_slug, disable=["items.bulk_actions"])
    page = admin_page.page
    page.goto(f"/pipelines/{deals.instance_id}/list")
    page.get_by_label("Select Globex expansion").check()
    page.get_by_label("Person to assign the selected items to").select_option(label="ada")
    page.get_by_role("button", name="Assign selected").click()

    expect(page).to_have_url(re.compile(f"/pipelines/{deals.instance_id}/bulk-result$"))
    expect(page.get_by_role("status")).to_have_text(
        "Nothing was changed. Moving and assigning many items at once is not enabled "
        "for this organisation."
    )
    expect(page.locator(".bulk-results li")).to_have_count(0)
    with container.uow() as work:
        assigned = work.session.scalars(
            select(Item.assigned_account_ids).where(Item.name == "Globex expansion")
        ).one()
    assert assigned == []


@pytest.fixture(params=[1280, 390], ids=["desktop", "phone"])
def sized_page(
    request: pytest.FixtureRequest, browser: Browser, live_server: str
) -> Iterator[Page]:
    width = request.param
    context = browser.new_context(
        base_url=live_server, viewport={"width": width, "height": 900 if width > 400 else 844}
    )
    opened = context.new_page()
    yield opened
    context.close()


def test_the_board_list_and_bulk_result_pass_axe(
    sized_page: Page, admin: Login, deals: SalesPipeline, live_server: str
) -> None:
    page = sized_page
    sign_in_with_token(page, admin, live_server)
    for path in (
        f"/pipelines/{deals.instance_id}",
        f"/pipelines/{deals.instance_id}?at_risk=1&q=acme",
        f"/pipelines/{deals.instance_id}/list",
        f"/pipelines/{deals.instance_id}/list?sort=field:deal_value&direction=desc",
    ):
        page.goto(path)
        assert_accessible(page)
        assert_fits_width(page)
    page.goto(f"/pipelines/{deals.instance_id}")
    page.get_by_label("Select Acme renewal").check()
    page.get_by_label("Step to move the selected items to").select_option(label="Demo")
    page.get_by_role("button", name="Move selected").click()
    expect(page.locator(".bulk-results li")).to_have_count(1)
    assert_accessible(page)
    assert_fits_width(page)
