"""Every time on a page in Asia/Shanghai with the zone said (issue 21: audit, snapshots and
receivables showed unlabelled UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from jinja2 import Environment

from puhui.web.timefmt import format_local, local_time


def test_utc_becomes_china_time_with_the_zone() -> None:
    at = datetime(2026, 12, 6, 13, 4, tzinfo=UTC)
    assert format_local(at, "zh") == "2026-12-06 21:04 北京时间"
    assert format_local(at, "en") == "2026-12-06 21:04 China time"
    assert format_local(at, "en", seconds=True) == "2026-12-06 21:04:00 China time"


def test_naive_times_are_utc_and_iso_strings_are_read() -> None:
    assert format_local(datetime(2026, 11, 23, 16, 30), "zh") == "2026-11-24 00:30 北京时间"
    assert format_local("2026-11-23T02:00:00Z", "en") == "2026-11-23 10:00 China time"
    other = datetime(2026, 11, 23, 10, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert format_local(other, "zh") == "2026-11-23 23:00 北京时间"
    assert format_local(None) == ""


def test_the_filter_renders_a_time_element_in_the_page_language() -> None:
    env = Environment(autoescape=True)
    env.filters["local_time"] = local_time
    html = env.from_string("{{ at|local_time }}").render(
        at=datetime(2026, 12, 6, 13, 4, tzinfo=UTC), lang="en"
    )
    assert html == (
        '<time datetime="2026-12-06T13:04:00Z" title="Asia/Shanghai (UTC+8)">'
        "2026-12-06 21:04 China time</time>"
    )
