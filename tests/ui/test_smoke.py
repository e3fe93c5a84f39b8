"""The core path on both databases (SQLite and PostgreSQL): log in, open the board, fix a deal
that a validation blocks and move it. The other UI modules run on SQLite only, to keep the
browser suite quick; everything they call is the same service code the PostgreSQL API and
service tests cover.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import Login
from tests.ui.conftest import MIN_DEAL_MESSAGE, SalesPipeline, log_in

pytestmark = pytest.mark.browser


def test_log_in_fix_a_blocked_deal_and_move_it(
    page: Page, admin: Login, sales: SalesPipeline
) -> None:
    log_in(page, admin, "ada")
    page.get_by_role("link", name="Q3 deals").click()
    page.get_by_role("link", name="Acme renewal").click()
    page.get_by_role("button", name="Move").click()
    expect(page.locator("#f-deal_value-error")).to_contain_text(MIN_DEAL_MESSAGE)

    page.get_by_label("Deal value").fill("6000")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    page.get_by_role("button", name="Move").click()

    expect(page.get_by_label("Current step")).to_have_text("Demo")
    page.get_by_role("link", name="Q3 deals").click()
    demo = page.locator('section.board-column[data-step="Demo"] .item-card')
    expect(demo).to_contain_text("Acme renewal")
