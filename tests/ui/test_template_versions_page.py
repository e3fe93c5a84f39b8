"""The versions page in Chromium: publish with a note, compare two versions, roll back.

SQLite only, like the other UI modules besides ``test_smoke.py``; the services, the API and
the page's posts are covered on both databases by ``tests/api/test_template_versions.py``
and ``tests/api/test_template_version_pages.py``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from pacetrack.bootstrap import Container
from pacetrack.services import templates
from tests.conftest import Login, make_login
from tests.ui.accessibility import assert_accessible, assert_layout
from tests.ui.conftest import (
    MIN_DEAL_MESSAGE,
    Browsing,
    SalesPipeline,
    actor_of,
    screenshot,
    sign_in_with_token,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True, scope="session"),
]

RAISED_MINIMUM: list[dict[str, Any]] = [
    {
        "id": "min_deal_value",
        "type": "field_min_value",
        "field_id": "deal_value",
        "min_value": 8000,
        "error_message": MIN_DEAL_MESSAGE,
    }
]


def edit_the_draft(container: Container, admin: Login, sales: SalesPipeline) -> None:
    """Renames Lead and raises Qualified's minimum deal value, as the studio would."""
    actor = actor_of(container, admin)
    with container.uow() as work:
        templates.update_step(
            work,
            actor,
            templates.StepTemplateUpdate(id=sales.step_templates["Lead"], name="New lead"),
        )
    with container.uow() as work:
        templates.update_family(
            work,
            actor,
            sales.step_templates["Qualified"],
            family="validations",
            raw=RAISED_MINIMUM,
        )


def test_an_admin_publishes_compares_and_rolls_back_from_the_versions_page(
    admin_page: Browsing, container: Container, admin: Login, sales: SalesPipeline
) -> None:
    edit_the_draft(container, admin, sales)
    page = admin_page.page
    page.goto(f"/admin/templates/{sales.template_id}/json")
    page.get_by_role("link", name="publish it as a version").click()

    expect(page.get_by_role("heading", name="Sales: versions")).to_be_visible()
    draft = page.locator("section", has=page.get_by_role("heading", name="Draft"))
    expect(draft).to_contain_text("Unpublished changes since version 1")
    expect(draft).to_contain_text("Renamed from “Lead” to “New lead”.")
    expect(draft).to_contain_text("Validation “min_deal_value” changed: min value")
    first = page.locator("#version-1")
    expect(first).to_contain_text("Running in 1 pipeline: Q3 deals")
    assert_layout(page)
    page.get_by_label("Note").first.fill("Bigger deals only; clearer first step")
    page.get_by_role("button", name="Publish version 2").click()

    expect(page.get_by_role("status")).to_have_text("Published as a new version.")
    latest = page.locator("#version-2")
    expect(latest).to_contain_text("latest")
    expect(latest).to_contain_text("Bigger deals only; clearer first step")
    expect(latest).to_contain_text("by ada")
    expect(latest).to_contain_text("Not running in any pipeline.")
    expect(page.get_by_text("No unpublished changes: the draft is version 2.")).to_be_visible()
    assert page.locator(".version h3").all_inner_texts()[:2] == ["Version 2 latest", "Version 1"]
    screenshot(page, "template-versions")

    page.get_by_label("From version").select_option("1")
    page.get_by_label("To version").select_option("2")
    page.get_by_role("button", name="Compare").click()
    expect(page).to_have_url(re.compile(r"\?from=1&to=2"))
    compared = page.locator(".diff", has_text="From version 1 to version 2")
    renamed = compared.locator(".diff-step", has_text="Step “New lead”")
    expect(renamed).to_contain_text("Renamed from “Lead” to “New lead”.")
    qualified = compared.locator(".diff-step", has_text="Step “Qualified”")
    expect(qualified).to_contain_text(
        "Validation “min_deal_value” changed: min value changed from 5000 to 8000."
    )
    assert_layout(page)
    screenshot(page, "template-versions-diff")

    page.reload()  # the diff's address reloads to the same diff
    expect(compared.locator(".diff-step")).to_have_count(2)

    first.locator("summary").click()
    first.get_by_label("Note").fill("The minimum was too high")
    first.get_by_role("button", name="Roll back to version 1").click()
    expect(first.get_by_text("tick the box to confirm the rollback")).to_be_visible()
    expect(first.get_by_label("Note")).to_have_value("The minimum was too high")
    assert_accessible(page)
    screenshot(page, "template-versions-rollback")
    first.get_by_label("Yes, replace the draft with version 1").check()
    first.get_by_role("button", name="Roll back to version 1").click()

    expect(page.get_by_role("status")).to_contain_text("Rolled back")
    restored = page.locator("#version-3")
    expect(restored).to_contain_text("Restores version 1. The minimum was too high")
    expect(restored).to_contain_text("latest")
    with container.uow() as work:
        names = [
            step.name
            for step in templates.get_template(
                work, actor_of(container, admin), sales.template_id
            ).steps
            or []
        ]
    assert names == ["Lead", "Qualified", "Demo"]


def test_a_manager_reads_the_versions_without_forms(
    page: Page, container: Container, live_server: str, sales: SalesPipeline
) -> None:
    manager = make_login(container, slug="acme", username="mia", roles=["manager"])
    sign_in_with_token(page, manager, live_server)
    page.goto("/")
    page.get_by_role("link", name="version 1").click()

    expect(page.get_by_role("heading", name="Sales: versions")).to_be_visible()
    expect(page.locator("#version-1")).to_contain_text("Running in 1 pipeline: Q3 deals")
    expect(page.get_by_role("button", name=re.compile("Publish|Roll back"))).to_have_count(0)
    assert_accessible(page)
