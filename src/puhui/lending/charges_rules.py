"""Charges (收费项目) of a product: when a charge arises, on what base, how much. Pure.

A product's catalogue lists its charges; each one is

* **triggered** once at drawdown (``drawdown``: e.g. an arrangement fee), periodically
  (``monthly`` on the loan's due-date grid day, ``annual`` on the anniversary of the drawdown),
  or on an event (``prepayment``: on the principal repaid early; ``late_payment``: once per
  instalment that falls past due, after the product's grace days);
* **an amount**: a fixed sum (``fixed``), or basis points of a base — the loan's principal at
  drawdown (``principal``), the outstanding principal on the day (``balance``), the principal
  prepaid (``prepaid``) or the instalment's unpaid amount (``overdue``). The bp apply once per
  occurrence (a monthly 5 bp charge on the balance is 0.05 % of the balance each month);
* **capped**: at least ``min_fen`` and at most ``max_fen`` (either optional) per occurrence.

Rounding: ROUND_HALF_UP to the fen (``money.apply_rate_bp``). A charge is never negative.

China's rules: no fee may be deducted from the principal lent (严禁"砍头息"): a drawdown charge
is a receivable collected from the settlement account like an instalment, never netted from the
payout. Charges are collected first in a repayment unless the product's allocation order names
``fee`` elsewhere: the Civil Code (art. 561) pays the costs first, then interest, then
principal.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from puhui.core.money import apply_rate_bp

FEE_BUCKET = "fee"


class ChargeTrigger(StrEnum):
    DRAWDOWN = "drawdown"
    MONTHLY = "monthly"
    ANNUAL = "annual"
    PREPAYMENT = "prepayment"
    LATE_PAYMENT = "late_payment"

    @property
    def zh(self) -> str:
        return _TRIGGER_ZH[self]

    @property
    def periodic(self) -> bool:
        return self in (ChargeTrigger.MONTHLY, ChargeTrigger.ANNUAL)


_TRIGGER_ZH = {
    ChargeTrigger.DRAWDOWN: "放款时一次性",
    ChargeTrigger.MONTHLY: "每月",
    ChargeTrigger.ANNUAL: "每年",
    ChargeTrigger.PREPAYMENT: "提前还款时",
    ChargeTrigger.LATE_PAYMENT: "逾期时（每期一次）",
}


class ChargeBasis(StrEnum):
    FIXED = "fixed"
    PRINCIPAL = "principal"
    BALANCE = "balance"
    PREPAID = "prepaid"
    OVERDUE = "overdue"

    @property
    def zh(self) -> str:
        return _BASIS_ZH[self]


_BASIS_ZH = {
    ChargeBasis.FIXED: "固定金额",
    ChargeBasis.PRINCIPAL: "借款本金",
    ChargeBasis.BALANCE: "剩余本金",
    ChargeBasis.PREPAID: "提前归还的本金",
    ChargeBasis.OVERDUE: "逾期未还金额",
}

ALLOWED_BASES: dict[ChargeTrigger, frozenset[ChargeBasis]] = {
    ChargeTrigger.DRAWDOWN: frozenset({ChargeBasis.FIXED, ChargeBasis.PRINCIPAL}),
    ChargeTrigger.MONTHLY: frozenset({ChargeBasis.FIXED, ChargeBasis.BALANCE}),
    ChargeTrigger.ANNUAL: frozenset({ChargeBasis.FIXED, ChargeBasis.BALANCE}),
    ChargeTrigger.PREPAYMENT: frozenset({ChargeBasis.FIXED, ChargeBasis.PREPAID}),
    ChargeTrigger.LATE_PAYMENT: frozenset({ChargeBasis.FIXED, ChargeBasis.OVERDUE}),
}


@dataclass(frozen=True, slots=True)
class ChargeTerms:
    """One charge of a product's catalogue."""

    code: str
    name_zh: str
    name_en: str
    trigger: ChargeTrigger
    basis: ChargeBasis
    amount_fen: int = 0  # a fixed charge
    rate_bp: int = 0  # bp of the base, per occurrence
    min_fen: int | None = None
    max_fen: int | None = None

    def problems(self) -> list[str]:
        """Why these terms cannot be used (empty when they can)."""
        out = []
        if self.basis not in ALLOWED_BASES[self.trigger]:
            out.append(f"basis {self.basis} does not fit trigger {self.trigger}")
        if self.basis is ChargeBasis.FIXED and (self.amount_fen <= 0 or self.rate_bp):
            out.append("a fixed charge needs a positive amount_fen and no rate_bp")
        if self.basis is not ChargeBasis.FIXED and (self.rate_bp <= 0 or self.amount_fen):
            out.append("a charge on a base needs a positive rate_bp and no amount_fen")
        if any(v is not None and v < 0 for v in (self.min_fen, self.max_fen)):
            out.append("caps may not be negative")
        if self.min_fen is not None and self.max_fen is not None and self.min_fen > self.max_fen:
            out.append("min_fen is above max_fen")
        return out

    def amount(self, base_fen: int) -> int:
        """The charge on ``base_fen`` (ignored for a fixed charge), within the caps; 0 when
        the base is 0 (nothing to charge on)."""
        if self.basis is ChargeBasis.FIXED:
            raw = self.amount_fen
        elif base_fen <= 0:
            return 0
        else:
            raw = apply_rate_bp(base_fen, self.rate_bp)
        if self.min_fen is not None:
            raw = max(raw, self.min_fen)
        if self.max_fen is not None:
            raw = min(raw, self.max_fen)
        return max(raw, 0)

    def wording_zh(self) -> str:
        """The clause line of the contract: name, when, how much, caps."""
        if self.basis is ChargeBasis.FIXED:
            how = f"每次 {_yuan(self.amount_fen)} 元"
        else:
            how = f"按{self.basis.zh}的 {_pct(self.rate_bp)} 收取"
        caps = []
        if self.min_fen is not None:
            caps.append(f"最低 {_yuan(self.min_fen)} 元")
        if self.max_fen is not None:
            caps.append(f"最高 {_yuan(self.max_fen)} 元")
        tail = f"（{'，'.join(caps)}）" if caps else ""
        return f"{self.name_zh}：{self.trigger.zh}，{how}{tail}"


def _yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"


def _pct(bp: int) -> str:
    return f"{bp / 100:.2f}".rstrip("0").rstrip(".") + "%"


def periodic_due(trigger: ChargeTrigger, start_date: date, day: date) -> bool:
    """Whether a periodic charge falls on ``day`` for a loan that started on ``start_date``:
    monthly on the grid day (the start's day of month, clipped to the month's end), annually on
    the anniversary (29 February: the 28th in other years); never on the start date itself."""
    if day <= start_date:
        return False
    last = calendar.monthrange(day.year, day.month)[1]
    on_grid = day.day == min(start_date.day, last)
    if trigger is ChargeTrigger.MONTHLY:
        return on_grid
    if trigger is ChargeTrigger.ANNUAL:
        return on_grid and day.month == start_date.month
    return False


def allocation_order(order: Sequence[str]) -> tuple[str, ...]:
    """The product's allocation order with the charges' bucket: where the product names
    ``fee``, there; otherwise first (costs, then interest, then principal)."""
    names = tuple(order)
    return names if FEE_BUCKET in names else (FEE_BUCKET, *names)


def split_paid(outstanding: Sequence[int], paid_fen: int) -> list[int]:
    """``paid_fen`` spread over charges owed ``outstanding`` (oldest first), each in full
    before the next."""
    if paid_fen < 0 or paid_fen > sum(outstanding):
        raise ValueError("paid amount outside [0, total outstanding]")
    out, left = [], paid_fen
    for owed in outstanding:
        part = min(owed, left)
        out.append(part)
        left -= part
    return out
