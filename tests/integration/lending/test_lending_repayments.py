"""Repayments: allocation order, overdue and penalty, prepayment with rebuilt schedules, auto-debit,
deposits, and what is refused (insufficient funds, nothing due, too small, paid off)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
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

from puhui.core.clock import FixedClock
from puhui.core.models import Role
from puhui.ledger import service as ledger_service
from puhui.lending import loans as lending_loans
from puhui.lending import service as lending
from puhui.lending.errors import (
    LoanNotActive,
    NothingDue,
    PrepaymentOptionInvalid,
    PrepaymentTooSmall,
    SettlementInsufficient,
)
from puhui.lending.interest import interest_between
from puhui.lending.models import Loan, Repayment
from puhui.lending.overdue import compound_interest_fen, penalty_interest_fen
from puhui.lending.products import (
    DEFAULT_PRODUCTS,
    JINGYINGDAI,
    WEIYEDAI,
    XIANXIHOUBEN,
    create_product,
)
from puhui.lending.rescheduling import PrepaymentOption, reschedule_after_prepayment
from puhui.lending.schedules import RepaymentMethod


def _repay(session: Session, clock: FixedClock, loan: Loan, fen: int, **kw: Any) -> Any:
    return lending.repay(session, clock, loan.id, fen, idempotency_key=str(uuid.uuid4()), **kw)


def test_on_the_due_date_the_instalment_is_paid_and_the_surplus_stays(
    session: Session, clock: FixedClock
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id, rate_bp=435)
    loan = draw(session, clock, line.id, 1_000_000, term_months=3)
    run_days(session, clock, START, date(2026, 12, 22))
    assert loan.interest_accrued_fen == interest_between(1_000_000, 435, START, date(2026, 12, 23))
    at(clock, date(2026, 12, 23))
    out = _repay(session, clock, loan, 5_000)
    assert out.current_interest_fen == 3_625  # 30 days of 1 000 000 at 4.35 % / 360
    assert out.amount_applied_fen == 3_625 and out.unapplied_fen == 1_375
    assert out.reference.startswith("RPY-2026-")
    rows = lending_loans.rows_of(session, loan.id)
    assert (rows[0].status, rows[0].interest_paid_fen, rows[0].paid_date) == (
        "paid",
        3_625,
        date(2026, 12, 23),
    )
    assert lending.settlement_balance(session, ent.id) == 1_000_000 - 3_625
    assert line.used_fen == 1_000_000  # no principal repaid yet
    with pytest.raises(NothingDue) as info:
        _repay(session, clock, loan, 5_000)
    assert "没有到期应还款项" in info.value.message("zh")
    assert_books(session)


def test_overdue_loan_pays_penalty_then_compound_then_interest_then_principal(
    session: Session, clock: FixedClock
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id, rate_bp=435)
    loan = draw(session, clock, line.id, 1_000_000, term_months=1)
    spend_all(session, clock, ent.id)
    run_days(session, clock, START, date(2026, 12, 30))
    # due 2026-12-23, unpaid; 3 grace days, then penalty (+50 %) and compound interest daily
    assert loan.dpd == 7 and loan.classification == "special_mention"
    assert loan.oldest_unpaid_due_date == date(2026, 12, 23)
    assert loan.overdue_principal_fen == 1_000_000 and loan.overdue_interest_fen == 3_625
    assert loan.penalty_accrued_fen == penalty_interest_fen(1_000_000, 435, 5)
    assert loan.compound_accrued_fen == compound_interest_fen(3_625, 435, 5)
    penalty, compound = loan.penalty_accrued_fen, loan.compound_accrued_fen
    assert_books(session)

    at(clock, date(2026, 12, 31))
    fund(session, clock, ent.id, 2_000)
    out = _repay(session, clock, loan, 2_000)
    assert (out.penalty_fen, out.compound_fen) == (penalty, compound)
    assert out.overdue_interest_fen == 2_000 - penalty - compound
    assert out.overdue_principal_fen == 0 and out.unapplied_fen == 0
    assert loan.penalty_accrued_fen == loan.compound_accrued_fen == 0
    with pytest.raises(SettlementInsufficient) as info:
        _repay(session, clock, loan, 10_000)
    assert "结算账户余额不足" in info.value.message("zh")
    assert "Insufficient settlement balance" in info.value.message("en")
    assert_books(session)

    owed = loan.overdue_interest_fen + loan.overdue_principal_fen
    fund(session, clock, ent.id, owed + 50)
    out = _repay(session, clock, loan, owed + 50)
    assert out.overdue_principal_fen == 1_000_000 and out.unapplied_fen == 50
    assert loan.status == "paid_off" and loan.dpd == 0
    assert line.used_fen == 0  # a revolving line gets its principal back
    with pytest.raises(LoanNotActive):
        _repay(session, clock, loan, 1)
    assert_books(session)


def _instalment_loan(session: Session, clock: FixedClock, months: int = 12) -> tuple[Any, Loan]:
    ent = make_enterprise(session, clock)
    line = make_line(
        session,
        clock,
        ent.id,
        product_code=JINGYINGDAI,
        limit_fen=20_000_000,
        term_months=months,
        method=RepaymentMethod.EQUAL_INSTALMENT,
    )
    return line, draw(session, clock, line.id, 12_000_000)


@pytest.mark.parametrize("option", list(PrepaymentOption))
def test_prepayment_rebuilds_the_schedule(
    session: Session, clock: FixedClock, option: PrepaymentOption
) -> None:
    line, loan = _instalment_loan(session, clock)
    for month in (12, 1, 2):  # three instalments paid by auto-debit on their due dates
        due = date(2026 if month == 12 else 2027, month, 23)
        at(clock, due)
        assert len(lending.auto_debit_due(session, clock, due, [loan.id])) == 1
    before = lending_loans.rows_of(session, loan.id)
    unbilled = [r for r in before if r.status == "scheduled"]
    at(clock, date(2027, 3, 5))
    stub = interest_between(
        unbilled[0].opening_balance_fen, 435, date(2027, 2, 23), date(2027, 3, 5)
    )
    out = _repay(session, clock, loan, 5_000_000, kind="prepayment", prepayment_option=option)
    assert out.accrued_interest_fen == stub
    assert out.prepaid_principal_fen == 5_000_000 - stub
    assert out.prepayment_option == option.value and out.unapplied_fen == 0
    expected = reschedule_after_prepayment(
        lending_loans.as_pure(unbilled),
        paid_through_seq=3,
        prepaid_principal_fen=5_000_000 - stub,
        rate_bp=435,
        method=RepaymentMethod.EQUAL_INSTALMENT,
        anchor_date=START,
        option=option,
        prepayment_date=date(2027, 3, 5),
    )
    after = [r for r in lending_loans.rows_of(session, loan.id) if r.status == "scheduled"]
    assert [(r.seq, r.due_date, r.principal_fen, r.interest_fen) for r in after] == [
        (i.seq, i.due_date, i.principal_fen, i.interest_fen) for i in expected.instalments
    ]
    if option is PrepaymentOption.KEEP_TERM:
        assert len(after) == 9 and after[1].principal_fen + after[1].interest_fen < (
            unbilled[1].principal_fen + unbilled[1].interest_fen
        )
    else:
        assert len(after) < 9 and loan.maturity_date < date(2027, 11, 23)
    assert loan.principal_outstanding_fen == expected.balance_after_fen
    assert line.used_fen == 12_000_000  # an instalment product's limit is used once
    assert_books(session)


def test_full_prepayment_pays_off_and_restores_a_revolving_line(
    session: Session, clock: FixedClock
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id, limit_fen=10_000_000)
    loan = draw(session, clock, line.id, 4_000_000, term_months=6)
    fund(session, clock, ent.id, 100_000)
    at(clock, START + timedelta(days=10))
    stub = interest_between(4_000_000, 435, START, START + timedelta(days=10))
    out = _repay(session, clock, loan, 4_100_000, kind="prepayment")
    assert (out.accrued_interest_fen, out.prepaid_principal_fen) == (stub, 4_000_000)
    assert out.unapplied_fen == 100_000 - stub
    assert loan.status == "paid_off" and loan.next_due_date is None
    assert (line.used_fen, line.available_fen) == (0, 10_000_000)
    assert_books(session)


def test_prepayment_refusals(session: Session, clock: FixedClock) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id, limit_fen=10_000_000)
    loan = draw(session, clock, line.id, 4_000_000, term_months=6)  # interest first
    at(clock, START + timedelta(days=10))
    stub = interest_between(4_000_000, 435, START, START + timedelta(days=10))
    with pytest.raises(PrepaymentTooSmall) as small:
        _repay(session, clock, loan, stub, kind="prepayment")
    assert f"¥{(stub + 1) // 100}.{(stub + 1) % 100:02d}" in small.value.message("zh")
    with pytest.raises(PrepaymentOptionInvalid):
        _repay(
            session, clock, loan, 1_000_000, kind="prepayment", prepayment_option="keep_instalment"
        )
    spend_all(session, clock, ent.id)
    with pytest.raises(SettlementInsufficient):
        _repay(session, clock, loan, 1_000_000, kind="prepayment")
    assert session.scalar(select(func.count()).where(Repayment.loan_id == loan.id)) == 0
    assert loan.principal_outstanding_fen == 4_000_000
    assert_books(session)


def test_prepayment_fee_is_income(session: Session, clock: FixedClock) -> None:
    spec = replace(
        next(s for s in DEFAULT_PRODUCTS if s.code == XIANXIHOUBEN),
        code="xxhb-fee",
        prepayment_fee_bp=100,
    )
    lending.ensure_default_products(session, clock)
    create_product(session, clock, spec)
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id, product_code="xxhb-fee", term_months=6)
    loan = draw(session, clock, line.id, 2_000_000)
    fees, interest = ledger_service.bank("fee_income"), ledger_service.bank("interest_income")
    fees_before = ledger_service.balance_fen(session, fees)
    interest_before = ledger_service.balance_fen(session, interest)
    out = _repay(session, clock, loan, 1_010_000, kind="prepayment")  # on the value date
    assert (out.accrued_interest_fen, out.prepaid_principal_fen, out.fee_fen) == (
        0,
        1_000_000,
        10_000,
    )
    # the fee is fee income, not interest (nothing accrued on the value date)
    assert ledger_service.balance_fen(session, fees) - fees_before == 10_000
    assert ledger_service.balance_fen(session, interest) == interest_before
    assert_books(session)


def test_auto_debit_takes_what_is_due_as_far_as_the_balance_allows(
    session: Session, clock: FixedClock
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id, limit_fen=10_000_000)
    first = draw(session, clock, line.id, 3_000_000, term_months=1)
    second = draw(session, clock, line.id, 3_000_000, term_months=1)
    spend_all(session, clock, ent.id)
    due = date(2026, 12, 23)
    at(clock, due)
    fund(session, clock, ent.id, 4_000_000)
    done = lending.auto_debit_due(session, clock, due, [first.id, second.id])
    assert [d.loan_id for d in done] == [first.id, second.id]
    assert first.status == "paid_off"
    assert done[1].amount_applied_fen == 4_000_000 - done[0].amount_applied_fen
    assert lending.settlement_balance(session, ent.id) == 0
    assert lending.auto_debit_due(session, clock, due, [second.id]) == []  # nothing more
    assert second.overdue_principal_fen > 0 and done[1].kind == "auto_debit"
    assert line.used_fen == second.principal_outstanding_fen
    assert_books(session)


def test_repayment_over_http_needs_a_key_and_replays(
    session: Session, clock: FixedClock, client: TestClient, headers_for: Any
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id)
    loan = draw(session, clock, line.id, 1_000_000, term_months=6)
    at(clock, START + timedelta(days=3))
    session.commit()
    borrower = headers_for(Role.BORROWER, [ent.id])
    url = f"/api/v1/loans/{loan.id}/repayments"
    body = {"amount_fen": 500_000, "kind": "prepayment", "prepayment_option": "keep_term"}
    missing = client.post(url, json=body, headers=borrower)
    assert missing.status_code == 400 and missing.json()["code"] == "idempotency_key_missing"
    first = client.post(url, json=body, headers={**borrower, "Idempotency-Key": "r1"})
    assert first.status_code == 201, first.text
    replay = client.post(url, json=body, headers={**borrower, "Idempotency-Key": "r1"})
    assert replay.json()["id"] == first.json()["id"]
    assert replay.headers["Idempotent-Replayed"] == "true"
    other = client.post(
        url, json={**body, "amount_fen": 1}, headers={**borrower, "Idempotency-Key": "r1"}
    )
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    listed = client.get(url, headers=borrower).json()
    assert [r["id"] for r in listed] == [first.json()["id"]]
    nothing = client.post(
        url, json={"amount_fen": 100}, headers={**borrower, "Idempotency-Key": "r2"}
    )
    assert nothing.status_code == 409 and "没有到期应还款项" in nothing.json()["detail"]
    session.expire_all()
    assert_books(session)


def test_deposits_over_http_are_admin_only_and_idempotent(
    session: Session, clock: FixedClock, client: TestClient, headers_for: Any
) -> None:
    ent = make_enterprise(session, clock)
    session.commit()
    url = f"/api/v1/settlement-accounts/{ent.id}/deposits"
    admin = {**headers_for(Role.ADMIN), "Idempotency-Key": "dep-1"}
    r1 = client.post(url, json={"amount_fen": 123_456}, headers=admin)
    r2 = client.post(url, json={"amount_fen": 123_456}, headers=admin)
    assert r1.status_code == r2.status_code == 201
    assert r1.json()["balance_fen"] == r2.json()["balance_fen"] == 123_456
    assert lending.settlement_balance(session, ent.id) == 123_456
    bad = client.post(url, json={"amount_fen": 0}, headers={**admin, "Idempotency-Key": "d2"})
    assert bad.status_code == 422
    missing = client.post(
        f"/api/v1/settlement-accounts/{uuid.uuid4()}/deposits",
        json={"amount_fen": 5},
        headers={**admin, "Idempotency-Key": "d3"},
    )
    assert missing.status_code == 404


def test_interest_first_product_bills_monthly_interest_by_the_monthly_rate(
    session: Session, clock: FixedClock
) -> None:
    """先息后本 at a monthly rate: the daily accrual is trued up to the schedule on billing."""
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id, product_code=XIANXIHOUBEN, term_months=3)
    loan = draw(session, clock, line.id, 3_600_000)
    run_days(session, clock, START, date(2026, 12, 22))
    accrued = loan.interest_accrued_fen
    assert accrued == interest_between(3_600_000, 435, START, date(2026, 12, 23))  # 30 days
    at(clock, date(2026, 12, 23))
    out = _repay(session, clock, loan, 1_000_000)
    assert out.current_interest_fen == 3_600_000 * 435 // 120_000 == 13_050
    assert accrued == 13_050  # 30 days / 360 = one twelfth: no true-up this month
    assert_books(session)
    run_days(session, clock, date(2026, 12, 23), date(2027, 1, 22))  # 31 days accrued
    assert loan.interest_accrued_fen == interest_between(
        3_600_000, 435, date(2026, 12, 23), date(2027, 1, 23)
    )
    at(clock, date(2027, 1, 23), hour=20)
    lending.simulate_day(session, clock, date(2027, 1, 23))  # auto-debit of the 2nd instalment
    rows = lending_loans.rows_of(session, loan.id)
    assert rows[1].status == "paid" and rows[1].interest_paid_fen == 13_050
    assert_books(session)


def test_products_are_listed_for_everyone(
    session: Session, clock: FixedClock, client: TestClient, headers_for: Any
) -> None:
    lending.ensure_default_products(session, clock)
    session.commit()
    r = client.get("/api/v1/lending/products", headers=headers_for(Role.BORROWER))
    assert r.status_code == 200
    codes = {p["code"] for p in r.json()}
    assert {WEIYEDAI, JINGYINGDAI, XIANXIHOUBEN} <= codes


def test_rerunning_a_day_changes_nothing(session: Session, clock: FixedClock) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id)
    loan = draw(session, clock, line.id, 2_000_000, term_months=1)
    spend_all(session, clock, ent.id)
    run_days(session, clock, START, date(2026, 12, 28))  # overdue, penalty running

    def state() -> tuple[object, ...]:
        session.flush()
        tb = ledger_service.trial_balance(session, date(2099, 1, 1))
        return (
            tuple((r.code, r.debits_fen, r.credits_fen) for r in tb.rows),
            loan.interest_accrued_fen,
            loan.interest_carry,
            loan.penalty_accrued_fen,
            loan.penalty_carry,
            loan.dpd,
        )

    before = state()
    assert loan.penalty_accrued_fen > 0 and loan.compound_accrued_fen > 0 and loan.dpd == 5
    result = lending.simulate_day(session, clock, date(2026, 12, 28))
    assert (result.interest_fen, result.penalty_fen, result.auto_debits) == (0, 0, 0)
    assert state() == before
