"""Events risk publishes (see `puhui.core.events`).

* `CustomerNoticeQueued`, published by `risk.collections.send_reminders` after it queued a
  repayment reminder's SMS; subscribed by `flows.notices.on_customer_notice`, which records it
  as a servicing notice of engagement (`engagement.notices`: the customer's /m inbox; not
  marketing, so shown after a marketing opt-out).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class CustomerNoticeQueued:
    """A servicing message to the enterprise: ``kind`` is ``repayment_due`` or ``overdue``;
    ``key`` is unique per message (the reminder's instalment and kind)."""

    enterprise_id: uuid.UUID
    kind: str
    key: str
    body: str
    outbox_message_id: uuid.UUID | None
    at: datetime
