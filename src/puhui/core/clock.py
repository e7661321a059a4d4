"""The injected clock. Domain code receives a Clock and never reads the wall clock itself."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock for tests and simulations; it moves only when told."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._at += delta


def business_date(clock: Clock) -> date:
    """Today's business date in Asia/Shanghai."""
    return clock.now().astimezone(SHANGHAI).date()


def shanghai_midnight_utc(day: date) -> datetime:
    """The UTC instant at which a Shanghai business date begins."""
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI).astimezone(UTC)
