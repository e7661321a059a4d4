"""Events servicing publishes (see `puhui.core.events`).

* `ServicingNoticeQueued`, published by `lending.servicing.eod.notify_pending` after it queued a
  notice's SMS (loan or line maturity, repricing, limit increase); subscribed by
  `flows.notices.on_servicing_notice`, which records it as engagement's servicing notice (the
  customer's /m inbox; not marketing, so shown after a marketing opt-out).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ServicingNoticeQueued:
    """``kind``: the servicing notice's (``loan_maturity``, ``line_maturity``, ``repricing``,
    ``limit_increase``); ``notice_id`` is unique per notice."""

    enterprise_id: uuid.UUID
    kind: str
    notice_id: uuid.UUID
    body: str
    outbox_message_id: uuid.UUID | None
    at: datetime
