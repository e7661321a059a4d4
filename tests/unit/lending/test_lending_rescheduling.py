"""Prepayment and deferral rebuilds (puhui.lending.rescheduling)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from functools import partial
from itertools import pairwise

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from puhui.lending.interest import DayCountBasis, div_round_half_up, interest_between
from puhui.lending.rescheduling import (
    DeferralInterest,
    PrepaymentOption,
    defer_schedule,
    reschedule_after_prepayment,
)
from puhui.lending.schedules import (
    Instalment,
    PeriodInterest,
    RepaymentMethod,
    add_months,
    annuity_payment_fen,
    build_schedule,
)

EI = RepaymentMethod.EQUAL_INSTALMENT
EP = RepaymentMethod.EQUAL_PRINCIPAL
IF = RepaymentMethod.INTEREST_FIRST
BULLET = RepaymentMethod.BULLET
KEEP_TERM = PrepaymentOption.KEEP_TERM
KEEP_INSTALMENT = PrepaymentOption.KEEP_INSTALMENT
START = date(2024, 1, 31)


def check_tail(tail: Sequence[Instalment], balance_fen: int, first_seq: int) -> None:
    assert tail[0].seq == first_seq
    assert tail[0].opening_balance_fen == balance_fen
    assert sum(i.principal_fen for i in tail) == balance_fen
    assert tail[-1].closing_balance_fen == 0
    for inst in tail:
        assert inst.principal_fen >= 0
        assert inst.interest_fen >= inst.deferred_interest_fen >= 0
        assert inst.total_fen == inst.principal_fen + inst.interest_fen
        assert inst.closing_balance_fen == inst.opening_balance_fen - inst.principal_fen >= 0
        assert inst.due_date > inst.start_date
    for prev, nxt in pairwise(tail):
        assert nxt.seq == prev.seq + 1
        assert nxt.opening_balance_fen == prev.closing_balance_fen
        assert nxt.start_date == prev.due_date


def test_labels() -> None:
    assert KEEP_TERM.zh == "期限不变，月供减少"
    assert KEEP_INSTALMENT.zh == "月供不变，期限缩短"
    assert DeferralInterest.DEFERRED.zh == "延期利息分摊至后续各期"


def test_prepayment_keep_term_lowers_the_instalment() -> None:
    schedule = build_schedule(12_000_000, 435, 12, date(2024, 1, 15))
    balance = schedule[2].closing_balance_fen
    result = reschedule_after_prepayment(
        schedule,
        paid_through_seq=3,
        prepaid_principal_fen=balance // 2,
        rate_bp=435,
        method=EI,
        anchor_date=date(2024, 1, 15),
    )
    assert result.interest_due_now_fen == 0
    assert result.balance_after_fen == balance - balance // 2
    tail = result.instalments
    check_tail(tail, result.balance_after_fen, 4)
    assert [i.due_date for i in tail] == [i.due_date for i in schedule[3:]]
    # same as a fresh 9-month loan of the new balance from the last paid due date
    fresh = build_schedule(result.balance_after_fen, 435, 9, schedule[2].due_date)
    assert [(i.principal_fen, i.interest_fen) for i in tail] == [
        (i.principal_fen, i.interest_fen) for i in fresh
    ]
    assert tail[0].total_fen == annuity_payment_fen(result.balance_after_fen, 435, 9)
    assert tail[0].total_fen < schedule[3].total_fen


def test_prepayment_keep_instalment_shortens_the_term() -> None:
    schedule = build_schedule(12_000_000, 435, 12, START)
    payment = schedule[0].total_fen
    result = reschedule_after_prepayment(
        schedule,
        paid_through_seq=2,
        prepaid_principal_fen=5_000_000,
        rate_bp=435,
        method=EI,
        anchor_date=START,
        option=KEEP_INSTALMENT,
    )
    tail = result.instalments
    check_tail(tail, result.balance_after_fen, 3)
    assert len(tail) < 10
    assert all(i.total_fen == payment for i in tail[:-1])
    assert tail[-1].total_fen <= payment
    assert [i.due_date for i in tail] == [i.due_date for i in schedule[2 : 2 + len(tail)]]


def test_prepayment_keep_instalment_equal_principal() -> None:
    schedule = build_schedule(1_200_000, 600, 12, START, EP)
    result = reschedule_after_prepayment(
        schedule,
        paid_through_seq=0,
        prepaid_principal_fen=350_000,
        rate_bp=600,
        method=EP,
        anchor_date=START,
        option=KEEP_INSTALMENT,
    )
    assert [i.principal_fen for i in result.instalments] == [100_000] * 8 + [50_000]


def test_prepayment_in_the_middle_of_a_period() -> None:
    schedule = build_schedule(3_600_000, 1000, 6, date(2024, 3, 10), IF)
    when = date(2024, 4, 20)  # period 2 runs from 10 April to 10 May
    result = reschedule_after_prepayment(
        schedule,
        paid_through_seq=1,
        prepaid_principal_fen=1_800_000,
        rate_bp=1000,
        method=IF,
        anchor_date=date(2024, 3, 10),
        prepayment_date=when,
    )
    assert result.interest_due_now_fen == 10 * 1000  # 10 days on 3 600 000 at 10 %
    first = result.instalments[0]
    assert first.start_date == when
    assert first.interest_fen == 20 * 500  # 20 days on the new balance, by actual days
    assert [i.interest_fen for i in result.instalments[1:]] == [15_000] * 4  # back to rate/12
    check_tail(result.instalments[1:], 1_800_000, 3)


def test_full_prepayment_and_bad_requests() -> None:
    schedule = build_schedule(1_200_000, 600, 12, START)
    prepay = partial(reschedule_after_prepayment, rate_bp=600, method=EI, anchor_date=START)
    balance = schedule[4].closing_balance_fen
    done = prepay(schedule, paid_through_seq=5, prepaid_principal_fen=balance)
    assert done.instalments == [] and done.balance_after_fen == 0
    with pytest.raises(ValueError):
        prepay(schedule, paid_through_seq=5, prepaid_principal_fen=balance + 1)
    with pytest.raises(ValueError):
        prepay(schedule, paid_through_seq=12, prepaid_principal_fen=1)
    with pytest.raises(ValueError):  # instalment 6 falls due on its due date: pay it first
        prepay(
            schedule,
            paid_through_seq=5,
            prepaid_principal_fen=1,
            prepayment_date=schedule[5].due_date,
        )
    with pytest.raises(ValueError):
        reschedule_after_prepayment(
            build_schedule(1_200_000, 600, 12, START, IF),
            paid_through_seq=0,
            prepaid_principal_fen=1,
            rate_bp=600,
            method=IF,
            anchor_date=START,
            option=KEEP_INSTALMENT,
        )


def test_deferral_deferred_interest() -> None:
    schedule = build_schedule(12_000_000, 600, 12, START)
    result = defer_schedule(
        schedule, paid_through_seq=2, months=6, rate_bp=600, method=EI, anchor_date=START
    )
    balance = schedule[1].closing_balance_fen
    assert result.deferral_start_date == date(2024, 3, 31)
    assert result.deferral_end_date == date(2024, 9, 30)
    assert result.deferral_interest_fen == div_round_half_up(balance * 3, 100)
    tail = result.instalments
    check_tail(tail, balance, 3)
    # every unpaid due date moves six months and keeps the month-end anchor
    assert [i.due_date for i in tail] == [add_months(START, k + 6) for k in range(3, 13)]
    assert tail[0].due_date == date(2024, 10, 31)
    # the principal plan is unchanged; the deferral interest is spread evenly, not compounded
    assert [i.principal_fen for i in tail] == [i.principal_fen for i in schedule[2:]]
    assert sum(i.deferred_interest_fen for i in tail) == result.deferral_interest_fen
    assert [i.interest_fen - i.deferred_interest_fen for i in tail] == [
        i.interest_fen for i in schedule[2:]
    ]


def test_deferral_capitalised_interest() -> None:
    schedule = build_schedule(12_000_000, 600, 12, START, EP)
    result = defer_schedule(
        schedule,
        paid_through_seq=0,
        months=3,
        rate_bp=600,
        method=EP,
        anchor_date=START,
        treatment=DeferralInterest.CAPITALISED,
        interest_mode=PeriodInterest.ACTUAL_DAYS,
    )
    days = (date(2024, 4, 30) - START).days
    assert result.deferral_interest_fen == interest_between(
        12_000_000, 600, START, date(2024, 4, 30)
    )
    assert days == 90
    check_tail(result.instalments, 12_000_000 + result.deferral_interest_fen, 1)
    assert all(i.deferred_interest_fen == 0 for i in result.instalments)


def test_deferral_then_prepayment_keeps_deferred_interest() -> None:
    schedule = build_schedule(6_000_000, 500, 12, START)
    deferred = defer_schedule(
        schedule, paid_through_seq=1, months=2, rate_bp=500, method=EI, anchor_date=START
    )
    owed = deferred.deferral_interest_fen
    merged = list(schedule[:1]) + deferred.instalments
    again = defer_schedule(
        merged, paid_through_seq=3, months=1, rate_bp=500, method=EI, anchor_date=START
    )
    remaining_before = sum(i.deferred_interest_fen for i in deferred.instalments[2:])
    assert sum(i.deferred_interest_fen for i in again.instalments) == (
        remaining_before + again.deferral_interest_fen
    )
    merged = merged[:3] + again.instalments
    prepaid = reschedule_after_prepayment(
        merged,
        paid_through_seq=4,
        prepaid_principal_fen=1_000_000,
        rate_bp=500,
        method=EI,
        anchor_date=START,
        option=KEEP_INSTALMENT,
    )
    assert sum(i.deferred_interest_fen for i in prepaid.instalments) == sum(
        i.deferred_interest_fen for i in again.instalments[1:]
    )
    assert owed > 0
    payoff = reschedule_after_prepayment(
        merged,
        paid_through_seq=4,
        prepaid_principal_fen=merged[3].closing_balance_fen,
        rate_bp=500,
        method=EI,
        anchor_date=START,
    )
    assert payoff.interest_due_now_fen == sum(i.deferred_interest_fen for i in merged[4:])


loans = st.fixed_dictionaries(
    {
        "amount": st.integers(min_value=1, max_value=1_000_000_000),
        "rate": st.integers(0, 2400),
        "months": st.integers(min_value=1, max_value=120),
        "start": st.dates(min_value=date(2000, 1, 1), max_value=date(2080, 12, 31)),
        "method": st.sampled_from(list(RepaymentMethod)),
        "mode": st.sampled_from(list(PeriodInterest)),
        "basis": st.sampled_from(list(DayCountBasis)),
    }
)


@settings(max_examples=200, deadline=None)
@given(loans, st.data())
def test_prepayment_properties(loan: dict, data: st.DataObject) -> None:
    schedule = build_schedule(
        loan["amount"],
        loan["rate"],
        loan["months"],
        loan["start"],
        loan["method"],
        interest_mode=loan["mode"],
        basis=loan["basis"],
    )
    paid = data.draw(st.integers(0, len(schedule) - 1))
    current = schedule[paid]
    assume(current.opening_balance_fen > 0)  # tiny loans may be repaid before the last period
    prepaid = data.draw(st.integers(1, current.opening_balance_fen))
    offset = data.draw(st.integers(0, current.days - 1))
    amortizing = loan["method"] in (EI, EP) and (loan["method"] is EI or current.principal_fen > 0)
    option = data.draw(st.sampled_from([KEEP_TERM, KEEP_INSTALMENT] if amortizing else [KEEP_TERM]))
    result = reschedule_after_prepayment(
        schedule,
        paid_through_seq=paid,
        prepaid_principal_fen=prepaid,
        rate_bp=loan["rate"],
        method=loan["method"],
        anchor_date=loan["start"],
        option=option,
        prepayment_date=current.start_date + timedelta(days=offset),
        interest_mode=loan["mode"],
        basis=loan["basis"],
    )
    new_balance = current.opening_balance_fen - prepaid
    assert result.balance_after_fen == new_balance
    assert result.interest_due_now_fen == interest_between(
        current.opening_balance_fen,
        loan["rate"],
        current.start_date,
        current.start_date + timedelta(days=offset),
        loan["basis"],
    )
    if new_balance == 0:
        assert result.instalments == []
        return
    tail = result.instalments
    check_tail(tail, new_balance, paid + 1)
    assert tail[0].start_date == current.start_date + timedelta(days=offset)
    assert [i.due_date for i in tail] == [i.due_date for i in schedule[paid : paid + len(tail)]]
    if option is KEEP_TERM:
        assert len(tail) == len(schedule) - paid
    else:
        assert len(tail) <= len(schedule) - paid


@settings(max_examples=200, deadline=None)
@given(loans, st.data())
def test_deferral_properties(loan: dict, data: st.DataObject) -> None:
    schedule = build_schedule(
        loan["amount"],
        loan["rate"],
        loan["months"],
        loan["start"],
        loan["method"],
        interest_mode=loan["mode"],
        basis=loan["basis"],
    )
    paid = data.draw(st.integers(0, len(schedule) - 1))
    months = data.draw(st.integers(1, 24))
    treatment = data.draw(st.sampled_from(list(DeferralInterest)))
    result = defer_schedule(
        schedule,
        paid_through_seq=paid,
        months=months,
        rate_bp=loan["rate"],
        method=loan["method"],
        anchor_date=loan["start"],
        treatment=treatment,
        interest_mode=loan["mode"],
        basis=loan["basis"],
    )
    balance = schedule[paid].opening_balance_fen
    tail = result.instalments
    capitalised = treatment is DeferralInterest.CAPITALISED
    check_tail(tail, balance + (result.deferral_interest_fen if capitalised else 0), paid + 1)
    assert len(tail) == len(schedule) - paid
    assert result.deferral_start_date == schedule[paid].start_date
    assert tail[0].start_date == result.deferral_end_date
    assert [i.due_date for i in tail] == [
        add_months(
            loan["start"], (i.seq if loan["method"] is not BULLET else loan["months"]) + months
        )
        for i in tail
    ]
    spread = sum(i.deferred_interest_fen for i in tail)
    assert spread == (0 if capitalised else result.deferral_interest_fen)
