"""Drawdowns (用款): reserve credit on a line, book the loan, pay it out to the settlement account.

Never more than available, also under concurrent requests: the line row is locked (SELECT … FOR
UPDATE on PostgreSQL, the database write lock on SQLite) and everything is checked again under
the lock; the database also refuses `used > limit`. Idempotent by the `Idempotency-Key`: the
key is checked again once the lock is held, so a concurrent duplicate that waited for the lock
returns the first result instead of drawing twice.

A payout that fails undoes the reservation with it (one savepoint) and the request is refused
(DrawdownFailed); the voided drawdown is kept by a side unit of work (`record_despite_failure`),
so the refusal, which rolls the request back, leaves the record of the attempt.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from puhui.core import audit, idempotency
from puhui.core.clock import Clock, business_date
from puhui.core.config import get_settings
from puhui.core.db import record_despite_failure
from puhui.core.errors import DomainError
from puhui.core.money import format_fen
from puhui.ledger import service as ledger_service
from puhui.ledger.service import Leg
from puhui.lending import charges, collateral, loans, payouts
from puhui.lending.errors import (
    AmountOutOfBounds,
    CreditLimitExceeded,
    DrawdownFailed,
    InvalidAmount,
    LineExpired,
    LineFrozen,
    LineNotActive,
    LineOverdue,
    MethodNotAllowed,
    TermOutOfBounds,
)
from puhui.lending.models import (
    CreditLine,
    CreditLineEvent,
    Drawdown,
    DrawdownStatus,
    LineStatus,
    Loan,
    LoanStatus,
    Product,
)
from puhui.lending.products import get_product
from puhui.lending.purposes import LoanPurpose
from puhui.lending.schedules import RepaymentMethod
from puhui.lending.schemas import DrawdownOut
from puhui.payments import service as payments_service


def check_amount(amount_fen: object) -> int:
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise InvalidAmount(field="amount_fen")
    return amount_fen


def _check_drawable(
    line: CreditLine,
    product: Product,
    amount_fen: int,
    term_months: int,
    method: RepaymentMethod,
    today: date,
    *,
    frozen_reason: str | None = None,
    past_due: tuple[str, int] | None = None,
) -> None:
    _check_status(line, today, frozen_reason, past_due)
    if not product.min_amount_fen <= amount_fen <= product.max_amount_fen:
        raise AmountOutOfBounds(
            field="amount_fen",
            low=format_fen(product.min_amount_fen),
            high=format_fen(product.max_amount_fen),
        )
    high = min(product.max_term_months, line.term_months)
    if not product.min_term_months <= term_months <= high:
        raise TermOutOfBounds(field="term_months", low=product.min_term_months, high=high)
    if method.value not in product.repayment_methods:
        raise MethodNotAllowed(
            field="repayment_method", product_code=product.code, method=method.value
        )
    if amount_fen > line.available_fen:
        raise CreditLimitExceeded(
            field="amount_fen",
            amount=format_fen(amount_fen),
            available=format_fen(line.available_fen),
        )


def freeze_reason(session: Session, line_id: uuid.UUID) -> str | None:
    """Why the line was last frozen (the reason of its latest transition to `frozen`)."""
    return session.scalar(
        select(CreditLineEvent.reason)
        .where(
            CreditLineEvent.line_id == line_id,
            CreditLineEvent.to_status == LineStatus.FROZEN.value,
        )
        .order_by(CreditLineEvent.occurred_at.desc(), CreditLineEvent.id.desc())
        .limit(1)
    )


def loan_past_due(session: Session, line_id: uuid.UUID) -> tuple[str, int] | None:
    """The line's most overdue active loan beyond the grace days (`PUHUI_DRAWDOWN_OVERDUE_
    GRACE_DAYS`, 0 by default), as (reference, days past due); None when none is."""
    grace = get_settings().drawdown_overdue_grace_days
    row = session.execute(
        select(Loan.reference, Loan.dpd)
        .where(
            Loan.line_id == line_id,
            Loan.status == LoanStatus.ACTIVE.value,
            Loan.dpd > grace,
        )
        .order_by(Loan.dpd.desc())
        .limit(1)
    ).first()
    return (row[0], int(row[1])) if row is not None else None


def drawdown_refusal(session: Session, line: CreditLine, today: date) -> DomainError | None:
    """Why the line refuses any drawdown now (expired, frozen with its reason, a loan past
    due, not active), or None: what the borrower's line page shows before a form is offered."""
    try:
        _check_line_usable(session, line, today)
    except DomainError as exc:
        return exc
    return None


def _check_line_usable(session: Session, line: CreditLine, today: date) -> None:
    status = LineStatus(line.status)
    frozen = freeze_reason(session, line.id) if status is LineStatus.FROZEN else None
    past_due = loan_past_due(session, line.id) if status is LineStatus.ACTIVE else None
    _check_status(line, today, frozen, past_due)


def _check_status(
    line: CreditLine, today: date, frozen: str | None, past_due: tuple[str, int] | None
) -> None:
    """Expired, frozen (with the freeze's reason), a loan past due, or not active: refused."""
    status = LineStatus(line.status)
    if status is LineStatus.EXPIRED or (status is LineStatus.ACTIVE and line.expiry_date < today):
        raise LineExpired(expiry_date=line.expiry_date.isoformat())
    if status is LineStatus.FROZEN:
        raise LineFrozen(reason=frozen or "风险控制")
    if past_due is not None:
        raise LineOverdue(loan=past_due[0], dpd=past_due[1])
    if status is not LineStatus.ACTIVE:
        raise LineNotActive(status=status.value, status_zh=status.zh)


def draw(
    session: Session,
    clock: Clock,
    line_id: uuid.UUID,
    amount_fen: int,
    *,
    idempotency_key: str | None,
    term_months: int | None = None,
    repayment_method: RepaymentMethod | None = None,
    payout_account_id: uuid.UUID | None = None,
    purpose: LoanPurpose | None = None,
    invoice_number: str | None = None,
) -> DrawdownOut:
    """Draw `amount_fen` on a line: reserve, book the loan and its schedule, post
    Dr loan_principal(loan) / Cr settlement(enterprise). A replay returns the first result.
    With `payout_account_id` (a verified account, another bank's or a supplier's) the amount is
    then paid out through the rails (`payments.create_payout`; see docs/payments.md). The
    purpose is recorded; above the entrusted-payment threshold the payee must be the
    counterparty, with its invoice (`payouts.check_use`)."""
    key = idempotency.require_idempotency_key(idempotency_key)
    amount_fen = check_amount(amount_fen)
    scope = f"drawdown:{line_id}"
    payload = {
        "line_id": str(line_id),
        "amount_fen": amount_fen,
        "term_months": term_months,
        "repayment_method": repayment_method.value if repayment_method else None,
    }
    if payout_account_id is not None:
        payload["payout_account_id"] = str(payout_account_id)
    if purpose is not None or invoice_number:
        payload |= {"purpose": purpose and purpose.value, "invoice_number": invoice_number}
    stored = idempotency.begin(session, scope, key, payload)
    if stored is None:
        line = loans.lock_line(session, line_id)
        # a concurrent duplicate may have committed while this one waited for the lock
        stored = idempotency.begin(session, scope, key, payload)
    if stored is not None:
        return DrawdownOut.model_validate(stored | {"replayed": True})

    today = business_date(clock)
    product = get_product(session, line.product_code)
    term = term_months or line.term_months
    method = repayment_method or RepaymentMethod(line.repayment_method)
    frozen = line.status == LineStatus.FROZEN.value
    active = line.status == LineStatus.ACTIVE.value
    _check_drawable(
        line,
        product,
        amount_fen,
        term,
        method,
        today,
        frozen_reason=freeze_reason(session, line.id) if frozen else None,
        past_due=loan_past_due(session, line.id) if active else None,
    )
    collateral.check_ltv(session, line, amount_fen)  # a secured product's loan-to-value
    use = payouts.check_use(
        session,
        line,
        product.code,
        amount_fen,
        purpose,
        payout_account_id,
        invoice_number,
        clock=clock,
    )

    fields: dict[str, Any] = {
        "line_id": line.id,
        "enterprise_id": line.enterprise_id,
        "amount_fen": amount_fen,
        "term_months": term,
        "repayment_method": method.value,
        "idempotency_key": key,
        "business_date": today,
        "created_at": clock.now(),
    }
    drawdown, loan = _reserve_and_pay_out(
        session, clock, line, product, method, fields, payout_account_id
    )
    payouts.record_use(session, clock, drawdown, use)
    out = DrawdownOut(
        id=drawdown.id,
        reference=drawdown.reference,
        line_id=line.id,
        loan_id=loan.id,
        loan_reference=loan.reference,
        amount_fen=amount_fen,
        term_months=term,
        repayment_method=method.value,
        status=drawdown.status,
        business_date=today,
        line_used_fen=line.used_fen,
        line_available_fen=line.available_fen,
        created_at=drawdown.created_at,
    )
    idempotency.remember(session, clock, scope, key, payload, out.model_dump(mode="json"))
    _audit_drawdown(session, line, drawdown, loan, amount_fen, term, method)
    return out


def _reserve_and_pay_out(
    session: Session,
    clock: Clock,
    line: CreditLine,
    product: Product,
    method: RepaymentMethod,
    fields: dict[str, Any],
    payout_account_id: uuid.UUID | None = None,
) -> tuple[Drawdown, Loan]:
    """Reserve the amount on the line and pay it out, in one savepoint; a failed payout is
    undone and kept as a voided drawdown (DrawdownFailed)."""
    amount_fen: int = fields["amount_fen"]
    today: date = fields["business_date"]
    # The reservation and the payout are undone together if the payout fails. (A failure
    # before the payout propagates as it is, and the request's rollback undoes it.)
    reservation = session.begin_nested()
    drawdown = Drawdown(
        reference=loans.next_reference(session, "DRW", today.year),
        status=DrawdownStatus.RESERVED.value,
        loan_id=None,
        failure=None,
        **fields,
    )
    line.used_fen += amount_fen
    line.updated_at = clock.now()
    session.add(drawdown)
    session.flush()
    try:
        loan = _pay_out(session, clock, line, product, drawdown, method)
        if payout_account_id is not None:
            _pay_through_rails(session, clock, drawdown, payout_account_id)
    except (DomainError, SQLAlchemyError) as exc:
        reservation.rollback()
        failure = getattr(exc, "code", type(exc).__name__)[:200]
        record_despite_failure(session, lambda side: _keep_voided(side, clock, fields, failure))
        raise DrawdownFailed() from exc
    reservation.commit()
    drawdown.status = DrawdownStatus.COMPLETED.value
    drawdown.loan_id = loan.id
    return drawdown, loan


def _audit_drawdown(
    session: Session,
    line: CreditLine,
    drawdown: Drawdown,
    loan: Loan,
    amount_fen: int,
    term: int,
    method: RepaymentMethod,
) -> None:
    audit.record(
        session,
        "drawdown.create",
        "credit_line",
        line.id,
        after={
            "drawdown": drawdown.reference,
            "loan": loan.reference,
            "amount_fen": amount_fen,
            "term_months": term,
            "method": method.value,
            "used_fen": line.used_fen,
        },
    )


def _pay_out(
    session: Session,
    clock: Clock,
    line: CreditLine,
    product: Product,
    drawdown: Drawdown,
    method: RepaymentMethod,
) -> Loan:
    loan = loans.book_loan(
        session,
        clock,
        line=line,
        product=product,
        principal_fen=drawdown.amount_fen,
        rate_bp=line.rate_bp,
        term_months=drawdown.term_months,
        method=method,
        start_date=drawdown.business_date,
        drawdown_id=drawdown.id,
    )
    ledger_service.post(
        session,
        clock,
        kind="drawdown",
        business_date=drawdown.business_date,
        legs=[
            Leg.debit(loans.principal_account(loan.id), drawdown.amount_fen),
            Leg.credit(loans.settlement_account(line.enterprise_id), drawdown.amount_fen),
        ],
        memo=f"放款 {drawdown.reference} 借据 {loan.reference}",
        source_type="drawdown",
        source_id=drawdown.id,
    )
    charges.on_drawdown(session, clock, loan, drawdown.business_date)  # a receivable, not netted
    return loan


def _pay_through_rails(
    session: Session, clock: Clock, drawdown: Drawdown, payout_account_id: uuid.UUID
) -> None:
    """The loan's money leaves the settlement account for the payout account: held in
    payout_clearing until the rail settles it; a rejection or a return reverses the drawdown
    (`flows.payments` → `lending.payouts.reverse_drawdown`)."""
    payments_service.create_payout(
        session,
        clock,
        payments_service.PaymentRequest(
            enterprise_id=drawdown.enterprise_id,
            amount_fen=drawdown.amount_fen,
            payout_account_id=payout_account_id,
            source_type="drawdown",
            source_id=drawdown.id,
            idempotency_key=f"drawdown:{drawdown.id}",
            remittance=f"放款 {drawdown.reference}",
        ),
    )


def _keep_voided(session: Session, clock: Clock, fields: dict[str, Any], failure: str) -> None:
    """The record of a drawdown whose payout failed: voided, numbered, the line untouched but
    for its `updated_at` (written by a side unit of work, after the refused request)."""
    line = loans.lock_line(session, fields["line_id"])
    line.updated_at = clock.now()
    reference = loans.next_reference(session, "DRW", fields["business_date"].year)
    session.add(
        Drawdown(
            reference=reference,
            status=DrawdownStatus.VOIDED.value,
            loan_id=None,
            failure=failure,
            **fields,
        )
    )
    audit.record(
        session,
        "drawdown.void",
        "credit_line",
        line.id,
        after={"drawdown": reference, "failure": failure},
    )
