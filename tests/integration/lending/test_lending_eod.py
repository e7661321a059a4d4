"""The set-based end of day equals the loan-by-loan reference, day after day, and a re-run of a
date changes nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
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
from puhui.ledger.models import Account, Balance
from puhui.lending import service as lending
from puhui.lending.models import CreditLine, Instalment, Loan, Repayment
from puhui.lending.products import JINGYINGDAI, WEIYEDAI, XIANXIHOUBEN
from puhui.lending.schedules import RepaymentMethod


def book(session: Session, clock: FixedClock) -> None:
    """A small book: paying and non-paying borrowers on the three products."""
    at(clock, START)
    specs: list[tuple[str, RepaymentMethod, int, bool]] = [
        (WEIYEDAI, RepaymentMethod.INTEREST_FIRST, 3, True),
        (WEIYEDAI, RepaymentMethod.INTEREST_FIRST, 3, False),
        (JINGYINGDAI, RepaymentMethod.EQUAL_INSTALMENT, 6, False),
        (JINGYINGDAI, RepaymentMethod.EQUAL_PRINCIPAL, 6, True),
        (XIANXIHOUBEN, RepaymentMethod.INTEREST_FIRST, 3, False),
    ]
    for i, (product, method, term, pays) in enumerate(specs):
        ent = make_enterprise(session, clock, name=f"测试企业{i}有限公司")
        line = make_line(
            session,
            clock,
            ent.id,
            product_code=product,
            method=method,
            term_months=term if product != WEIYEDAI else 12,
            expiry_days=40 if i == 0 else 365,
            rate_bp=600 + 100 * i,
        )
        draw(session, clock, line.id, 2_000_000 + 1_234_567 * i, term_months=term)
        spend_all(session, clock, ent.id)
        if pays:
            fund(session, clock, ent.id, 900_000_000)
    session.flush()


def snapshot(session: Session) -> dict[str, Any]:
    session.flush()
    skip = {"updated_at"}
    loans = {
        row.id: {c: getattr(row, c) for c in [col.key for col in Loan.__table__.c] if c not in skip}
        for row in session.scalars(select(Loan).execution_options(populate_existing=True))
    }
    rows = sorted(
        (r.loan_id, r.seq, r.status, r.principal_paid_fen, r.interest_paid_fen, r.billed_date)
        for r in session.scalars(select(Instalment).execution_options(populate_existing=True))
    )
    balances = {
        (code, owner): (d, c)
        for code, owner, d, c in session.execute(
            select(Account.code, Account.owner_key, Balance.debits_fen, Balance.credits_fen).join(
                Balance, Balance.account_id == Account.id
            )
        )
        if d or c
    }
    lines = {i: st for i, st in session.execute(select(CreditLine.id, CreditLine.status))}
    repaid = sorted(
        tuple(r)
        for r in session.execute(
            select(Repayment.loan_id, Repayment.amount_applied_fen, Repayment.business_date)
        )
    )
    return {"loans": loans, "rows": rows, "balances": balances, "lines": lines, "repaid": repaid}


def _per_loan(session: Session, clock: FixedClock, day: date) -> dict[str, Any]:
    nested = session.begin_nested()
    lending.simulate_day_per_loan(session, clock, day)
    expected = snapshot(session)
    nested.rollback()
    session.expire_all()
    session.info.pop("ledger_account_ids", None)  # ids created in the rolled-back savepoint
    return expected


def test_eod_equals_the_per_loan_reference_every_day(session: Session, clock: FixedClock) -> None:
    book(session, clock)
    day = START
    for _ in range(130):  # past several due dates, the grace days and dpd > 90
        day += timedelta(days=1)
        at(clock, day, hour=20)
        expected = _per_loan(session, clock, day)
        lending.run_eod(session, clock, day, batch_size=2)
        got = snapshot(session)
        for key in expected:
            assert got[key] == expected[key], f"{key} differs on {day}"
        assert_books(session)
    loans = list(session.scalars(select(Loan)))
    assert max(loan.dpd for loan in loans) > 90
    assert {loan.classification for loan in loans} >= {"normal", "substandard"}
    assert sum(loan.penalty_accrued_fen for loan in loans) > 0


def test_rerunning_a_date_changes_nothing(session: Session, clock: FixedClock) -> None:
    book(session, clock)
    day = START
    for _ in range(40):
        day += timedelta(days=1)
        at(clock, day, hour=20)
        lending.run_eod(session, clock, day, batch_size=3)
    before = snapshot(session)
    entries = len(ledger_service.postings_for_owner(session, "", 10_000))
    lending.run_eod(session, clock, day, batch_size=3)
    lending.run_eod(session, clock, day, batch_size=1000)
    assert snapshot(session) == before
    assert len(ledger_service.postings_for_owner(session, "", 10_000)) == entries


def test_a_loan_id_cursor_orders_like_the_database(session: Session, clock: FixedClock) -> None:
    book(session, clock)
    ids = list(session.scalars(select(Loan.id).order_by(Loan.id)))
    assert ids == sorted(ids, key=lambda u: uuid.UUID(str(u)).bytes)
