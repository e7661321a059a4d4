"""The home's SLA: time left or overdue by, in minutes, hours (under two days) or days — never
a raw "-42906 分钟" (issue 21)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from puhui.reporting.home import sla_text

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_time_left_and_overdue_in_hours_or_days() -> None:
    text, tone = sla_text(NOW + timedelta(hours=5, minutes=20), NOW)
    assert (text.zh, text.en, tone) == ("剩余 5 小时", "5 h left", "")
    text, tone = sla_text(NOW + timedelta(hours=2), NOW)
    assert (text.zh, tone) == ("剩余 2 小时", "due-soon")
    text, tone = sla_text(NOW - timedelta(minutes=42906), NOW)
    assert (text.zh, text.en, tone) == ("已逾期 29 天", "overdue by 29 days", "overdue")
    text, _ = sla_text(NOW - timedelta(hours=30), NOW)
    assert (text.zh, text.en) == ("已逾期 30 小时", "overdue by 30 h")
    text, _ = sla_text(NOW + timedelta(seconds=20), NOW)
    assert text.en == "1 min left"
    text, _ = sla_text(NOW - timedelta(days=1, hours=30), NOW)
    assert text.en == "overdue by 2 days"
