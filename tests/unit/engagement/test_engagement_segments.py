"""Each segment rule on crafted enterprises (one fact row each), on 2026-12-07."""

from __future__ import annotations

from datetime import date

import polars as pl

from puhui.engagement.segments import Segment, definitions, members, months_before, movements

DAY = date(2026, 12, 7)
OLD = date(2024, 1, 10)


def firm(key: str, **facts: object) -> dict[str, object]:
    base: dict[str, object] = {
        "enterprise_id": key,
        "onboarded_date": OLD,
        "first_line_date": OLD,
        "active_limit_fen": 50_000_000,
        "used_fen": 40_000_000,
        "last_drawdown_date": date(2026, 11, 30),
        "last_login_date": date(2026, 12, 1),
        "next_expiry_date": date(2027, 6, 30),
        "max_dpd": 0,
        "sales_12m_fen": 100_000_000,
        "headcount_now": 5,
        "size_class": "micro",
    }
    return base | facts


FIRMS = [
    firm("plain"),  # in no segment
    firm("new", onboarded_date=date(2026, 11, 20), first_line_date=None, active_limit_fen=0,
         used_fen=0),
    firm("new_line", first_line_date=date(2026, 12, 1)),
    firm("near_by_sales", sales_12m_fen=250_000_000),  # 2.5 of 3 million yuan: ≥ 80 %
    firm("near_by_heads", headcount_now=17),  # 17 of 20 people
    firm("not_near", sales_12m_fen=230_000_000, headcount_now=15),  # below 80 % of both
    firm("small_near", size_class="small", sales_12m_fen=1_700_000_000, headcount_now=50),
    firm("grow", active_limit_fen=200_000_000, used_fen=60_000_000),
    firm("grow_but_late", active_limit_fen=200_000_000, used_fen=60_000_000, max_dpd=3),
    firm("dormant", used_fen=0, last_drawdown_date=date(2026, 6, 1),
         last_login_date=date(2026, 8, 1)),
    firm("dormant_never_drew", used_fen=0, last_drawdown_date=None, last_login_date=None),
    firm("logged_in_lately", used_fen=0, last_drawdown_date=None,
         last_login_date=date(2026, 11, 1)),
    firm("renewal", next_expiry_date=date(2027, 1, 20)),
    firm("overdue", max_dpd=12),
]  # fmt: skip


def test_each_rule_on_crafted_firms() -> None:
    got = members(pl.DataFrame(FIRMS), DAY)
    assert got[Segment.NEW_ACCOUNT] == {"new", "new_line"}
    assert got[Segment.NEAR_UPGRADE] == {"near_by_sales", "near_by_heads", "small_near"}
    assert got[Segment.GROW_QUALITY] == {"grow"}
    assert got[Segment.DORMANT] == {"dormant", "dormant_never_drew"}
    assert got[Segment.RENEWAL_DUE] == {"renewal"}
    assert got[Segment.OVERDUE_WATCH] == {"overdue", "grow_but_late"}
    assert not any("plain" in ids or "not_near" in ids for ids in got.values())


def test_definitions_are_versioned_data_with_both_languages() -> None:
    defs = definitions()
    assert defs.version
    for seg in Segment:
        assert defs.label(seg, "zh") and defs.label(seg, "en")
    assert defs.label(Segment.NEAR_UPGRADE, "zh") == "临界提级"


def test_movements_between_two_days() -> None:
    before = {"dormant": {"a", "b"}, "overdue_watch": {"c"}}
    today = {"dormant": {"b"}, "overdue_watch": {"c", "d"}}
    moved = movements(before, today)
    assert moved.entered == {"dormant": set(), "overdue_watch": {"d"}}
    assert moved.left == {"dormant": {"a"}, "overdue_watch": set()}


def test_months_before_clamps_to_the_month_end() -> None:
    assert months_before(date(2026, 5, 31), 3) == date(2026, 2, 28)
    assert months_before(date(2026, 1, 15), 1) == date(2025, 12, 15)
    assert months_before(date(2026, 12, 7), 3) == date(2026, 9, 7)
