"""Repayment schedules (puhui.lending.schedules)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

import numpy_financial as npf
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from puhui.lending.interest import DayCountBasis
from puhui.lending.schedules import (
    Instalment,
    PeriodInterest,
    RepaymentMethod,
    add_months,
    annuity_payment_fen,
    build_schedule,
    due_dates,
    split_evenly,
)

EI = RepaymentMethod.EQUAL_INSTALMENT
EP = RepaymentMethod.EQUAL_PRINCIPAL
IF = RepaymentMethod.INTEREST_FIRST
BULLET = RepaymentMethod.BULLET
MONTHLY = PeriodInterest.MONTHLY_RATE
ACTUAL = PeriodInterest.ACTUAL_DAYS


def check_chain(schedule: Sequence[Instalment], amount_fen: int) -> None:
    """Invariants every schedule (and every rebuilt tail) satisfies."""
    assert schedule
    assert sum(i.principal_fen for i in schedule) == amount_fen
    assert schedule[0].opening_balance_fen == amount_fen
    assert schedule[-1].closing_balance_fen == 0
    for inst in schedule:
        assert inst.principal_fen >= 0
        assert inst.interest_fen >= 0
        assert inst.deferred_interest_fen >= 0
        assert inst.total_fen == inst.principal_fen + inst.interest_fen
        assert inst.closing_balance_fen == inst.opening_balance_fen - inst.principal_fen
        assert inst.closing_balance_fen >= 0
        assert inst.due_date > inst.start_date
    for prev, nxt in pairwise(schedule):
        assert nxt.seq == prev.seq + 1
        assert nxt.opening_balance_fen == prev.closing_balance_fen
        assert nxt.start_date == prev.due_date


def test_add_months_clips_to_month_end() -> None:
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2024, 1, 31), 2) == date(2024, 3, 31)
    assert add_months(date(2024, 12, 15), 1) == date(2025, 1, 15)
    assert add_months(date(2024, 3, 31), -1) == date(2024, 2, 29)
    assert add_months(date(2024, 2, 29), 1, anchor_day=31) == date(2024, 3, 31)
    assert due_dates(date(2024, 1, 31), 4) == [
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2024, 5, 31),
    ]


def test_method_labels() -> None:
    assert EI.zh == "等额本息"
    assert EP.zh == "等额本金"
    assert IF.zh == "先息后本"
    assert RepaymentMethod("bullet") is BULLET


def test_equal_instalment_mortgage_example() -> None:
    # the textbook case: 1 000 000 yuan, 30 years, 4.9 % → 5 307.27 yuan a month
    schedule = build_schedule(100_000_000, 490, 360, date(2024, 1, 15))
    assert len(schedule) == 360
    assert {i.total_fen for i in schedule[:-1]} == {530_727}
    first = schedule[0]
    assert first.interest_fen == 408_333  # 100 000 000 × 0.049 / 12 = 408 333.33
    assert first.principal_fen == 530_727 - 408_333
    assert first.start_date == date(2024, 1, 15)
    assert first.due_date == date(2024, 2, 15)
    check_chain(schedule, 100_000_000)
    assert abs(schedule[-1].total_fen - 530_727) <= 360


def test_equal_principal_example() -> None:
    schedule = build_schedule(100_000_000, 490, 360, date(2024, 1, 15), EP)
    assert schedule[0].principal_fen == 277_778
    assert schedule[0].total_fen == 277_778 + 408_333  # 6 861.11 yuan
    assert schedule[1].interest_fen == 407_199  # 99 722 222 × 0.049 / 12 = 407 199.07
    assert schedule[-1].principal_fen == 100_000_000 - 359 * 277_778
    check_chain(schedule, 100_000_000)


def test_interest_first() -> None:
    schedule = build_schedule(1_200_000, 600, 6, date(2024, 1, 31), IF)
    assert [i.principal_fen for i in schedule] == [0, 0, 0, 0, 0, 1_200_000]
    assert {i.interest_fen for i in schedule} == {6_000}
    assert schedule[0].due_date == date(2024, 2, 29)
    check_chain(schedule, 1_200_000)


def test_interest_first_actual_days() -> None:
    schedule = build_schedule(3_600_000, 1000, 3, date(2024, 1, 31), IF, interest_mode=ACTUAL)
    # 29, 31 and 30 days of 1 000 fen
    assert [i.interest_fen for i in schedule] == [29_000, 31_000, 30_000]
    assert [i.days for i in schedule] == [29, 31, 30]


def test_bullet() -> None:
    [only] = build_schedule(1_000_000, 435, 12, date(2024, 1, 15), BULLET)
    assert only.seq == 1
    assert only.due_date == date(2025, 1, 15)
    assert only.principal_fen == 1_000_000
    assert only.interest_fen == 43_500
    [actual] = build_schedule(1_000_000, 435, 12, date(2024, 1, 15), BULLET, interest_mode=ACTUAL)
    assert actual.interest_fen == 44_225  # 366 days: 1 000 000 × 0.0435 × 366 / 360
    [act365] = build_schedule(
        1_000_000,
        435,
        12,
        date(2024, 1, 15),
        BULLET,
        interest_mode=ACTUAL,
        basis=DayCountBasis.ACT_365,
    )
    assert act365.interest_fen == 43_619  # 43 619.18


def test_zero_rate_and_tiny_amounts() -> None:
    schedule = build_schedule(1_000, 0, 3, date(2024, 1, 1))
    assert [i.total_fen for i in schedule] == [333, 333, 334]
    check_chain(schedule, 1_000)
    tiny = build_schedule(1, 435, 12, date(2024, 1, 1), EP)
    check_chain(tiny, 1)
    assert sum(1 for i in tiny if i.principal_fen) == 1


def test_bad_input_is_refused() -> None:
    with pytest.raises(TypeError):
        build_schedule(1_000_000, 4.35, 12, date(2024, 1, 1))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        build_schedule(0, 435, 12, date(2024, 1, 1))
    with pytest.raises(ValueError):
        build_schedule(1_000_000, 435, 0, date(2024, 1, 1))
    with pytest.raises(ValueError):
        build_schedule(1_000_000, -1, 12, date(2024, 1, 1))


def test_split_evenly() -> None:
    assert split_evenly(10, 4) == [3, 3, 3, 1]
    assert split_evenly(2, 4) == [1, 1, 0, 0]
    assert split_evenly(0, 3) == [0, 0, 0]
    assert split_evenly(7, 1) == [7]


def _npf_payment(principal_fen: int, rate_bp: int, months: int) -> Decimal | None:
    """numpy_financial's float payment rounded half up; None if the float sits on a tie."""
    value = Decimal(repr(float(npf.pmt(rate_bp / 10_000 / 12, months, -principal_fen))))
    if abs(value - value.to_integral_value(rounding="ROUND_FLOOR") - Decimal("0.5")) < Decimal(
        "1e-4"
    ):
        return None
    return value.quantize(Decimal(1), rounding=ROUND_HALF_UP)


@settings(max_examples=300)
@given(
    st.integers(min_value=1, max_value=1_000_000_000),
    st.integers(min_value=0, max_value=3600),
    st.integers(min_value=1, max_value=360),
)
def test_annuity_matches_numpy_financial(principal: int, rate: int, months: int) -> None:
    expected = _npf_payment(principal, rate, months)
    assume(expected is not None)
    assert annuity_payment_fen(principal, rate, months) == expected


def test_annuity_examples_match_numpy_financial() -> None:
    for principal, rate, months in [
        (100_000_000, 490, 360),
        (50_000_000, 435, 12),
        (1_234_567, 385, 36),
        (999_999_999, 3600, 1),
        (500_000, 0, 7),
    ]:
        assert annuity_payment_fen(principal, rate, months) == _npf_payment(principal, rate, months)


start_dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))


@settings(max_examples=200, deadline=None)
@given(
    amount=st.integers(min_value=1, max_value=1_000_000_000),
    rate=st.one_of(st.integers(0, 3600), st.decimals(0, 3600, places=2).map(Decimal)),
    months=st.integers(min_value=1, max_value=360),
    start=start_dates,
    method=st.sampled_from(list(RepaymentMethod)),
    mode=st.sampled_from(list(PeriodInterest)),
    basis=st.sampled_from(list(DayCountBasis)),
)
def test_schedule_properties(
    amount: int,
    rate: int | Decimal,
    months: int,
    start: date,
    method: RepaymentMethod,
    mode: PeriodInterest,
    basis: DayCountBasis,
) -> None:
    schedule = build_schedule(amount, rate, months, start, method, interest_mode=mode, basis=basis)
    check_chain(schedule, amount)
    assert schedule[0].start_date == start
    assert schedule[-1].due_date == add_months(start, months)
    if method is BULLET:
        assert len(schedule) == 1
        return
    assert len(schedule) == months
    assert [i.due_date for i in schedule] == due_dates(start, months)
    if method is EI:
        payment = annuity_payment_fen(amount, rate, months)
        for inst in schedule[:-1]:
            # every instalment but the last is the annuity, unless its interest alone exceeds it
            assert (
                inst.total_fen == max(payment, inst.interest_fen) or inst.closing_balance_fen == 0
            )
        if mode is MONTHLY:
            # rounding (≤ 1 fen a period) grows with the balance at the monthly rate
            growth = 1 + Decimal(rate) / 120_000
            bound = sum(growth**k for k in range(months)) + 1
            assert abs(schedule[-1].total_fen - payment) <= bound
    if method is IF:
        assert all(i.principal_fen == 0 for i in schedule[:-1])
    if method is EP and months > 1:
        base = schedule[0].principal_fen
        assert all(i.principal_fen == base for i in schedule[:-1] if i.closing_balance_fen)


def test_equal_instalment_interest_above_payment_never_grows_the_balance() -> None:
    # 36 % a year on actual days over 30 years: a 31-day month's interest exceeds the annuity
    schedule = build_schedule(10_000_000, 3600, 360, date(2024, 1, 1), EI, interest_mode=ACTUAL)
    payment = annuity_payment_fen(10_000_000, 3600, 360)
    clamped = [i for i in schedule[:-1] if i.interest_fen > payment]
    assert clamped
    assert all(i.principal_fen == 0 for i in clamped)
    check_chain(schedule, 10_000_000)


def test_a_line_offer_expires_on_the_same_day_months_later_clipped() -> None:
    """Decisioning's offers take their expiry from lending (one add_months)."""
    from puhui.lending.service import line_expiry_date

    assert line_expiry_date(date(2026, 3, 15), 12) == date(2027, 3, 15)
    assert line_expiry_date(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert line_expiry_date(date(2023, 8, 31), 6) == date(2024, 2, 29)
