"""HTTP and service contracts of the decisioning domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from puhui.core.types import Fen, PositiveFen, SafeMultiline, SafeText, StrictInt
from puhui.datahub.payloads import SourceName
from puhui.parties.schemas import USCC, Mobile, ResidentId


class LegalRepresentativeIn(BaseModel):
    """The legal representative, for the personal credit-bureau consent (optional)."""

    model_config = ConfigDict(extra="forbid")

    name: SafeText = Field(min_length=1, max_length=100)
    resident_id: ResidentId
    mobile: Mobile


class AttributionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    manager_user_id: uuid.UUID | None = Field(
        default=None, description="the customer manager whose QR code brought the applicant"
    )
    team_code: SafeText | None = Field(
        default=None, min_length=1, max_length=64, description="team QR code id (团办二维码)"
    )


class ConsentIn(BaseModel):
    """The one-screen data authorization given with the application."""

    model_config = ConfigDict(extra="forbid")

    agree: bool = Field(
        description="the applicant agrees to the data authorization of every source it needs"
    )
    text_lang: Literal["zh", "en"] = "zh"
    text_versions: dict[SourceName, str] = Field(default_factory=dict)
    text_sha256: dict[SourceName, str] = Field(default_factory=dict)
    post_loan_monitoring: bool = Field(
        default=False,
        description="the applicant also agrees to post-loan monitoring of the same sources "
        "(purpose post_loan_monitoring, its own expiry) should a loan be granted",
    )


class ApplicationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    uscc: USCC
    product_code: SafeText = Field(min_length=1, max_length=32)
    requested_amount_fen: PositiveFen = Field(description="amount asked for, in fen")
    requested_term_months: StrictInt | None = Field(default=None, ge=1, le=360)
    declared_annual_revenue_fen: Fen | None = Field(
        default=None, description="annual revenue the applicant declares, in fen"
    )
    legal_representative: LegalRepresentativeIn | None = None
    attribution: AttributionIn | None = None
    consent: ConsentIn


class ReasonOut(BaseModel):
    code: str
    zh: str
    en: str
    kind: str = "rule"


class RuleHitOut(BaseModel):
    stage: str
    code: str
    action: str


class DecisionSummary(BaseModel):
    id: uuid.UUID
    kind: str
    outcome: str
    grade: str | None
    score_points: int | None
    pd: float | None
    limit_fen: int
    rate_bp: int | None
    term_months: int | None
    repayment_method: str | None
    reasons: list[ReasonOut]
    policy_version: int | None
    model_version: str | None
    credit_line_id: uuid.UUID | None
    latency_ms: int
    decided_at: datetime


class DecisionOut(DecisionSummary):
    """A decision with its lineage (staff only)."""

    application_id: uuid.UUID
    feature_set_version: str
    features: dict[str, Any]
    snapshot_ids: list[uuid.UUID]
    rule_hits: list[RuleHitOut]
    policy_version_id: uuid.UUID | None
    model_id: str | None
    inputs: dict[str, Any]
    result: dict[str, Any]
    decided_by_name: str
    reason_text: str | None


class ApplicationEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_status: str | None
    to_status: str
    reason: str
    actor_name: str
    occurred_at: datetime


class ApplicationOut(BaseModel):
    id: uuid.UUID
    reference: str
    enterprise_id: uuid.UUID
    product_code: str
    requested_amount_fen: int
    requested_term_months: int | None
    status: str
    status_zh: str
    channel_key: str
    green_channel: bool
    credit_line_id: uuid.UUID | None
    created_at: datetime
    decided_at: datetime | None
    decision: DecisionSummary | None
    history: list[ApplicationEventOut]
    review_id: uuid.UUID | None = None
    replayed: bool = False


class ApplicationPage(BaseModel):
    items: list[ApplicationOut]
    next_cursor: str | None


# --- policies ---------------------------------------------------------------------------------


class PolicySubmit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document: dict[str, Any]
    note: SafeMultiline = Field(min_length=2, max_length=500, description="what changed and why")


class PolicyApprove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: SafeMultiline = Field(min_length=2, max_length=500)


class PolicyVersionOut(BaseModel):
    id: uuid.UUID
    name: str
    version: int
    status: str
    document_sha256: str
    note: str
    submitted_by_name: str
    submitted_at: datetime
    approved_by_name: str | None
    approved_at: datetime | None
    approval_note: str | None
    activated_at: datetime | None
    superseded_at: datetime | None
    base_version: int | None
    diff: dict[str, Any]
    validation: dict[str, Any]
    document: dict[str, Any] | None = None


class ReplayChange(BaseModel):
    application_id: uuid.UUID
    reference: str
    decision_id: uuid.UUID
    old: dict[str, Any]
    new: dict[str, Any]


class ReplayReport(BaseModel):
    policy_name: str
    policy_version: int
    decisions: int
    unchanged: int
    changed: int
    transitions: dict[str, int]
    changes: list[ReplayChange]


# --- reviews ----------------------------------------------------------------------------------


class ReviewDecide(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["approve", "decline"]
    reason: SafeMultiline = Field(
        min_length=2, max_length=500, description="mandatory, kept with the case"
    )
    limit_fen: PositiveFen | None = Field(default=None, description="default: the proposal")
    rate_bp: StrictInt | None = Field(default=None, ge=0, le=10_000)
    term_months: StrictInt | None = Field(default=None, ge=1, le=360)


class ReviewConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agree: bool
    reason: SafeMultiline = Field(min_length=2, max_length=500)


class GreenChannelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: SafeMultiline = Field(min_length=2, max_length=500)


class ReviewOut(BaseModel):
    id: uuid.UUID
    application_id: uuid.UUID
    application_reference: str
    enterprise_id: uuid.UUID
    product_code: str
    requested_amount_fen: int
    status: str
    green_channel: bool
    green_channel_reason: str | None
    due_at: datetime
    overdue: bool
    minutes_left: int
    dual_control: bool
    proposal: dict[str, Any]
    reasons: list[ReasonOut]
    maker_name: str | None
    maker_outcome: str | None
    maker_reason: str | None
    maker_terms: dict[str, Any] | None
    checker_name: str | None
    checker_reason: str | None
    created_at: datetime
    closed_at: datetime | None


class ReviewPage(BaseModel):
    items: list[ReviewOut]
    next_cursor: str | None = None
