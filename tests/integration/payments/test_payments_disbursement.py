"""A drawdown paid out through the rails: the loan stays when the payout settles; a rejected or
returned payout reverses the drawdown (interest accrued meanwhile included) and restores the
limit, with the books balanced after every step."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.orm import Session
from tests.integration.lending.lending_factories import (
    START,
    assert_books,
    at,
    make_enterprise,
    make_line,
    run_days,
)
from tests.integration.payments.payments_factories import verified_account

from puhui.core.clock import FixedClock
from puhui.core.runtime import Runtime
from puhui.lending import service as lending
from puhui.lending.models import CreditLine, Drawdown, Loan
from puhui.payments import service as payments
from puhui.payments.rails import SandboxBehaviour, SandboxRail, use_rail

FEN = 200_000_00


def _draw(session: Session, clock: FixedClock, runtime: Runtime, number: str, rail: SandboxRail):  # type: ignore[no-untyped-def]
    enterprise = make_enterprise(session, clock)
    line = make_line(session, clock, enterprise.id)
    account = verified_account(session, clock, runtime.cipher, enterprise.id, number)
    out = lending.draw(
        session,
        clock,
        line.id,
        FEN,
        idempotency_key=str(uuid.uuid4()),
        payout_account_id=account.id,
    )
    [payment] = payments.payments_for_source(session, "drawdown", out.id)
    assert lending.settlement_balance(session, enterprise.id) == 0  # all of it in clearing
    assert_books(session)
    return line, out, payment


def _cycle(session: Session, clock: FixedClock, runtime: Runtime, rail: SandboxRail) -> None:
    payments.dispatch(session, clock, runtime.cipher, rail)
    payments.process_inbox(session, clock, rail)
    assert_books(session)


def test_a_settled_payout_keeps_the_loan(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    rail = SandboxRail()
    with use_rail(rail):
        line, out, payment = _draw(session, clock, runtime, "6222000011114444", rail)
        _cycle(session, clock, runtime, rail)
    assert payment.status == "settled"
    loan = session.get(Loan, out.loan_id)
    assert loan is not None and loan.status == "active"
    assert line.used_fen == FEN
    assert payments.balance_of(session, payments.PAYOUT_CLEARING) == 0


def test_a_rejected_payout_reverses_the_drawdown_and_restores_the_limit(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    rail = SandboxRail(SandboxBehaviour(reject_accounts=frozenset({"6222000011115555"})))
    with use_rail(rail):
        line, out, payment = _draw(session, clock, runtime, "6222000011115555", rail)
        _cycle(session, clock, runtime, rail)
    assert payment.status == "rejected"
    drawdown = session.get(Drawdown, out.id)
    loan = session.get(Loan, out.loan_id)
    assert drawdown is not None and drawdown.status == "reversed"
    assert drawdown.failure == "payout_rejected:AC04"
    assert loan is not None and loan.status == "reversed" and loan.principal_outstanding_fen == 0
    session.refresh(line)
    assert line.used_fen == 0 and line.available_fen == line.limit_fen
    assert lending.settlement_balance(session, line.enterprise_id) == 0


def test_a_return_days_later_reverses_the_loan_and_its_interest(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    rail = SandboxRail(SandboxBehaviour(return_accounts=frozenset({"6222000011116666"})))
    with use_rail(rail):
        line, out, payment = _draw(session, clock, runtime, "6222000011116666", rail)
        _cycle(session, clock, runtime, rail)
        assert payment.status == "settled"
        run_days(session, clock, START, START + timedelta(days=3))  # interest accrues
        loan = session.get(Loan, out.loan_id)
        assert loan is not None and loan.interest_accrued_fen > 0
        at(clock, START + timedelta(days=4))
        payments.process_inbox(session, clock, rail)  # the beneficiary's bank sends it back
    assert payment.status == "returned"
    assert loan.status == "reversed" and loan.interest_accrued_fen == 0
    fresh = session.get(CreditLine, line.id)
    assert fresh is not None and fresh.used_fen == 0
    assert_books(session)
