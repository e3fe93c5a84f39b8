"""The board in the browser: quick add into a column, load more, filters in the URL, money
in the tenant's currency and people as initials with their full names."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from pacetrack.bootstrap import Container
from pacetrack.db.tables import Tenant
from pacetrack.services import items, pipelines, templates
from pacetrack.services.board_setting import BoardSetting
from pacetrack.services.items import ItemCreate
from pacetrack.services.pipelines import PipelineInstanceCreate
from pacetrack.services.templates import (
    PipelineTemplateCreate,
    PipelineTemplateUpdate,
    StepTemplateCreate,
)
from pacetrack.services.views.board import CARDS_PER_COLUMN
from tests.conftest import Login
from tests.support.versions import publish_and_upgrade
from tests.ui.accessibility import assert_fits_width
from tests.ui.conftest import Browsing, SalesPipeline, actor_of

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True, scope="session"),
]


def column(browsing: Browsing, step: str):
    return browsing.page.locator(f'section.board-column[data-step="{step}"]')


def test_quick_add_creates_the_item_in_its_column(
    admin_page: Browsing, sales: SalesPipeline
) -> None:
    page = admin_page.page
    page.goto(f"/pipelines/{sales.instance_id}")
    page.get_by_label("Add to Demo").fill("Initech pilot")
    column(admin_page, "Demo").get_by_role("button", name="Add", exact=True).click()

    expect(page).to_have_url(re.compile(f"/pipelines/{sales.instance_id}\\?notice=created"))
    expect(column(admin_page, "Demo").locator(".item-card")).to_contain_text("Initech pilot")
    expect(column(admin_page, "Demo").locator("h2 .count")).to_contain_text("1 item")


def test_an_empty_quick_add_is_refused_next_to_its_box(
    admin_page: Browsing, sales: SalesPipeline
) -> None:
    page = admin_page.page
    page.goto(f"/pipelines/{sales.instance_id}")
    column(admin_page, "Lead").get_by_role("button", name="Add", exact=True).click()

    box = page.get_by_label("Add to Lead")
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(column(admin_page, "Lead").locator(".field-error")).to_have_text("is required")
    expect(page.get_by_label("New item")).not_to_have_attribute("aria-invalid", "true")


def test_load_more_shows_the_rest_of_a_column_and_keeps_the_filters(
    admin_page: Browsing, sales: SalesPipeline, container: Container, admin: Login
) -> None:
    actor = actor_of(container, admin)
    for number in range(CARDS_PER_COLUMN + 2):
        with container.uow() as work:
            items.create_item(
                work,
                actor,
                ItemCreate(pipeline_instance_id=sales.instance_id, name=f"Lead {number:02d}"),
            )
    page = admin_page.page
    page.goto(f"/pipelines/{sales.instance_id}?q=lead")
    lead = column(admin_page, "Lead")
    expect(lead.locator(".item-card")).to_have_count(CARDS_PER_COLUMN)
    lead.get_by_role("link", name="Load more (2 more)").click()

    expect(page).to_have_url(re.compile(r"q=lead.*more="))
    expect(lead.locator(".item-card")).to_have_count(CARDS_PER_COLUMN + 2)
    expect(column(admin_page, "Qualified").locator(".item-card")).to_have_count(0)


def test_totals_show_the_tenants_currency_and_cards_show_initials(
    admin_page: Browsing, sales: SalesPipeline, container: Container, admin: Login
) -> None:
    actor = actor_of(container, admin)
    with container.uow() as work:
        tenant = work.session.get(Tenant, admin.tenant_id)
        assert tenant is not None
        tenant.currency = "EUR"
        work.commit()
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
    page = admin_page.page
    page.goto(f"/pipelines/{sales.instance_id}")
    qualified = column(admin_page, "Qualified")

    expect(qualified.locator(".column-total")).to_have_text("Total €4,000.00")
    card = qualified.locator(".item-card")
    expect(card.locator(".card-fields")).to_have_text(re.compile(r"Decision maker:?\s*Dana Diaz"))
    owner = card.locator(".avatar").first
    expect(owner).to_have_text("A")
    expect(owner).to_have_attribute("title", "ada")
    expect(card).to_contain_text("Owner: ada")
    page.goto(f"/items/{sales.item_id}")
    expect(page.locator(".input-prefix", has=page.get_by_label("Deal value"))).to_contain_text("€")


def test_an_address_with_unreadable_filters_says_which_and_why(
    admin_page: Browsing, sales: SalesPipeline
) -> None:
    page = admin_page.page
    for path, words in (
        (f"/pipelines/{sales.instance_id}?owner=nobody", "Owner: the owner is not a known person"),
        (
            f"/pipelines/{sales.instance_id}/list?sort=field:secret",
            "Sort: the list cannot be sorted by that column",
        ),
        (
            f"/pipelines/{sales.instance_id}/list.csv?direction=up",
            "Sort order: must be asc or desc",
        ),
        (
            f"/pipelines/{sales.instance_id}?status=closed",
            "Status: must be open, completed, archived or any",
        ),
    ):
        response = page.goto(path)
        assert response is not None and response.status == 422, path
        expect(page.locator("main")).to_contain_text(words)


def test_a_wide_board_says_it_scrolls_sideways(
    admin_page: Browsing, container: Container, admin: Login
) -> None:
    actor = actor_of(container, admin)
    with container.uow() as work:
        template = templates.create_template(work, actor, PipelineTemplateCreate(name="Wide"))
    names = ("One", "Two", "Three", "Four", "Five", "Six")
    for name in names:
        with container.uow() as work:
            templates.create_step(
                work, actor, StepTemplateCreate(pipeline_template_id=template.id, name=name)
            )
    with container.uow() as work:
        instance = pipelines.create_instance(
            work, actor, PipelineInstanceCreate(pipeline_template_id=template.id, name="Wide")
        )
    page = admin_page.page
    page.goto(f"/pipelines/{instance.id}")

    hint = page.locator("#board-scroll-hint")
    expect(hint).to_have_text("6 columns: scroll sideways to see them all →")
    expect(page.locator("[data-board]")).to_have_attribute("aria-describedby", "board-scroll-hint")
    overflow = page.locator("[data-board]").evaluate(
        "board => board.scrollWidth > board.clientWidth"
    )
    assert overflow, "six columns are wider than the window at 1280 px"
    assert_fits_width(page)  # the board scrolls inside its frame; the page does not
