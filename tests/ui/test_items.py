"""The board and the item page: dynamic fields, inline errors, blocked and successful moves.

These run on SQLite only; ``test_smoke.py`` runs the core path on PostgreSQL too.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import Locator, Page, expect

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from pacetrack.services import items, templates
from pacetrack.services.items import ItemFieldsUpdate
from pacetrack.services.templates import StepTemplateUpdate
from tests.conftest import Login
from tests.support.versions import publish_and_upgrade
from tests.ui.conftest import (
    ARTIFACTS,
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


def column(page: Page, step: str) -> Locator:
    return page.locator(f'section.board-column[data-step="{step}"]')


def stored_values(container: Container, login: Login, item_id: uuid.UUID) -> dict:
    with container.uow() as work:
        return items.get_item(work, actor_of(container, login), item_id).item.field_values


def test_the_board_shows_one_column_per_step_with_the_item_card(
    admin_page: Browsing, sales: SalesPipeline
) -> None:
    page = admin_page.page
    page.goto("/")
    page.get_by_role("link", name="Q3 deals").click()

    expect(page.get_by_role("heading", name="Q3 deals", level=1)).to_be_visible()
    expect(page.locator("section.board-column h2 > span:first-child")).to_have_text(
        [re.compile("^Lead"), re.compile("^Qualified"), re.compile("^Demo")]
    )
    card = column(page, "Qualified").locator(".item-card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Acme renewal")
    expect(card).to_contain_text("Owner: ada")
    expect(card).to_contain_text("0 days in step")
    expect(card).not_to_have_class(re.compile("at-risk"))


def test_a_card_over_its_step_target_is_marked_at_risk(
    admin_page: Browsing, sales: SalesPipeline, clock: FrozenClock
) -> None:
    clock.advance(timedelta(days=11))
    page = admin_page.page
    page.goto(f"/pipelines/{sales.instance_id}")

    card = column(page, "Qualified").locator(".item-card")
    expect(card).to_have_class(re.compile("at-risk"))
    expect(card).to_contain_text("11 days in step")
    expect(card.locator(".risk-label")).to_have_text(re.compile("^At risk: past the 10-day target"))


def test_a_new_item_is_added_from_the_board(admin_page: Browsing, sales: SalesPipeline) -> None:
    page = admin_page.page
    page.goto(f"/pipelines/{sales.instance_id}")
    page.get_by_label("New item").fill("Globex expansion")
    page.get_by_role("button", name="Add item").click()

    expect(page.get_by_role("heading", name="Globex expansion", level=1)).to_be_visible()
    expect(page.get_by_label("Current step")).to_have_text("Lead")
    page.get_by_role("link", name="Q3 deals").click()
    expect(column(page, "Lead").locator(".item-card")).to_contain_text("Globex expansion")


def test_the_item_page_shows_only_the_steps_visible_fields_with_required_markers(
    admin_page: Browsing, sales: SalesPipeline
) -> None:
    page = admin_page.page
    page.goto(f"/items/{sales.item_id}")

    details = page.locator("section[aria-labelledby=fields-heading]")
    expect(details.locator("[data-field]")).to_have_count(2)
    deal = page.get_by_label("Deal value")
    expect(deal).to_have_attribute("type", "number")
    expect(deal).to_have_value("4000.00")
    expect(deal).to_have_attribute("aria-required", "true")
    expect(page.get_by_label("Decision maker")).to_have_value("Dana Diaz")
    expect(details.locator("label[for=f-deal_value] .required-mark")).to_have_text("*")
    expect(details.locator("label[for=f-decision_maker] .required-mark")).to_have_text("*")
    expect(page.get_by_label("Discount %")).to_have_count(0)
    checklist = page.get_by_role("list", name="Requirements")
    expect(checklist.locator("li.unmet")).to_have_text(re.compile(re.escape(MIN_DEAL_MESSAGE)))
    expect(page.get_by_role("button", name="Move to Demo")).to_be_visible()
    expect(page.locator("#move-readiness")).to_have_text("1 requirement not met")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "item-page.png"), full_page=True)


def test_a_bad_value_shows_an_inline_error_and_nothing_is_saved(
    admin_page: Browsing, sales: SalesPipeline, container: Container
) -> None:
    page = admin_page.page
    page.goto(f"/items/{sales.item_id}")
    page.get_by_label("Deal value").fill("4500.125")
    page.get_by_label("Decision maker").fill("Sam Stone")
    page.get_by_role("button", name="Save").click()

    error = page.locator("#f-deal_value-error")
    expect(error).to_have_text(re.compile("Deal value has more than 2 decimal places"))
    expect(page.get_by_label("Deal value")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Deal value")).to_have_value("4500.125")
    expect(page.get_by_label("Decision maker")).to_have_value("Sam Stone")
    # The refused save landed on the item's own address: reloading it posts nothing again.
    assert page.url.split("#")[0].endswith(f"/items/{sales.item_id}")
    reloaded = page.reload()
    assert reloaded is not None and reloaded.status == 200
    expect(page.locator("#f-deal_value-error")).to_have_count(0)
    expect(page.get_by_label("Deal value")).to_have_value("4000.00")
    assert stored_values(container, admin_page.login, sales.item_id) == {
        "deal_value": "4000.00",
        "decision_maker": "Dana Diaz",
    }


def test_a_blocked_move_shows_the_violation_then_the_fixed_item_moves(
    admin_page: Browsing, sales: SalesPipeline
) -> None:
    page = admin_page.page
    page.goto(f"/items/{sales.item_id}")
    page.get_by_role("button", name="Move to Demo").click()

    expect(page.locator("#move-summary")).to_contain_text("cannot move to Demo")
    expect(page.locator("#move-summary")).to_contain_text(MIN_DEAL_MESSAGE)
    expect(page.locator("#f-deal_value-error")).to_have_text(
        re.compile(re.escape(MIN_DEAL_MESSAGE))
    )
    expect(page.locator("[data-field=deal_value]")).to_have_class(re.compile("invalid"))
    expect(page.get_by_label("Current step")).to_have_text("Qualified")

    page.get_by_label("Deal value").fill("6000")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    expect(page.get_by_role("list", name="Requirements").locator("li.unmet")).to_have_count(0)
    page.get_by_role("button", name="Move to Demo").click()

    expect(page.get_by_role("status")).to_have_text("Moved.")
    expect(page.get_by_label("Current step")).to_have_text("Demo")
    page.get_by_role("link", name="Q3 deals").click()
    expect(column(page, "Demo").locator(".item-card")).to_contain_text("Acme renewal")
    expect(column(page, "Qualified").locator(".item-card")).to_have_count(0)


def test_a_refused_move_lands_on_a_page_that_reloads_safely(
    admin_page: Browsing, sales: SalesPipeline, container: Container
) -> None:
    page = admin_page.page
    page.goto(f"/items/{sales.item_id}")
    page.get_by_role("button", name="Move to Demo").click()
    expect(page.locator("#move-summary")).to_contain_text(MIN_DEAL_MESSAGE)
    landed = page.url

    reloaded = page.reload()

    assert re.search(rf"/items/{sales.item_id}\?refused_move=", landed), landed
    assert reloaded is not None and reloaded.status == 200
    expect(page.locator("#move-summary")).to_contain_text("cannot move to Demo")
    expect(page.locator("#f-deal_value-error")).to_have_text(
        re.compile(re.escape(MIN_DEAL_MESSAGE))
    )
    expect(page.get_by_label("Current step")).to_have_text("Qualified")
    with container.uow() as work:
        history = items.item_history(work, actor_of(container, admin_page.login), sales.item_id)
    # The reload asked again; only the one refused move was recorded.
    assert len(history.validation_failures) == 1


def test_a_move_from_a_page_someone_else_changed_is_refused_in_words_and_moves_nothing(
    admin_page: Browsing, sales: SalesPipeline, container: Container
) -> None:
    page = admin_page.page
    page.goto(f"/items/{sales.item_id}")
    # While the page is open, someone else raises the deal above the step's minimum.
    with container.uow() as work:
        items.update_fields(
            work,
            actor_of(container, admin_page.login),
            ItemFieldsUpdate(id=sales.item_id, field_values={"deal_value": "6000"}),
        )

    page.get_by_role("button", name="Move to Demo").click()

    alert = page.get_by_role("alert")
    expect(alert).to_have_text(re.compile("^Someone changed this item after you opened the page"))
    expect(alert).not_to_contain_text("version")
    expect(page.get_by_label("Current step")).to_have_text("Qualified")
    expect(page.get_by_label("Deal value")).to_have_value("6000.00")
    assert page.url.split("#")[0].endswith(f"/items/{sales.item_id}")
    reloaded = page.reload()
    assert reloaded is not None and reloaded.status == 200
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_label("Current step")).to_have_text("Qualified")

    page.get_by_role("button", name="Move to Demo").click()
    expect(page.get_by_role("status")).to_have_text("Moved.")
    expect(page.get_by_label("Current step")).to_have_text("Demo")


def test_unknown_pages_and_form_addresses_answer_html_pages(admin_page: Browsing) -> None:
    page = admin_page.page
    missing = page.goto("/no/such/page")
    assert missing is not None and missing.status == 404
    assert missing.headers["content-type"].startswith("text/html")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()

    form_address = page.goto(f"/items/{uuid.uuid4()}/move")
    assert form_address is not None and form_address.status == 405
    expect(page.get_by_role("heading", name="Not available")).to_be_visible()
    expect(page.get_by_role("link", name="Back to your pipelines")).to_be_visible()


def test_a_step_colour_marks_its_board_column_and_other_text_is_ignored(
    admin_page: Browsing, sales: SalesPipeline, container: Container, clock: FrozenClock
) -> None:
    actor = actor_of(container, admin_page.login)
    clock.advance(timedelta(minutes=1))
    with container.uow() as work:
        templates.update_step(
            work, actor, StepTemplateUpdate(id=sales.step_templates["Qualified"], color="#ff8800")
        )
    with container.uow() as work:
        templates.update_step(
            work,
            actor,
            StepTemplateUpdate(id=sales.step_templates["Demo"], color="red; background: url(x)"),
        )
    publish_and_upgrade(container, actor, sales.template_id)

    page = admin_page.page
    page.goto(f"/pipelines/{sales.instance_id}")

    expect(column(page, "Qualified")).to_have_attribute("style", "--step-color: #ff8800")
    expect(column(page, "Qualified")).to_have_css("border-top-color", "rgb(255, 136, 0)")
    assert column(page, "Demo").get_attribute("style") is None


def test_unknown_or_foreign_ids_answer_a_404_page(
    admin_page: Browsing, sales: SalesPipeline, container: Container, other_admin: Login
) -> None:
    page = admin_page.page
    for path in (f"/items/{uuid.uuid4()}", "/items/not-an-id", f"/pipelines/{uuid.uuid4()}"):
        response = page.goto(path)
        assert response is not None and response.status == 404, path
        expect(page.get_by_role("heading", name="Not found")).to_be_visible()

    foreign = page.context.browser.new_context(base_url=admin_page.base_url)  # type: ignore[union-attr]
    try:
        stranger = foreign.new_page()
        sign_in_with_token(stranger, other_admin, admin_page.base_url)
        response = stranger.goto(f"/items/{sales.item_id}")
        assert response is not None and response.status == 404
        expect(stranger.get_by_text("Acme renewal")).to_have_count(0)
    finally:
        foreign.close()
