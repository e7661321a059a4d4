"""E-contract tables: the rendered contract, its status history and its signature."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from puhui.core.db import Base, IdMixin


class ContractStatus(StrEnum):
    DRAFT = "draft"
    SENT_FOR_SIGNATURE = "sent_for_signature"
    SIGNED = "signed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"

    @property
    def zh(self) -> str:
        return _STATUS_ZH[self]


_STATUS_ZH = {
    ContractStatus.DRAFT: "草稿",
    ContractStatus.SENT_FOR_SIGNATURE: "待签署",
    ContractStatus.SIGNED: "已签署",
    ContractStatus.EXPIRED: "已过期",
    ContractStatus.CANCELLED: "已作废",
}

# Which status may follow which. Sending again (a new code) keeps sent_for_signature.
TRANSITIONS: dict[ContractStatus, frozenset[ContractStatus]] = {
    ContractStatus.DRAFT: frozenset(
        {ContractStatus.SENT_FOR_SIGNATURE, ContractStatus.CANCELLED, ContractStatus.EXPIRED}
    ),
    ContractStatus.SENT_FOR_SIGNATURE: frozenset(
        {
            ContractStatus.SENT_FOR_SIGNATURE,
            ContractStatus.SIGNED,
            ContractStatus.EXPIRED,
            ContractStatus.CANCELLED,
        }
    ),
    ContractStatus.SIGNED: frozenset(),
    ContractStatus.EXPIRED: frozenset(),
    ContractStatus.CANCELLED: frozenset(),
}


class Contract(IdMixin, Base):
    """A loan contract for one credit line: the PDF as rendered, its SHA-256 and its status.

    `terms` is the snapshot the PDF was rendered from; the PDF bytes never change once created,
    so the signature binds exactly `document_sha256`.
    """

    __tablename__ = "lending_contract"

    reference: Mapped[str] = mapped_column(String(32), unique=True)
    # The credit line (lending_credit_line.id). No foreign key yet: the line table lands with
    # the lending core; the lead may add one.
    credit_line_id: Mapped[uuid.UUID] = mapped_column(index=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("parties_enterprise.id"), index=True
    )
    legal_rep_person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parties_person.id"))
    status: Mapped[str] = mapped_column(String(32), index=True)
    template_version: Mapped[str] = mapped_column(String(32))
    terms: Mapped[dict[str, Any]] = mapped_column(JSON)
    document: Mapped[bytes] = mapped_column(LargeBinary)
    document_sha256: Mapped[str] = mapped_column(String(64), index=True)
    document_size: Mapped[int]
    # the signed contract: `document` with the signer's evidence attached, sealed by the bank
    # (PAdES, RFC 3161 timestamp; see pades.py) when it is signed
    signed_document: Mapped[bytes | None] = mapped_column(LargeBinary)
    signed_document_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    font_name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    created_by: Mapped[uuid.UUID | None]
    sent_at: Mapped[datetime | None]
    signing_deadline_at: Mapped[datetime | None]
    signed_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]


class ContractStatusHistory(IdMixin, Base):
    __tablename__ = "lending_contract_status_history"

    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lending_contract.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[datetime]
    actor_id: Mapped[uuid.UUID | None]
    reason: Mapped[str | None] = mapped_column(Text)


class ContractSignature(IdMixin, Base):
    """Who signed (user and person), when, from where, which document hash, with which code.

    Append-only (database triggers refuse UPDATE and DELETE); one per contract.
    """

    __tablename__ = "lending_contract_signature"

    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lending_contract.id"), unique=True)
    signer_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_user.id"))
    signer_person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parties_person.id"))
    signer_name: Mapped[str] = mapped_column(String(100))
    signer_mobile_masked: Mapped[str] = mapped_column(String(16))
    signed_at: Mapped[datetime]
    ip: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    document_sha256: Mapped[str] = mapped_column(String(64), index=True)
    otp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_otp.id"))
    otp_message_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_outbox.id"))
    method: Mapped[str] = mapped_column(String(32), default="sms_otp")
