"""A drawdown whose payout never arrived is reversed (see docs/payments.md).

The loan is booked at the drawdown and its money held in `payout_clearing` while the rail
clears it. When the payment is rejected, or returned after settlement, payments gives the money
back to the enterprise's settlement account and publishes `PaymentFailed`; the flow
(`flows.payments.on_payment_failed`) calls `reverse_drawdown`, which takes it from there:

* principal outstanding: Dr settlement(enterprise) / Cr loan_principal(loan);
* interest and penalty recognised meanwhile: Dr interest_income / Cr interest_receivable (and
  the same for penalty) — a borrower pays nothing for money that never reached them;
* unpaid instalments superseded, the loan `reversed`, the drawdown `reversed` with the reason,
  the line's used amount given back (the limit is restored, whatever the product's kind).

Idempotent: a drawdown already reversed is left as it is.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.clock import Clock, business_date
from puhui.jobs.runner import Batch
from puhui.ledger import service as ledger_service
from puhui.ledger.service import Leg
from puhui.lending import loans
from puhui.lending.models import (
    Drawdown,
    DrawdownStatus,
    InstalmentStatus,
    Loan,
    LoanStatus,
)
from puhui.payments import service as payments_service

PENALTY_INCOME = ledger_service.bank("penalty_income")


def reverse_drawdown(session: Session, clock: Clock, drawdown_id: uuid.UUID, reason: str) -> bool:
    """Undo a drawdown whose payout failed; False when there is nothing (left) to undo."""
    drawdown = session.scalar(select(Drawdown).where(Drawdown.id == drawdown_id).with_for_update())
    if drawdown is None or drawdown.status != DrawdownStatus.COMPLETED.value:
        return False
    line = loans.lock_line(session, drawdown.line_id)
    loan = session.get(Loan, drawdown.loan_id) if drawdown.loan_id else None
    if loan is None or loan.status != LoanStatus.ACTIVE.value:
        return False
    today = business_date(clock)
    principal = loan.principal_outstanding_fen
    session.flush()
    interest = ledger_service.balance_fen(session, loans.interest_account(loan.id))
    penalty = ledger_service.balance_fen(session, loans.penalty_account(loan.id))
    legs = [
        Leg.debit(loans.settlement_account(loan.enterprise_id), principal),
        Leg.credit(loans.principal_account(loan.id), principal),
        Leg.debit(loans.INTEREST_INCOME, interest),
        Leg.credit(loans.interest_account(loan.id), interest),
        Leg.debit(PENALTY_INCOME, penalty),
        Leg.credit(loans.penalty_account(loan.id), penalty),
    ]
    ledger_service.post(
        session,
        clock,
        kind="drawdown_reversal",
        business_date=today,
        legs=[leg for leg in legs if leg.debit_fen or leg.credit_fen],
        memo=f"放款退回冲销 {drawdown.reference} 借据 {loan.reference}",
        source_type="drawdown",
        source_id=drawdown.id,
    )
    for row in loans.rows_of(session, loan.id):
        if row.status in (InstalmentStatus.SCHEDULED.value, InstalmentStatus.BILLED.value):
            row.status = InstalmentStatus.SUPERSEDED.value
    _zero(loan)
    loans.transition_loan(session, clock, loan, LoanStatus.REVERSED, today)
    restored = principal if loan.revolving else drawdown.amount_fen
    line.used_fen -= min(restored, line.used_fen)
    line.updated_at = clock.now()
    drawdown.status = DrawdownStatus.REVERSED.value
    drawdown.failure = reason[:200]
    audit.record(
        session,
        "drawdown.reverse",
        "credit_line",
        line.id,
        after={"drawdown": drawdown.reference, "loan": loan.reference, "reason": reason},
    )
    return True


def _zero(loan: Loan) -> None:
    loan.principal_outstanding_fen = 0
    loan.overdue_principal_fen = 0
    loan.overdue_interest_fen = 0
    loan.interest_accrued_fen = 0
    loan.interest_carry = 0
    loan.interest_deferred_fen = 0
    loan.penalty_accrued_fen = 0
    loan.penalty_carry = 0
    loan.compound_accrued_fen = 0
    loan.compound_carry = 0
    loan.dpd = 0
    loan.next_due_date = None
    loan.oldest_unpaid_due_date = None


@dataclass
class ReconciliationGateStep:
    """The end of day's last step: the day closes (its run completes) only when the day's
    payments are reconciled (payments' `require_closable`: clean, resolved, within the
    threshold, or overridden by a risk officer); otherwise the run stops here with
    `UnreconciledBreaks`, and resumes at this step once the breaks are dealt with."""

    clock: Clock
    day: date
    name: str = "reconciliation_gate"

    def total(self, session: Session) -> int:
        return 1

    def run_batch(self, session: Session, cursor: str | None) -> Batch:
        run = payments_service.require_closable(session, self.clock, self.day)
        return Batch(None, items=1, totals={"reconciled": int(run is not None)})
