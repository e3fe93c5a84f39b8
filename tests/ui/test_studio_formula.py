"""The studio's formula editor: the Manufacturing library template's calculations built by
typing formulas with completion, a typo shown where it is, sample values tried, and the
saved calculations equal to the library's.

SQLite only, like the other UI modules besides ``test_smoke.py``. With
``PACETRACK_DOC_SCREENSHOTS=1`` the screenshots go to docs/images/.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from playwright.sync_api import Locator, Page, expect

from tests.ui.accessibility import assert_accessible, assert_fits_width
from tests.ui.conftest import Browsing
from tests.ui.test_studio import api_get, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True, scope="session"),
]

LIBRARY = (
    Path(__file__).resolve().parents[2]
    / "src"
    / "pacetrack"
    / "templates_library"
    / "manufacturing.yaml"
)


def library_steps() -> list[dict[str, Any]]:
    return list(yaml.safe_load(LIBRARY.read_text(encoding="utf-8"))["steps"])


def api_post(browsing: Browsing, path: str, body: dict[str, Any]) -> Any:
    answer = httpx.post(
        f"{browsing.base_url}{path}",
        json=body,
        headers={"Authorization": f"Bearer {browsing.login.token}"},
    )
    assert answer.is_success, answer.text
    return answer.json() if answer.content else None


@pytest.fixture
def manufacturing(admin_page: Browsing) -> uuid.UUID:
    """The Manufacturing library template in the tenant, with its calculations taken out."""
    template = api_post(admin_page, "/api/template-library/instantiate", {"key": "manufacturing"})
    for step in template["steps"]:
        if step["calculations"]:
            api_post(
                admin_page,
                "/api/step-template/update-calculations",
                {"id": step["id"], "calculations": []},
            )
    return uuid.UUID(template["id"])


def open_step(page: Page, template_id: uuid.UUID, step: str) -> Locator:
    if not page.url.endswith(f"/admin/templates/{template_id}"):
        page.goto(f"/admin/templates/{template_id}")
    page.locator(".step-entry", has_text=step).locator(".step-select").click()
    expect(page.get_by_role("heading", name=f"Step: {step}")).to_be_visible()
    page.get_by_role("tab", name="Calculations").click()
    return page.get_by_role("tabpanel")


def add_formula(panel: Locator, *, calc_id: str, name: str, output: str) -> Locator:
    panel.get_by_role("button", name="Add calculation").click()
    card = panel.locator(".config-row").last
    card.get_by_label("Type").select_option("custom")
    card.get_by_label("Calculation id").fill(calc_id)
    card.get_by_label("Name (optional)").fill(name)
    card.get_by_label("Result goes to").select_option(output)
    return card


def complete(page: Page, card: Locator, prefix: str, choice: str, *, axe: bool = False) -> None:
    """Types ``prefix`` into the formula and picks ``choice`` from the completion list."""
    card.get_by_role("textbox", name="Formula").click()
    page.keyboard.type(prefix)
    listbox = page.get_by_role("listbox")
    expect(listbox).to_be_visible()
    if axe:
        assert_accessible(page)
    listbox.get_by_role("option").filter(has_text=choice).first.click()


def saved_calculations(browsing: Browsing, template_id: uuid.UUID) -> dict[str, Any]:
    template = api_get(browsing, "/api/pipeline-template/get", id=str(template_id))
    return {step["name"]: step["calculations"] for step in template["steps"]}


def test_the_manufacturing_calculations_are_built_with_the_formula_editor(
    admin_page: Browsing, manufacturing: uuid.UUID
) -> None:
    page = admin_page.page
    panel = open_step(page, manufacturing, "Material Procurement")
    card = add_formula(
        panel, calc_id="material_cost", name="Calculate Material Cost", output="material_cost"
    )
    complete(page, card, "dim", "dimensions")
    page.keyboard.type(".sqft * materal.cost_per_sqft")
    verdict = card.locator(".formula-verdict")
    expect(verdict).to_have_text(
        "Line 1, column 19: unknown field `materal`; did you mean material?"
    )
    expect(card.locator(".cm-lintRange-error")).to_have_text("materal")
    screenshot(page, "studio-formula-typo")

    # Back over the typo: "materal.cost_per_sqft" is 21 characters.
    for _ in range(21):
        page.keyboard.press("Backspace")
    complete(page, card, "mat", "material")
    page.keyboard.type(".cost_per_sqft")
    expect(verdict).to_have_text("Valid: gives a value known only when it runs.")
    expect(card.locator(".cm-lintRange-error")).to_have_count(0)

    card.get_by_text("Try with sample values").click()
    card.get_by_label("dimensions.sqft").fill("120")
    card.get_by_label("material.cost_per_sqft").fill("4.5")
    card.get_by_role("button", name="Compute").click()
    expect(card.locator(".try-result")).to_have_text("Result: 540.00 (into Material cost)")
    assert_accessible(page)
    screenshot(page, "studio-formula")
    page.get_by_role("button", name="Save step").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")

    panel = open_step(page, manufacturing, "Production")
    card = add_formula(panel, calc_id="production_hours", name="Production time", output="units")
    complete(page, card, "uni", "units")
    page.keyboard.type(" * ")
    complete(page, card, "minu", "minutes_per_unit", axe=True)
    page.keyboard.type(" / 60")
    expect(card.locator(".formula-verdict")).to_have_text("Valid: gives a number.")
    # A number goes only into a numeric field: the picker offers no text field.
    output = card.get_by_label("Result goes to")
    expect(output.locator("option", has_text="Tracking number")).to_have_count(0)
    output.select_option("production_hours")
    card.get_by_text("Try with sample values").click()
    card.get_by_label("units").fill("120")
    card.get_by_label("minutes_per_unit").fill("4.5")
    card.get_by_role("button", name="Compute").click()
    expect(card.locator(".try-result")).to_have_text("Result: 9 (into Production hours)")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_fits_width(page)
    assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Save step").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")

    saved = saved_calculations(admin_page, manufacturing)
    for step in library_steps():
        assert saved[step["name"]] == step.get("calculations", []), step["name"]


def test_conditions_are_checked_in_place_on_one_line(
    admin_page: Browsing, manufacturing: uuid.UUID
) -> None:
    page = admin_page.page
    page.goto(f"/admin/templates/{manufacturing}")
    page.locator(".step-entry", has_text="Rework").locator(".step-select").click()
    panel = page.get_by_role("tabpanel")
    name = "Required when (Quality status (quality_status))"
    condition = panel.get_by_role("textbox", name=name)
    condition.click()
    page.keyboard.type('quality_statu == "fail"')
    page.keyboard.press("Escape")
    page.keyboard.press("Enter")
    row = panel.locator(".formula-row", has=page.get_by_role("textbox", name=name))
    expect(row.locator(".formula-verdict")).to_have_text(
        "Line 1, column 1: unknown field `quality_statu`; did you mean quality_status?"
    )
    # One line: Enter adds no line break, and Tab leaves the editor.
    expect(condition).to_have_text('quality_statu == "fail"')
    page.keyboard.press("Home")
    page.keyboard.press("Shift+End")
    page.keyboard.type('quality_status == "fail"')
    page.keyboard.press("Escape")
    expect(row.locator(".formula-verdict")).to_have_text("Valid: gives true or false.")
    page.keyboard.press("Tab")
    expect(condition).not_to_be_focused()
    assert_accessible(page)
    page.get_by_role("button", name="Save step").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    template = api_get(admin_page, "/api/pipeline-template/get", id=str(manufacturing))
    rework = next(step for step in template["steps"] if step["name"] == "Rework")
    assert rework["field_configs"][1] == {
        "field_definition_id": "quality_status",
        "is_visible": True,
        "is_required": False,
        "required_when": 'quality_status == "fail"',
    }
