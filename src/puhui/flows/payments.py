"""Payments and lending: what follows when a payment for a loan settles or fails.

Payments sits below lending and never imports it; it publishes `PaymentFailed` with what the
payment was for (`source_type`, `source_id`). This flow, subscribed in `puhui.wiring`, takes it
back up, in the same unit of work as the status report that failed the payment:

* a disbursement (`drawdown`) rejected or returned → `lending.reverse_drawdown`: the loan is
  reversed, the limit restored; the borrower sees the drawdown as 已冲销 with the reason.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from puhui.core.clock import FixedClock
from puhui.lending import service as lending_service
from puhui.payments.events import PaymentFailed

DRAWDOWN = "drawdown"


def on_payment_failed(session: Session, event: PaymentFailed) -> None:
    if event.source_type == DRAWDOWN and event.source_id is not None:
        reason = f"payout_{event.status}:{event.reason}"
        lending_service.reverse_drawdown(session, FixedClock(event.at), event.source_id, reason)
