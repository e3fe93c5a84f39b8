"""When timed rules fall due: on_duration repeats, at_risk, business days, downtime catch-up."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from pacetrack.engine.calendar import BusinessCalendar
from pacetrack.engine.config import TriggerSettings
from pacetrack.engine.timers import Due, due_at, first_due, next_due

UTC_CALENDAR = BusinessCalendar()
NEW_YORK = BusinessCalendar(
    time_zone="America/New_York", holidays=frozenset({date(2026, 3, 9), date(2026, 3, 13)})
)
# Friday 6 March 2026, 16:00 in New York (EST, UTC-5); the clocks go forward on Sunday 8 March.
FRIDAY_AFTERNOON_NY = datetime(2026, 3, 6, 21, 0, tzinfo=UTC)
# Friday 6 March 2026, 22:00 in New York: already Saturday 03:00 in UTC.
FRIDAY_NIGHT_NY = datetime(2026, 3, 7, 3, 0, tzinfo=UTC)
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def rule(trigger: str = "on_duration", **settings: Any) -> TriggerSettings:
    return TriggerSettings(id="r", trigger=trigger, **settings)  # type: ignore[arg-type]


DAILY = rule(duration_days=1, repeat_every_days=1)
EVERY_THREE_AFTER_TWO = rule(duration_days=2, repeat_every_days=3)
ONCE_AFTER_FIVE = rule(duration_days=5)
STALLED = rule("at_risk", threshold_days=15)


@pytest.mark.parametrize(
    ("settings", "occurrence", "target", "expected"),
    [
        (DAILY, 1, None, MONDAY + timedelta(days=1)),
        (DAILY, 2, None, MONDAY + timedelta(days=2)),
        (DAILY, 30, None, MONDAY + timedelta(days=30)),
        (EVERY_THREE_AFTER_TWO, 1, None, MONDAY + timedelta(days=2)),
        (EVERY_THREE_AFTER_TWO, 2, None, MONDAY + timedelta(days=5)),
        (EVERY_THREE_AFTER_TWO, 4, None, MONDAY + timedelta(days=11)),
        (ONCE_AFTER_FIVE, 1, None, MONDAY + timedelta(days=5)),
        (ONCE_AFTER_FIVE, 2, None, None),
        (rule(duration_days=0), 1, None, MONDAY),
        (rule(), 1, None, None),
        # at_risk: target + threshold days after entry, once, and only with a target.
        (STALLED, 1, 20, MONDAY + timedelta(days=35)),
        (STALLED, 2, 20, None),
        (STALLED, 1, None, None),
        (rule("at_risk"), 1, 20, MONDAY + timedelta(days=20)),
        (rule("on_enter"), 1, 20, None),
        (rule("on_exit"), 1, None, None),
    ],
)
def test_due_at_in_calendar_days(
    settings: TriggerSettings, occurrence: int, target: int | None, expected: datetime | None
) -> None:
    got = due_at(
        settings,
        entered_at=MONDAY,
        occurrence=occurrence,
        target_duration_days=target,
        calendar=UTC_CALENDAR,
    )
    assert got == expected


@pytest.mark.parametrize(
    ("settings", "entered_at", "calendar", "occurrence", "expected"),
    [
        # Friday + 1 business day: Monday, same local time of day.
        (
            rule(duration_days=1, day_kind="business"),
            MONDAY + timedelta(days=4),
            UTC_CALENDAR,
            1,
            datetime(2026, 3, 9, 9, 0, tzinfo=UTC),
        ),
        # New York: Monday 9 March is a holiday, so Tuesday 16:00 local, now EDT (UTC-4).
        (
            rule(duration_days=1, day_kind="business"),
            FRIDAY_AFTERNOON_NY,
            NEW_YORK,
            1,
            datetime(2026, 3, 10, 20, 0, tzinfo=UTC),
        ),
        # Days count from the local date (Friday), not the UTC date (Saturday).
        (
            rule(duration_days=1, day_kind="business"),
            FRIDAY_NIGHT_NY,
            NEW_YORK,
            1,
            datetime(2026, 3, 11, 2, 0, tzinfo=UTC),
        ),
        # Five business days skip the weekend and both holidays (10, 11, 12, 16, 17): Tue 17.
        (
            rule(duration_days=5, day_kind="business"),
            FRIDAY_AFTERNOON_NY,
            NEW_YORK,
            1,
            datetime(2026, 3, 17, 20, 0, tzinfo=UTC),
        ),
        # Repeats count business days too: occurrence 3 of daily is the 3rd business day.
        (
            rule(duration_days=1, repeat_every_days=1, day_kind="business"),
            FRIDAY_AFTERNOON_NY,
            NEW_YORK,
            3,
            datetime(2026, 3, 12, 20, 0, tzinfo=UTC),
        ),
        # The same rule in calendar days ignores weekends and holidays.
        (
            rule(duration_days=5),
            FRIDAY_AFTERNOON_NY,
            NEW_YORK,
            1,
            FRIDAY_AFTERNOON_NY + timedelta(days=5),
        ),
    ],
)
def test_due_at_in_business_days(
    settings: TriggerSettings,
    entered_at: datetime,
    calendar: BusinessCalendar,
    occurrence: int,
    expected: datetime,
) -> None:
    got = due_at(
        settings,
        entered_at=entered_at,
        occurrence=occurrence,
        target_duration_days=None,
        calendar=calendar,
    )
    assert got == expected


def test_at_risk_in_business_days_counts_target_plus_threshold_working_days() -> None:
    stalled = rule("at_risk", threshold_days=2, day_kind="business")
    got = first_due(
        stalled, entered_at=FRIDAY_AFTERNOON_NY, target_duration_days=3, calendar=NEW_YORK
    )
    # Five working days after Friday, skipping the weekend and the 9th and 13th: Tue 17.
    assert got == Due(occurrence=1, due_at=datetime(2026, 3, 17, 20, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    ("settings", "fired", "now", "expected"),
    [
        # On time: the next occurrence.
        (
            DAILY,
            1,
            MONDAY + timedelta(days=1),
            Due(occurrence=2, due_at=MONDAY + timedelta(days=2)),
        ),
        (
            EVERY_THREE_AFTER_TWO,
            1,
            MONDAY + timedelta(days=2, seconds=30),
            Due(occurrence=2, due_at=MONDAY + timedelta(days=5)),
        ),
        # After a week of downtime the late firing covers the missed days: the next is
        # the first still in the future, not six more at once.
        (
            DAILY,
            1,
            MONDAY + timedelta(days=7, hours=1),
            Due(occurrence=8, due_at=MONDAY + timedelta(days=8)),
        ),
        # Exactly on an occurrence's due time, that one counts as covered.
        (
            DAILY,
            1,
            MONDAY + timedelta(days=7),
            Due(occurrence=8, due_at=MONDAY + timedelta(days=8)),
        ),
        (
            EVERY_THREE_AFTER_TWO,
            1,
            MONDAY + timedelta(days=30),
            Due(occurrence=11, due_at=MONDAY + timedelta(days=32)),
        ),
        # Rules that do not repeat arm nothing more.
        (ONCE_AFTER_FIVE, 1, MONDAY + timedelta(days=5), None),
        (STALLED, 1, MONDAY + timedelta(days=35), None),
    ],
)
def test_next_due_after_a_firing(
    settings: TriggerSettings, fired: int, now: datetime, expected: Due | None
) -> None:
    got = next_due(
        settings,
        entered_at=MONDAY,
        fired_occurrence=fired,
        now=now,
        target_duration_days=20,
        calendar=UTC_CALENDAR,
    )
    assert got == expected


def test_downtime_catch_up_fires_once_then_resumes_the_schedule() -> None:
    """Simulates a worker that was down for a week: one late firing, then on schedule."""
    fired: list[int] = []
    now = MONDAY + timedelta(days=7, hours=1)
    due = first_due(DAILY, entered_at=MONDAY, target_duration_days=None, calendar=UTC_CALENDAR)
    end = MONDAY + timedelta(days=10, hours=2)
    while due is not None and due.due_at <= end:
        now = max(now, due.due_at)
        fired.append(due.occurrence)
        due = next_due(
            DAILY,
            entered_at=MONDAY,
            fired_occurrence=due.occurrence,
            now=now,
            target_duration_days=None,
            calendar=UTC_CALENDAR,
        )
    assert fired == [1, 8, 9, 10]


def test_business_day_catch_up_skips_to_the_next_working_day() -> None:
    daily = rule(duration_days=1, repeat_every_days=1, day_kind="business")
    # Occurrence 1 (Tue 10 March) fires late, on Saturday the 14th.
    now = datetime(2026, 3, 14, 15, 0, tzinfo=UTC)
    got = next_due(
        daily,
        entered_at=FRIDAY_AFTERNOON_NY,
        fired_occurrence=1,
        now=now,
        target_duration_days=None,
        calendar=NEW_YORK,
    )
    # Working days after Friday 6th: 10, 11, 12, 16 (13th is a holiday): Monday 16 is no. 4.
    assert got == Due(occurrence=4, due_at=datetime(2026, 3, 16, 20, 0, tzinfo=UTC))
