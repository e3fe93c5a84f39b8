"""Logging in and out, the CSRF check, and the field-definition admin page.

These run on SQLite only; ``test_smoke.py`` runs the core path on PostgreSQL too.
"""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.conftest import Login
from tests.ui.conftest import Browsing, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True, scope="session"),
]


def test_an_anonymous_visit_is_sent_to_login_and_back(page: Page, admin: Login) -> None:
    page.goto("/admin/fields")

    expect(page).to_have_url(re.compile(r"/login\?next=/admin/fields$"))
    page.get_by_label("Organisation").fill(admin.tenant_slug)
    page.get_by_label("Email or username").fill("ada")
    page.get_by_label("Password").fill("correct horse")
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(re.compile(r"/admin/fields$"))
    expect(page.get_by_role("heading", name="Fields", level=1)).to_be_visible()


def test_a_wrong_password_is_refused_with_a_message(page: Page, admin: Login) -> None:
    page.goto("/login")
    page.get_by_label("Organisation").fill(admin.tenant_slug)
    page.get_by_label("Email or username").fill("ada")
    page.get_by_label("Password").fill("wrong horse")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("alert")).to_have_text("Unknown tenant, login or password.")
    assert not any(c["name"] == "pacetrack_token" for c in page.context.cookies())


def test_the_session_cookie_is_http_only_and_same_site_lax(page: Page, admin: Login) -> None:
    log_in(page, admin, "ada")

    cookie = next(c for c in page.context.cookies() if c["name"] == "pacetrack_token")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert page.evaluate("document.cookie") == ""


def test_logging_out_ends_the_session(admin_page: Browsing) -> None:
    page = admin_page.page
    page.goto("/admin/fields")
    page.get_by_role("button", name="Log out").click()

    expect(page.get_by_role("status")).to_have_text("You are logged out.")
    page.goto("/admin/fields")
    expect(page).to_have_url(re.compile(r"/login"))


def test_a_form_post_without_the_csrf_token_is_refused(admin_page: Browsing) -> None:
    page = admin_page.page
    token = admin_page.login.token

    forged = httpx.post(
        f"{admin_page.base_url}/admin/fields",
        data={"name": "forged", "label": "Forged", "field_type": "text"},
        cookies={"pacetrack_token": token},
    )

    assert forged.status_code == 403
    assert "Form expired" in forged.text
    page.goto("/admin/fields")
    expect(page.get_by_text("forged", exact=True)).to_have_count(0)


def test_admin_creates_a_field(admin_page: Browsing) -> None:
    page = admin_page.page
    page.goto("/admin/fields")
    page.get_by_label("Name").fill("deal_value")
    page.get_by_label("Label").fill("Deal value")
    page.get_by_label("Type").select_option("currency")
    page.get_by_label("Minimum").fill("0")
    page.get_by_role("button", name="Create field").click()

    expect(page.get_by_role("status")).to_have_text("Created.")
    row = page.get_by_role("row").filter(has_text="deal_value")
    expect(row).to_contain_text("Deal value")
    expect(row).to_contain_text("Currency")


def test_a_bad_field_definition_shows_inline_errors(admin_page: Browsing) -> None:
    page = admin_page.page
    page.goto("/admin/fields")
    page.get_by_label("Name").fill("Deal Value")
    page.get_by_label("Label").fill("Deal value")
    page.get_by_role("button", name="Create field").click()

    name = page.get_by_label("Name")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-name-error")).to_contain_text("must start with a lower-case letter")
    expect(name).to_have_value("Deal Value")
    expect(page.get_by_text("No fields yet.")).to_be_visible()


def test_a_dropdown_without_options_names_the_options_box(admin_page: Browsing) -> None:
    page = admin_page.page
    page.goto("/admin/fields")
    page.get_by_label("Name").fill("lost_reason")
    page.get_by_label("Label").fill("Lost reason")
    page.get_by_label("Type").select_option("dropdown")
    page.get_by_role("button", name="Create field").click()

    expect(page.locator("#f-options-error")).to_have_text(re.compile("needs options"))


def test_a_member_is_not_shown_the_field_admin(page: Page, member: Login) -> None:
    log_in(page, member, "max")
    expect(page.get_by_role("link", name="Fields")).to_have_count(0)

    page.goto("/admin/fields")

    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(page.get_by_text("Only admins can define fields.")).to_be_visible()
