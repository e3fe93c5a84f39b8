"""The audit log page: an admin sees who changed what, filters it in the URL, never a secret.

SQLite only, like the other UI modules besides ``test_smoke.py``; the log and its API are
covered on both databases by ``tests/api/test_config_audit_log.py``.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from pacetrack.web.app import create_app
from tests.conftest import Login
from tests.ui.accessibility import assert_accessible, assert_layout
from tests.ui.conftest import Browsing, screenshot, sign_in_with_token

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True, scope="session"),
]


def change_over_the_api(container: Container, admin: Login, clock: FrozenClock) -> str:
    """A webhook endpoint made and its secret rotated; returns the secret it was given."""
    with TestClient(create_app(container)) as client:

        def call(path: str, body: dict[str, object]) -> dict[str, object]:
            clock.advance(timedelta(minutes=1))
            response = client.post(path, json=body, headers=admin.headers)
            assert response.status_code in (200, 201), response.text
            result: dict[str, object] = response.json()
            return result

        call("/api/webhook-allow-list/set", {"entries": ["127.0.0.0/8"]})
        endpoint = call("/api/webhook-endpoint/create", {"url": "http://127.0.0.1:9/in"})
        call("/api/webhook-endpoint/rotate-secret", {"id": endpoint["id"]})
        return str(endpoint["secret"])


def test_an_admin_reads_who_changed_what_and_filters_it(
    admin_page: Browsing, container: Container, admin: Login, clock: FrozenClock
) -> None:
    secret = change_over_the_api(container, admin, clock)
    page = admin_page.page
    clock.advance(timedelta(minutes=1))
    page.goto("/admin/fields")
    page.locator("#f-name").fill("budget")
    page.locator("#f-label").fill("Budget")
    page.locator("#f-type").select_option("number")
    page.get_by_role("button", name="Create field").click()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    first = page.locator(".audit-entry").first
    expect(first).to_contain_text("Created")
    expect(first).to_contain_text("Field")
    expect(first).to_contain_text("budget")
    expect(first).to_contain_text("by ada")
    rotation = page.locator(".audit-entry", has_text="Changed").filter(
        has_text="http://127.0.0.1:9/in"
    )
    expect(rotation).to_contain_text("secret")
    expect(rotation).to_contain_text("•••••••• (changed)")
    created = page.locator(".audit-entry", has_text="Created").filter(has_text="Webhook endpoint")
    expect(created.locator("dd", has_text="ada")).to_have_count(1)  # the owner, by name
    expect(created).not_to_contain_text(str(admin.account_id))
    assert secret not in page.content()
    assert_layout(page)
    screenshot(page, "audit-log")

    page.get_by_label("What").select_option(label="Outbound allow-list")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"[?&]kind=allow_list"))
    expect(page.locator(".audit-entry")).to_have_count(1)
    allow_list = page.locator(".audit-entry").first
    expect(allow_list).to_contain_text("webhook allow list")
    expect(allow_list.locator(".audit-old")).to_have_text("(empty)")
    expect(allow_list.locator(".audit-new")).to_have_text("127.0.0.0/8")
    assert_layout(page)

    page.goto("/admin/audit-log?kind=spaceship&from=yesterday")
    expect(page.locator("#log-kind-error")).to_contain_text("choose a kind")
    expect(page.locator("#log-from-error")).to_contain_text("not a date")
    expect(page.get_by_label("What")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)


def test_a_member_is_refused_the_page(page: Page, member: Login, live_server: str) -> None:
    sign_in_with_token(page, member, live_server)
    response = page.goto("/admin/audit-log")

    assert response is not None and response.status == 403
    page.goto("/")
    expect(page.get_by_role("navigation", name="Main")).not_to_contain_text("Audit log")
