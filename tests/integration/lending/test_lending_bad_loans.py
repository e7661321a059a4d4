"""Bad-loan accounting (issue 14 item 5): non-accrual stops income at day 90 and is cured by
payment, provisions equal rate × principal per class (hand-computed), and a write-off with
maker-checker followed by a recovery, the books balanced throughout (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session
from tests.integration.lending.lending_factories import (
    START,
    assert_books,
    at,
    draw,
    fund,
    make_enterprise,
    make_line,
    spend_all,
)

from puhui.core.clock import FixedClock
from puhui.ledger import service as ledger_service
from puhui.lending import charges, nonaccrual, provisions, writeoff
from puhui.lending import service as lending
from puhui.lending.charges_rules import ChargeBasis, ChargeTerms, ChargeTrigger
from puhui.lending.errors import RecoveryTooLarge, WriteOffNotEligible, WriteOffSameApprover
from puhui.lending.models import Loan, LoanStatus
from puhui.lending.products import JINGYINGDAI
from puhui.lending.schedules import RepaymentMethod

INCOME = ledger_service.bank("interest_income")
PENALTY_INCOME = ledger_service.bank("penalty_income")


def _bal(session: Session, code: str, owner: object = "") -> int:
    ref = ledger_service.owned(code, "loan", owner) if owner else ledger_service.bank(code)
    return ledger_service.balance_fen(session, ref)


def _unpaid_loan(session: Session, clock: FixedClock, fen: int = 3_000_000) -> Loan:
    at(clock, START)
    ent = make_enterprise(session, clock)
    line = make_line(
        session,
        clock,
        ent.id,
        product_code=JINGYINGDAI,
        method=RepaymentMethod.EQUAL_INSTALMENT,
        term_months=6,
    )
    loan = draw(session, clock, line.id, fen, term_months=6)
    spend_all(session, clock, ent.id)
    return loan


def _close(session: Session, clock: FixedClock, day: date) -> None:
    at(clock, day, hour=20)
    lending.run_eod(session, clock, day, batch_size=7)


def _run_to_dpd(session: Session, clock: FixedClock, loan: Loan, dpd: int) -> date:
    day = START
    while loan.dpd < dpd:
        day += timedelta(days=1)
        _close(session, clock, day)
        session.refresh(loan)
    return day


def test_non_accrual_stops_income_at_day_90_and_the_books_balance(
    session: Session, clock: FixedClock
) -> None:
    loan = _unpaid_loan(session, clock)
    day = _run_to_dpd(session, clock, loan, 89)
    assert loan.non_accrual_since is None
    income_89 = _bal(session, "interest_income") + _bal(session, "penalty_income")
    receivable_89 = _bal(session, "interest_receivable", loan.id) + _bal(
        session, "penalty_receivable", loan.id
    )
    assert income_89 > 0 and receivable_89 > 0

    day += timedelta(days=1)
    _close(session, clock, day)  # day 90
    session.refresh(loan)
    assert loan.dpd == 90 and loan.non_accrual_since == day
    income_90 = _bal(session, "interest_income") + _bal(session, "penalty_income")
    # the accrued-unpaid interest and penalty reversed out of income (default policy), and
    # day 90's accrual went to suspense, not income
    assert income_90 == income_89 - receivable_89
    assert_books(session)
    for _ in range(5):
        day += timedelta(days=1)
        _close(session, clock, day)
        held = _bal(session, "interest_suspense", loan.id) + _bal(
            session, "penalty_suspense", loan.id
        )
        owed = _bal(session, "interest_receivable", loan.id) + _bal(
            session, "penalty_receivable", loan.id
        )
        assert owed > receivable_89  # the borrower still owes it all, and more each day
        assert held == owed  # ... none of it income
        assert _bal(session, "interest_income") + _bal(session, "penalty_income") == income_90
        assert_books(session)

    # cured: the borrower pays every arrear; cash received is income, the loan accrues again
    fund(session, clock, loan.enterprise_id, 10_000_000)
    day += timedelta(days=1)
    _close(session, clock, day)
    session.refresh(loan)
    assert loan.dpd == 0 and loan.non_accrual_since is None
    assert _bal(session, "interest_suspense", loan.id) == 0
    assert _bal(session, "penalty_suspense", loan.id) == 0
    income_cured = _bal(session, "interest_income") + _bal(session, "penalty_income")
    assert income_cured > income_90
    assert_books(session)


def test_the_provision_posted_equals_rate_times_principal_per_class(
    session: Session, clock: FixedClock
) -> None:
    # hand-computed at the default rates 1 %, 2 %, 25 %, 50 %, 100 % (half up to the fen):
    #   正常 1,234,567 × 1 %  = 12,345.67  → 12,346
    #   关注 2,000,000 × 2 %  = 40,000
    #   次级 3,333,333 × 25 % = 833,333.25 → 833,333
    #   可疑 1,000,001 × 50 % = 500,000.5  → 500,001
    #   损失 1,999,999 × 100 % = 1,999,999
    specs = [
        ("normal", 1_234_567),
        ("special_mention", 2_000_000),
        ("substandard", 3_333_333),
        ("doubtful", 1_000_001),
        ("loss", 1_999_999),
    ]
    made = []
    for cls, fen in specs:
        loan = _unpaid_loan(session, clock, fen)
        loan.classification = cls
        made.append(loan)
    session.flush()
    day = START
    moves = provisions.post_provisions(session, clock, day)
    expected = {
        "normal": 12_346,
        "special_mention": 40_000,
        "substandard": 833_333,
        "doubtful": 500_001,
        "loss": 1_999_999,
    }
    assert moves == expected
    assert provisions.reserve_by_class(session) == expected
    assert _bal(session, "provision_expense") == sum(expected.values()) == 3_385_679
    # a re-run of the date posts nothing
    assert set(provisions.post_provisions(session, clock, day).values()) == {0}
    # the 关注 loan migrates to 次级: 40,000 released there, 500,000 more provided here
    made[1].classification = "substandard"
    session.flush()
    moves = provisions.post_provisions(session, clock, day + timedelta(days=1))
    assert moves["special_mention"] == -40_000
    assert moves["substandard"] == 1_333_333 - 833_333  # 5,333,333 × 25 % = 1,333,333.25
    assert_books(session)


def _charge_catalogue(session: Session, clock: FixedClock) -> None:
    """A late-payment fee per instalment and a monthly account fee on the product."""
    lending.ensure_default_products(session, clock)
    for terms in (
        ChargeTerms("late", "逾期手续费", "Late-payment fee", ChargeTrigger.LATE_PAYMENT,
                    ChargeBasis.FIXED, amount_fen=2_000),
        ChargeTerms("account", "账户管理费", "Account fee", ChargeTrigger.MONTHLY,
                    ChargeBasis.BALANCE, rate_bp=5, min_fen=1_000, max_fen=50_000),
    ):  # fmt: skip
        charges.set_product_charge(session, clock, JINGYINGDAI, terms)


def test_write_off_with_maker_checker_and_a_later_recovery(
    session: Session, clock: FixedClock
) -> None:
    """... and the loan's charges: assessed to income while it accrues, moved to suspense when
    it turns non-accrual, assessed into suspense after, and part of the written-off claim."""
    at(clock, START)
    _charge_catalogue(session, clock)
    fees_before = _bal(session, "fee_income")
    loan = _unpaid_loan(session, clock)
    with pytest.raises(WriteOffNotEligible):  # a performing loan cannot be written off
        writeoff.propose(session, clock, loan.id, "测试", maker="张三")
    day = _run_to_dpd(session, clock, loan, 89)
    fees_89 = _bal(session, "fee_receivable", loan.id)
    assert fees_89 > 0 and _bal(session, "fee_income") - fees_before == fees_89
    day = _run_to_dpd(session, clock, loan, 95)
    assert loan.classification == "substandard" and loan.non_accrual_since is not None
    fee = _bal(session, "fee_receivable", loan.id)
    assert fee > fees_89  # charges still assessed after day 90 ...
    assert _bal(session, "fee_suspense", loan.id) == fee  # ... into suspense, with the earlier
    assert _bal(session, "fee_income") == fees_before  # ones taken back out of income
    reserve = provisions.reserve_by_class(session)["substandard"]
    principal = _bal(session, "loan_principal", loan.id)
    interest = _bal(session, "interest_receivable", loan.id)
    penalty = _bal(session, "penalty_receivable", loan.id)
    assert reserve == (principal * 25 + 50) // 100

    proposal = lending.propose_write_off(
        session, clock, loan.id, "借款人失联，诉讼无可执行财产", maker="张三"
    )
    with pytest.raises(WriteOffSameApprover):
        lending.approve_write_off(session, clock, proposal.id, checker="张三")
    done = lending.approve_write_off(session, clock, proposal.id, "同意", checker="李四")
    session.refresh(loan)
    assert done.status == "approved" and loan.status == LoanStatus.WRITTEN_OFF
    claim = principal + interest + penalty + fee
    assert done.claim_fen == claim and done.fee_fen == fee
    assert _bal(session, "written_off_claim", loan.id) == claim  # kept off-balance
    assert _bal(session, "loan_principal", loan.id) == 0
    assert _bal(session, "interest_suspense", loan.id) == 0
    assert _bal(session, "fee_receivable", loan.id) == _bal(session, "fee_suspense", loan.id) == 0
    assert {c.status for c in charges.charges_of(session, loan.id)} == {"written_off"}
    # the reserve (25 % of principal) covered part of the principal; the rest is expense
    assert done.reserve_used_fen == reserve
    assert done.expense_fen == principal - reserve  # interest, penalty, fees were in suspense
    assert_books(session)

    fund(session, clock, loan.enterprise_id, 500_000)
    first = lending.recover_written_off(
        session, clock, proposal.id, 300_000, idempotency_key="rec-1", actor="李四"
    )
    again = lending.recover_written_off(
        session, clock, proposal.id, 300_000, idempotency_key="rec-1", actor="李四"
    )
    assert again.id == first.id
    assert _bal(session, "recovery_income") == 300_000
    assert _bal(session, "written_off_claim", loan.id) == claim - 300_000
    with pytest.raises(RecoveryTooLarge):
        lending.recover_written_off(
            session, clock, proposal.id, claim, idempotency_key="rec-2", actor="李四"
        )
    # the next end of day releases the written-off loan's reserve; the books still balance
    _close(session, clock, day + timedelta(days=1))
    assert provisions.reserve_by_class(session).get("substandard", 0) == 0
    assert nonaccrual.suspense_fen(session, loan.id) == 0
    assert_books(session)
    assert ledger_service.trial_balance(session, day + timedelta(days=1)).balanced
