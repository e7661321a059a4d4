"""Day count, exact rounding and drift-free accrual (puhui.lending.interest)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from puhui.lending.interest import (
    Accrual,
    DayCountBasis,
    accrual_units_per_fen,
    accrue,
    accrue_series,
    daily_interest_fen,
    div_round_half_up,
    interest_between,
    interest_fen,
    period_interest_fen,
)

ACT_360 = DayCountBasis.ACT_360
ACT_365 = DayCountBasis.ACT_365

rates = st.one_of(
    st.integers(min_value=0, max_value=3600),
    st.decimals(min_value=0, max_value=5400, places=1).map(Decimal),
)
balances = st.integers(min_value=0, max_value=1_000_000_000)


def test_day_count_basis() -> None:
    assert DayCountBasis("ACT/360") is ACT_360
    assert ACT_360.year_days == 360
    assert ACT_365.year_days == 365
    assert accrual_units_per_fen() == 10_000 * 10_000 * 360
    assert accrual_units_per_fen(ACT_365) == 10_000 * 10_000 * 365


def test_daily_interest_examples() -> None:
    # 10 000 yuan at 4.35 %: 1 000 000 × 0.0435 / 360 = 120.833… fen
    assert daily_interest_fen(1_000_000, 435) == 121
    # ACT/365: 119.178… fen
    assert daily_interest_fen(1_000_000, 435, ACT_365) == 119
    # exactly half a fen rounds up (not to even)
    assert daily_interest_fen(36_000, 50) == 1
    assert daily_interest_fen(108_000, 50) == 2  # 1.5 → 2
    assert daily_interest_fen(0, 435) == 0


def test_interest_over_dates_first_day_counted_last_not() -> None:
    assert interest_between(3_600_000, 1000, date(2024, 3, 1), date(2024, 3, 2)) == 1000
    # February of a leap year has 29 days
    assert interest_between(3_600_000, 1000, date(2024, 2, 1), date(2024, 3, 1)) == 29_000
    assert interest_between(3_650_000, 1000, date(2023, 1, 1), date(2024, 1, 1), ACT_365) == (
        365_000
    )
    assert interest_between(1_000_000, 435, date(2024, 5, 5), date(2024, 5, 5)) == 0
    with pytest.raises(ValueError):
        interest_between(1_000_000, 435, date(2024, 5, 5), date(2024, 5, 4))


def test_decimal_rate_is_exact() -> None:
    # 652.5 bp (435 × 1.5) on 1 000 000 fen for 30 days = 5437.5 → 5438
    assert interest_fen(1_000_000, Decimal("652.5"), 30) == 5438


def test_floats_and_negatives_are_refused() -> None:
    with pytest.raises(TypeError):
        interest_fen(1_000_000, 4.35, 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        interest_fen(1_000_000.0, 435, 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        interest_fen(-1, 435, 1)
    with pytest.raises(ValueError):
        interest_fen(1, -435, 1)
    with pytest.raises(ValueError):
        accrue(1, 435, carry=accrual_units_per_fen())  # a carry of a whole fen is impossible
    with pytest.raises(TypeError):
        accrue(1, 435, carry=0.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        interest_fen(Decimal("1.5"), 435, 1)  # type: ignore[arg-type]


def test_div_round_half_up() -> None:
    assert div_round_half_up(5, 2) == 3
    assert div_round_half_up(-5, 2) == -3
    assert div_round_half_up(7, 3) == 2
    assert div_round_half_up(8, 3) == 3
    assert div_round_half_up(Decimal("2.5"), 1) == 3
    assert div_round_half_up(1, Decimal("0.4")) == 3  # 2.5
    assert div_round_half_up(5, -2) == -3
    with pytest.raises(ZeroDivisionError):
        div_round_half_up(1, 0)


@given(
    st.integers(min_value=-(10**15), max_value=10**15),
    st.integers(min_value=1, max_value=10**12),
)
def test_div_round_half_up_matches_decimal_quantize(num: int, den: int) -> None:
    from decimal import ROUND_HALF_UP, localcontext

    with localcontext() as ctx:
        ctx.prec = 80
        expected = int((Decimal(num) / Decimal(den)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert div_round_half_up(num, den) == expected


def test_accrual_has_no_drift() -> None:
    # exact daily interest 0.5 fen: rounding each day would post 1 fen a day (10 fen)
    assert daily_interest_fen(36_000, 50) * 10 == 10
    postings, carry = accrue_series([36_000] * 10, 50)
    assert postings == [1, 0, 1, 0, 1, 0, 1, 0, 1, 0]
    assert sum(postings) == interest_fen(36_000, 50, 10) == 5
    assert carry == 0


def test_accrue_catch_up_days_equals_daily_steps() -> None:
    one_step = accrue(1_234_567, 435, days=7)
    postings, carry = accrue_series([1_234_567] * 7, 435)
    assert one_step == Accrual(sum(postings), carry)


@given(st.lists(balances, max_size=120), rates, st.sampled_from(list(DayCountBasis)))
def test_sum_of_daily_accruals_equals_period_interest(
    daily_balances: list[int], rate: int | Decimal, basis: DayCountBasis
) -> None:
    postings, carry = accrue_series(daily_balances, rate, basis=basis)
    assert sum(postings) == period_interest_fen(daily_balances, rate, basis)
    assert all(p >= 0 for p in postings)
    units = accrual_units_per_fen(basis)
    assert -units <= 2 * carry < units
    if isinstance(rate, int):
        assert carry == carry.to_integral_value()
    # constant balance: the whole period is simple interest rounded once
    if daily_balances and len(set(daily_balances)) == 1:
        assert sum(postings) == interest_fen(daily_balances[0], rate, len(daily_balances), basis)


@given(st.lists(balances, min_size=1, max_size=40), st.integers(0, 3600))
def test_cumulative_postings_are_rounded_cumulative_interest(
    daily_balances: list[int], rate: int
) -> None:
    postings, _ = accrue_series(daily_balances, rate)
    for k in range(1, len(daily_balances) + 1):
        assert sum(postings[:k]) == period_interest_fen(daily_balances[:k], rate)
