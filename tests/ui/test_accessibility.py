"""Every page the browser tests visit, checked with axe-core (no serious or critical
violation) at a desktop width and at 390 px (a phone), where nothing may scroll sideways.

These run on SQLite only, like the other UI modules besides ``test_smoke.py``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import Login
from tests.ui.accessibility import assert_accessible, assert_fits_width
from tests.ui.conftest import SalesPipeline, sign_in_with_token
from tests.ui.studio_driver import STUDIO_TABS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True, scope="session"),
]


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


def check(page: Page) -> None:
    assert_accessible(page)
    assert_fits_width(page)


def test_the_login_page(sized_page: Page) -> None:
    sized_page.goto("/login")
    check(sized_page)
    sized_page.get_by_label("Organisation").fill("nowhere")
    sized_page.get_by_label("Email or username").fill("nobody")
    sized_page.get_by_label("Password").fill("wrong")
    sized_page.get_by_role("button", name="Log in").click()
    expect(sized_page.get_by_role("alert")).to_be_visible()
    check(sized_page)


def test_every_signed_in_page(
    sized_page: Page, admin: Login, sales: SalesPipeline, live_server: str
) -> None:
    page = sized_page
    sign_in_with_token(page, admin, live_server)
    for path in (
        "/",
        f"/pipelines/{sales.instance_id}",
        f"/items/{sales.item_id}",
        "/notifications",
        "/approvals",
        "/notifications/preferences",
        "/no/such/page",
        "/admin/fields",
        "/admin/templates",
        f"/admin/templates/{sales.template_id}/json",
        "/logout",
        f"/items/{uuid.uuid4()}",
    ):
        page.goto(path)
        expect(page.locator("h1")).to_be_visible()
        check(page)


def test_pages_showing_problems(
    sized_page: Page, admin: Login, sales: SalesPipeline, live_server: str
) -> None:
    page = sized_page
    sign_in_with_token(page, admin, live_server)
    page.goto(f"/items/{sales.item_id}")
    page.get_by_role("button", name="Move").click()
    expect(page.locator("#f-deal_value-error")).to_be_visible()
    check(page)

    page.goto("/admin/fields")
    page.get_by_label("Name").fill("Bad Name")
    page.get_by_role("button", name="Create field").click()
    expect(page.locator('[aria-invalid="true"]').first).to_be_visible()
    check(page)

    page.goto(f"/admin/templates/{sales.template_id}/json")
    step = sales.step_templates["Lead"]
    page.locator(f"#cfg-{step}-validations").fill(json.dumps([{"type": "field_required"}]))
    page.locator(f"#step-{step}").get_by_role("button", name="Save validations").click()
    expect(page.locator(f"#cfg-{step}-validations-problems")).to_be_visible()
    check(page)


def test_the_step_editor(
    sized_page: Page, admin: Login, sales: SalesPipeline, live_server: str
) -> None:
    page = sized_page
    sign_in_with_token(page, admin, live_server)
    page.goto(f"/admin/templates/{sales.template_id}")
    expect(page.get_by_role("tab", name="Fields")).to_be_visible()
    check(page)
    page.get_by_role("button", name="2. Qualified").click()
    for tab in STUDIO_TABS[1:]:
        page.get_by_role("tab", name=tab).click()
        expect(page.get_by_role("tab", name=tab)).to_have_attribute("aria-selected", "true")
        check(page)
    page.get_by_role("tab", name="Validations").click()
    page.get_by_role("button", name="Edit as JSON").click()
    expect(page.get_by_label("Validations as JSON")).to_be_visible()
    check(page)
