"""The pure steps of the relief measures: the deferral plan, the renewal's interest to date,
the raised limit. ORM rows are used as plain objects (never added to a session)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from puhui.lending import loans
from puhui.lending.errors import ReliefNotAllowed
from puhui.lending.interest import DayCountBasis, interest_between
from puhui.lending.models import Instalment, InstalmentStatus, Loan
from puhui.lending.products import CEILING_FEN
from puhui.lending.relief import _interest_to_day, _plan_deferral, _raised_limit
from puhui.lending.schedules import PeriodInterest, RepaymentMethod, build_schedule
from puhui.lending.schemas import LimitIncreaseRules

START = date(2026, 1, 15)


def _loan_and_rows(billed: int, paid_interest_fen: int = 0) -> tuple[Loan, list[Instalment]]:
    plan = build_schedule(1_200_000, 600, 6, START, RepaymentMethod.EQUAL_INSTALMENT)
    loan = Loan(
        id=uuid.uuid4(),
        rate_bp=600,
        repayment_method=RepaymentMethod.EQUAL_INSTALMENT.value,
        start_date=START,
        interest_mode=PeriodInterest.MONTHLY_RATE.value,
        day_count=DayCountBasis.ACT_360.value,
    )
    rows = loans.new_rows(loan.id, plan)
    for row in rows[:billed]:
        row.status = InstalmentStatus.BILLED.value
    if billed:
        rows[0].interest_paid_fen = paid_interest_fen
    return loan, rows


def test_deferral_moves_the_billed_unpaid_amounts_into_the_rebuilt_schedule() -> None:
    loan, rows = _loan_and_rows(billed=2, paid_interest_fen=1_000)
    plan = _plan_deferral(loan, rows, months=3)
    assert plan.billed == rows[:2]
    assert plan.unbilled == rows[2:]
    assert plan.moved_principal_fen == rows[0].principal_fen + rows[1].principal_fen
    assert plan.moved_interest_fen == rows[0].interest_fen - 1_000 + rows[1].interest_fen
    assert plan.window_interest_fen > 0
    # the whole unpaid principal is re-amortized; the moved interest is spread over the rest
    assert sum(r.principal_fen for r in plan.rebuilt) == 1_200_000
    assert sum(r.deferred_interest_fen for r in plan.rebuilt) == (
        plan.moved_interest_fen + plan.window_interest_fen
    )
    assert plan.rebuilt[0].seq == 3
    assert plan.rebuilt[0].due_date > rows[2].due_date


def test_deferral_refused_when_everything_is_billed() -> None:
    loan, rows = _loan_and_rows(billed=6)
    with pytest.raises(ReliefNotAllowed):
        _plan_deferral(loan, rows, months=1)


def test_interest_to_day_runs_from_the_current_period_start() -> None:
    loan, rows = _loan_and_rows(billed=1)
    unbilled = rows[1:]
    unbilled[0].deferred_interest_fen = 0
    unbilled[2].deferred_interest_fen = 77
    day = date(2026, 3, 1)
    normal = sum(r.principal_fen for r in unbilled)
    expected = interest_between(normal, 600, unbilled[0].start_date, day, DayCountBasis.ACT_360)
    assert _interest_to_day(loan, list(reversed(unbilled)), day) == expected + 77
    # before the period starts (a deferral window): only the deferred interest
    assert _interest_to_day(loan, unbilled, unbilled[0].start_date) == 77
    assert _interest_to_day(loan, [], day) == 0


def test_raised_limit_is_capped_and_rounded_down() -> None:
    rules = LimitIncreaseRules(increase_bp=2_000, round_to_fen=10_000)
    assert _raised_limit(1_000_000, 10**12, rules) == 1_200_000
    assert _raised_limit(1_234_567, 10**12, rules) == 1_480_000  # 1,481,480 rounded down
    assert _raised_limit(1_000_000, 1_100_000, rules) == 1_100_000  # the product's maximum
    assert _raised_limit(1_000_000, 1_105_000, rules) == 1_100_000
    low_ceiling = LimitIncreaseRules(ceiling_fen=1_050_000, round_to_fen=10_000)
    assert _raised_limit(1_000_000, 10**12, low_ceiling) == 1_050_000
    assert _raised_limit(CEILING_FEN, 10**15, LimitIncreaseRules(ceiling_fen=10**15)) == (
        CEILING_FEN
    )
