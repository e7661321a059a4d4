"""Contracts of the lending domain (HTTP bodies and what other domains pass or receive)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from puhui.core.types import PositiveFen, SafeMultiline, SafeText, StrictInt
from puhui.lending.models import LineStatus as LineStatus  # re-exported for other domains
from puhui.lending.rescheduling import PrepaymentOption
from puhui.lending.schedules import RepaymentMethod


class Offer(BaseModel):
    """The terms of an approved decision, from which a credit line is created.

    `create_line_from_offer(session, clock, **offer.model_dump())`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    enterprise_id: uuid.UUID
    product_code: str = Field(min_length=1, max_length=32)
    limit_fen: int = Field(gt=0)
    rate_bp: int = Field(ge=0, le=10_000)
    term_months: int = Field(ge=1, le=360, description="longest term of one drawdown")
    expiry_date: date = Field(description="the line can be drawn until this date (inclusive)")
    decision_id: uuid.UUID
    repayment_method: RepaymentMethod


@dataclass(frozen=True)
class ProductBounds:
    """What an offer must respect of its product (decisioning prices and sizes offers within
    them; `create_line_from_offer` checks them again)."""

    code: str
    is_active: bool
    min_amount_fen: int
    max_limit_fen: int
    min_rate_bp: int
    max_rate_bp: int
    min_term_months: int
    max_term_months: int
    repayment_methods: tuple[str, ...]


class ProductOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name_zh: str
    name_en: str
    kind: str
    repayment_methods: list[str]
    default_method: str
    line_term_months: int
    min_term_months: int
    max_term_months: int
    min_rate_bp: int
    max_rate_bp: int
    min_amount_fen: int
    max_amount_fen: int
    max_limit_fen: int
    day_count: str
    interest_mode: str
    grace_days: int
    penalty_markup_bp: int
    compound_interest: bool
    allocation_order: list[str]
    prepayment_allowed: bool
    prepayment_fee_bp: int
    prepayment_option: str
    renewal_allowed: bool
    max_deferral_months: int


class CreditLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    reference: str
    enterprise_id: uuid.UUID
    product_code: str
    status: str
    limit_fen: int
    used_fen: int
    available_fen: int
    rate_bp: int
    term_months: int
    repayment_method: str
    expiry_date: date
    decision_id: uuid.UUID
    contract_id: uuid.UUID | None
    activated_at: datetime | None
    created_at: datetime


class CreditLineEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    from_status: str | None
    to_status: str | None
    old_limit_fen: int | None
    new_limit_fen: int | None
    reason: str
    actor: str
    business_date: date
    occurred_at: datetime


class LineAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: SafeMultiline = Field(min_length=2, max_length=500)


class LimitChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit_fen: PositiveFen
    reason: SafeMultiline = Field(min_length=2, max_length=500)


class DrawdownRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_fen: PositiveFen = Field(description="amount to draw, in fen")
    term_months: StrictInt | None = Field(
        default=None, ge=1, le=360, description="default: the line's"
    )
    repayment_method: RepaymentMethod | None = None


class DrawdownOut(BaseModel):
    id: uuid.UUID
    reference: str
    line_id: uuid.UUID
    loan_id: uuid.UUID
    loan_reference: str
    amount_fen: int
    term_months: int
    repayment_method: str
    status: str
    business_date: date
    line_used_fen: int
    line_available_fen: int
    created_at: datetime
    replayed: bool = False


class InstalmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    start_date: date
    due_date: date
    principal_fen: int
    interest_fen: int
    deferred_interest_fen: int
    opening_balance_fen: int
    closing_balance_fen: int
    principal_paid_fen: int
    interest_paid_fen: int
    status: str
    billed_date: date | None
    paid_date: date | None


class LoanOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    reference: str
    line_id: uuid.UUID
    enterprise_id: uuid.UUID
    product_code: str
    status: str
    repayment_method: str
    principal_fen: int
    rate_bp: int
    term_months: int
    start_date: date
    maturity_date: date
    principal_outstanding_fen: int
    overdue_principal_fen: int
    overdue_interest_fen: int
    interest_accrued_fen: int
    interest_deferred_fen: int
    penalty_accrued_fen: int
    compound_accrued_fen: int
    next_due_date: date | None
    oldest_unpaid_due_date: date | None
    dpd: int
    classification: str
    renewed_from_loan_id: uuid.UUID | None


class PostingOut(BaseModel):
    entry_id: uuid.UUID
    kind: str
    business_date: date
    memo: str
    code: str
    owner_key: str
    debit_fen: int
    credit_fen: int


class LoanDetailOut(LoanOut):
    schedule: list[InstalmentOut]
    postings: list[PostingOut]


class RepaymentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_fen: PositiveFen = Field(description="amount offered, in fen")
    kind: Literal["manual", "prepayment"] = "manual"
    prepayment_option: PrepaymentOption | None = Field(
        default=None, description="keep_term or keep_instalment; default: the product's"
    )


class RepaymentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    reference: str
    loan_id: uuid.UUID
    kind: str
    amount_requested_fen: int
    amount_applied_fen: int
    unapplied_fen: int
    penalty_fen: int
    compound_fen: int
    overdue_interest_fen: int
    overdue_principal_fen: int
    current_interest_fen: int
    current_principal_fen: int
    accrued_interest_fen: int
    prepaid_principal_fen: int
    fee_fen: int
    charges_fen: int = 0
    prepayment_option: str | None
    business_date: date
    created_at: datetime
    loan_status: str = ""
    replayed: bool = False


class DepositRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_fen: PositiveFen
    memo: SafeText = Field(default="", max_length=100)


class DepositOut(BaseModel):
    entry_id: uuid.UUID
    enterprise_id: uuid.UUID
    amount_fen: int
    balance_fen: int
    business_date: date
    replayed: bool = False


class SettlementAccountOut(BaseModel):
    enterprise_id: uuid.UUID
    balance_fen: int


class DeferralRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    months: StrictInt = Field(ge=1, le=24)
    reason: SafeMultiline = Field(min_length=2, max_length=500)


class RenewalRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision_id: uuid.UUID
    term_months: StrictInt | None = Field(default=None, ge=1, le=360)
    rate_bp: StrictInt | None = Field(default=None, ge=0, le=10_000)
    repayment_method: RepaymentMethod | None = None
    reason: SafeMultiline = Field(default="无还本续贷", min_length=2, max_length=500)


class ReliefOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    loan_id: uuid.UUID
    kind: str
    reason: str
    months: int | None
    decision_id: uuid.UUID | None
    new_loan_id: uuid.UUID | None
    penalty_waived_fen: int
    deferred_interest_fen: int
    old_maturity_date: date
    new_maturity_date: date
    business_date: date


class LimitIncreaseRules(BaseModel):
    """Parameters of the automatic limit increase (自动授信增额): data, not code."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(default="auto-limit-increase", max_length=60)
    clean_months: int = Field(default=6, ge=0, description="no overdue in the last N months")
    min_utilisation_bp: int = Field(default=7_000, ge=0, le=10_000, description="used / limit")
    increase_bp: int = Field(default=2_000, gt=0, le=10_000, description="+20 % = 2 000")
    min_months_since_last_change: int = Field(default=6, ge=0)
    min_line_age_months: int = Field(default=3, ge=0)
    ceiling_fen: int = Field(default=10_000_000 * 100, gt=0, description="普惠 ceiling")
    round_to_fen: int = Field(default=100 * 100, gt=0, description="new limits are multiples")


class LimitIncreaseOut(BaseModel):
    line_id: uuid.UUID
    old_limit_fen: int
    new_limit_fen: int
    reason: str
