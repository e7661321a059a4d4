"""Collateral arithmetic (押品): cover value, loan-to-value, shortfall. Pure: no database.

A collateral item is worth its valuation less its haircut (折扣率, basis points): the **cover**
``valuation_fen × (10000 − haircut_bp) / 10000``, rounded down to the fen (the bank never
counts more cover than the valuation gives). A line's cover is the sum over its live items.

**Loan-to-value** (抵质押率) is exposure / cover in basis points, rounded up (the bank never
reports a lower ratio than the true one). A secured product's drawdown is refused when the
line's drawn principal plus the new drawdown would exceed ``max_ltv_bp`` of the cover:
``exposure × 10000 ≤ cover × max_ltv_bp`` (exact integer comparison, no rounding).

The **shortfall** after a valuation is the extra cover needed to bring the exposure back
within the maximum: ``ceil(exposure × 10000 / max_ltv_bp) − cover``, 0 when within. Only a
secured product requires cover; collateral of an unsecured product's line is never short.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

BP = 10_000


class CollateralKind(StrEnum):
    PROPERTY = "property"  # 房产
    EQUIPMENT = "equipment"  # 机器设备
    DEPOSIT = "deposit"  # 保证金/存单
    RECEIVABLE_CERTIFICATE = "receivable_certificate"  # 应收账款凭证（供应链）
    WAREHOUSE_RECEIPT = "warehouse_receipt"  # 仓单


class CollateralStatus(StrEnum):
    ACTIVE = "active"
    RELEASED = "released"


COLLATERAL_TRANSITIONS: dict[CollateralStatus, frozenset[CollateralStatus]] = {
    CollateralStatus.ACTIVE: frozenset({CollateralStatus.RELEASED}),
    CollateralStatus.RELEASED: frozenset(),
}

# The usual haircut of each kind when the officer gives none (a deposit is cash).
DEFAULT_HAIRCUT_BP: dict[CollateralKind, int] = {
    CollateralKind.PROPERTY: 3_000,
    CollateralKind.EQUIPMENT: 5_000,
    CollateralKind.DEPOSIT: 0,
    CollateralKind.RECEIVABLE_CERTIFICATE: 2_000,
    CollateralKind.WAREHOUSE_RECEIPT: 4_000,
}


def cover_fen(valuation_fen: int, haircut_bp: int) -> int:
    """What one item counts for: the valuation less the haircut, rounded down to the fen."""
    if valuation_fen < 0 or not 0 <= haircut_bp <= BP:
        raise ValueError("valuation must be >= 0 and the haircut within 0..10000 bp")
    return valuation_fen * (BP - haircut_bp) // BP


def total_cover_fen(items: Iterable[tuple[int, int]]) -> int:
    """The cover of (valuation_fen, haircut_bp) items."""
    return sum(cover_fen(v, h) for v, h in items)


def ltv_bp(exposure_fen: int, cover: int) -> int | None:
    """Exposure / cover in basis points, rounded up; None without cover (infinite)."""
    if cover <= 0:
        return None if exposure_fen > 0 else 0
    return -(-exposure_fen * BP // cover)


def within_ltv(exposure_fen: int, cover: int, max_ltv_bp: int) -> bool:
    """Exposure within ``max_ltv_bp`` of the cover (exact)."""
    return exposure_fen * BP <= cover * max_ltv_bp


def required_cover_fen(exposure_fen: int, max_ltv_bp: int) -> int:
    """The least cover that keeps ``exposure_fen`` within the maximum LTV."""
    if max_ltv_bp <= 0:
        raise ValueError("max_ltv_bp must be positive")
    return -(-exposure_fen * BP // max_ltv_bp)


@dataclass(frozen=True, slots=True)
class CoverCheck:
    exposure_fen: int
    cover_fen: int
    max_ltv_bp: int
    ltv_bp: int | None
    required_fen: int
    shortfall_fen: int

    @property
    def short(self) -> bool:
        return self.shortfall_fen > 0


def check_cover(exposure_fen: int, cover: int, max_ltv_bp: int | None) -> CoverCheck:
    """The line's position: its LTV, the cover required and the shortfall (0 when within).
    ``max_ltv_bp`` None: the product is not secured, no cover is required (never short)."""
    if max_ltv_bp is None:
        return CoverCheck(exposure_fen, cover, 0, ltv_bp(exposure_fen, cover), 0, 0)
    required = required_cover_fen(exposure_fen, max_ltv_bp)
    return CoverCheck(
        exposure_fen=exposure_fen,
        cover_fen=cover,
        max_ltv_bp=max_ltv_bp,
        ltv_bp=ltv_bp(exposure_fen, cover),
        required_fen=required,
        shortfall_fen=max(0, required - cover),
    )
