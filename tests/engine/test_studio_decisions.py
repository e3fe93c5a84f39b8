"""The pure pieces the studio's API shares with saving and moving: positions in a source,
the save-time expression verdict, the rules an event fires and the timers an entry arms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pacetrack.engine.calendar import BusinessCalendar
from pacetrack.engine.config import NotificationRule, Recipient, StepConfig, TriggerType
from pacetrack.engine.config_check import check_expression
from pacetrack.engine.expressions import line_and_column
from pacetrack.engine.fields import FieldSpec, FieldType
from pacetrack.engine.triggers import decide_instant, planned_timers

FIELDS = {
    "deal_value": FieldSpec(name="deal_value", field_type=FieldType.CURRENCY, label="Deal value"),
    "close_date": FieldSpec(name="close_date", field_type=FieldType.DATE, label="Close date"),
}
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CALENDAR = BusinessCalendar()
HINT = "did you mean `deal_value`?"


@pytest.mark.parametrize(
    ("source", "position", "expected"),
    [
        ("abc", 0, (1, 1)),
        ("abc", 2, (1, 3)),
        ("ab\ncd", 3, (2, 1)),
        ("ab\r\ncd\nef", 7, (3, 1)),
        ("ab\ncd", 5, (2, 3)),
        ("ab", 99, (1, 3)),
        ("", 0, (1, 1)),
    ],
)
def test_line_and_column_count_from_one(
    source: str, position: int, expected: tuple[int, int]
) -> None:
    assert line_and_column(source, position) == expected


@pytest.mark.parametrize(
    ("source", "result", "ok", "message"),
    [
        ("deal_value > 5", "boolean", True, None),
        ("deal_value * 2", None, True, None),
        ("deal_value * 2", "boolean", False, "the expression gives number, but boolean is needed"),
        (
            "deal_valu > 5",
            "boolean",
            False,
            "unknown field `deal_valu` at 0, did you mean `deal_value`?",
        ),
        ("close_date > 5", "boolean", False, "cannot compare date with number at 11"),
    ],
)
def test_the_expression_verdict_is_the_save_time_message(
    source: str, result: str | None, ok: bool, message: str | None
) -> None:
    verdict = check_expression(source, fields=FIELDS, result=result)
    assert verdict.ok is ok
    assert verdict.message == message


def notification(rule_id: str, trigger: TriggerType, **extra: Any) -> NotificationRule:
    return NotificationRule(
        id=rule_id,
        trigger=trigger,
        recipients=(Recipient(type="owner"),),
        **extra,
    )


def test_decide_instant_decides_each_matching_rules_condition() -> None:
    config = StepConfig(
        notifications=(
            notification("big", "on_enter", condition="deal_value > 100000"),
            notification("broken", "on_enter", condition="deal_value > close_date"),
            notification("bye", "on_exit"),
        )
    )
    decided = decide_instant(
        config,
        trigger="on_enter",
        fields=FIELDS,
        values={"deal_value": "150000"},
        now=NOW,
        calendar=CALENDAR,
    )
    assert [(d.firing.rule.id, d.condition.holds) for d in decided] == [
        ("big", True),
        ("broken", False),
    ]
    assert decided[1].condition.error is not None


def test_planned_timers_are_the_first_due_times_of_the_timed_rules() -> None:
    config = StepConfig(
        target_duration_days=20,
        notifications=(
            notification("stalled", "at_risk", threshold_days=15),
            notification("nudge", "on_duration", duration_days=3, repeat_every_days=1),
            notification("hello", "on_enter"),
        ),
    )
    planned = planned_timers(config, entered_at=NOW, calendar=CALENDAR)
    assert [(p.firing.rule.id, p.due.occurrence, p.due.due_at) for p in planned] == [
        ("stalled", 1, NOW + timedelta(days=35)),
        ("nudge", 1, NOW + timedelta(days=3)),
    ]
