"""When time-based rules fall due: pure arithmetic over a stay in a step.

A stay begins at ``entered_at``. ``on_duration`` falls due ``duration_days``
after it and, when ``repeat_every_days`` is set, every ``repeat_every_days``
after that (occurrence 1, 2, 3 …). ``at_risk`` falls due once, when the days in
the step reach ``target_duration_days + threshold_days``.

Days are calendar days (24-hour periods after entry) or the tenant's business
days: the entry's local date moves on by that many working days, keeping the
local time of day of the entry, in the tenant's time zone.

Catch-up rule: a repeating timer that fires late (the worker was down) is
followed by the first occurrence that is still in the future, so a week of
downtime gives one late reminder, not seven at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pacetrack.engine.calendar import BusinessCalendar
from pacetrack.engine.config import TriggerSettings

TIMED_TRIGGERS = frozenset({"on_duration", "at_risk"})


@dataclass(frozen=True, kw_only=True)
class Due:
    """One occurrence of a timed rule and the moment it falls due."""

    occurrence: int
    due_at: datetime


def _offset_days(
    rule: TriggerSettings, *, occurrence: int, target_duration_days: int | None
) -> int | None:
    if rule.trigger == "at_risk":
        if occurrence != 1 or target_duration_days is None:
            return None
        return target_duration_days + (rule.threshold_days or 0)
    if rule.trigger == "on_duration":
        if rule.duration_days is None:
            return None
        if occurrence == 1:
            return rule.duration_days
        if not rule.repeat_every_days:
            return None
        return rule.duration_days + (occurrence - 1) * rule.repeat_every_days
    return None


def _after_days(
    entered_at: datetime, days: int, *, business: bool, calendar: BusinessCalendar
) -> datetime:
    if not business:
        return entered_at + timedelta(days=days)
    zone = ZoneInfo(calendar.time_zone)
    local = entered_at.astimezone(zone)
    day = calendar.add_business_days(local.date(), days)
    moment = datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=zone)
    return moment.astimezone(UTC)


def due_at(
    rule: TriggerSettings,
    *,
    entered_at: datetime,
    occurrence: int = 1,
    target_duration_days: int | None,
    calendar: BusinessCalendar,
) -> datetime | None:
    """When ``occurrence`` of ``rule`` falls due for a stay that began at ``entered_at``.

    ``None`` when the rule has no such occurrence (not timed, no target duration
    for ``at_risk``, a second occurrence of a rule that does not repeat).
    """
    days = _offset_days(rule, occurrence=occurrence, target_duration_days=target_duration_days)
    if days is None:
        return None
    return _after_days(
        entered_at, max(days, 0), business=rule.day_kind == "business", calendar=calendar
    )


def first_due(
    rule: TriggerSettings,
    *,
    entered_at: datetime,
    target_duration_days: int | None,
    calendar: BusinessCalendar,
) -> Due | None:
    moment = due_at(
        rule,
        entered_at=entered_at,
        occurrence=1,
        target_duration_days=target_duration_days,
        calendar=calendar,
    )
    return None if moment is None else Due(occurrence=1, due_at=moment)


def next_due(
    rule: TriggerSettings,
    *,
    entered_at: datetime,
    fired_occurrence: int,
    now: datetime,
    target_duration_days: int | None,
    calendar: BusinessCalendar,
) -> Due | None:
    """The occurrence to arm after ``fired_occurrence`` fired at ``now``.

    The first one due after ``now``: occurrences missed during downtime are
    skipped, having been covered by the late firing.
    """
    if rule.trigger != "on_duration" or not rule.repeat_every_days or rule.duration_days is None:
        return None
    period = rule.repeat_every_days
    # Estimate the occurrence from elapsed days, then settle it exactly; the
    # estimate keeps a long downtime from costing one step per missed day.
    if rule.day_kind == "business":
        zone = ZoneInfo(calendar.time_zone)
        elapsed = calendar.business_days_between(
            entered_at.astimezone(zone).date(), now.astimezone(zone).date()
        )
    else:
        elapsed = (now - entered_at).days
    estimate = (elapsed - rule.duration_days) // period + 1
    occurrence = max(fired_occurrence + 1, estimate)

    def moment(k: int) -> datetime:
        value = due_at(
            rule,
            entered_at=entered_at,
            occurrence=k,
            target_duration_days=target_duration_days,
            calendar=calendar,
        )
        assert value is not None
        return value

    while occurrence > fired_occurrence + 1 and moment(occurrence - 1) > now:
        occurrence -= 1
    while moment(occurrence) <= now:
        occurrence += 1
    return Due(occurrence=occurrence, due_at=moment(occurrence))
