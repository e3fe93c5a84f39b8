"""The studio of a tenant without the validations family, in headless Chromium: another
family still saves, a new rule is refused with words at the tab, and nothing is stored."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from pacetrack.bootstrap import Container
from tests.conftest import Login
from tests.support.features import switch
from tests.ui.accessibility import assert_accessible
from tests.ui.conftest import Browsing, SalesPipeline
from tests.ui.studio_driver import add_card, fill_rule, open_tab

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True, scope="session"),
]

REFUSAL = "the validations family is not enabled for this organisation"


def saved_validations(browsing: Browsing, step_id: object) -> list[dict[str, object]]:
    answer = httpx.get(
        f"{browsing.base_url}/api/step-template/get",
        params={"id": str(step_id)},
        headers={"Authorization": f"Bearer {browsing.login.token}"},
    )
    answer.raise_for_status()
    return answer.json()["validations"]  # type: ignore[no-any-return]


def test_a_disabled_family_is_refused_in_words_while_other_tabs_save(
    admin_page: Browsing, sales: SalesPipeline, container: Container, admin: Login
) -> None:
    before = saved_validations(admin_page, sales.step_templates["Qualified"])
    switch(container, admin.tenant_slug, disable=["family.validations"])
    page = admin_page.page
    page.goto(f"/admin/templates/{sales.template_id}")
    page.locator(".step-entry", has_text="Qualified").locator(".step-select").click()
    expect(page.get_by_role("heading", name="Step: Qualified")).to_be_visible()

    open_tab(page, "Settings")
    page.get_by_label("Description").fill("Budget confirmed")
    page.get_by_role("button", name="Save step").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")

    panel = open_tab(page, "Validations")
    rule = add_card(panel, "Add rule", 1, ".rule")
    fill_rule(rule, {"type": "field_required", "id": "needs_maker", "field_id": "decision_maker"})
    page.get_by_role("button", name="Save step").click()

    expect(page.get_by_role("status")).to_have_text("Not saved: 1 problem to correct.")
    expect(page.get_by_role("tab", name="Validations • (problems)")).to_have_attribute(
        "aria-selected", "true"
    )
    expect(page.get_by_role("tabpanel").get_by_role("alert")).to_have_text(
        f"validations: {REFUSAL}"
    )
    assert saved_validations(admin_page, sales.step_templates["Qualified"]) == before
    assert_accessible(page)
