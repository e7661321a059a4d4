"""The one wording of a service-level deadline, for every page (pure): time left ("还剩 5 小时
12 分钟" / "5 h 12 min left") or how long past it ("已超时 29 天 19 小时" / "Overdue by 29 d 19
h"), in days and hours, or hours and minutes under a day — never a raw "-42906 分钟".
`web.decisions.sla_text` (review lists, alerts) and the staff home's cards (`reporting.home`)
both say it this way. "超时" and not "逾期": 逾期 is a loan's past-due, not a task's."""

from __future__ import annotations

import math
from datetime import datetime


def span(minutes: int) -> tuple[str, str]:
    """(zh, en) of a duration in whole minutes, its sign ignored."""
    days, rest = divmod(abs(minutes), 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return (
            (f"{days} 天 {hours} 小时", f"{days} d {hours} h")
            if hours
            else (f"{days} 天", f"{days} d")
        )
    if hours:
        return f"{hours} 小时 {mins} 分钟", f"{hours} h {mins} min"
    return f"{mins} 分钟", f"{mins} min"


def sla_words(minutes_left: int, closed: bool = False) -> tuple[str, str]:
    """(zh, en): closed, time left, or overdue by."""
    if closed:
        return "已办结", "Closed"
    zh, en = span(minutes_left)
    if minutes_left >= 0:
        return f"还剩 {zh}", f"{en} left"
    return f"已超时 {zh}", f"Overdue by {en}"


def minutes_left(due_at: datetime, now: datetime) -> int:
    """Whole minutes to `due_at`, rounded away from it: 20 s left is 1 min left, 20 s past it
    1 min overdue."""
    seconds = (due_at - now).total_seconds()
    return math.ceil(seconds / 60) if seconds >= 0 else math.floor(seconds / 60)
