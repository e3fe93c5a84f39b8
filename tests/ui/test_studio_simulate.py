"""The studio's Simulate panel: an item of a running pipeline, or sample values, through
the step as drafted, the answer in words, nothing written.

SQLite only, like the other UI modules besides ``test_smoke.py``. With
``PACETRACK_DOC_SCREENSHOTS=1`` the screenshots go to docs/images/.
"""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from pacetrack.bootstrap import Container
from tests.conftest import make_login
from tests.ui.accessibility import assert_accessible, assert_fits_width
from tests.ui.conftest import MIN_DEAL_MESSAGE, Browsing, SalesPipeline
from tests.ui.test_studio import api_get, open_studio, saved_step, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True, scope="session"),
]


def test_a_stored_item_and_sample_values_are_simulated_with_the_draft(
    admin_page: Browsing, sales: SalesPipeline
) -> None:
    before = api_get(admin_page, "/api/item/get", id=str(sales.item_id))["item"]
    page = open_studio(admin_page, sales, "Qualified")
    panel = page.locator(".studio-simulate")
    expect(panel.get_by_label("Values from").locator("option")).to_have_text(
        ["Sample values", "Acme renewal (Q3 deals, at Qualified)"]
    )
    panel.get_by_label("Values from").select_option(label="Acme renewal (Q3 deals, at Qualified)")
    panel.get_by_role("button", name="Simulate").click()
    answer = panel.locator(".simulation")
    expect(answer).to_contain_text("It could not leave yet: one rule fails.")
    expect(answer.locator(".simulation-part", has_text="Validations")).to_contain_text(
        f"✗ Rule min_deal_value fails (needed to leave): {MIN_DEAL_MESSAGE}"
    )
    expect(answer).to_contain_text("✓ Deal value is filled in (needed to leave)")
    expect(answer).to_contain_text("Shown: Deal value, Decision maker.")
    expect(answer).to_contain_text("The step has no assignment rules")
    assert_accessible(page)
    screenshot(page, "studio-simulate")

    # The unsaved draft is what is simulated: a lower minimum lets the $4,000 deal leave.
    page.get_by_role("tab", name="Validations").click()
    page.get_by_role("tabpanel").get_by_label("Minimum").fill("3000")
    panel.get_by_role("button", name="Simulate").click()
    expect(answer).to_contain_text("It would be ready to leave.")
    expect(answer).to_contain_text("✓ Rule min_deal_value holds (needed to leave)")
    assert (
        saved_step(admin_page, sales.step_templates["Qualified"])["validations"][0]["min_value"]
        == "5000"
    )

    panel.get_by_label("Values from").select_option(label="Sample values")
    panel.get_by_label("Deal value").fill("2000")
    panel.get_by_label("Decision maker").fill("Dana Diaz")
    panel.get_by_role("button", name="Simulate").click()
    expect(answer).to_contain_text("✗ Rule min_deal_value fails (needed to leave)")
    panel.get_by_label("Deal value").fill("not a number")
    panel.get_by_role("button", name="Simulate").click()
    expect(panel.locator(".field-error")).to_be_visible()
    expect(panel.get_by_label("Deal value")).to_have_attribute("aria-invalid", "true")

    page.set_viewport_size({"width": 390, "height": 844})
    assert_fits_width(page)
    assert_accessible(page)
    after = api_get(admin_page, "/api/item/get", id=str(sales.item_id))["item"]
    assert after == before


def test_what_fires_on_entering_is_said_with_its_recipients_and_timers(
    admin_page: Browsing, container: Container
) -> None:
    make_login(container, slug=admin_page.login.tenant_slug, username="vp_sales", roles=["member"])
    created = httpx.post(
        f"{admin_page.base_url}/api/template-library/instantiate",
        json={"key": "sales"},
        headers={"Authorization": f"Bearer {admin_page.login.token}"},
    )
    assert created.status_code == 201, created.text
    page = admin_page.page
    page.goto(f"/admin/templates/{created.json()['id']}")
    page.locator(".step-entry", has_text="Negotiation").locator(".step-select").click()
    panel = page.locator(".studio-simulate")
    expect(panel.get_by_label("Values from").locator("option")).to_have_text(["Sample values"])
    panel.get_by_label("Deal value").fill("150000")
    panel.get_by_role("button", name="Simulate").click()
    entering = panel.locator(".simulation-part", has_text="On entering")
    expect(entering).to_contain_text(
        "Notification big_deal, when an item enters the step: would fire to vp_sales."
    )
    expect(entering).to_contain_text(
        "Notification stalled_negotiation, when an item is at risk: a timer due"
    )
    leaving = panel.locator(".simulation-part", has_text="On leaving")
    expect(leaving).to_contain_text("The timer of stalled_negotiation is cancelled.")

    panel.get_by_label("Deal value").fill("50000")
    panel.get_by_role("button", name="Simulate").click()
    expect(entering).to_contain_text(
        "Notification big_deal, when an item enters the step: "
        "would not fire, its condition is false."
    )
    assert_accessible(page)
