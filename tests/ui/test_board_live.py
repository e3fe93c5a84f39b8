"""The live board: drag-and-drop moves through the JSON move API, the refusal dialog, the
keyboard "Move to…" form, and a second browser seeing a move within 2 s (Server-Sent Events).

These run on SQLite only, like the other UI modules besides ``test_smoke.py``; the stream's
PostgreSQL path is tested through the API (tests/api/test_event_stream.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from pacetrack.services import notifications
from pacetrack.services.notifications import MarkRead
from tests.conftest import Login
from tests.ui.accessibility import assert_accessible, assert_fits_width
from tests.ui.conftest import (
    MIN_DEAL_MESSAGE,
    Browsing,
    SalesPipeline,
    actor_of,
    sign_in_with_token,
)
from tests.ui.test_notifications import notify_owner
from tests.ui.test_studio import screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True, scope="session"),
]

LIVE_DEADLINE_MS = 2_000


def cards_of(page: Page, sales: SalesPipeline, step: str) -> Locator:
    return page.locator(f'[data-step-id="{sales.steps[step]}"] [data-column-cards]')


def card_in(page: Page, sales: SalesPipeline, step: str) -> Locator:
    """The sales deal's card, in the column of ``step``."""
    return cards_of(page, sales, step).locator(f'[data-item-id="{sales.item_id}"]')


def card(page: Page, sales: SalesPipeline) -> Locator:
    return page.locator(f'[data-item-id="{sales.item_id}"]')


@pytest.fixture
def big_deal(sales: SalesPipeline, admin: Login, live_server: str) -> SalesPipeline:
    """The sales deal raised to $6,000, so it may leave Qualified (its version is then 2)."""
    answer = httpx.post(
        f"{live_server}/api/item/update-fields",
        json={"id": str(sales.item_id), "field_values": {"deal_value": "6000"}},
        headers={"Authorization": f"Bearer {admin.token}"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["version"] == 2
    return sales


def open_board(page: Page, sales: SalesPipeline) -> None:
    page.goto(f"/pipelines/{sales.instance_id}")
    expect(page.locator("html[data-board-ready]")).to_have_count(1)
    expect(page.locator("html[data-live=connected]")).to_have_count(1)


def drag(page: Page, source: Locator, target: Locator) -> None:
    """Drags with the mouse as a person would (SortableJS follows pointer events)."""
    start = source.bounding_box()
    end = target.bounding_box()
    assert start is not None and end is not None
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + 12)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 10, start["y"] + 20, steps=4)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=12)
    page.mouse.up()


def drag_to_demo(page: Page, sales: SalesPipeline) -> Locator:
    """Opens the board and drags the $4,000 deal towards Demo: the refusal dialog, open."""
    open_board(page, sales)
    drag(page, card(page, sales).locator("a"), cards_of(page, sales, "Demo"))
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    return dialog


def test_dragging_a_card_to_another_column_moves_the_item(
    admin_page: Browsing, big_deal: SalesPipeline
) -> None:
    sales = big_deal
    page = admin_page.page
    open_board(page, sales)
    expect(card(page, sales)).to_have_attribute("data-item-version", "2")

    drag(page, card(page, sales).locator("a"), cards_of(page, sales, "Lead"))

    expect(card(page, sales)).to_have_attribute("data-item-version", "3")
    expect(card_in(page, sales, "Lead")).to_be_visible()
    page.reload()
    expect(cards_of(page, sales, "Lead")).to_contain_text("Acme renewal")
    expect(cards_of(page, sales, "Qualified")).not_to_contain_text("Acme renewal")


def test_a_refused_drag_puts_the_card_back_and_lists_every_violation(
    admin_page: Browsing, sales: SalesPipeline
) -> None:
    page = admin_page.page

    dialog = drag_to_demo(page, sales)

    expect(dialog).to_have_accessible_name("Acme renewal cannot move to Demo")
    expect(dialog.locator("li")).to_have_text([MIN_DEAL_MESSAGE])
    expect(dialog).to_contain_text("1 requirement not met")
    fix = dialog.get_by_role("link", name="Open Acme renewal to fix this")
    expect(fix).to_be_focused()
    expect(fix).to_have_attribute("href", re.compile(f"^/items/{sales.item_id}\\?refused_move="))
    expect(card_in(page, sales, "Qualified")).to_be_visible()
    expect(card(page, sales)).to_have_attribute("data-item-version", "1")
    screenshot(page, "board-refused-move")

    fix.click()
    expect(page.locator("#move-summary")).to_contain_text(MIN_DEAL_MESSAGE)


def test_the_refusal_dialog_closes_and_focus_returns_to_the_card(
    admin_page: Browsing, sales: SalesPipeline
) -> None:
    page = admin_page.page
    dialog = drag_to_demo(page, sales)

    page.keyboard.press("Escape")

    expect(dialog).to_have_count(0)
    expect(card(page, sales).locator("a")).to_be_focused()


def test_the_move_to_form_moves_from_the_keyboard(
    admin_page: Browsing, big_deal: SalesPipeline
) -> None:
    sales = big_deal
    page = admin_page.page
    open_board(page, sales)
    card(page, sales).get_by_text("Move to…").click()
    card(page, sales).get_by_label("Move Acme renewal to").select_option(label="Lead")
    card(page, sales).get_by_role("button", name="Move").press("Enter")

    expect(card(page, sales)).to_have_attribute("data-item-version", "3")
    expect(card_in(page, sales, "Lead")).to_be_visible()


def test_the_move_to_form_works_without_scripts(
    browser: Browser, live_server: str, admin: Login, sales: SalesPipeline
) -> None:
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in_with_token(page, admin, live_server)
        page.goto(f"/pipelines/{sales.instance_id}")
        card(page, sales).get_by_text("Move to…").click()
        card(page, sales).get_by_label("Move Acme renewal to").select_option(label="Demo")
        card(page, sales).get_by_role("button", name="Move").click()

        expect(page.locator("#move-summary")).to_contain_text(MIN_DEAL_MESSAGE)
    finally:
        context.close()


@pytest.fixture
def second_context(browser: Browser, live_server: str) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    yield context
    context.close()


def test_a_move_in_another_browser_shows_on_the_open_board_within_two_seconds(
    admin_page: Browsing, big_deal: SalesPipeline, second_context: BrowserContext, member: Login
) -> None:
    sales = big_deal
    watcher = second_context.new_page()
    sign_in_with_token(watcher, member, admin_page.base_url)
    open_board(watcher, sales)
    card(watcher, sales).locator("a").focus()
    mover = admin_page.page
    open_board(mover, sales)

    drag(mover, card(mover, sales).locator("a"), cards_of(mover, sales, "Lead"))
    expect(card(mover, sales)).to_have_attribute("data-item-version", "3")

    # Polled until the deadline: the watcher never reloads.
    expect(card_in(watcher, sales, "Lead")).to_be_visible(timeout=LIVE_DEADLINE_MS)
    expect(card(watcher, sales)).to_have_attribute("data-item-version", "3")
    # The board's contents were replaced; the keyboard focus stayed on the same card.
    expect(card(watcher, sales).locator("a")).to_be_focused()


def test_the_notification_badge_follows_the_unread_count_without_a_reload(
    admin_page: Browsing, sales: SalesPipeline, container: Container, clock: FrozenClock
) -> None:
    page = admin_page.page
    open_board(page, sales)
    badge = page.get_by_role("navigation", name="Main").locator("[data-notifications-link] .badge")
    expect(badge).to_have_count(0)

    notify_owner(container, admin_page.login, sales, clock)

    expect(badge).to_have_text("1", timeout=LIVE_DEADLINE_MS)
    expect(badge).to_have_attribute("aria-label", "1 unread")
    with container.uow() as work:
        notifications.mark_read(work, actor_of(container, admin_page.login), MarkRead(all=True))
    expect(badge).to_have_count(0, timeout=LIVE_DEADLINE_MS)


@pytest.mark.parametrize("width", [1280, 390])
def test_the_board_with_the_refusal_dialog_open_is_accessible(
    admin_page: Browsing, sales: SalesPipeline, width: int
) -> None:
    page = admin_page.page
    page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})
    open_board(page, sales)
    assert_accessible(page)
    card(page, sales).get_by_text("Move to…").click()
    card(page, sales).get_by_label("Move Acme renewal to").select_option(label="Demo")
    card(page, sales).get_by_role("button", name="Move").click()

    expect(page.get_by_role("dialog")).to_be_visible()
    assert_accessible(page)
    assert_fits_width(page)
