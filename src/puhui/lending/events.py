"""Events lending publishes about the credit lines it owns (see `puhui.core.events`).

Lending owns the offer's life: an approved decision's line waits for its signature
(`pending_signature`), becomes `active` when the contract is signed, or closes when the offer
lapses unsigned. Other domains that keep a consequence subscribe in `puhui.wiring`.

* `OfferAccepted`, published by `lending.contracts.service.sign`; subscribed by
  `decisioning.service.mark_offer_accepted`.
* `OfferLapsed`, published by `lending.credit_lines.expire_offers` (end of day); subscribed by
  `decisioning.service.mark_offer_expired`.
* `RenewalDecisionCheck`, published by `lending.relief.renew_without_principal` before anything
  changes; subscribed by `flows.relief.check_renewal_decision`, which refuses the renewal
  without an approved decision of the same enterprise taken within `valid_days`.
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


@dataclass(frozen=True)
class RenewalDecisionCheck:
    """A renewal (无还本续贷) is about to refinance `loan_id`: the decision it cites must be an
    approved decision of `enterprise_id` taken at most `valid_days` days before `at`. A
    subscriber that finds otherwise raises, and the renewal is refused."""

    loan_id: uuid.UUID
    enterprise_id: uuid.UUID
    decision_id: uuid.UUID
    valid_days: int
    at: datetime


@dataclass(frozen=True)
class CollateralShortfall:
    """After a revaluation the collateral of ``line_id`` no longer covers its exposure within
    the product's maximum loan-to-value; subscribed by `flows.collateral.on_shortfall`, which
    raises risk's ``collateral_shortfall`` alert on the enterprise."""

    enterprise_id: uuid.UUID
    line_id: uuid.UUID
    line_reference: str
    exposure_fen: int
    cover_fen: int
    required_fen: int
    shortfall_fen: int
    max_ltv_bp: int
    day: date
    at: datetime
