"""Trigger matching: which rules of a step fire for an event, field-change values, conditions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from engine_support import FIELDS

from pacetrack.engine.calendar import BusinessCalendar
from pacetrack.engine.config import (
    AutomationRule,
    NotificationRule,
    StepConfig,
    TriggerSettings,
    WebhookAction,
)
from pacetrack.engine.events import FieldChange
from pacetrack.engine.triggers import (
    condition_holds,
    field_change_matches,
    instant_firings,
    same_value,
    step_rules,
    timed_rules,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def note(rule_id: str, trigger: str, **settings: Any) -> NotificationRule:
    return NotificationRule(id=rule_id, trigger=trigger, **settings)  # type: ignore[arg-type]


def automation(rule_id: str, trigger: str, *, enabled: bool = True) -> AutomationRule:
    return AutomationRule(
        id=rule_id,
        trigger=trigger,  # type: ignore[arg-type]
        action=WebhookAction(target="https://hooks.example/x"),
        is_enabled=enabled,
    )


CONFIG = StepConfig(
    notifications=(
        note("entered", "on_enter"),
        note("left", "on_exit"),
        note("daily", "on_duration", duration_days=1, repeat_every_days=1),
        note("stalled", "at_risk", threshold_days=15),
        note("qa_failed", "on_field_change", field_id="quality_status", to_value="fail"),
        note("any_price", "on_field_change", field_id="deal_value"),
    ),
    automations=(
        automation("auto_entered", "on_enter"),
        automation("auto_off", "on_enter", enabled=False),
        automation("auto_timer", "on_duration"),
    ),
)


def ids(firings: Any) -> list[str]:
    return [f.rule.id for f in firings]


def test_step_rules_are_the_notifications_then_the_enabled_automations() -> None:
    assert ids(step_rules(CONFIG)) == [
        "entered",
        "left",
        "daily",
        "stalled",
        "qa_failed",
        "any_price",
        "auto_entered",
        "auto_timer",
    ]
    assert [f.kind for f in step_rules(CONFIG)][-2:] == ["automation", "automation"]


def test_timed_rules_are_on_duration_and_at_risk() -> None:
    assert ids(timed_rules(CONFIG)) == ["daily", "stalled", "auto_timer"]


@pytest.mark.parametrize(
    ("trigger", "changes", "expected"),
    [
        ("on_enter", (), ["entered", "auto_entered"]),
        ("on_exit", (), ["left"]),
        ("on_field_change", (), []),
        ("on_field_change", (FieldChange(field="notes", old="a", new="b"),), []),
        (
            "on_field_change",
            (FieldChange(field="deal_value", old=None, new="5.00"),),
            ["any_price"],
        ),
        (
            "on_field_change",
            (FieldChange(field="quality_status", old="pending", new="fail"),),
            ["qa_failed"],
        ),
        ("on_field_change", (FieldChange(field="quality_status", old="fail", new="pass"),), []),
        (
            "on_field_change",
            (
                FieldChange(field="quality_status", old="pass", new="fail"),
                FieldChange(field="deal_value", old="1", new="2"),
            ),
            ["qa_failed", "any_price"],
        ),
    ],
)
def test_instant_firings_by_trigger_and_change(
    trigger: Any, changes: tuple[FieldChange, ...], expected: list[str]
) -> None:
    assert ids(instant_firings(CONFIG, trigger=trigger, changes=changes)) == expected


def watch(**values: Any) -> TriggerSettings:
    return TriggerSettings(id="w", trigger="on_field_change", field_id="status", **values)


@pytest.mark.parametrize(
    ("settings", "old", "new", "matches"),
    [
        (watch(), "a", "b", True),
        (watch(), None, "b", True),
        (watch(to_value="b"), "a", "b", True),
        (watch(to_value="b"), "b", "a", False),
        (watch(from_value="a"), "a", "c", True),
        (watch(from_value="a"), "c", "a", False),
        (watch(from_value="a", to_value="b"), "a", "b", True),
        (watch(from_value="a", to_value="b"), "a", "c", False),
        (watch(from_value="a", to_value="b"), "c", "b", False),
        # Numbers compare by value, lists as sets.
        (watch(to_value=100), "5", "100.00", True),
        (watch(to_value="100.5"), "5", "100.50", True),
        (watch(to_value=100), "5", "100.01", False),
        (watch(to_value=["x", "y"]), [], ["y", "x"], True),
        (watch(to_value=["x", "y"]), [], ["x"], False),
        (watch(to_value=True), False, True, True),
        (watch(to_value="true"), False, True, False),
    ],
)
def test_field_change_from_to_matching(
    settings: TriggerSettings, old: Any, new: Any, matches: bool
) -> None:
    assert (
        field_change_matches(settings, [FieldChange(field="status", old=old, new=new)]) is matches
    )
    other_field = [FieldChange(field="other", old=old, new=new)]
    assert field_change_matches(settings, other_field) is False


@pytest.mark.parametrize(
    ("configured", "actual", "same"),
    [("1", "1.0", True), (1, "2", False), ("a", "a", True), ("a", "A", False), (None, None, True)],
)
def test_same_value(configured: Any, actual: Any, same: bool) -> None:
    assert same_value(configured, actual) is same


def condition(source: str | None) -> TriggerSettings:
    return TriggerSettings(id="vp", trigger="on_enter", condition=source)


@pytest.mark.parametrize(
    ("source", "values", "holds", "error_fragment"),
    [
        (None, {}, True, None),
        ("deal_value > 100000", {"deal_value": "150000.00"}, True, None),
        ("deal_value > 100000", {"deal_value": "50000.00"}, False, None),
        ("deal_value > 100000", {"deal_value": "100000.00"}, False, None),
        # A value that is not exactly true does not fire.
        ("deal_value", {"deal_value": "5.00"}, False, None),
        # Errors do not fire and say which rule.
        ("no_such_field > 1", {}, False, "condition of rule “vp”"),
        ("deal_value >", {"deal_value": "1.00"}, False, "condition of rule “vp”"),
        ("deal_value / 0 > 1", {"deal_value": "1.00"}, False, "condition of rule “vp”"),
    ],
)
def test_conditions_true_false_and_error(
    source: str | None, values: dict[str, Any], holds: bool, error_fragment: str | None
) -> None:
    result = condition_holds(
        condition(source), fields=FIELDS, values=values, now=NOW, calendar=BusinessCalendar()
    )
    assert result.holds is holds
    if error_fragment is None:
        assert result.error is None
    else:
        assert result.error is not None and error_fragment in result.error
