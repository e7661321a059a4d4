"""Tables of the receivables chain.

The log (append-only; database triggers refuse UPDATE and DELETE):

* ``receivables_entry``       one row per leaf: the signed entry, byte for byte, and its leaf hash
* ``receivables_node``        the Merkle tree's stored nodes, keyed ``(level, idx)`` (see merkle)
* ``receivables_checkpoint``  the platform's signed checkpoints (signed tree heads)

The head (one row, ``receivables_log``): origin, rules, tree size, root and the last statement
time. Every append locks this row (``SELECT ... FOR UPDATE``), so appends are serialized.

The current state, for querying (rebuilt by the service from the statements it applies, with the
rules of the pure ``state`` module): certificates, parts, invoices, limits; plus the parties,
their keys (custodial private keys encrypted at rest), pricing by grade (data), discount
financings (for the accounting) and early-warning signals.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from puhui.core.db import Base, IdMixin

HEAD_ID = 1


class LogHead(Base):
    """The log's one head row: the serialization point of every append."""

    __tablename__ = "receivables_log"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    origin: Mapped[str] = mapped_column(String(200))
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)
    size: Mapped[int]
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    last_at: Mapped[str] = mapped_column(String(20))
    updated_at: Mapped[datetime | None]


class LogEntry(Base):
    """A leaf: ``entry`` is exactly what was hashed (``SHA-256(0x00 || entry)``)."""

    __tablename__ = "receivables_entry"
    __table_args__ = (Index("ix_receivables_entry_cert_seq", "cert", "seq"),)

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    entry: Mapped[bytes] = mapped_column(LargeBinary)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    op: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64), index=True)
    kid: Mapped[str] = mapped_column(String(64))
    cert: Mapped[str | None] = mapped_column(String(64))
    part: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime]


class Node(Base):
    """Stored Merkle node ``(level, idx)``: level 0 the leaf hashes, level k complete subtrees."""

    __tablename__ = "receivables_node"

    level: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class CheckpointRow(IdMixin, Base):
    __tablename__ = "receivables_checkpoint"

    size: Mapped[int] = mapped_column(unique=True)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    at: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class PartyKind:
    PLATFORM = "platform"
    FINANCIER = "financier"
    ENTERPRISE = "enterprise"


class Party(Base):
    """A party of the chain as statements name it (an enterprise: its USCC)."""

    __tablename__ = "receivables_party"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    enterprise_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("parties_enterprise.id"), unique=True
    )
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class KeyPurpose:
    STATEMENT = "statement"
    LOG = "log"


class PartyKey(IdMixin, Base):
    """An Ed25519 key: a party's statement key, or the log's checkpoint key.

    ``private_enc`` (custodial keys only) is the 32-byte seed, base64, sealed with the
    FieldCipher (AES-256-GCM) under the field name ``receivables.key:<kid>``. A key a party
    registered itself has no private half here. ``valid_from``/``valid_to`` are statement
    ``at`` strings; a retired key keeps verifying what it signed while it was valid.
    """

    __tablename__ = "receivables_key"
    __table_args__ = (Index("ix_receivables_key_party_purpose", "party", "purpose"),)

    party: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(16))
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    private_enc: Mapped[bytes | None] = mapped_column(
        LargeBinary, info={"cipher_field": "receivables.key:{kid}"}
    )
    custodial: Mapped[bool]
    valid_from: Mapped[str] = mapped_column(String(20))
    valid_to: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime]
    created_by: Mapped[uuid.UUID | None]


class Limit(Base):
    """A core enterprise's current supply-chain limit (its history: the log's limit statements)."""

    __tablename__ = "receivables_limit"
    __table_args__ = (CheckConstraint("limit_fen >= 0", name="nonneg"),)

    party: Mapped[str] = mapped_column(ForeignKey("receivables_party.code"), primary_key=True)
    limit_fen: Mapped[int]
    grade: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(16))  # manual | decision
    decision_ref: Mapped[str | None] = mapped_column(String(64))
    approved_by: Mapped[uuid.UUID | None]
    seq: Mapped[int]
    updated_at: Mapped[datetime]


class Pricing(Base):
    """Discount rate and overdue penalty by the core enterprise's grade: data, not code."""

    __tablename__ = "receivables_pricing"
    __table_args__ = (
        CheckConstraint("discount_rate_bp >= 0 AND discount_rate_bp <= 10000", name="rate"),
        CheckConstraint("penalty_daily_bp >= 0 AND penalty_daily_bp <= 100", name="penalty"),
    )

    grade: Mapped[str] = mapped_column(String(8), primary_key=True)
    discount_rate_bp: Mapped[int]
    penalty_daily_bp: Mapped[int]
    financeable: Mapped[bool]
    updated_at: Mapped[datetime]
    updated_by: Mapped[uuid.UUID | None]


class CertificateRow(Base):
    __tablename__ = "receivables_certificate"
    __table_args__ = (
        Index("ix_receivables_certificate_issuer_status", "issuer", "status"),
        Index("ix_receivables_certificate_status_maturity", "status", "maturity_date"),
        CheckConstraint("face_fen > 0", name="face"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    issuer: Mapped[str] = mapped_column(ForeignKey("receivables_party.code"))
    supplier: Mapped[str] = mapped_column(ForeignKey("receivables_party.code"), index=True)
    face_fen: Mapped[int]
    maturity_date: Mapped[date]
    invoice: Mapped[str] = mapped_column(String(64))
    contract_no: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    cleared_fen: Mapped[int] = mapped_column(default=0)
    penalty_daily_bp: Mapped[int]
    penalty_fen: Mapped[int] = mapped_column(default=0)
    issued_seq: Mapped[int]
    issued_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PartRow(Base):
    """A piece of a certificate with one holder for its whole life (the provenance tree)."""

    __tablename__ = "receivables_part"
    __table_args__ = (
        Index("ix_receivables_part_cert", "cert"),
        Index("ix_receivables_part_holder", "holder"),
        Index("ix_receivables_part_pending_to", "pending_to"),
        CheckConstraint("amount_fen > 0", name="amount"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    cert: Mapped[str] = mapped_column(ForeignKey("receivables_certificate.id"))
    parent: Mapped[str | None] = mapped_column(ForeignKey("receivables_part.id"))
    amount_fen: Mapped[int]
    holder: Mapped[str] = mapped_column(ForeignKey("receivables_party.code"))
    status: Mapped[str] = mapped_column(String(16))
    pending_to: Mapped[str | None] = mapped_column(String(64))
    price_fen: Mapped[int | None]
    rate_bp: Mapped[int | None]
    created_seq: Mapped[int]
    ended_seq: Mapped[int | None]
    updated_at: Mapped[datetime]


class InvoiceRow(Base):
    """An invoice backs certificates only up to its amount, once."""

    __tablename__ = "receivables_invoice"
    __table_args__ = (CheckConstraint("used_fen >= 0 AND used_fen <= amount_fen", name="used"),)

    ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    amount_fen: Mapped[int]
    seller: Mapped[str] = mapped_column(String(64))
    buyer: Mapped[str] = mapped_column(String(64))
    used_fen: Mapped[int]


class Financing(Base):
    """A discounted part (the bank's part after ``finance``), for the discount accounting."""

    __tablename__ = "receivables_financing"

    part: Mapped[str] = mapped_column(ForeignKey("receivables_part.id"), primary_key=True)
    cert: Mapped[str] = mapped_column(ForeignKey("receivables_certificate.id"), index=True)
    seller: Mapped[str] = mapped_column(String(64))
    financier: Mapped[str] = mapped_column(String(64))
    face_fen: Mapped[int]
    price_fen: Mapped[int]
    discount_fen: Mapped[int]
    rate_bp: Mapped[int]
    days: Mapped[int]
    financed_date: Mapped[date]
    maturity_date: Mapped[date]
    recognized_fen: Mapped[int]
    seq: Mapped[int]
    entry_id: Mapped[uuid.UUID]
    closed: Mapped[bool] = mapped_column(default=False)


class Signal(IdMixin, Base):
    """An early-warning signal for the risk domain (e.g. a core enterprise failed to pay)."""

    __tablename__ = "receivables_signal"
    __table_args__ = (UniqueConstraint("kind", "cert"),)

    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    party: Mapped[str] = mapped_column(String(64), index=True)
    enterprise_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    cert: Mapped[str] = mapped_column(String(64))
    business_date: Mapped[date]
    amount_fen: Mapped[int]
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]


class SupplyItem(Base):
    """An order, warehouse receipt, dealer programme, dealer or dealer drawdown as the
    statements left it (the pure ``supply_state`` object in ``data``), plus the columns the
    pages query by, and ``history``: the statements that touched it (seq, op, at, fields).
    Registered warehouse operators are items of kind ``warehouse`` with id ``WH:<party>``."""

    __tablename__ = "receivables_supply_item"
    __table_args__ = (
        Index("ix_receivables_supply_item_kind_party", "kind", "party"),
        Index("ix_receivables_supply_item_kind_counterparty", "kind", "counterparty"),
        Index("ix_receivables_supply_item_parent", "parent"),
    )

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    party: Mapped[str] = mapped_column(String(64))
    counterparty: Mapped[str | None] = mapped_column(String(64))
    parent: Mapped[str | None] = mapped_column(String(80))
    amount_fen: Mapped[int]
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    history: Mapped[list[Any]] = mapped_column(JSON)
    created_seq: Mapped[int]
    updated_seq: Mapped[int]
    updated_at: Mapped[datetime]
