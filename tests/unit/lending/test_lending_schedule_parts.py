"""The named steps of `amortize` and `reschedule_after_prepayment` (pure)."""

from __future__ import annotations

from datetime import date

import pytest

from puhui.lending.interest import DayCountBasis
from puhui.lending.rescheduling import _keep_instalment, _periods_from
from puhui.lending.schedules import (
    Period,
    PeriodInterest,
    RepaymentMethod,
    _fixed_parts,
    _principal_part,
    annuity_payment_fen,
    build_schedule,
)

EI = RepaymentMethod.EQUAL_INSTALMENT
EP = RepaymentMethod.EQUAL_PRINCIPAL
IF = RepaymentMethod.INTEREST_FIRST
START = date(2024, 1, 31)


def test_fixed_parts_derived_only_when_not_given() -> None:
    assert _fixed_parts(EI, 1_200_000, 600, 12, None, None) == (
        annuity_payment_fen(1_200_000, 600, 12),
        None,
    )
    assert _fixed_parts(EI, 0, 600, 12, None, None) == (0, None)
    assert _fixed_parts(EI, 1_200_000, 600, 12, 50_000, None) == (50_000, None)
    assert _fixed_parts(EP, 1_000_001, 600, 4, None, None) == (None, 250_000)
    assert _fixed_parts(EP, 1_000_002, 600, 4, None, None) == (None, 250_001)  # half up
    assert _fixed_parts(EP, 1_000_000, 600, 4, None, 7) == (None, 7)
    assert _fixed_parts(IF, 1_000_000, 600, 4, None, None) == (None, None)


def test_principal_part_by_method() -> None:
    assert _principal_part(EI, 100_000, 3_000, 10_000, None) == 7_000
    assert _principal_part(EI, 5_000, 3_000, 10_000, None) == 5_000  # capped by the balance
    assert _principal_part(EI, 100_000, 12_000, 10_000, None) == 0  # interest above payment
    assert _principal_part(EP, 100_000, 3_000, None, 25_000) == 25_000
    assert _principal_part(EP, 20_000, 3_000, None, 25_000) == 20_000
    assert _principal_part(IF, 100_000, 3_000, None, None) == 0
    assert _principal_part(RepaymentMethod.BULLET, 100_000, 3_000, None, None) == 0


def test_periods_from_make_the_current_period_a_stub_after_its_start() -> None:
    unpaid = build_schedule(1_200_000, 600, 3, START, EI)
    stub = _periods_from(unpaid, date(2024, 2, 10), START.day)
    assert stub[0] == Period(1, date(2024, 2, 10), unpaid[0].due_date, None)
    assert [p.months for p in stub[1:]] == [1, 1]
    whole = _periods_from(unpaid, unpaid[0].start_date, START.day)
    assert whole[0] == Period(1, START, unpaid[0].due_date, 1)


def test_keep_instalment_keeps_the_payment_and_shortens_the_term() -> None:
    unpaid = build_schedule(1_200_000, 600, 12, START, EI)
    periods = _periods_from(unpaid, START, START.day)
    kw = {"interest_mode": PeriodInterest.MONTHLY_RATE, "basis": DayCountBasis.ACT_360}
    rebuilt = _keep_instalment(
        600_000, 600, periods, EI, current=unpaid[0], instalment_fen=None, **kw
    )
    assert len(rebuilt) < 12
    assert {r.total_fen for r in rebuilt[:-1]} == {unpaid[0].total_fen}
    assert sum(r.principal_fen for r in rebuilt) == 600_000

    ep = build_schedule(1_200_000, 600, 12, START, EP)
    rebuilt = _keep_instalment(600_000, 600, periods, EP, current=ep[0], instalment_fen=None, **kw)
    assert [r.principal_fen for r in rebuilt] == [100_000] * 6

    with pytest.raises(ValueError, match="no instalment to keep"):
        _keep_instalment(600_000, 600, periods, IF, current=unpaid[0], instalment_fen=None, **kw)
    with pytest.raises(ValueError, match="must be positive"):
        _keep_instalment(600_000, 600, periods, EP, current=ep[0], instalment_fen=0, **kw)
