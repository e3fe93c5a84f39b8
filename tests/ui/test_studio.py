"""The step configuration studio at /admin/templates/<id>: steps ordered by drag and by
buttons, fields and validations built with controls and saved through the JSON API,
server problems next to their controls, the Edit as JSON escape hatch.

SQLite only, like the other UI modules besides ``test_smoke.py``. With
``PACETRACK_DOC_SCREENSHOTS=1`` the tests also refresh the user guide's screenshots in
docs/images/ (otherwise they go to test-artifacts/).
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.conftest import Login
from tests.ui.accessibility import assert_accessible, assert_fits_width
from tests.ui.conftest import MIN_DEAL_MESSAGE, Browsing, SalesPipeline, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True, scope="session"),
]


def api_get(browsing: Browsing, path: str, **query: Any) -> Any:
    answer = httpx.get(
        f"{browsing.base_url}{path}",
        params=query,
        headers={"Authorization": f"Bearer {browsing.login.token}"},
    )
    answer.raise_for_status()
    return answer.json()


def saved_step(browsing: Browsing, step_id: object) -> dict[str, Any]:
    return api_get(browsing, "/api/step-template/get", id=str(step_id))  # type: ignore[no-any-return]


def saved_order(browsing: Browsing, sales: SalesPipeline) -> list[str]:
    template = api_get(browsing, "/api/pipeline-template/get", id=str(sales.template_id))
    return [step["name"] for step in template["steps"]]


def open_studio(browsing: Browsing, sales: SalesPipeline, step: str | None = None) -> Page:
    page = browsing.page
    page.goto(f"/admin/templates/{sales.template_id}")
    expect(page.get_by_role("tab", name="Fields")).to_be_visible()
    if step is not None:
        page.locator(".step-entry", has_text=step).locator(".step-select").click()
        expect(page.get_by_role("heading", name=f"Step: {step}")).to_be_visible()
    return page


def drag(page: Page, handle: Locator, target: Locator) -> None:
    """A mouse drag in small steps, as a person does it (SortableJS follows the pointer)."""
    start = handle.bounding_box()
    end = target.bounding_box()
    assert start is not None and end is not None
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + 10, end["y"] + 4, steps=12)
    page.mouse.move(end["x"] + 10, end["y"] + 2, steps=2)
    page.mouse.up()


def step_names(page: Page) -> list[str]:
    return [re.sub(r"^\d+\. ", "", text) for text in page.locator(".step-name").all_inner_texts()]


def test_steps_are_reordered_by_drag_and_by_buttons(
    admin_page: Browsing, sales: SalesPipeline
) -> None:
    page = open_studio(admin_page, sales)
    entries = page.locator(".step-entry")
    drag(page, entries.nth(2).locator(".drag-handle"), entries.nth(0))

    expect(page.get_by_role("status")).to_have_text("Demo is now step 1.")
    assert step_names(page) == ["Demo", "Lead", "Qualified"]
    assert saved_order(admin_page, sales) == ["Demo", "Lead", "Qualified"]
    screenshot(page, "studio-steps")

    page.get_by_role("button", name="Move Demo down").click()
    expect(page.get_by_role("status")).to_have_text("Demo is now step 2.")
    expect(page.get_by_role("button", name="Move Demo down")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Demo is now step 3.")
    assert saved_order(admin_page, sales) == ["Lead", "Qualified", "Demo"]


def test_steps_are_added_duplicated_and_deleted(admin_page: Browsing, sales: SalesPipeline) -> None:
    page = open_studio(admin_page, sales, "Qualified")
    page.get_by_role("button", name="Duplicate Qualified").click()
    expect(page.get_by_role("heading", name="Step: Qualified (copy)")).to_be_visible()
    assert saved_order(admin_page, sales) == ["Lead", "Qualified", "Qualified (copy)", "Demo"]
    template = api_get(admin_page, "/api/pipeline-template/get", id=str(sales.template_id))
    original, copy = template["steps"][1], template["steps"][2]
    for key in ("field_configs", "validations", "target_duration_days", "metadata"):
        assert copy[key] == original[key]

    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete Qualified (copy)").click()
    expect(page.get_by_role("status")).to_have_text("Deleted Qualified (copy).")
    assert saved_order(admin_page, sales) == ["Lead", "Qualified", "Demo"]

    page.get_by_label("New step name").fill("Won")
    page.get_by_role("button", name="Add step").click()
    expect(page.get_by_role("heading", name="Step: Won")).to_be_visible()
    assert saved_order(admin_page, sales) == ["Lead", "Qualified", "Demo", "Won"]
    expect(page.get_by_role("tab", name="Settings")).to_have_attribute("aria-selected", "true")
    page.get_by_label("Description").fill("Signed and paid")
    page.get_by_label("Target duration (days)").fill("3")
    page.get_by_label("Colour", exact=True).fill("#1e7a3c")
    page.get_by_label("Icon").select_option("trophy")
    page.get_by_role("button", name="Save step").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    won = api_get(admin_page, "/api/pipeline-template/get", id=str(sales.template_id))["steps"][3]
    assert (won["description"], won["target_duration_days"], won["color"], won["icon"]) == (
        "Signed and paid",
        3,
        "#1e7a3c",
        "trophy",
    )
    expect(page.locator(".step-entry", has_text="Won")).to_contain_text("3 days")
    expect(page.locator(".step-entry", has_text="Won").locator(".step-icon")).to_have_text("♛")
    screenshot(page, "studio-settings")

    page.get_by_label("New step name").fill("Won")
    page.get_by_role("button", name="Add step").click()
    error = page.locator(".studio-steps .field-error")
    expect(error).to_contain_text("Won")
    expect(page.get_by_label("New step name")).to_have_attribute("aria-invalid", "true")
    assert saved_order(admin_page, sales) == ["Lead", "Qualified", "Demo", "Won"]


def test_fields_and_validations_built_with_controls_are_saved(
    admin_page: Browsing, sales: SalesPipeline
) -> None:
    page = open_studio(admin_page, sales, "Demo")
    panel = page.get_by_role("tabpanel")

    # Fields: discount_pct is there; add deal_value (required) and decision_maker, drag
    # decision_maker to the top, hide discount_pct only while there is no deal value.
    for field in ("Deal value (deal_value, currency)", "Decision maker (decision_maker, text)"):
        panel.get_by_label("Field to add").select_option(label=field)
        panel.get_by_role("button", name="Add field").click()
    rows = panel.locator(".config-row")
    expect(rows).to_have_count(3)
    rows.nth(1).get_by_label("Required", exact=True).check()
    drag(page, rows.nth(2).locator(".drag-handle"), rows.nth(0))
    expect(rows.nth(0)).to_contain_text("Decision maker")
    panel.get_by_label("Visible when (Discount % (discount_pct))").fill("deal_value > 0")
    panel.get_by_role("button", name="Move Deal value (deal_value) up").click()
    screenshot(page, "studio-fields")

    # Validations, switching tabs keeps the field changes unsaved.
    page.get_by_role("tab", name="Fields").press("ArrowRight")
    expect(page.get_by_role("tab", name="Validations")).to_be_focused()
    expect(page.get_by_role("tab", name="Validations")).to_have_attribute("aria-selected", "true")
    assert_accessible(page)
    add = panel.get_by_role("button", name="Add rule")

    add.click()
    expect(add).to_be_focused()
    rule = panel.locator(".rule").nth(0)
    rule.get_by_label("Type").select_option("field_min_value")
    expect(rule.get_by_label("Field").locator("option")).to_have_text(
        ["Choose…", "Deal value (currency)", "Discount % (number)"]
    )
    rule.get_by_label("Field").select_option("deal_value")
    rule.get_by_label("Minimum").fill("5000")
    rule.get_by_label("Message when the rule fails").fill(MIN_DEAL_MESSAGE)

    add.click()
    rule = panel.locator(".rule").nth(1)
    rule.get_by_label("Type").select_option("field_pattern")
    expect(rule.get_by_label("Field").locator("option")).to_have_text(
        ["Choose…", "Decision maker (text)"]
    )
    rule.get_by_label("Field").select_option("decision_maker")
    rule.get_by_label("Pattern (RE2 regular expression)").fill("^[A-Z]")
    rule.get_by_label("Try a value").fill("dana")
    expect(rule.locator(".try-value")).to_contain_text("Does not match.")
    rule.get_by_label("Try a value").fill("Dana")
    expect(rule.locator(".try-value")).to_contain_text("Matches.")

    add.click()
    rule = panel.locator(".rule").nth(2)
    rule.get_by_label("Type").select_option("field_comparison")
    rule.get_by_label("Field").select_option("discount_pct")
    rule.get_by_label("Operator").select_option("<=")
    rule.get_by_label("Compare with").select_option("a value")
    rule.get_by_label("Value").fill("30")

    add.click()
    rule = panel.locator(".rule").nth(3)
    rule.get_by_label("Type").select_option("custom_expression")
    rule.get_by_label("Expression (must be true to leave the step)").fill(
        "deal_value > discount_pct"
    )

    add.click()
    panel.locator(".rule").nth(4).get_by_label("Field").select_option("deal_value")
    panel.get_by_role("button", name="Delete rule 5").click()
    panel.get_by_role("button", name="Move rule 3 up").click()
    screenshot(page, "studio-validations")

    page.get_by_role("tab", name="Fields").click()
    expect(panel.get_by_label("Visible when (Discount % (discount_pct))")).to_have_text(
        "deal_value > 0"
    )
    page.get_by_role("button", name="Save step").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")

    step = saved_step(admin_page, sales.step_templates["Demo"])
    assert step["field_configs"] == [
        {"field_definition_id": "decision_maker", "is_visible": True, "is_required": False},
        {"field_definition_id": "deal_value", "is_visible": True, "is_required": True},
        {
            "field_definition_id": "discount_pct",
            "is_visible": True,
            "is_required": False,
            "visible_when": "deal_value > 0",
        },
    ]
    assert step["validations"] == [
        {
            "id": "field_min_value_1",
            "type": "field_min_value",
            "field_id": "deal_value",
            "min_value": "5000",
            "error_message": MIN_DEAL_MESSAGE,
        },
        {
            "id": "field_comparison_1",
            "type": "field_comparison",
            "field_id": "discount_pct",
            "operator": "<=",
            "compare_value": "30",
        },
        {
            "id": "field_pattern_1",
            "type": "field_pattern",
            "field_id": "decision_maker",
            "pattern": "^[A-Z]",
        },
        {
            "id": "custom_expression_1",
            "type": "custom_expression",
            "expression": "deal_value > discount_pct",
        },
    ]
    expect(page.locator(".unsaved-mark")).to_have_count(0)


def assert_problem_at(page: Page, control: Locator, path: str) -> None:
    """The server's problem for ``path`` is shown at ``control``, which it describes."""
    expect(control).to_have_attribute("aria-invalid", "true")
    problem = page.locator(f'[data-problem-for="{path}"]')
    expect(problem).to_be_visible()
    assert problem.get_attribute("id") in (control.get_attribute("aria-describedby") or "")


def test_a_bad_value_shows_the_servers_problem_next_to_its_control(
    admin_page: Browsing, sales: SalesPipeline
) -> None:
    page = open_studio(admin_page, sales, "Qualified")
    before = saved_step(admin_page, sales.step_templates["Qualified"])
    page.get_by_role("tab", name="Validations").click()
    panel = page.get_by_role("tabpanel")
    rule = panel.locator(".rule").nth(0)
    rule.get_by_label("Minimum").fill("lots")
    page.get_by_role("button", name="Save step").click()

    assert_problem_at(page, rule.get_by_label("Minimum"), "validations[0].min_value")
    expect(page.get_by_role("tab", name=re.compile("Validations"))).to_contain_text("problems")
    expect(page.get_by_role("status")).to_contain_text("Not saved")
    assert_accessible(page)
    screenshot(page, "studio-problem")
    assert saved_step(admin_page, sales.step_templates["Qualified"]) == before

    page.get_by_role("tab", name="Settings").click()
    page.get_by_label("Target duration (days)").fill("-1")
    rule_tab = page.get_by_role("tab", name=re.compile("Validations"))
    rule_tab.click()
    rule.get_by_label("Minimum").fill("5000")
    page.get_by_role("button", name="Save step").click()
    expect(page.get_by_role("tab", name=re.compile("Settings"))).to_have_attribute(
        "aria-selected", "true"
    )
    target = page.get_by_label("Target duration (days)")
    expect(target).to_have_attribute("aria-invalid", "true")
    expect(page.locator('[data-problem-for="target_duration_days"]')).to_be_visible()
    after = saved_step(admin_page, sales.step_templates["Qualified"])
    assert after["target_duration_days"] == before["target_duration_days"]


def test_a_broken_entry_rule_shows_the_servers_problem_at_its_control(
    admin_page: Browsing, sales: SalesPipeline
) -> None:
    page = open_studio(admin_page, sales, "Demo")
    before = saved_step(admin_page, sales.step_templates["Demo"])
    page.get_by_role("tab", name="Settings").click()
    rules = page.locator(".entry-rules")
    rules.get_by_role("button", name="Add entry rule").click()
    rule = rules.locator(".rule").nth(0)
    rule.get_by_label("Type").select_option("field_min_value")
    rule.get_by_label("Field", exact=True).select_option("deal_value")
    rule.get_by_label("Minimum").fill("lots")
    page.get_by_role("button", name="Save step").click()

    minimum = rule.get_by_label("Minimum")
    assert_problem_at(page, minimum, "metadata.entry_validations[0].min_value")
    assert_accessible(page)
    assert saved_step(admin_page, sales.step_templates["Demo"]) == before

    minimum.fill("5000")
    page.get_by_role("button", name="Save step").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    assert saved_step(admin_page, sales.step_templates["Demo"])["metadata"] == {
        "entry_validations": [
            {
                "id": "field_min_value_1",
                "type": "field_min_value",
                "field_id": "deal_value",
                "min_value": 5000,
            }
        ]
    }


def test_edit_as_json_round_trips_with_the_controls(
    admin_page: Browsing, sales: SalesPipeline
) -> None:
    page = open_studio(admin_page, sales, "Qualified")
    page.get_by_role("tab", name="Validations").click()
    panel = page.get_by_role("tabpanel")
    panel.locator(".rule").nth(0).get_by_label("Minimum").fill("6000")
    panel.get_by_role("button", name="Edit as JSON").click()

    editor = panel.get_by_label("Validations as JSON")
    text = editor.input_value()
    assert '"min_value": 6000' in text
    editor.fill(
        text.replace('"min_value": 6000', '"max_value": 7000').replace(
            "field_min_value", "field_max_value"
        )
    )
    editor.press_sequentially("x")
    expect(panel.locator(".json-state")).to_contain_text("Not valid JSON yet")
    panel.get_by_role("button", name="Back to controls").click()
    expect(page.get_by_role("status")).to_contain_text("not valid yet")
    editor.press("Backspace")
    expect(panel.locator(".json-state")).to_have_text("")
    panel.get_by_role("button", name="Back to controls").click()

    rule = panel.locator(".rule").nth(0)
    expect(rule.get_by_label("Type")).to_have_value("field_max_value")
    expect(rule.get_by_label("Maximum")).to_have_value("7000")

    page.get_by_role("tab", name="Assignments").click()
    panel.get_by_role("button", name="Edit as JSON").click()
    assignments = panel.get_by_label("Assignments as JSON")
    assignments.fill('[{"type": "user", "id": "ada"}]')
    page.get_by_role("tab", name="Settings").click()
    panel.get_by_role("button", name="Edit as JSON").click()
    settings = panel.get_by_label("Settings as JSON")
    assert '"name": "Qualified"' in settings.input_value()
    settings.fill(
        settings.input_value().replace('"metadata": {}', '"metadata": {"requires_approval": true}')
    )
    screenshot(page, "studio-json")
    page.get_by_role("button", name="Save step").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")

    step = saved_step(admin_page, sales.step_templates["Qualified"])
    assert step["validations"][0]["type"] == "field_max_value"
    assert step["validations"][0]["max_value"] == "7000"
    assert step["assignments"] == [{"type": "user", "id": "ada"}]
    assert step["metadata"] == {"requires_approval": True}


def test_assignments_are_chosen_from_the_organisations_people_and_roles_found_by_name(
    admin_page: Browsing, sales: SalesPipeline, member: Login
) -> None:
    page = open_studio(admin_page, sales, "Lead")
    page.get_by_role("tab", name="Assignments").click()
    panel = page.get_by_role("tabpanel")
    panel.get_by_role("button", name="Add assignment").click()
    first = panel.locator(".config-row").nth(0)
    expect(first.get_by_label("Person").locator("option")).to_have_text(["ada", "max"])
    finder = first.get_by_label("Find by name")
    finder.fill("MA")
    expect(first.get_by_label("Person")).to_have_value("max")
    expect(first.get_by_text("1 of 2 match; chosen: max.")).to_be_visible()
    finder.fill("nobody")
    expect(first.get_by_text("No person matches.")).to_be_visible()
    finder.fill("")
    expect(first.get_by_label("Person").locator("option:not([hidden])")).to_have_count(2)
    panel.get_by_role("button", name="Add assignment").click()
    second = panel.locator(".config-row").nth(1)
    second.get_by_label("Assign to").select_option("role")
    second.get_by_label("Role").select_option("manager")
    assert_accessible(page)
    screenshot(page, "studio-assignments")
    page.get_by_role("button", name="Save step").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")

    assert saved_step(admin_page, sales.step_templates["Lead"])["assignments"] == [
        {"type": "user", "id": "max"},
        {"type": "role", "id": "manager"},
    ]


def test_calculations_are_built_with_controls(admin_page: Browsing, sales: SalesPipeline) -> None:
    for name, label in (("discount_amount", "Discount amount"), ("total", "Total")):
        created = httpx.post(
            f"{admin_page.base_url}/api/field-definition/create",
            json={"name": name, "label": label, "field_type": "currency"},
            headers={"Authorization": f"Bearer {admin_page.login.token}"},
        )
        assert created.status_code == 201
    page = open_studio(admin_page, sales, "Demo")
    page.get_by_role("tab", name="Calculations").click()
    panel = page.get_by_role("tabpanel")

    panel.get_by_role("button", name="Add calculation").click()
    first = panel.locator(".config-row").nth(0)
    first.get_by_label("Type").select_option("custom")
    first.get_by_label("Formula").fill("deal_value * discount_pct / 100")
    first.get_by_label("Result goes to").select_option("discount_amount")

    panel.get_by_role("button", name="Add calculation").click()
    second = panel.locator(".config-row").nth(1)
    expect(second.get_by_label("Result goes to").locator("option")).to_have_text(
        [
            "Choose…",
            "Deal value (currency)",
            "Discount amount (currency)",
            "Discount % (number)",
            "Total (currency)",
        ]
    )
    second.get_by_label("Result goes to").select_option("total")
    second.get_by_role("checkbox", name="Deal value").check()
    second.get_by_role("checkbox", name="Discount amount").check()
    second.get_by_label("Name (optional)").fill("Total with discount")
    panel.get_by_role("button", name="Move calculation 2 up").click()
    assert_accessible(page)
    screenshot(page, "studio-calculations")
    page.get_by_role("button", name="Save step").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")

    assert saved_step(admin_page, sales.step_templates["Demo"])["calculations"] == [
        {
            "id": "calculation_2",
            "type": "sum",
            "field_ids": ["deal_value", "discount_amount"],
            "output_field_id": "total",
            "name": "Total with discount",
        },
        {
            "id": "calculation_1",
            "type": "custom",
            "expression": "deal_value * discount_pct / 100",
            "output_field_id": "discount_amount",
        },
    ]


def test_notifications_are_built_with_controls(
    admin_page: Browsing, sales: SalesPipeline, member: Login
) -> None:
    page = open_studio(admin_page, sales, "Qualified")
    page.get_by_role("tab", name="Notifications").click()
    panel = page.get_by_role("tabpanel")
    panel.get_by_role("button", name="Add notification").click()
    card = panel.locator(".config-row").nth(0)
    card.get_by_label("Trigger").select_option("at_risk")
    card.get_by_label("Days past the target").fill("2")
    card.get_by_label("Count").select_option("business")
    card.get_by_label("Only while (expression, optional)").fill("deal_value > 10000")
    card.get_by_role("checkbox", name="its assignees").check()
    card.get_by_role("button", name="Add recipient").click()
    card.get_by_label("Who").select_option("max")
    chips = card.get_by_role("list", name="Recipients").locator(".chip > span")
    expect(chips).to_have_text(
        ["the item's owner", "its assignees", re.compile(r"^.+ \(person\)$")]
    )
    card.get_by_role("button", name=re.compile(r"^Remove .+ \(person\)$")).click()
    expect(chips).to_have_text(["the item's owner", "its assignees"])
    expect(card.get_by_label("Who")).to_have_count(0)
    card.get_by_role("button", name="Add recipient").click()
    card.get_by_label("Who").select_option("max")
    expect(chips).to_have_count(3)
    card.get_by_label("Subject").fill("Stalled: {{item.name}}")
    card.get_by_label("Message", exact=True).fill("{{item.name}} is past its target.")
    card.get_by_role("checkbox", name="by email").uncheck()
    expect(card.get_by_role("checkbox", name="by email")).to_be_focused()
    assert_accessible(page)
    screenshot(page, "studio-notifications")
    page.get_by_role("button", name="Save step").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")

    assert saved_step(admin_page, sales.step_templates["Qualified"])["notifications"] == [
        {
            "id": "notification_1",
            "trigger": "at_risk",
            "threshold_days": 2,
            "day_kind": "business",
            "condition": "deal_value > 10000",
            "recipients": [{"type": "owner"}, {"type": "assignees"}, {"type": "user", "id": "max"}],
            "subject": "Stalled: {{item.name}}",
            "body": "{{item.name}} is past its target.",
            "channels": ["in_app"],
        }
    ]


def test_automations_are_built_with_controls(admin_page: Browsing, sales: SalesPipeline) -> None:
    page = open_studio(admin_page, sales, "Demo")
    page.get_by_role("tab", name="Automations").click()
    panel = page.get_by_role("tabpanel")

    panel.get_by_role("button", name="Add automation").click()
    first = panel.locator(".config-row").nth(0)
    first.get_by_label("Trigger").select_option("on_field_change")
    first.get_by_label("Field", exact=True).select_option("discount_pct")
    first.get_by_label("To (optional)").fill("50")
    first.get_by_label("Action").select_option("move_to_step")
    first.get_by_label("Step").select_option("Qualified")

    panel.get_by_role("button", name="Add automation").click()
    second = panel.locator(".config-row").nth(1)
    second.get_by_label("Name (optional)").fill("Tell the CRM")
    second.get_by_label("URL").fill("https://crm.example.com/hooks/deal")
    second.get_by_label("Enabled").uncheck()

    panel.get_by_role("button", name="Add automation").click()
    third = panel.locator(".config-row").nth(2)
    third.get_by_label("Action").select_option("update_field")
    third.get_by_label("Field", exact=True).select_option("decision_maker")
    third.get_by_label("Value").fill("{{item.name}} buyer")
    assert_accessible(page)
    screenshot(page, "studio-automations")
    page.get_by_role("button", name="Save step").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")

    # The stored form spells out the defaults (day_kind, is_enabled, headers).
    assert saved_step(admin_page, sales.step_templates["Demo"])["automations"] == [
        {
            "id": "automation_1",
            "trigger": "on_field_change",
            "day_kind": "calendar",
            "field_id": "discount_pct",
            "to_value": "50",
            "action": {"type": "move_to_step", "step": "Qualified"},
            "is_enabled": True,
        },
        {
            "id": "automation_2",
            "trigger": "on_enter",
            "day_kind": "calendar",
            "name": "Tell the CRM",
            "action": {
                "type": "webhook",
                "target": "https://crm.example.com/hooks/deal",
                "headers": {},
            },
            "is_enabled": False,
        },
        {
            "id": "automation_3",
            "trigger": "on_enter",
            "day_kind": "calendar",
            "action": {
                "type": "update_field",
                "field_id": "decision_maker",
                "value": "{{item.name}} buyer",
            },
            "is_enabled": True,
        },
    ]
    expect(page.locator(".unsaved-mark")).to_have_count(0)


def test_unsaved_changes_are_kept_and_leaving_asks_first(
    admin_page: Browsing, sales: SalesPipeline
) -> None:
    page = open_studio(admin_page, sales, "Lead")
    page.get_by_role("tab", name="Settings").click()
    page.get_by_label("Description").fill("First contact")
    page.locator(".step-entry", has_text="Demo").locator(".step-select").click()
    page.locator(".step-entry", has_text="Lead").locator(".step-select").click()
    expect(page.get_by_label("Description")).to_have_value("First contact")
    expect(page.locator(".step-entry", has_text="Lead")).to_contain_text("unsaved")

    dialogs: list[str] = []

    def stay(dialog: Any) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", stay)
    page.get_by_role("link", name="Fields", exact=True).click()
    expect(page.get_by_label("Description")).to_have_value("First contact")
    assert dialogs == ["beforeunload"]
    assert saved_step(admin_page, sales.step_templates["Lead"])["description"] == ""


def test_the_studio_works_at_phone_width(admin_page: Browsing, sales: SalesPipeline) -> None:
    page = admin_page.page
    page.set_viewport_size({"width": 390, "height": 844})
    open_studio(admin_page, sales, "Qualified")
    page.get_by_role("tab", name="Validations").click()
    assert_fits_width(page)
    assert_accessible(page)
    page.get_by_role("button", name="Move Qualified up").click()
    expect(page.get_by_role("status")).to_have_text("Qualified is now step 1.")
    screenshot(page, "studio-phone")
