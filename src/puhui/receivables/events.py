"""Events the receivables domain publishes (frozen dataclasses; subscribers are wired in
``puhui.wiring``). The IoT collateral monitor watches pledged warehouse receipts through these:
a pledge tells it what goods at which warehouse must keep which value, a release what left."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ReceiptPledged:
    """Warehouse receipt ``receipt_id`` (its owner ``enterprise_id``) was pledged to the bank
    for ``line_ref`` (a credit line's or loan's reference): ``quantity`` ``unit`` of ``goods``
    at ``unit_price_fen`` each, haircut ``haircut_bp``; the pledge must keep
    ``required_cover_fen`` of value (quantity × price × (1 − haircut))."""

    receipt_id: str
    line_ref: str
    enterprise_id: uuid.UUID
    goods: str
    quantity: int
    unit: str
    unit_price_fen: int
    haircut_bp: int
    required_cover_fen: int
    warehouse: str
    location: str
    seq: int
    at: datetime


@dataclass(frozen=True)
class ReceiptReleased:
    """``quantity_released`` left the pledge of ``receipt_id`` against a repayment;
    ``quantity_remaining`` stays pledged for ``required_cover_fen`` (0 cover: pledge ended)."""

    receipt_id: str
    line_ref: str
    enterprise_id: uuid.UUID
    quantity_released: int
    quantity_remaining: int
    unit: str
    unit_price_fen: int
    required_cover_fen: int
    pledge_ended: bool
    seq: int
    at: datetime
