"""The plain template page (/admin/templates/<id>/json, no scripts needed): JSON per family,
save-time problems with their JSON paths. The studio has its own tests (test_studio.py).

These run on SQLite only; ``test_smoke.py`` runs the core path on PostgreSQL too.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.ui.conftest import MIN_DEAL_MESSAGE, Browsing, SalesPipeline

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True, scope="session"),
]


def test_a_rule_missing_a_property_is_refused_with_its_json_path(
    admin_page: Browsing, sales: SalesPipeline
) -> None:
    page = admin_page.page
    page.goto(f"/admin/templates/{sales.template_id}/json")
    step = sales.step_templates["Qualified"]
    editor = page.locator(f"#cfg-{step}-validations")
    bad = [{"id": "min_deal_value", "type": "field_min_value", "field_id": "deal_value"}]
    editor.fill(json.dumps(bad))
    page.locator(f"#step-{step}").get_by_role("button", name="Save validations").click()

    problems = page.locator(f"#cfg-{step}-validations-problems")
    expect(problems).to_have_text("validations[0].min_value: is required")
    expect(editor).to_have_attribute("aria-invalid", "true")
    expect(editor).to_have_value(json.dumps(bad))
    page.goto(f"/admin/templates/{sales.template_id}/json")
    expect(page.locator(f"#cfg-{step}-validations")).to_have_value(
        re.compile(re.escape(MIN_DEAL_MESSAGE))
    )


def test_a_reference_to_an_unknown_field_is_refused(
    admin_page: Browsing, sales: SalesPipeline
) -> None:
    page = admin_page.page
    page.goto(f"/admin/templates/{sales.template_id}/json")
    step = sales.step_templates["Demo"]
    editor = page.locator(f"#cfg-{step}-field_configs")
    editor.fill(json.dumps([{"field_definition_id": "deal_valu", "is_visible": True}]))
    page.locator(f"#step-{step}").get_by_role("button", name="Save field configuration").click()

    problems = page.locator(f"#cfg-{step}-field_configs-problems")
    expect(problems).to_contain_text("field_configs[0].field_definition_id")
    expect(problems).to_contain_text("deal_value")


def test_text_that_is_not_json_is_refused_without_saving(
    admin_page: Browsing, sales: SalesPipeline
) -> None:
    page = admin_page.page
    page.goto(f"/admin/templates/{sales.template_id}/json")
    step = sales.step_templates["Lead"]
    page.locator(f"#cfg-{step}-metadata").fill('{"requires_approval": tru')
    page.locator(f"#step-{step}").get_by_role("button", name="Save metadata").click()

    expect(page.locator(f"#cfg-{step}-metadata-problems")).to_contain_text("not valid JSON")


def test_a_valid_family_is_saved_and_shown_back(admin_page: Browsing, sales: SalesPipeline) -> None:
    page = admin_page.page
    page.goto(f"/admin/templates/{sales.template_id}/json")
    step = sales.step_templates["Demo"]
    page.locator(f"#cfg-{step}-metadata").fill('{"requires_approval": true}')
    page.locator(f"#step-{step}").get_by_role("button", name="Save metadata").click()

    expect(page.get_by_role("status")).to_have_text("Saved.")
    expect(page.locator(f"#cfg-{step}-metadata")).to_have_value(
        json.dumps({"requires_approval": True}, indent=2)
    )


def test_admin_creates_a_template_and_adds_a_step(admin_page: Browsing) -> None:
    page = admin_page.page
    page.goto("/admin/templates")
    page.get_by_label("Name").fill("Recruiting")
    page.get_by_role("button", name="Create template").click()

    expect(page.get_by_role("heading", name="Recruiting", level=1)).to_be_visible()
    expect(page.get_by_text("This template has no steps yet.")).to_be_visible()
    page.get_by_role("link", name="Plain JSON editor").click()
    page.get_by_label("Step name").fill("Applied")
    page.get_by_label("Target days").fill("5")
    page.get_by_role("button", name="Add step").click()

    expect(page.get_by_role("heading", name="1. Applied")).to_be_visible()
    expect(page.get_by_text("Target 5 days.")).to_be_visible()
