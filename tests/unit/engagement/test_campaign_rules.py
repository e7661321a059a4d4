"""Campaign rules without a database: transitions, quiet hours, the cap, the safe filter and
templates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from puhui.core.clock import SHANGHAI
from puhui.engagement.campaign_rules import (
    AudienceFilter,
    CampaignStatus,
    FilterInvalid,
    TemplateInvalid,
    can_move,
    cap_reached,
    quiet_until,
    render_template,
)


def test_draft_approved_sent_and_nothing_after_sent() -> None:
    assert can_move("draft", CampaignStatus.APPROVED)
    assert not can_move("draft", CampaignStatus.SENT)  # never sent without the second person
    assert can_move("approved", CampaignStatus.SENT)
    assert not can_move("sent", CampaignStatus.CANCELLED)


@pytest.mark.parametrize(
    ("local", "until"),
    [
        ((2026, 12, 7, 10, 0), None),
        ((2026, 12, 7, 8, 0), None),
        ((2026, 12, 7, 20, 59), None),
        ((2026, 12, 7, 21, 0), (2026, 12, 8, 8, 0)),
        ((2026, 12, 7, 23, 30), (2026, 12, 8, 8, 0)),
        ((2026, 12, 8, 2, 0), (2026, 12, 8, 8, 0)),
        ((2026, 12, 8, 7, 59), (2026, 12, 8, 8, 0)),
    ],
)
def test_quiet_hours_are_21_to_8_shanghai(
    local: tuple[int, ...], until: tuple[int, ...] | None
) -> None:
    now = datetime(*local, tzinfo=SHANGHAI).astimezone(UTC)
    got = quiet_until(now)
    assert got == (datetime(*until, tzinfo=SHANGHAI) if until else None)


def test_the_cap_counts_the_last_30_days_only() -> None:
    now = datetime(2026, 12, 7, 2, tzinfo=UTC)
    old = now - timedelta(days=31)
    recent = now - timedelta(days=3)
    assert not cap_reached([old, old, recent], now, 2)
    assert cap_reached([recent, recent], now, 2)


def test_the_filter_refuses_unknown_fields_and_matches_facts() -> None:
    with pytest.raises(FilterInvalid):
        AudienceFilter.parse({"1=1; drop table": "x"})
    flt = AudienceFilter.parse(
        {"size_class": "small", "min_active_limit_fen": "100", "no_line": ""}
    )
    assert flt.matches({"size_class": "small", "active_limit_fen": 100}, set())
    assert not flt.matches({"size_class": "micro", "active_limit_fen": 100}, set())
    assert not flt.matches({"size_class": "small", "active_limit_fen": 99}, set())
    seg = AudienceFilter.parse({"segment": "dormant", "no_line": "on"})
    assert seg.matches({"active_limit_fen": 0}, {"dormant"})
    assert not seg.matches({"active_limit_fen": 0}, {"new_account"})
    assert not seg.matches({"active_limit_fen": 5}, {"dormant"})


def test_templates_take_known_placeholders_and_end_with_the_opt_out() -> None:
    body = render_template("{name}：预授信额度{limit_yuan}元，详情 {link}", {"name": "甲公司",
                           "limit_yuan": "300,000.00", "link": "/m/c/abc"})  # fmt: skip
    assert body == "甲公司：预授信额度300,000.00元，详情 /m/c/abc 拒收请回T"
    with pytest.raises(TemplateInvalid):
        render_template("{password}", {})
