"""The studio on a running pipeline (/admin/pipelines/<id>/studio): a step's validations
overridden for this pipeline only, the banner that says so, the move that then follows the
override, and "Remove override" that restores the template's rules.

SQLite only, like the other UI modules besides ``test_smoke.py``. With
``PACETRACK_DOC_SCREENSHOTS=1`` the screenshots go to docs/images/ for docs/studio.md.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.conftest import Login
from tests.ui.accessibility import assert_accessible, assert_fits_width
from tests.ui.conftest import MIN_DEAL_MESSAGE, Browsing, SalesPipeline, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True, scope="session"),
]

BANNER = "Overriding the template"
REMOVE = "Remove override (use the template's)"


def call(browsing: Browsing, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {browsing.login.token}"}
    return httpx.request(method, f"{browsing.base_url}{path}", headers=headers, **kwargs)


def step_overrides(browsing: Browsing, sales: SalesPipeline, step: str) -> dict[str, Any]:
    answer = call(
        browsing, "GET", "/api/pipeline-instance/get", params={"id": str(sales.instance_id)}
    )
    answer.raise_for_status()
    found = [entry for entry in answer.json()["steps"] if entry["name"] == step]
    return found[0]["config_overrides"]  # type: ignore[no-any-return]


def move(browsing: Browsing, item_id: object, step_id: object) -> httpx.Response:
    return call(
        browsing,
        "POST",
        "/api/item/move-to-step",
        json={"id": str(item_id), "step_id": str(step_id)},
    )


def new_item_at_qualified(browsing: Browsing, sales: SalesPipeline, name: str) -> str:
    created = call(
        browsing,
        "POST",
        "/api/item/create",
        json={
            "pipeline_instance_id": str(sales.instance_id),
            "name": name,
            "step_id": str(sales.steps["Qualified"]),
            "field_values": {"deal_value": "4000", "decision_maker": "Lee Park"},
        },
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def open_override_studio(browsing: Browsing, sales: SalesPipeline) -> Page:
    """From the pipeline's board, as an admin finds it."""
    page = browsing.page
    page.goto(f"/pipelines/{sales.instance_id}")
    page.get_by_role("link", name="Step configuration of this pipeline").click()
    expect(page).to_have_url(f"{browsing.base_url}/admin/pipelines/{sales.instance_id}/studio")
    expect(page.get_by_role("tab", name="Fields")).to_be_visible()
    page.locator(".step-entry", has_text="Qualified").locator(".step-select").click()
    expect(page.get_by_role("heading", name="Step: Qualified")).to_be_visible()
    return page


def open_tab(page: Page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()
    expect(page.get_by_role("tab", name=name, exact=True)).to_have_attribute(
        "aria-selected", "true"
    )


def test_a_running_pipeline_overrides_a_steps_validations_and_removes_the_override(
    admin_page: Browsing, sales: SalesPipeline
) -> None:
    page = open_override_studio(admin_page, sales)
    # The steps follow the template: nothing adds, moves or deletes one here.
    expect(page.get_by_role("button", name="Add step")).to_have_count(0)
    expect(page.get_by_role("button", name="Move Qualified up")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete Qualified")).to_have_count(0)

    open_tab(page, "Validations")
    panel = page.get_by_role("tabpanel")
    expect(panel.get_by_text(BANNER)).to_have_count(0)
    expect(panel.get_by_text("Follows the template.")).to_be_visible()
    expect(panel.get_by_label("Minimum")).to_have_value("5000")
    refused = move(admin_page, sales.item_id, sales.steps["Demo"])
    assert refused.status_code == 422
    assert MIN_DEAL_MESSAGE in refused.text

    panel.get_by_label("Minimum").fill("3000")
    page.get_by_role("button", name="Save step").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    expect(panel.get_by_text(BANNER)).to_be_visible()
    expect(panel.get_by_role("button", name=REMOVE)).to_be_visible()
    overrides = step_overrides(admin_page, sales, "Qualified")
    assert list(overrides) == ["validations"]
    assert overrides["validations"][0]["min_value"] == "3000"
    template_step = call(
        admin_page,
        "GET",
        "/api/step-template/get",
        params={"id": str(sales.step_templates["Qualified"])},
    ).json()
    assert template_step["validations"][0]["min_value"] == "5000"
    # Another tab of the same step still follows the template.
    open_tab(page, "Fields")
    expect(page.get_by_role("tabpanel").get_by_text(BANNER)).to_have_count(0)
    open_tab(page, "Validations")
    screenshot(page, "studio-override")
    assert_accessible(page)
    page.set_viewport_size({"width": 390, "height": 844})
    assert_fits_width(page)
    assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    # The move follows the override: 4,000 now passes the pipeline's 3,000 minimum.
    moved = move(admin_page, sales.item_id, sales.steps["Demo"])
    assert moved.status_code == 200, moved.text

    page.get_by_role("tabpanel").get_by_role("button", name=REMOVE).click()
    expect(page.get_by_role("status")).to_have_text(
        "Override removed: this step uses the template's configuration here."
    )
    panel = page.get_by_role("tabpanel")
    expect(panel.get_by_text(BANNER)).to_have_count(0)
    expect(panel.get_by_label("Minimum")).to_have_value("5000")
    assert step_overrides(admin_page, sales, "Qualified") == {}
    second = new_item_at_qualified(admin_page, sales, "Birch upgrade")
    again = move(admin_page, second, sales.steps["Demo"])
    assert again.status_code == 422
    assert MIN_DEAL_MESSAGE in again.text


def test_an_overrides_server_problem_appears_next_to_its_control(
    admin_page: Browsing, sales: SalesPipeline
) -> None:
    page = open_override_studio(admin_page, sales)
    open_tab(page, "Validations")
    panel = page.get_by_role("tabpanel")
    panel.get_by_label("Minimum").fill("lots")
    page.get_by_role("button", name="Save step").click()
    expect(page.get_by_role("status")).to_contain_text("Not saved: 1 problem to correct")
    problem = panel.locator('[data-problem-for="validations[0].min_value"]')
    expect(problem).to_be_visible()
    expect(panel.get_by_label("Minimum")).to_have_attribute("aria-invalid", "true")
    assert step_overrides(admin_page, sales, "Qualified") == {}


def page_as(browsing: Browsing, login: Login, path: str) -> httpx.Response:
    return httpx.get(
        f"{browsing.base_url}{path}",
        cookies={"pacetrack_token": login.token},
        follow_redirects=False,
    )


def test_the_override_studio_is_for_admins_only(
    admin_page: Browsing, sales: SalesPipeline, member: Login
) -> None:
    studio = f"/admin/pipelines/{sales.instance_id}/studio"
    assert page_as(admin_page, admin_page.login, studio).status_code == 200
    assert page_as(admin_page, member, studio).status_code == 403
    board = page_as(admin_page, member, f"/pipelines/{sales.instance_id}")
    assert board.status_code == 200
    assert studio not in board.text
    assert studio in page_as(admin_page, admin_page.login, f"/pipelines/{sales.instance_id}").text
    missing = page_as(admin_page, admin_page.login, "/admin/pipelines/not-an-id/studio")
    assert missing.status_code == 404
