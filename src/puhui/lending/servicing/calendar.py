"""The Chinese working-day calendar (pure): public holidays and the adjusted working weekends
(调休) from the maintained `chinesecalendar` package, with the bank's overrides on top.

The package knows the years the State Council has published (it raises beyond them); for a
year it does not know, Monday to Friday are working days until the bank enters that year's
holidays and 调休 as overrides (`lending_calendar_override`, `calendar_store.set_override`).
Overrides always win. No database here: `calendar_store.calendar_for(session)` builds one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import chinese_calendar

MAX_SHIFT_DAYS = 31  # the longest run of non-working days is 8 (国庆): a guard, not a rule


class WorkingCalendar:
    """`is_working(day)`: a working day in mainland China, the bank's overrides first."""

    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        self._overrides = dict(overrides or {})

    def known_by_package(self, day: date) -> bool:
        try:
            chinese_calendar.is_workday(day)
        except NotImplementedError:
            return False
        return True

    def is_working(self, day: date) -> bool:
        if day in self._overrides:
            return self._overrides[day]
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:  # a year the package does not cover: weekdays
            return day.weekday() < 5

    def next_working(self, day: date) -> date:
        """`day` itself when it is a working day, else the next working day."""
        moved = day
        for _ in range(MAX_SHIFT_DAYS + 1):
            if self.is_working(moved):
                return moved
            moved += timedelta(days=1)
        raise ValueError(f"no working day within {MAX_SHIFT_DAYS} days after {day}")

    def working_days(self, year: int) -> list[date]:
        day, end = date(year, 1, 1), date(year, 12, 31)
        out = []
        while day <= end:
            if self.is_working(day):
                out.append(day)
            day += timedelta(days=1)
        return out
