"""Working days and local dates for a tenant.

"Days" in rules and timers are the tenant's days: a moment is turned into a
date in the tenant's time zone before any day arithmetic. Business-day
arithmetic is closed-form over whole weeks (plus the holiday list) so that a
span of centuries costs the same as a span of days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MONDAY_TO_FRIDAY = frozenset({0, 1, 2, 3, 4})


class CalendarError(ValueError):
    """The calendar cannot answer (unknown time zone, no working days)."""


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CalendarError(f"unknown time zone “{name}”") from exc


@dataclass(frozen=True, kw_only=True)
class BusinessCalendar:
    """A tenant's time zone, working weekdays (Monday = 0) and holidays."""

    time_zone: str = "UTC"
    working_weekdays: frozenset[int] = MONDAY_TO_FRIDAY
    holidays: frozenset[date] = field(default_factory=frozenset)

    def local_date(self, moment: datetime) -> date:
        """The date of ``moment`` in the calendar's zone (a naive moment is taken as UTC)."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(_zone(self.time_zone)).date()

    def today(self, now: datetime) -> date:
        return self.local_date(now)

    def _working_days_after(self, start: date, end: date) -> int:
        """Working weekdays in (start, end], ignoring holidays; requires start <= end."""
        span = (end - start).days
        weeks, rest = divmod(span, 7)
        count = weeks * len(self.working_weekdays)
        weekday = start.weekday()
        for offset in range(1, rest + 1):
            if (weekday + offset) % 7 in self.working_weekdays:
                count += 1
        return count

    def _holidays_in(self, start: date, end: date) -> int:
        """Holidays on working weekdays in (start, end]."""
        return sum(
            1
            for holiday in self.holidays
            if start < holiday <= end and holiday.weekday() in self.working_weekdays
        )

    def business_days_between(self, start: date, end: date) -> int:
        """Business days after ``start`` up to and including ``end``; negative when end < start.

        Friday to the next Monday is 1; a day to itself is 0.
        """
        if end < start:
            return -self.business_days_between(end, start)
        return self._working_days_after(start, end) - self._holidays_in(start, end)

    def add_business_days(self, day: date, n: int) -> date:
        """The ``n``-th business day after ``day`` (before it when ``n`` is negative)."""
        if n == 0:
            return day
        if not self.working_weekdays:
            raise CalendarError("the calendar has no working weekdays")
        step = 1 if n > 0 else -1
        per_week = len(self.working_weekdays)
        remaining = abs(n)
        current = day
        # Jump whole weeks, walk the remainder, then go on by as many working days
        # as the pass crossed holidays; a pass that crosses none ends on a business day.
        while remaining > 0:
            weeks = (remaining - 1) // per_week
            target = current + timedelta(days=7 * weeks * step)
            moved = weeks * per_week
            while moved < remaining:
                target += timedelta(days=step)
                if target.weekday() in self.working_weekdays:
                    moved += 1
            if step > 0:
                remaining = self._holidays_in(current, target)
            else:
                remaining = self._holidays_in(
                    target - timedelta(days=1), current - timedelta(days=1)
                )
            current = target
        return current
