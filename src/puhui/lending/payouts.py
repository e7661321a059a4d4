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
from puhui.core.money import format_fen
from puhui.jobs.runner import Batch
from puhui.ledger import service as ledger_service
from puhui.ledger.errors import AlreadyReversed
from puhui.ledger.service import Leg
from puhui.lending import charges, loans, purposes
from puhui.lending.errors import (
    EntrustedPaymentRequired,
    InvalidInvoiceNumber,
    LoanNotFound,
    OwnAccountNotPayee,
    PurposeForbidden,
)
from puhui.lending.models import (
    CreditLine,
    Drawdown,
    DrawdownPurpose,
    DrawdownStatus,
    Instalment,
    InstalmentStatus,
    Loan,
    LoanStatus,
    Repayment,
)
from puhui.lending.purposes import LoanPurpose
from puhui.parties import service as parties_service
from puhui.payments import service as payments_service
from puhui.payments.config import PaymentSettings

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
        *charges.reversal_legs(session, clock, loan),
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


# --- purpose and entrusted payment (lending/purposes.py) -----------------------------------------


@dataclass(frozen=True)
class UseOfFunds:
    purpose: LoanPurpose
    entrusted: bool
    payee_account_id: uuid.UUID | None
    payee_name: str | None
    invoice_number: str | None
    invoice_found: bool | None = None  # checked against the data hub's tax invoices; None: not


def check_use(
    session: Session,
    line: CreditLine,
    product_code: str,
    amount_fen: int,
    purpose: LoanPurpose | None,
    payout_account_id: uuid.UUID | None,
    invoice_number: str | None,
    clock: Clock | None = None,
) -> UseOfFunds:
    """The drawdown's purpose is allowed, and above the threshold it is an entrusted payment to
    a counterparty with its invoice (errors: PurposeForbidden, EntrustedPaymentRequired,
    OwnAccountNotPayee, InvalidInvoiceNumber); the invoice of a payment to a counterparty is
    checked against the data hub's tax invoices when that source is present and consented
    (payments.invoices: InvoiceUnknown, InvoicePayeeMismatch, InvoiceAmountMismatch)."""
    chosen = purpose or LoanPurpose.WORKING_CAPITAL
    refused = purposes.refusal(chosen)
    if refused is not None:
        zh, en = purposes.PURPOSE_LABELS[chosen]
        raise PurposeForbidden(
            field="purpose",
            purpose_zh=zh,
            purpose_en=en,
            reason_zh=refused.reason_zh,
            reason_en=refused.reason_en,
        )
    settings = PaymentSettings()
    entrusted = purposes.needs_entrusted_payment(
        amount_fen,
        settings.entrusted_threshold_fen,
        product_code,
        frozenset(settings.entrusted_products),
    )
    invoice = (invoice_number or "").strip() or None
    if invoice is not None and not purposes.valid_invoice_number(invoice):
        raise InvalidInvoiceNumber(field="invoice_number")
    payee_name = None
    if payout_account_id is not None:
        account = payments_service.require_usable(session, line.enterprise_id, payout_account_id)
        payee_name = account.holder_name
    borrower = parties_service.get_enterprise(session, line.enterprise_id).name
    own = payee_name is not None and purposes.same_holder(payee_name, borrower)
    if entrusted:
        if payout_account_id is None or invoice is None or payee_name is None:
            raise EntrustedPaymentRequired(
                field="payout_account_id", threshold=format_fen(settings.entrusted_threshold_fen)
            )
        if own:
            raise OwnAccountNotPayee(field="payout_account_id")
    # below the threshold, paying a counterparty with its invoice is an entrusted payment too
    entrusted = entrusted or (payee_name is not None and not own and invoice is not None)
    found = None
    if clock is not None and payee_name is not None and not own and invoice is not None:
        found = payments_service.check_invoice(
            session,
            clock,
            enterprise_id=line.enterprise_id,
            borrower_name=borrower,
            payee_name=payee_name,
            amount_fen=amount_fen,
            number=invoice,
        )
    return UseOfFunds(chosen, entrusted, payout_account_id, payee_name, invoice, found)


def record_use(session: Session, clock: Clock, drawdown: Drawdown, use: UseOfFunds) -> None:
    session.add(
        DrawdownPurpose(
            drawdown_id=drawdown.id,
            purpose=use.purpose.value,
            entrusted=use.entrusted,
            payee_account_id=use.payee_account_id,
            payee_name=use.payee_name,
            invoice_number=use.invoice_number,
            # True: checked against the data hub's tax invoices; None: no invoice source (or
            # no consent), the number kept as evidence, unverified
            invoice_found=use.invoice_found,
            created_at=clock.now(),
        )
    )


def use_of(session: Session, drawdown_id: uuid.UUID) -> DrawdownPurpose | None:
    return session.get(DrawdownPurpose, drawdown_id)


# --- a collection sent back (a returned direct debit) ---------------------------------------------


def reverse_repayment(
    session: Session, clock: Clock, loan_id: uuid.UUID, idempotency_key: str, reason: str
) -> bool:
    """Undo the repayment made under `idempotency_key` (the money it used was taken back by the
    debtor's bank): its ledger entry reversed (the money goes back to the settlement account,
    from which payments then returns it), its buckets re-opened — penalty accrued again, the
    instalments it paid unpaid again, latest first — and the line's principal used again.
    Prepayments are not collected by direct debit and are refused here. False: nothing to undo
    (never made, or already undone)."""
    repayment = session.scalar(
        select(Repayment).where(
            Repayment.loan_id == loan_id, Repayment.idempotency_key == idempotency_key
        )
    )
    if repayment is None or repayment.entry_id is None or repayment.prepaid_principal_fen:
        return False
    loan = loans.lock_loan(session, loan_id)
    if loan.status != LoanStatus.ACTIVE.value:
        return False
    today = business_date(clock)
    try:
        ledger_service.reverse(
            session,
            clock,
            repayment.entry_id,
            business_date=today,
            memo=f"代扣退回冲正 {repayment.reference} 借据 {loan.reference}",
        )
    except AlreadyReversed:
        return False
    loan.penalty_accrued_fen += repayment.penalty_fen
    loan.compound_accrued_fen += repayment.compound_fen
    charges.unpay(session, clock, loan.id, repayment.charges_fen)
    rows = loans.rows_of(session, loan.id)
    _unpay(rows, "interest", repayment.overdue_interest_fen + repayment.current_interest_fen)
    principal = repayment.overdue_principal_fen + repayment.current_principal_fen
    _unpay(rows, "principal", principal)
    if loan.revolving and principal:
        line = loans.lock_line(session, loan.line_id)
        line.used_fen += principal
    loans.refresh(loan, rows, today)
    loan.updated_at = clock.now()
    loans.loan_event(
        session,
        clock,
        loan,
        today,
        "repayment_returned",
        {"repayment": repayment.reference, "reason": reason},
    )
    audit.record(
        session,
        "repayment.returned",
        "loan",
        loan.id,
        after={"repayment": repayment.reference, "reason": reason},
    )
    return True


def _unpay(rows: list[Instalment], part: str, amount: int) -> None:
    """Take `amount` of paid interest or principal back from the rows, latest paid first."""
    for row in sorted(rows, key=lambda r: r.seq, reverse=True):
        if not amount:
            return
        paid = row.interest_paid_fen if part == "interest" else row.principal_paid_fen
        back = min(paid, amount)
        if not back:
            continue
        if part == "interest":
            row.interest_paid_fen -= back
        else:
            row.principal_paid_fen -= back
        if row.status == InstalmentStatus.PAID.value:
            row.status = InstalmentStatus.BILLED.value
            row.paid_date = None
        amount -= back
    assert amount == 0, "a returned repayment took back more than was paid"


def loan_owner(session: Session, loan_id: uuid.UUID) -> tuple[uuid.UUID, str]:
    """(the loan's enterprise, its reference); LoanNotFound."""
    loan = session.get(Loan, loan_id)
    if loan is None:
        raise LoanNotFound()
    return loan.enterprise_id, loan.reference


def amount_due(session: Session, loan_id: uuid.UUID) -> int:
    """What is due on the loan now: billed principal and interest unpaid, penalty accrued."""
    loan = session.get(Loan, loan_id)
    if loan is None:
        raise LoanNotFound()
    return (
        loan.overdue_principal_fen
        + loan.overdue_interest_fen
        + loan.penalty_accrued_fen
        + loan.compound_accrued_fen
    )
