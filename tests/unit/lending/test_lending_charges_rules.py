"""Charges' terms (issue 17 item 8): amounts within caps, when periodic charges fall, the
allocation order with the charges' bucket. Pure."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from puhui.lending.allocation import DEFAULT_ORDER, allocate
from puhui.lending.charges_rules import (
    FEE_BUCKET,
    ChargeBasis,
    ChargeTerms,
    ChargeTrigger,
    allocation_order,
    periodic_due,
    split_paid,
)

MONTHLY = ChargeTerms(
    "mgmt", "账户管理费", "Account fee", ChargeTrigger.MONTHLY, ChargeBasis.BALANCE,
    rate_bp=5, min_fen=1_000, max_fen=50_000,
)  # fmt: skip


def test_bp_of_the_base_within_the_caps() -> None:
    assert MONTHLY.amount(10_000_000) == 5_000  # 0.05 % of ¥100,000
    assert MONTHLY.amount(100_000) == 1_000  # ¥50 → the ¥10 minimum
    assert MONTHLY.amount(500_000_000) == 50_000  # capped at ¥500
    assert MONTHLY.amount(0) == 0  # nothing to charge on
    fixed = ChargeTerms("arr", "手续费", "Arrangement", ChargeTrigger.DRAWDOWN, ChargeBasis.FIXED,
                        amount_fen=20_000)  # fmt: skip
    assert fixed.amount(0) == fixed.amount(123) == 20_000
    assert MONTHLY.amount(3) == 1_000  # rounding half up then the minimum


def test_terms_that_cannot_be_used_say_why() -> None:
    bad = ChargeTerms("x", "x", "x", ChargeTrigger.DRAWDOWN, ChargeBasis.BALANCE, rate_bp=5)
    assert bad.problems()  # the balance is no base for a drawdown charge
    assert ChargeTerms("x", "x", "x", ChargeTrigger.LATE_PAYMENT, ChargeBasis.FIXED).problems()
    assert ChargeTerms(
        "x", "x", "x", ChargeTrigger.MONTHLY, ChargeBasis.BALANCE, rate_bp=5, min_fen=9, max_fen=1
    ).problems()
    assert MONTHLY.problems() == []


def test_periodic_charges_fall_on_the_grid_and_the_anniversary() -> None:
    start = date(2026, 1, 31)
    assert not periodic_due(ChargeTrigger.MONTHLY, start, start)
    assert periodic_due(ChargeTrigger.MONTHLY, start, date(2026, 2, 28))  # clipped month end
    assert not periodic_due(ChargeTrigger.MONTHLY, start, date(2026, 3, 28))
    assert periodic_due(ChargeTrigger.MONTHLY, start, date(2026, 3, 31))
    assert periodic_due(ChargeTrigger.ANNUAL, start, date(2027, 1, 31))
    assert not periodic_due(ChargeTrigger.ANNUAL, start, date(2026, 12, 31))
    assert not periodic_due(ChargeTrigger.PREPAYMENT, start, date(2026, 2, 28))


def test_the_charges_bucket_comes_first_unless_the_product_places_it() -> None:
    assert allocation_order(DEFAULT_ORDER) == (FEE_BUCKET, *DEFAULT_ORDER)
    placed = (*DEFAULT_ORDER[:3], FEE_BUCKET, *DEFAULT_ORDER[3:])
    assert allocation_order(placed) == placed
    due = {FEE_BUCKET: 300, "overdue_interest": 500, "overdue_principal": 1_000}
    first = allocate(600, due, allocation_order(DEFAULT_ORDER))
    assert first.by_bucket[FEE_BUCKET] == 300 and first.by_bucket["overdue_interest"] == 300


@given(st.lists(st.integers(0, 10_000), max_size=6), st.data())
def test_a_payment_is_spread_oldest_first_and_never_over(owed: list[int], data) -> None:  # type: ignore[no-untyped-def]
    paid = data.draw(st.integers(0, sum(owed)))
    parts = split_paid(owed, paid)
    assert sum(parts) == paid and all(0 <= p <= o for p, o in zip(parts, owed, strict=True))
    # every charge before the first one left partly unpaid is paid in full
    for k, (p, o) in enumerate(zip(parts, owed, strict=True)):
        if p < o:
            assert all(q == 0 for q in parts[k + 1 :])
            break
    with pytest.raises(ValueError):
        split_paid(owed, sum(owed) + 1)


def test_the_contract_line_states_when_and_how_much() -> None:
    assert MONTHLY.wording_zh() == (
        "账户管理费：每月，按剩余本金的 0.05% 收取（最低 10.00 元，最高 500.00 元）"
    )
