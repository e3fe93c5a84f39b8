"""Builds a template document's steps in the studio through its controls, as an admin does.

Every value is chosen, typed or ticked in the control a person uses (no JSON is typed and
Edit as JSON is never opened). The driver knows the kinds of configuration the library's
templates use; a kind it has no control for fails the test, naming the kind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

# The metadata flags with a checkbox on the Settings tab, by the checkbox's label.
METADATA_FLAGS = {
    "requires_approval": "Leaving this step needs an approval",
}
RULE_INPUTS = {"min_value": "Minimum", "max_value": "Maximum"}
APPROVER_LABELS = {
    "user": "Approving person",
    "account_group": "Approving group",
    "role": "Approving role",
}
TRIGGER_INPUTS = {
    "threshold_days": "Days past the target",
    "duration_days": "After (days)",
    "repeat_every_days": "Then every (days, optional)",
}
ASSIGNEE_LABELS = {
    "user": "Person",
    "role": "Role",
    "account_group": "Group",
    "round_robin": "Group",
    "least_assigned": "Group",
}


def unsupported(what: str, value: object) -> None:
    pytest.fail(f"the studio driver has no control for {what}: {value!r}")


def text(value: object) -> str:
    return str(value)


STUDIO_TABS = (
    "Fields",
    "Validations",
    "Assignments",
    "Notifications",
    "Automations",
    "Calculations",
    "Settings",
)


def open_tab(page: Page, name: str) -> Locator:
    page.get_by_role("tab", name=name, exact=True).click()
    expect(page.get_by_role("tab", name=name, exact=True)).to_have_attribute(
        "aria-selected", "true"
    )
    return page.get_by_role("tabpanel")


def add_card(panel: Locator, button: str, index: int, selector: str = ".config-row") -> Locator:
    """Clicks the tab's "Add …" button and answers the new card (the ``index``-th)."""
    panel.get_by_role("button", name=button).click()
    return panel.locator(selector).nth(index)


def fill_rule(rule: Locator, spec: Mapping[str, Any]) -> None:
    """One validation rule card (the Validations tab's, or an entry rule's)."""
    rule.get_by_label("Type").select_option(spec["type"])
    rule.get_by_label("Rule id").fill(spec["id"])
    for key, value in spec.items():
        if key in ("type", "id"):
            continue
        if key == "field_id" and spec["type"] == "custom_expression":
            rule.get_by_label("Show the message at field (optional)").select_option(value)
        elif key == "field_id":
            rule.get_by_label("Field", exact=True).select_option(value)
        elif key in RULE_INPUTS:
            rule.get_by_label(RULE_INPUTS[key]).fill(text(value))
        elif key == "operator":
            rule.get_by_label("Operator").select_option(value)
        elif key == "compare_value" and value in ("today", "now"):
            rule.get_by_label("Compare with").select_option(value)
        elif key == "compare_value":
            rule.get_by_label("Compare with").select_option("value")
            rule.get_by_label("Value", exact=True).fill(text(value))
        elif key == "compare_field_id":
            rule.get_by_label("Compare with").select_option("field")
            rule.get_by_label("Other field").select_option(value)
        elif key == "pattern":
            rule.get_by_label("Pattern (RE2 regular expression)").fill(value)
        elif key == "expression":
            rule.get_by_label("Expression (must be true to leave the step)").fill(value)
        elif key == "error_message":
            rule.get_by_label("Message when the rule fails").fill(value)
        else:
            unsupported("a validation rule's property", key)


def build_settings(page: Page, step: Mapping[str, Any]) -> None:
    panel = open_tab(page, "Settings")
    if step.get("description"):
        panel.get_by_label("Description").fill(step["description"])
    if step.get("target_duration_days") is not None:
        panel.get_by_label("Target duration (days)").fill(text(step["target_duration_days"]))
    if step.get("color"):
        panel.get_by_label("Colour", exact=True).fill(step["color"])
    if step.get("icon"):
        panel.get_by_label("Icon").select_option(step["icon"])
    for key, value in (step.get("metadata") or {}).items():
        if key in METADATA_FLAGS and value is True:
            panel.get_by_label(METADATA_FLAGS[key]).check()
        elif key == "terminal":
            panel.get_by_label("Completes the item with outcome").select_option(value["outcome"])
        elif key == "approver":
            panel.get_by_label("Who approves").select_option(value["type"])
            panel.get_by_label(APPROVER_LABELS[value["type"]]).select_option(value["id"])
        elif key in ("allowed_next_steps", "entry_required_fields"):
            group = panel.locator(f'fieldset[data-path="metadata.{key}"]')
            for name in value:
                group.locator(f'input[value="{name}"]').check()
        elif key == "entry_validations":
            rules = panel.locator(".entry-rules")
            for index, spec in enumerate(value):
                fill_rule(add_card(rules, "Add entry rule", index, ".rule"), spec)
        else:
            unsupported("a metadata key", key)


def build_fields(page: Page, configs: Sequence[Mapping[str, Any]]) -> None:
    panel = open_tab(page, "Fields")
    for index, config in enumerate(configs):
        panel.get_by_label("Field to add").select_option(config["field_definition_id"])
        row = add_card(panel, "Add field", index)
        if config.get("is_required"):
            row.get_by_label("Required", exact=True).check()
        if config.get("is_visible") is False:
            row.get_by_label("Visible", exact=True).uncheck()
        for key in set(config) - {"field_definition_id", "is_visible", "is_required"}:
            unsupported("a field configuration's property", key)


def build_validations(page: Page, rules: Sequence[Mapping[str, Any]]) -> None:
    panel = open_tab(page, "Validations")
    for index, spec in enumerate(rules):
        fill_rule(add_card(panel, "Add rule", index, ".rule"), spec)


def build_assignments(page: Page, entries: Sequence[Mapping[str, Any]]) -> None:
    panel = open_tab(page, "Assignments")
    for index, entry in enumerate(entries):
        row = add_card(panel, "Add assignment", index)
        row.get_by_label("Assign to").select_option(entry["type"])
        row.get_by_label(ASSIGNEE_LABELS[entry["type"]]).select_option(entry["id"])


def choose_recipients(card: Locator, recipients: Sequence[Mapping[str, Any]]) -> None:
    """Ticks the owner and assignees and adds each named recipient, in the document's order
    (a new notification starts with the owner ticked)."""
    kinds = [recipient["type"] for recipient in recipients]
    for kind, label in (("owner", "the item's owner"), ("assignees", "its assignees")):
        card.get_by_role("checkbox", name=label).set_checked(kind in kinds)
    named = [entry for entry in recipients if entry["type"] not in ("owner", "assignees")]
    for index, recipient in enumerate(named):
        card.get_by_role("button", name="Add recipient").click()
        card.get_by_label("Recipient", exact=True).nth(index).select_option(recipient["type"])
        card.get_by_label("Who").nth(index).select_option(recipient["id"])


def fill_trigger(card: Locator, rule: Mapping[str, Any]) -> None:
    card.get_by_label("Trigger").select_option(rule["trigger"])
    for key, label in TRIGGER_INPUTS.items():
        if key in rule:
            card.get_by_label(label).fill(text(rule[key]))
    if "day_kind" in rule:
        card.get_by_label("Count").select_option(rule["day_kind"])
    if "field_id" in rule:
        card.get_by_label("Field", exact=True).first.select_option(rule["field_id"])
    for key, label in (("from_value", "From (optional)"), ("to_value", "To (optional)")):
        if key in rule:
            card.get_by_label(label).fill(text(rule[key]))
    if "condition" in rule:
        card.get_by_label("Only while (expression, optional)").fill(rule["condition"])


def fill_message(card: Locator, holder: Mapping[str, Any]) -> None:
    """Subject, message and channels (both channels are on unless ``channels`` says otherwise)."""
    if "subject" in holder:
        card.get_by_label("Subject").fill(holder["subject"])
    if "body" in holder:
        card.get_by_label("Message", exact=True).fill(holder["body"])
    if "channels" in holder:
        for channel, label in (("in_app", "in the app"), ("email", "by email")):
            card.get_by_role("checkbox", name=label).set_checked(channel in holder["channels"])


def build_notifications(page: Page, rules: Sequence[Mapping[str, Any]]) -> None:
    panel = open_tab(page, "Notifications")
    known = {
        "id", "trigger", "condition", "recipients", "template", "subject", "body", "channels",
        "day_kind", "field_id", "from_value", "to_value",
    }  # fmt: skip
    for index, rule in enumerate(rules):
        card = add_card(panel, "Add notification", index)
        card.get_by_label("Notification id").fill(rule["id"])
        fill_trigger(card, rule)
        choose_recipients(card, rule.get("recipients", []))
        if "template" in rule:
            card.get_by_label("Message template").select_option(rule["template"])
        fill_message(card, rule)
        for key in set(rule) - known - set(TRIGGER_INPUTS):
            unsupported("a notification's property", key)


def build_automations(page: Page, rules: Sequence[Mapping[str, Any]]) -> None:
    panel = open_tab(page, "Automations")
    for index, rule in enumerate(rules):
        card = add_card(panel, "Add automation", index)
        card.get_by_label("Automation id").fill(rule["id"])
        if "name" in rule:
            card.get_by_label("Name (optional)").fill(rule["name"])
        fill_trigger(card, rule)
        fill_action(card, rule["action"])


def fill_mapping(card: Locator, mapping: Mapping[str, str], name: str, value: str) -> None:
    """Webhook data or a field mapping, one row of two inputs per entry."""
    for number, (key, template) in enumerate(mapping.items(), start=1):
        card.get_by_role("button", name=f"Add {name.lower()}").click()
        card.get_by_role("textbox", name=f"{name} {number}", exact=True).fill(key)
        card.get_by_role("textbox", name=f"{value} {number}", exact=True).fill(template)


def fill_action(card: Locator, action: Mapping[str, Any]) -> None:
    card.get_by_label("Action").select_option(action["type"])
    if action["type"] == "webhook":
        card.get_by_label("URL").fill(action["target"])
        fill_mapping(card, action.get("data", {}), "Key", "Value")
    elif action["type"] == "create_item":
        card.get_by_label("Pipeline (name or id)").fill(action["pipeline_instance_id"])
        if "name" in action:
            card.get_by_label("Item name").fill(action["name"])
        if "step" in action:
            card.get_by_label("Start at step (optional)").fill(action["step"])
        fill_mapping(card, action.get("field_mapping", {}), "Field", "Template")
    elif action["type"] == "notify":
        choose_recipients(card, action.get("recipients", []))
        fill_message(card, action)
    elif action["type"] == "move_to_step":
        card.get_by_label("Step", exact=True).select_option(action["step"])
    else:
        unsupported("an automation's action", action["type"])


def fill_calculation(card: Locator, calc: Mapping[str, Any], labels: Mapping[str, str]) -> None:
    kind = calc["type"]
    if kind == "custom":
        card.get_by_label("Formula").fill(calc["expression"])
    elif kind in ("sum", "average"):
        for name in calc["field_ids"]:
            card.get_by_role("checkbox", name=labels[name], exact=True).check()
    elif kind == "percentage":
        card.get_by_label("Numerator").select_option(calc["numerator_field_id"])
        card.get_by_label("Denominator").select_option(calc["denominator_field_id"])
    elif kind == "date_diff":
        card.get_by_label("From", exact=True).select_option(calc["start_field_id"])
        card.get_by_label("To", exact=True).select_option(calc["end_field_id"])
        if "day_kind" in calc:
            card.get_by_label("Count").select_option(calc["day_kind"])
    else:
        unsupported("a calculation type", kind)


def build_calculations(
    page: Page, calculations: Sequence[Mapping[str, Any]], labels: Mapping[str, str]
) -> None:
    panel = open_tab(page, "Calculations")
    for index, calc in enumerate(calculations):
        card = add_card(panel, "Add calculation", index)
        card.get_by_label("Type").select_option(calc["type"])
        card.get_by_label("Calculation id").fill(calc["id"])
        if "name" in calc:
            card.get_by_label("Name (optional)").fill(calc["name"])
        card.get_by_label("Result goes to").select_option(calc["output_field_id"])
        fill_calculation(card, calc, labels)


FAMILY_BUILDERS = {
    "field_configs": build_fields,
    "validations": build_validations,
    "assignments": build_assignments,
    "notifications": build_notifications,
    "automations": build_automations,
}
FAMILIES = (*FAMILY_BUILDERS, "calculations")
SETTINGS = ("description", "target_duration_days", "color", "icon")


def select_step(page: Page, index: int, name: str) -> None:
    page.locator(".step-entry").nth(index).locator(".step-select").click()
    expect(page.get_by_role("heading", name=f"Step: {name}", exact=True)).to_be_visible()


def build_template(page: Page, document: Mapping[str, Any]) -> None:
    """Adds the document's steps by name (so rules may name later steps), then sets
    everything each step holds and saves it."""
    for step in document["steps"]:
        page.get_by_label("New step name").fill(step["name"])
        page.get_by_role("button", name="Add step").click()
        expect(
            page.get_by_role("heading", name=f"Step: {step['name']}", exact=True)
        ).to_be_visible()
    labels = {field["name"]: field["label"] for field in document["fields"]}
    for index, step in enumerate(document["steps"]):
        select_step(page, index, step["name"])
        build_settings(page, step)
        for family, build in FAMILY_BUILDERS.items():
            if step.get(family):
                build(page, step[family])
        if step.get("calculations"):
            build_calculations(page, step["calculations"], labels)
        if any(step.get(key) for key in (*SETTINGS, *FAMILIES, "metadata")):
            page.get_by_role("button", name="Save step").click()
            expect(page.locator(".studio-status")).to_have_text("Saved.")
        expect(page.locator(".unsaved-mark")).to_have_count(0)
