"""The template library in the browser: an admin previews a shipped template and creates a
pipeline template of the organisation's own from it, which opens in the studio.

SQLite only, like the other UI modules besides ``test_smoke.py``; the service and its API
are covered on both databases by ``tests/api/test_template_library.py``.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from pacetrack.bootstrap import Container
from pacetrack.services import templates
from tests.conftest import Login
from tests.ui.accessibility import assert_accessible, assert_fits_width
from tests.ui.conftest import Browsing, actor_of, screenshot, sign_in_with_token

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True, scope="session"),
]


def test_an_admin_creates_a_template_from_the_library_and_lands_in_the_studio(
    admin_page: Browsing, container: Container, admin: Login
) -> None:
    page = admin_page.page
    page.goto("/admin/templates")
    page.get_by_role("link", name="Start from the library").click()
    expect(page.get_by_role("heading", name="Template library")).to_be_visible()
    expect(page.get_by_role("heading", level=2)).to_have_count(7)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert_accessible(page)
        assert_fits_width(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("link", name="Recruiting").click()
    steps = page.locator(".library-steps > li")
    expect(steps.first).to_contain_text("Applied")
    expect(page.get_by_role("heading", name="Fields it brings")).to_be_visible()
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert_accessible(page)
        assert_fits_width(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, "template-library")

    page.get_by_label("Name of your template").fill("Hiring 2027")
    page.get_by_role("button", name="Create template").click()
    expect(page).to_have_url(re.compile(r"/admin/templates/[0-9a-f-]{36}"))
    expect(page.get_by_role("heading", name="Hiring 2027")).to_be_visible()
    expect(page.locator(".studio-steps .step-entry")).to_have_count(steps_count(container, admin))

    page.goto("/admin/templates/library/recruiting")
    page.get_by_label("Name of your template").fill("Hiring 2027")
    page.get_by_role("button", name="Create template").click()
    error = page.locator("#library-name-error")
    expect(error).to_contain_text("exists already")
    expect(page.get_by_label("Name of your template")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    with container.uow() as work:
        names = [t.name for t in templates.list_templates(work, actor_of(container, admin))]
    assert names.count("Hiring 2027") == 1


def steps_count(container: Container, admin: Login) -> int:
    with container.uow() as work:
        actor = actor_of(container, admin)
        (created,) = [t for t in templates.list_templates(work, actor) if t.name == "Hiring 2027"]
        return len(templates.get_template(work, actor, created.id).steps or [])


def test_an_unknown_library_template_is_a_404_page(admin_page: Browsing) -> None:
    page = admin_page.page
    response = page.goto("/admin/templates/library/no-such-template")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()


def test_a_member_is_refused_the_library_pages(page: Page, member: Login, live_server: str) -> None:
    sign_in_with_token(page, member, live_server)
    response = page.goto("/admin/templates/library/sales")
    assert response is not None and response.status == 403
