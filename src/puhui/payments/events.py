"""Events payments publishes about the payments it owns (see `puhui.core.events`).

* `PaymentSettled`: the money arrived (a payout at the beneficiary's bank, a direct debit in
  our account).
* `PaymentFailed`: a payment was rejected, or returned after settlement; subscribed by
  `flows.payments.on_payment_failed` (a failed disbursement reverses the drawdown).

Payments sits below lending: it never imports lending. What a payment was for travels as
`(source_type, source_id)`; the flow decides what follows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class PaymentSettled:
    payment_id: uuid.UUID
    kind: str
    source_type: str
    source_id: uuid.UUID | None
    amount_fen: int
    day: date
    at: datetime


@dataclass(frozen=True)
class PaymentFailed:
    payment_id: uuid.UUID
    kind: str
    source_type: str
    source_id: uuid.UUID | None
    amount_fen: int
    status: str  # rejected or returned
    reason: str
    day: date
    at: datetime
