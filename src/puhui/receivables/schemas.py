"""Request and response bodies of the receivables API (amounts in fen, hashes in lowercase hex)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from puhui.core.types import (
    Fen,
    Int64,
    PlausibleDate,
    PositiveFen,
    SafeMultiline,
    SafeText,
    StrictInt,
)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- requests ----------------------------------------------------------------------------------


class LimitGrant(_In):
    enterprise_id: uuid.UUID
    limit_fen: Fen = Field(description="0 revokes the limit")
    grade: SafeText = Field(min_length=1, max_length=8, description="the core enterprise's grade")
    reason: SafeMultiline = Field(min_length=2, max_length=500)
    application_reference: str | None = Field(
        default=None,
        min_length=1,
        max_length=24,
        description=(
            "an approved application of this enterprise whose decision backs the limit "
            "(its offer is then taken: the pending line closes); without it, a manual approval"
        ),
    )


class IssueRequest(_In):
    issuer_enterprise_id: uuid.UUID
    supplier_enterprise_id: uuid.UUID
    face_fen: PositiveFen
    maturity_date: PlausibleDate
    contract_no: SafeText = Field(min_length=1, max_length=64, description="trade contract number")
    invoice_no: SafeText = Field(min_length=1, max_length=64, description="invoice number")
    invoice_amount_fen: PositiveFen


class SplitRequest(_In):
    amounts_fen: list[Int64] = Field(min_length=2, max_length=100)


class TransferRequest(_In):
    to_enterprise_id: uuid.UUID


class PrepareRequest(_In):
    """What to sign: the operation and its fields (as for the operation's own endpoint)."""

    op: Literal[
        "issue",
        "accept",
        "reject",
        "cancel",
        "split",
        "transfer",
        "accept_transfer",
        "reject_transfer",
        "cancel_transfer",
        "finance",
        "pay",
    ]
    issue: IssueRequest | None = None
    cert_id: str | None = Field(default=None, max_length=64)
    part_id: str | None = Field(default=None, max_length=64)
    amounts_fen: list[Int64] | None = Field(default=None, min_length=2, max_length=100)
    to_enterprise_id: uuid.UUID | None = None


class SubmitRequest(_In):
    """A statement signed by its actor's own key: the canonical JSON text from ``prepare``."""

    statement: str = Field(min_length=2, max_length=20_000)
    kid: str = Field(min_length=64, max_length=64, pattern=r"^[0-9a-f]{64}$")
    signature: str = Field(min_length=88, max_length=88, description="base64 Ed25519 signature")
    contract_no: SafeText | None = Field(default=None, min_length=1, max_length=64)


class KeyRegister(_In):
    public_key: str = Field(min_length=44, max_length=64, description="base64 or hex, 32 bytes")
    retire_custodial: bool = False


class PricingUpdate(_In):
    discount_rate_bp: StrictInt = Field(ge=0, le=10_000)
    penalty_daily_bp: StrictInt = Field(ge=0, le=100)
    financeable: bool
    reason: SafeMultiline = Field(min_length=2, max_length=500)


# --- responses ---------------------------------------------------------------------------------


class PartOut(BaseModel):
    id: str
    parent: str | None
    amount_fen: int
    holder: str
    holder_enterprise_id: uuid.UUID | None
    status: str
    pending_to: str | None
    price_fen: int | None
    rate_bp: int | None
    created_seq: int
    ended_seq: int | None


class CertificateOut(BaseModel):
    id: str
    issuer: str
    issuer_enterprise_id: uuid.UUID | None
    supplier: str
    supplier_enterprise_id: uuid.UUID | None
    face_fen: int
    maturity_date: date
    status: str
    invoice_no: str
    contract_no: str
    cleared_fen: int
    penalty_daily_bp: int
    penalty_fen: int
    issued_seq: int
    issued_at: datetime
    parts: list[PartOut]


class LogEntryOut(BaseModel):
    seq: int
    op: str
    actor: str
    at: str
    kid: str
    leaf_hash: str
    statement: dict[str, Any]


class LedgerMoveOut(BaseModel):
    entry_id: uuid.UUID
    kind: str
    business_date: date
    amount_fen: int
    memo: str


class OperationOut(BaseModel):
    operations: list[LogEntryOut]
    certificate: CertificateOut | None
    ledger: list[LedgerMoveOut] = []
    tree_size: int
    root: str
    replayed: bool = False


class PreparedStatement(BaseModel):
    op: str
    actor: str
    seq: int
    statement: dict[str, Any]
    statement_text: str = Field(description="the canonical JSON to sign, byte for byte (UTF-8)")
    signing_input_b64: str = Field(
        description='base64 of "puhui-receivables/statement/v1\\n" || statement_text'
    )
    expires_at: str


class LimitOut(BaseModel):
    enterprise_id: uuid.UUID | None
    party: str
    limit_fen: int
    outstanding_fen: int
    available_fen: int
    grade: str
    reason: str
    source: str  # manual | decision
    decision_ref: str | None  # the application whose approval backs it (source decision)
    seq: int
    updated_at: datetime


class PricingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    grade: str
    discount_rate_bp: int
    penalty_daily_bp: int
    financeable: bool
    updated_at: datetime


class KeyOut(BaseModel):
    party: str
    kid: str
    public_key: str
    custodial: bool
    valid_from: str
    valid_to: str | None


class CheckpointOut(BaseModel):
    size: int
    root: str
    at: str
    note: str


class LogHeadOut(BaseModel):
    origin: str
    size: int
    root: str
    vkey: str | None = Field(
        description="the log's checkpoint verifier key (C2SP vkey), once the log has signed"
    )


class InclusionProofOut(BaseModel):
    seq: int
    size: int
    entry: str = Field(description="the leaf entry, UTF-8 text, exactly as hashed")
    leaf_hash: str
    proof: list[str]
    root: str
    checkpoint: CheckpointOut | None = Field(
        description="the signed checkpoint of this size, if one was published"
    )


class ProofCheckOut(BaseModel):
    """What a participant checks on an inclusion proof (with the pure modules only)."""

    inclusion: bool = Field(description="the audit path leads from the entry to the root")
    checkpoint_signed: bool | None = Field(
        description="the checkpoint of that size is signed by the log key (None: none published)"
    )
    checkpoint_root: bool | None = Field(description="the signed checkpoint carries that root")

    @property
    def ok(self) -> bool:
        return self.inclusion and False not in (self.checkpoint_signed, self.checkpoint_root)


class ConsistencyProofOut(BaseModel):
    old_size: int
    new_size: int
    old_root: str
    new_root: str
    proof: list[str]
    old_checkpoint: CheckpointOut | None
    new_checkpoint: CheckpointOut | None


class ProvenanceOp(BaseModel):
    seq: int
    op: str
    actor: str
    at: str
    leaf_hash: str
    proof: list[str]
    proof_size: int
    proof_root: str


class ProvenanceNode(BaseModel):
    part: str
    amount_fen: int
    holder: str
    holder_name: str | None
    status: str
    from_seq: int
    from_at: str
    to_seq: int | None
    to_at: str | None
    price_fen: int | None
    rate_bp: int | None
    children: list[ProvenanceNode]


class ProvenanceOut(BaseModel):
    certificate: CertificateOut
    tree: ProvenanceNode
    operations: list[ProvenanceOp]
    checkpoint: CheckpointOut | None


class SignalOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    severity: str
    party: str
    enterprise_id: uuid.UUID | None
    cert: str
    business_date: date
    amount_fen: int
    detail: dict[str, Any]
    created_at: datetime


class MaturityRunOut(BaseModel):
    business_date: date
    paid: list[str]
    overdue: list[str]
    skipped: dict[str, str]
    penalties_fen: dict[str, int]


class LogCheckOut(BaseModel):
    ok: bool
    size: int
    stored_root: str
    recomputed_root: str
    problems: list[str]


class ExportOut(BaseModel):
    directory: str
    entries: int
    checkpoints: int
    keys: int
    root: str
