"""The working-day calendar and the "next working day" product rule (issue 17). Pure."""

from __future__ import annotations

from datetime import date

from puhui.lending.schedules import (
    PeriodInterest,
    RepaymentMethod,
    build_schedule,
    loan_periods,
    move_to_working_days,
)
from puhui.lending.servicing.calendar import WorkingCalendar

CAL = WorkingCalendar()


def test_national_day_is_off_and_the_adjusted_saturday_works() -> None:
    assert not CAL.is_working(date(2026, 10, 1))
    assert CAL.is_working(date(2026, 10, 10))  # 调休: a Saturday worked
    assert CAL.next_working(date(2026, 10, 1)) == date(2026, 10, 8)
    assert CAL.next_working(date(2026, 10, 10)) == date(2026, 10, 10)


def test_overrides_win_and_unknown_years_fall_back_to_weekdays() -> None:
    bank = WorkingCalendar({date(2027, 1, 1): False, date(2026, 10, 10): False})
    assert not bank.is_working(date(2027, 1, 1))  # a year the package does not know yet
    assert bank.is_working(date(2027, 1, 4)) and not bank.is_working(date(2027, 1, 2))
    assert bank.next_working(date(2026, 10, 1)) == date(2026, 10, 8)
    assert not bank.is_working(date(2026, 10, 10))
    assert len(CAL.working_days(2026)) == 248


def test_a_due_date_on_national_day_moves_with_interest_to_the_actual_date() -> None:
    """Fails on the code before issue 17: due dates never moved."""
    plan = build_schedule(
        1_200_000, 600, 3, date(2026, 9, 1), RepaymentMethod.EQUAL_PRINCIPAL,
        interest_mode=PeriodInterest.MONTHLY_RATE, next_working=CAL.next_working,
    )  # fmt: skip
    assert [i.due_date for i in plan] == [date(2026, 10, 8), date(2026, 11, 2), date(2026, 12, 1)]
    # 1 Sep → 8 Oct: 37 days of interest on 1,200,000 fen at 6 % ACT/360
    assert plan[0].interest_fen == round(1_200_000 * 0.06 * 37 / 360)
    assert plan[1].start_date == date(2026, 10, 8)  # the next period starts on the moved date
    assert sum(i.principal_fen for i in plan) == 1_200_000


def test_a_due_date_on_an_adjusted_working_saturday_stays() -> None:
    periods = loan_periods(date(2026, 9, 10), 2, RepaymentMethod.EQUAL_INSTALMENT)
    moved = move_to_working_days(periods, CAL.next_working)
    assert moved[0].due_date == date(2026, 10, 10) and moved[0].months == 1
    assert moved[1].due_date == date(2026, 11, 10) and moved[1].months == 1


def test_a_deferred_due_date_on_national_day_moves_and_moved_dates_return_to_the_grid() -> None:
    """Fails on the code before slice C: a deferral kept the grid (10-01 stayed, and a date
    moved off a holiday at booking shifted from its moved day, 11-08)."""
    from puhui.lending.rescheduling import defer_schedule

    start = date(2026, 8, 1)
    plan = build_schedule(
        1_200_000, 600, 6, start, RepaymentMethod.EQUAL_PRINCIPAL,
        interest_mode=PeriodInterest.MONTHLY_RATE, next_working=CAL.next_working,
    )  # fmt: skip
    assert [i.due_date for i in plan[:3]] == [
        date(2026, 9, 1), date(2026, 10, 8), date(2026, 11, 2),
    ]  # fmt: skip
    result = defer_schedule(
        plan, paid_through_seq=0, months=1, rate_bp=600,
        method=RepaymentMethod.EQUAL_PRINCIPAL, anchor_date=start,
        next_working=CAL.next_working,
    )  # fmt: skip
    dues = [i.due_date for i in result.instalments]
    assert dues[:3] == [date(2026, 10, 8), date(2026, 11, 2), date(2026, 12, 1)]
    assert all(CAL.is_working(d) for d in dues)
    first = result.instalments[0]
    assert first.start_date == date(2026, 9, 1)  # the window ends where the grid says
    # 1 Sep → 8 Oct by actual days on the whole balance
    assert first.interest_fen - first.deferred_interest_fen == round(1_200_000 * 0.06 * 37 / 360)
    assert sum(i.principal_fen for i in result.instalments) == 1_200_000


def test_grid_on_or_before_finds_where_a_moved_date_came_from() -> None:
    from puhui.lending.rescheduling import grid_on_or_before

    assert grid_on_or_before(date(2026, 10, 8), 1) == date(2026, 10, 1)
    assert grid_on_or_before(date(2026, 3, 2), 31) == date(2026, 2, 28)
    assert grid_on_or_before(date(2026, 3, 31), 31) == date(2026, 3, 31)
