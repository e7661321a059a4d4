"""The home's SLA: time left or overdue by, in days and hours or hours and minutes — never a
raw "-42906 分钟" (issue 21) — in the same words as the review lists (`reporting.sla`, one
source: "已超时", where the home used to say "已逾期" and the lists "已超时")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from puhui.reporting.home import sla_text

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_time_left_and_overdue_in_hours_or_days() -> None:
    text, tone = sla_text(NOW + timedelta(hours=5, minutes=20), NOW)
    assert (text.zh, text.en, tone) == ("还剩 5 小时 20 分钟", "5 h 20 min left", "")
    text, tone = sla_text(NOW + timedelta(hours=2), NOW)
    assert (text.zh, tone) == ("还剩 2 小时 0 分钟", "due-soon")
    text, tone = sla_text(NOW - timedelta(minutes=42906), NOW)
    assert (text.zh, text.en, tone) == ("已超时 29 天 19 小时", "Overdue by 29 d 19 h", "overdue")
    text, _ = sla_text(NOW - timedelta(hours=30), NOW)
    assert (text.zh, text.en) == ("已超时 1 天 6 小时", "Overdue by 1 d 6 h")
    text, _ = sla_text(NOW + timedelta(seconds=20), NOW)
    assert text.en == "1 min left"
    text, _ = sla_text(NOW - timedelta(days=1, hours=30), NOW)
    assert text.en == "Overdue by 2 d 6 h"


def test_the_home_and_the_review_list_say_it_the_same_way() -> None:
    from puhui.web.decisions import sla_text as list_sla_text

    for minutes in (-42906, -5, 0, 45, 312, 3000):
        text, _ = sla_text(NOW + timedelta(minutes=minutes), NOW)
        assert text.zh == list_sla_text(minutes, False, "zh")
        assert text.en == list_sla_text(minutes, False, "en")
