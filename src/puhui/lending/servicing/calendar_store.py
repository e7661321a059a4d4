"""The bank's calendar overrides (`lending_calendar_override`) and the calendar built from
them (`calendar.WorkingCalendar`)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.auth import Principal
from puhui.core.clock import Clock
from puhui.lending.servicing.calendar import WorkingCalendar
from puhui.lending.servicing.models import CalendarOverride


def overrides(session: Session) -> dict[date, bool]:
    rows = session.execute(select(CalendarOverride.day, CalendarOverride.is_working)).all()
    return {day: bool(working) for day, working in rows}


def calendar_for(session: Session) -> WorkingCalendar:
    return WorkingCalendar(overrides(session))


def set_override(
    session: Session,
    clock: Clock,
    principal: Principal,
    day: date,
    *,
    is_working: bool,
    reason: str,
) -> CalendarOverride:
    """Record (or replace) the bank's override of `day`; audited."""
    row = session.get(CalendarOverride, day)
    before = None if row is None else {"is_working": row.is_working, "reason": row.reason}
    if row is None:
        row = CalendarOverride(day=day)
        session.add(row)
    row.is_working = is_working
    row.reason = reason[:200]
    row.actor = principal.display_name[:100]
    row.created_at = clock.now()
    session.flush()
    audit.record(
        session, "calendar.override", "calendar", None, before=before,
        after={"day": day.isoformat(), "is_working": is_working, "reason": reason[:200]},
    )  # fmt: skip
    return row
