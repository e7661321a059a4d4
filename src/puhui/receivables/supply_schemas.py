"""Request and response bodies of the supply products (orders, warehouse receipts, dealer
programmes); amounts in fen, dates YYYY-MM-DD (Asia/Shanghai)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from puhui.core.types import Fen, PlausibleDate, PositiveFen, SafeText
from puhui.receivables.schemas import LedgerMoveOut, LogEntryOut


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WarehouseRegister(_In):
    enterprise_id: uuid.UUID


class OrderCreate(_In):
    buyer_enterprise_id: uuid.UUID
    supplier_enterprise_id: uuid.UUID
    amount_fen: PositiveFen
    goods: SafeText = Field(min_length=1, max_length=200)
    delivery_date: PlausibleDate
    maturity_date: PlausibleDate = Field(description="when the buyer pays (the certificate's)")


class OrderFinance(_In):
    amount_fen: PositiveFen


class OrderDeliver(_In):
    invoice_no: SafeText = Field(min_length=1, max_length=64)
    invoice_amount_fen: PositiveFen
    contract_no: SafeText = Field(default="", max_length=64)


class ReceiptIssue(_In):
    warehouse_enterprise_id: uuid.UUID
    owner_enterprise_id: uuid.UUID
    goods: SafeText = Field(min_length=1, max_length=200)
    quantity: int = Field(gt=0, le=10**15)
    unit: SafeText = Field(min_length=1, max_length=16)
    grade: SafeText = Field(min_length=1, max_length=16)
    location: SafeText = Field(min_length=1, max_length=200)
    policy: SafeText = Field(min_length=1, max_length=64)
    policy_expiry: PlausibleDate


class ReceiptPledge(_In):
    line_ref: SafeText = Field(min_length=1, max_length=64, description="the line or loan")
    cover_fen: PositiveFen = Field(description="the value the pledge must keep")


class ReceiptRelease(_In):
    quantity: int = Field(gt=0, le=10**15)
    cover_fen: Fen = Field(description="the cover still required after the repayment; 0 ends it")


class ProgrammeCreate(_In):
    core_enterprise_id: uuid.UUID
    limit_fen: PositiveFen
    mode: Literal["none", "guarantee", "buyback"] = "none"


class DealerRecommend(_In):
    dealer_enterprise_id: uuid.UUID
    limit_fen: PositiveFen
    sales_fen: Fen = Field(description="the core enterprise's sales to the dealer, 12 months")


class DealerDraw(_In):
    dealer_enterprise_id: uuid.UUID
    amount_fen: PositiveFen
    maturity_date: PlausibleDate


class SupplyItemOut(BaseModel):
    id: str
    kind: str
    status: str
    party: str
    party_name: str
    counterparty: str | None
    counterparty_name: str | None
    parent: str | None
    amount_fen: int
    data: dict[str, Any]
    history: list[dict[str, Any]]
    created_seq: int
    updated_at: datetime


class SupplyOperationOut(BaseModel):
    operations: list[LogEntryOut]
    item: SupplyItemOut | None
    ledger: list[LedgerMoveOut] = []
    tree_size: int
    root: str
    replayed: bool = False
    price_source: str | None = None
    price_sandbox: bool = False
