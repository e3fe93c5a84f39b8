"""The Notifications tab's "Insert variable" and Preview: variables inserted at the cursor of
the subject and the message, the message rendered by the server against sample values and
against a chosen item, a template error shown next to its control; axe at 1280 and 390 px.

SQLite only, like the other UI modules besides ``test_smoke.py``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.ui.accessibility import assert_accessible, assert_fits_width
from tests.ui.conftest import Browsing, SalesPipeline, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True, scope="session"),
]


def new_notification(browsing: Browsing, sales: SalesPipeline) -> tuple[Page, Locator]:
    page = browsing.page
    page.goto(f"/admin/templates/{sales.template_id}")
    page.locator(".step-entry", has_text="Qualified").locator(".step-select").click()
    page.get_by_role("tab", name="Notifications", exact=True).click()
    panel = page.get_by_role("tabpanel")
    panel.get_by_role("button", name="Add notification").click()
    return page, panel.locator(".config-row").nth(0)


def test_variables_are_inserted_and_the_message_previews_with_samples_and_an_item(
    admin_page: Browsing, sales: SalesPipeline
) -> None:
    page, card = new_notification(admin_page, sales)
    subject = card.get_by_label("Subject", exact=True)
    body = card.get_by_label("Message", exact=True)
    subject.fill("Deal ")
    card.get_by_label("Insert variable").select_option("{{item.name}}")
    card.get_by_role("button", name="Insert into subject").click()
    expect(subject).to_have_value("Deal {{item.name}}")
    body.fill(" in {{step.name}}")
    body.evaluate("element => element.setSelectionRange(0, 0)")
    card.get_by_label("Insert variable").select_option("{{field.deal_value}}")
    card.get_by_role("button", name="Insert into message").click()
    expect(body).to_have_value("{{field.deal_value}} in {{step.name}}")

    card.get_by_label("Sample item name").fill("Globex")
    card.get_by_role("button", name="Sample field values").click()
    card.get_by_label("Sample Deal value", exact=True).fill("9000")
    card.get_by_role("button", name="Preview", exact=True).click()
    answer = card.locator(".preview-answer")
    expect(answer).to_contain_text("Rendered for Globex:")
    expect(answer.locator(".preview-subject")).to_have_text("Deal Globex")
    expect(answer.locator(".preview-body")).to_have_text("9000 in Qualified")

    card.get_by_label("Values from").select_option(label="Acme renewal (Q3 deals, at Qualified)")
    card.get_by_role("button", name="Preview", exact=True).click()
    expect(answer.locator(".preview-subject")).to_have_text("Deal Acme renewal")
    expect(answer.locator(".preview-body")).to_have_text("4000.00 in Qualified")
    screenshot(page, "studio-notification-preview")
    assert_accessible(page)
    page.set_viewport_size({"width": 390, "height": 844})
    assert_fits_width(page)
    assert_accessible(page)


def test_a_template_error_appears_next_to_its_control(
    admin_page: Browsing, sales: SalesPipeline
) -> None:
    _, card = new_notification(admin_page, sales)
    card.get_by_label("Subject", exact=True).fill("{{ item.name ")
    card.get_by_role("button", name="Preview", exact=True).click()
    problem = card.locator('[data-problem-for="notifications[0].subject"]')
    expect(problem).to_contain_text("cannot be rendered")
    expect(card.get_by_label("Subject", exact=True)).to_have_attribute("aria-invalid", "true")
