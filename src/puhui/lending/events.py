"""Events lending publishes about the credit lines it owns (see `puhui.core.events`).

Lending owns the offer's life: an approved decision's line waits for its signature
(`pending_signature`), becomes `active` when the contract is signed, or closes when the offer
lapses unsigned. Other domains that keep a consequence subscribe in `puhui.wiring`.

* `OfferAccepted`, published by `lending.contracts.service.sign`; subscribed by
  `decisioning.service.mark_offer_accepted`.
* `OfferLapsed`, published by `lending.credit_lines.expire_offers` (end of day); subscribed by
  `decisioning.service.mark_offer_expired`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class OfferAccepted:
    """The offer's contract was signed: the line is active (`at`: the signing instant)."""

    line_id: uuid.UUID
    contract_id: uuid.UUID
    at: datetime


@dataclass(frozen=True)
class OfferLapsed:
    """The offer was never signed: its line closed at the end of business day `day`."""

    line_id: uuid.UUID
    day: date
    reason: str
    at: datetime
