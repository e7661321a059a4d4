"""Penalty and compound interest (puhui.lending.overdue)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from puhui.lending.interest import DayCountBasis, accrue, interest_fen, period_interest_fen
from puhui.lending.overdue import (
    DEFAULT_PENALTY_MARKUP_BP,
    OverdueAccrual,
    accrue_overdue,
    compound_interest_fen,
    penalty_interest_fen,
    penalty_rate_bp,
)


def test_penalty_rate_is_contract_rate_plus_half_exactly() -> None:
    assert DEFAULT_PENALTY_MARKUP_BP == 5000
    assert penalty_rate_bp(435) == Decimal("652.5")
    assert penalty_rate_bp(400) == 600
    assert penalty_rate_bp(435, markup_bp=3000) == Decimal("565.5")
    assert penalty_rate_bp(Decimal("345.5")) == Decimal("518.25")
    with pytest.raises(ValueError):
        penalty_rate_bp(-1)


def test_penalty_and_compound_examples() -> None:
    # 10 000 yuan overdue 30 days at 4.35 % × 1.5: 1 000 000 × 0.06525 × 30 / 360 = 5437.5 fen
    assert penalty_interest_fen(1_000_000, 435, 30) == 5438
    assert penalty_interest_fen(1_000_000, 435, 30, basis=DayCountBasis.ACT_365) == 5363
    # compound on 36 250 fen of unpaid interest, 10 days, at the penalty rate: 65.70… fen
    assert compound_interest_fen(36_250, 435, 10) == 66
    # … or at the contract rate: 43.80… fen
    assert compound_interest_fen(36_250, 435, 10, markup_bp=0) == 44
    assert penalty_interest_fen(0, 435, 30) == 0


def test_compound_disabled_leaves_carry_alone() -> None:
    result = accrue_overdue(1_000_000, 50_000, 435, compound=False, compound_carry=123)
    assert result.compound_fen == 0
    assert result.compound_carry == 123
    assert result.penalty_fen == accrue(1_000_000, Decimal("652.5")).interest_fen


def test_compound_markup_override() -> None:
    r = accrue_overdue(0, 3_600_000, 1000, compound_markup_bp=0)
    assert r == OverdueAccrual(0, 1000, Decimal(0), Decimal(0))


@given(
    st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 10**8)), min_size=1, max_size=60),
    st.integers(0, 3600),
    st.integers(0, 10_000),
)
def test_daily_overdue_accrual_sums_to_rounded_total(
    days: list[tuple[int, int]], rate: int, markup: int
) -> None:
    pc: Decimal | int = 0
    cc: Decimal | int = 0
    penalty_total = compound_total = 0
    for principal, interest in days:
        step = accrue_overdue(
            principal, interest, rate, penalty_carry=pc, compound_carry=cc, markup_bp=markup
        )
        penalty_total += step.penalty_fen
        compound_total += step.compound_fen
        pc, cc = step.penalty_carry, step.compound_carry
    p_rate = penalty_rate_bp(rate, markup)
    assert penalty_total == period_interest_fen([p for p, _ in days], p_rate)
    assert compound_total == period_interest_fen([i for _, i in days], p_rate)
    if len({p for p, _ in days}) == 1:
        assert penalty_total == interest_fen(days[0][0], p_rate, len(days))
