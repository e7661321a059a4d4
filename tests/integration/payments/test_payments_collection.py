"""Collection by direct debit (pain.008) under a signed mandate: a settled debit repays what is
due (a partial one what it can); a returned debit reverses the repayment and re-opens the
instalment; the books balance after every step."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.orm import Session
from tests.integration.lending.lending_factories import (
    START,
    assert_books,
    at,
    draw,
    make_enterprise,
    make_line,
    run_days,
    spend_all,
)
from tests.integration.payments.payments_factories import verified_account

from puhui.core.clock import FixedClock
from puhui.core.runtime import Runtime
from puhui.flows import payments as payment_flows
from puhui.ledger import service as ledger_service
from puhui.lending import service as lending
from puhui.lending.models import Loan
from puhui.payments import accounts
from puhui.payments import service as payments
from puhui.payments.errors import MandateMissing
from puhui.payments.rails import SandboxBehaviour, SandboxRail, use_rail


def _due_loan(session: Session, clock: FixedClock) -> Loan:
    enterprise = make_enterprise(session, clock)
    line = make_line(session, clock, enterprise.id)
    loan = draw(session, clock, line.id, 100_000_00)
    spend_all(session, clock, enterprise.id)
    due = loan.next_due_date
    assert due is not None
    run_days(session, clock, START, due)
    at(clock, due)
    return loan


def _collect(session: Session, clock: FixedClock, loan: Loan, account_id: uuid.UUID, fen: int):  # type: ignore[no-untyped-def]
    payment_id = payment_flows.request_collection(
        session, clock, loan.id, account_id, fen, str(uuid.uuid4())
    )
    return payments.get_payment(session, payment_id)


def test_a_returned_direct_debit_reverses_the_repayment_and_reopens_the_instalment(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    loan = _due_loan(session, clock)
    due_interest = loan.overdue_interest_fen
    assert due_interest > 0
    account = verified_account(
        session, clock, runtime.cipher, loan.enterprise_id, "6222000066660001"
    )
    with pytest.raises(MandateMissing):
        _collect(session, clock, loan, account.id, due_interest)
    accounts.sign_mandate(session, clock, account)
    rail = SandboxRail(SandboxBehaviour(return_accounts=frozenset({"6222000066660001"})))
    with use_rail(rail):
        partial = _collect(session, clock, loan, account.id, due_interest // 2)
        payments.cycle(session, clock, runtime.cipher, rail)
        assert partial.status == "settled"
        assert loan.overdue_interest_fen == due_interest - due_interest // 2
        assert_books(session)
        at(clock, loan.next_due_date or START, hour=15)  # later that day the bank sends it back
        payments.process_inbox(session, clock, rail)
    assert partial.status == "returned"
    session.refresh(loan)
    assert loan.overdue_interest_fen == due_interest  # re-opened
    assert lending.settlement_balance(session, loan.enterprise_id) == 0
    kinds = [r.kind for r in lending.repayments_of(session, loan.id)]
    assert kinds == ["direct_debit"]
    assert_books(session)


def test_a_settled_direct_debit_pays_what_is_due(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    loan = _due_loan(session, clock)
    account = verified_account(
        session, clock, runtime.cipher, loan.enterprise_id, "6222000066660002"
    )
    accounts.sign_mandate(session, clock, account)
    rail = SandboxRail()
    with use_rail(rail):
        payment = _collect(session, clock, loan, account.id, loan.overdue_interest_fen + 5_00)
        payments.cycle(session, clock, runtime.cipher, rail)
    assert payment.status == "settled" and loan.overdue_interest_fen == 0
    assert lending.settlement_balance(session, loan.enterprise_id) == 5_00  # the surplus stays
    assert loan.dpd == 0
    assert_books(session)


def test_a_returned_debit_the_account_no_longer_covers_becomes_a_claim(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    """The surplus of a settled debit was spent before the debit came back: the status report
    still applies, the repayment is re-opened, and what the account no longer holds is booked
    as a claim on the enterprise (before: rails:insufficient_funds failed the whole report)."""
    loan = _due_loan(session, clock)
    due_interest = loan.overdue_interest_fen
    account = verified_account(
        session, clock, runtime.cipher, loan.enterprise_id, "6222000066660003"
    )
    accounts.sign_mandate(session, clock, account)
    rail = SandboxRail(SandboxBehaviour(return_accounts=frozenset({"6222000066660003"})))
    with use_rail(rail):
        payment = _collect(session, clock, loan, account.id, due_interest + 5_00)
        payments.cycle(session, clock, runtime.cipher, rail)
        assert payment.status == "settled" and loan.overdue_interest_fen == 0
        spend_all(session, clock, loan.enterprise_id)  # the 5.00 surplus is gone
        at(clock, loan.next_due_date or START, hour=15)
        payments.process_inbox(session, clock, rail)
    assert payment.status == "returned"
    session.refresh(loan)
    assert loan.overdue_interest_fen == due_interest
    assert lending.settlement_balance(session, loan.enterprise_id) == 0
    claim = ledger_service.owned("returned_debit_claim", "enterprise", loan.enterprise_id)
    assert ledger_service.balance_fen(session, claim) == 5_00
    assert_books(session)
