"""Payments and lending: what follows when a payment for a loan settles or fails.

Payments sits below lending and never imports it; it publishes `PaymentSettled` and
`PaymentFailed` with what the payment was for (`source_type`, `source_id`). These handlers,
subscribed in `puhui.wiring`, take it back up, in the same unit of work as the status report:

* a disbursement (`drawdown`) rejected or returned → `lending.reverse_drawdown`: the loan is
  reversed, the limit restored; the borrower sees the drawdown as 已冲销 with the reason;
* a collection (`repayment`, a direct debit from another bank's account under a mandate)
  settled → `lending.repay` from the settlement account it reached (what is due; a partial
  collection pays what it can, a surplus stays in the settlement account); returned →
  `lending.reverse_repayment` re-opens what it paid, then payments takes the money back.

`request_collection` starts such a collection (`puhui payments demo-day`, the console).
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.orm import Session

from puhui.core.clock import Clock, FixedClock
from puhui.core.errors import DomainError
from puhui.lending import service as lending_service
from puhui.payments import service as payments_service
from puhui.payments.events import PaymentFailed, PaymentSettled

DRAWDOWN = "drawdown"
REPAYMENT = "repayment"
log = logging.getLogger(__name__)


def _collection_key(payment_id: uuid.UUID) -> str:
    return f"dd:{payment_id}"


def request_collection(
    session: Session,
    clock: Clock,
    loan_id: uuid.UUID,
    payout_account_id: uuid.UUID,
    amount_fen: int,
    idempotency_key: str,
) -> uuid.UUID:
    """A direct debit (pain.008) of `amount_fen` from the borrower's mandated account at another
    bank, to repay `loan_id` when it settles. Returns the payment's id."""
    enterprise_id, reference = lending_service.loan_owner(session, loan_id)
    payment = payments_service.create_direct_debit(
        session,
        clock,
        payments_service.PaymentRequest(
            enterprise_id=enterprise_id,
            amount_fen=amount_fen,
            payout_account_id=payout_account_id,
            source_type=REPAYMENT,
            source_id=loan_id,
            idempotency_key=idempotency_key,
            remittance=f"还款 {reference}",
        ),
    )
    return payment.id


def on_payment_settled(session: Session, event: PaymentSettled) -> None:
    if event.source_type != REPAYMENT or event.source_id is None:
        return
    try:
        lending_service.repay(
            session,
            FixedClock(event.at),
            event.source_id,
            event.amount_fen,
            idempotency_key=_collection_key(event.payment_id),
            kind="direct_debit",
        )
    except DomainError as exc:  # nothing due any more: the money stays in the settlement account
        log.info("collection %s not applied: %s", event.payment_id, exc.code)


def on_payment_failed(session: Session, event: PaymentFailed) -> None:
    if event.source_id is None:
        return
    clock = FixedClock(event.at)
    reason = f"payout_{event.status}:{event.reason}"
    if event.source_type == DRAWDOWN:
        lending_service.reverse_drawdown(session, clock, event.source_id, reason)
    elif event.source_type == REPAYMENT and event.status == "returned":
        lending_service.reverse_repayment(
            session, clock, event.source_id, _collection_key(event.payment_id), reason
        )
