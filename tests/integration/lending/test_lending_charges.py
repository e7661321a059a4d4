"""Charges (issue 17 item 8): assessed at drawdown, monthly and on late payment, collected
first in a repayment, a prepayment charge with the prepayment, waived by maker-checker — the
ledger balanced and each loan's charges receivable equal to what its charges owe."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy.orm import Session
from tests.conftest import make_user
from tests.integration.lending.lending_factories import (
    START,
    assert_books,
    at,
    draw,
    fund,
    make_enterprise,
    make_line,
    run_days,
    spend_all,
)

from puhui.core.auth import principal_of
from puhui.core.clock import FixedClock
from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.ledger import service as ledger_service
from puhui.lending import charges
from puhui.lending import service as lending
from puhui.lending.charges_rules import ChargeBasis, ChargeTerms, ChargeTrigger
from puhui.lending.errors import WaiverSameOfficer, WaiverTooLarge
from puhui.lending.products import JINGYINGDAI, XIANXIHOUBEN
from puhui.lending.schedules import RepaymentMethod

FEES = ledger_service.bank("fee_income")


def _catalogue(session: Session, clock: FixedClock, product: str) -> None:
    for terms in (
        ChargeTerms("arrangement", "服务费", "Arrangement fee", ChargeTrigger.DRAWDOWN,
                    ChargeBasis.FIXED, amount_fen=50_000),
        ChargeTerms("account", "账户管理费", "Account fee", ChargeTrigger.MONTHLY,
                    ChargeBasis.BALANCE, rate_bp=5, min_fen=1_000, max_fen=50_000),
        ChargeTerms("late", "逾期手续费", "Late-payment fee", ChargeTrigger.LATE_PAYMENT,
                    ChargeBasis.FIXED, amount_fen=2_000),
        ChargeTerms("early", "提前还款手续费", "Prepayment fee", ChargeTrigger.PREPAYMENT,
                    ChargeBasis.PREPAID, rate_bp=100, max_fen=8_000),
    ):  # fmt: skip
        charges.set_product_charge(session, clock, product, terms)


def _by_code(session: Session, loan_id: uuid.UUID) -> dict[str, list[charges.LoanCharge]]:
    out: dict[str, list[charges.LoanCharge]] = {}
    for row in charges.charges_of(session, loan_id):
        out.setdefault(row.code, []).append(row)
    return out


def test_charges_are_booked_collected_first_and_waived_with_the_ledger_balanced(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    lending.ensure_default_products(session, clock)
    _catalogue(session, clock, JINGYINGDAI)
    ent = make_enterprise(session, clock)
    line = make_line(
        session, clock, ent.id, product_code=JINGYINGDAI, method=RepaymentMethod.EQUAL_INSTALMENT
    )
    fees_before = ledger_service.balance_fen(session, FEES)
    loan = draw(session, clock, line.id, 12_000_000, term_months=12)
    (arrangement,) = _by_code(session, loan.id)["arrangement"]
    assert (arrangement.amount_fen, arrangement.status, arrangement.due_date) == (
        50_000, "due", START,
    )  # fmt: skip
    assert ledger_service.balance_fen(session, FEES) - fees_before == 50_000
    assert ledger_service.balance_fen(session, charges.fee_account(loan.id)) == 50_000
    assert_books(session)

    run_days(session, clock, START, START)  # the evening's auto-debit takes the charge
    assert arrangement.status == "paid" and arrangement.paid_fen == 50_000
    (debit,) = lending.repayments_of(session, loan.id)
    assert debit.charges_fen == 50_000 and debit.kind == "auto_debit"
    spend_all(session, clock, ent.id)

    # the first due date (23 Dec) passes unpaid: the month's account fee and, after the
    # grace days, one late-payment fee on the instalment
    run_days(session, clock, date(2026, 11, 24), date(2026, 12, 26))
    rows = _by_code(session, loan.id)
    (account,) = rows["account"]
    assert account.due_date == date(2026, 12, 23) and account.amount_fen == 6_000  # 5 bp
    (late,) = rows["late"]
    assert late.occurrence == "inst:1" and late.amount_fen == 2_000
    run_days(session, clock, date(2026, 12, 27), date(2026, 12, 28))
    assert len(_by_code(session, loan.id)["late"]) == 1  # once per instalment
    assert_books(session)

    # a repayment pays the charges first (Civil Code art. 561: costs, interest, principal)
    at(clock, date(2026, 12, 29))
    fund(session, clock, ent.id, 7_000)
    out = lending.repay(session, clock, loan.id, 7_000, idempotency_key="charges-first")
    assert out.charges_fen == 7_000 and out.overdue_interest_fen == 0
    assert account.status == "paid" and late.paid_fen == 1_000 and late.status == "due"
    assert_books(session)

    # the rest of the late fee is waived: one officer proposes, another approves
    maker = principal_of(make_user(session, runtime, Role.SERVICE_REP))
    checker = principal_of(make_user(session, runtime, Role.CREDIT_OFFICER))
    with pytest.raises(WaiverTooLarge):
        charges.propose_waiver(session, clock, maker, late.id, 1_001, "疫情期间减免")
    waiver = charges.propose_waiver(session, clock, maker, late.id, 1_000, "疫情期间减免")
    assert ledger_service.balance_fen(session, charges.fee_account(loan.id)) == 1_000
    with pytest.raises(WaiverSameOfficer):
        charges.approve_waiver(session, clock, maker, waiver.id, date(2026, 12, 29))
    fees_mid = ledger_service.balance_fen(session, FEES)
    charges.approve_waiver(session, clock, checker, waiver.id, date(2026, 12, 29))
    assert waiver.status == "approved" and late.status == "waived" and late.waived_fen == 1_000
    assert ledger_service.balance_fen(session, FEES) == fees_mid - 1_000
    assert ledger_service.balance_fen(session, charges.fee_account(loan.id)) == 0
    assert_books(session)


def test_a_prepayment_charge_is_collected_with_the_prepayment(
    session: Session, clock: FixedClock
) -> None:
    lending.ensure_default_products(session, clock)
    _catalogue(session, clock, XIANXIHOUBEN)
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id, product_code=XIANXIHOUBEN, term_months=6)
    loan = draw(session, clock, line.id, 2_000_000)
    fees_before = ledger_service.balance_fen(session, FEES)
    # the arrangement fee (¥500) first, then principal and 1 % of it (at most ¥80)
    out = lending.repay(
        session, clock, loan.id, 50_000 + 505_000, idempotency_key="early", kind="prepayment"
    )
    assert out.charges_fen == 50_000
    assert (out.prepaid_principal_fen, out.fee_fen) == (500_000, 5_000)
    (early,) = _by_code(session, loan.id)["early"]
    assert (early.amount_fen, early.paid_fen, early.status) == (5_000, 5_000, "paid")
    assert ledger_service.balance_fen(session, FEES) - fees_before == 5_000
    # the cap: 1 % of ¥10,000 is ¥100, the catalogue caps it at ¥80
    big = lending.repay(
        session, clock, loan.id, 1_008_000, idempotency_key="early-2", kind="prepayment"
    )
    assert (big.prepaid_principal_fen, big.fee_fen) == (1_000_000, 8_000)
    assert_books(session)


def test_the_contract_lists_the_charges_it_agrees_to(session: Session, clock: FixedClock) -> None:
    from puhui.lending.contracts.pdf import ContractTerms, render_text

    lending.ensure_default_products(session, clock)
    _catalogue(session, clock, JINGYINGDAI)
    lines = charges.contract_lines(session, JINGYINGDAI)
    assert lines[0].startswith("账户管理费：每月，按剩余本金的 0.05% 收取")
    terms = ContractTerms(
        reference="HT-2026-000001", bank_name="银行", enterprise_name="企业",
        enterprise_uscc="91330100MA2XXXXX0X", enterprise_region="杭州", legal_rep_name="张三",
        product_code=JINGYINGDAI, product_name="经营贷", limit_fen=1_000_000, rate_bp=435,
        lpr_bp=300, term_months=12, expiry_date=date(2027, 11, 23),
        repayment_method="equal_instalment", penalty_markup_bp=5_000, compound_interest=True,
        day_count="ACT/360", created_at=clock.now(), charges=lines,
        allocation_order=("fee", "penalty"),
    )  # fmt: skip
    text = render_text(terms)
    assert "（1）账户管理费" in text and "服务费：放款时一次性，每次 500.00 元" in text
    assert "费用不从借款本金中预先扣除" in text and "清偿：费用、罚息" in text
    assert ContractTerms.from_json(terms.to_json()) == terms


def test_a_returned_repayment_owes_its_charges_again(session: Session, clock: FixedClock) -> None:
    from puhui.lending import payouts

    lending.ensure_default_products(session, clock)
    _catalogue(session, clock, JINGYINGDAI)
    ent = make_enterprise(session, clock)
    line = make_line(
        session, clock, ent.id, product_code=JINGYINGDAI, method=RepaymentMethod.EQUAL_INSTALMENT
    )
    loan = draw(session, clock, line.id, 12_000_000, term_months=12)
    out = lending.repay(session, clock, loan.id, 50_000, idempotency_key="debit-1")
    assert out.charges_fen == 50_000
    assert payouts.reverse_repayment(session, clock, loan.id, "debit-1", "账户余额不足退回")
    (arrangement,) = _by_code(session, loan.id)["arrangement"]
    assert (arrangement.paid_fen, arrangement.status) == (0, "due")
    assert ledger_service.balance_fen(session, charges.fee_account(loan.id)) == 50_000
    assert_books(session)


def test_a_reversed_drawdown_takes_its_charges_back(session: Session, clock: FixedClock) -> None:
    from puhui.lending import payouts

    lending.ensure_default_products(session, clock)
    _catalogue(session, clock, JINGYINGDAI)
    ent = make_enterprise(session, clock)
    line = make_line(
        session, clock, ent.id, product_code=JINGYINGDAI, method=RepaymentMethod.EQUAL_INSTALMENT
    )
    fees_before = ledger_service.balance_fen(session, FEES)
    loan = draw(session, clock, line.id, 12_000_000, term_months=12)
    lending.repay(session, clock, loan.id, 20_000, idempotency_key="part")  # ¥200 of ¥500
    assert loan.drawdown_id is not None
    assert payouts.reverse_drawdown(session, clock, loan.drawdown_id, "收款账户户名不符")
    (arrangement,) = _by_code(session, loan.id)["arrangement"]
    assert (arrangement.status, arrangement.paid_fen, arrangement.outstanding_fen) == (
        "waived", 0, 0,
    )  # fmt: skip
    assert ledger_service.balance_fen(session, FEES) == fees_before
    assert lending.settlement_balance(session, ent.id) == 0  # the ¥200 came back with the rest
    assert_books(session)
