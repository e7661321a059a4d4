"""Guarantee tables: the guarantee on a line, its status history, its signature, the policy's
requirement of one, and the calls on it (see `lending.guarantees_rules`)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from puhui.core.db import Base, IdMixin


class Guarantee(IdMixin, Base):
    """A guarantor's guarantee of a credit line up to ``amount_fen`` (连带责任保证).

    ``exposure_enterprise_id`` is where the guarantee counts in the related-party group cap:
    an enterprise guarantor itself; a person guarantor's enterprise (the one the person is the
    legal representative of, chosen when the guarantee is proposed), so a person is counted
    once. ``signer_person_id`` receives the one-time code: the person, or the enterprise's
    legal representative."""

    __tablename__ = "lending_guarantee"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", "amount_positive"),
        CheckConstraint(
            "(guarantor_kind = 'person' AND guarantor_person_id IS NOT NULL)"
            " OR (guarantor_kind = 'enterprise' AND guarantor_enterprise_id IS NOT NULL)",
            "guarantor_given",
        ),
    )

    reference: Mapped[str] = mapped_column(String(24), unique=True)
    line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lending_credit_line.id"), index=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parties_enterprise.id"))
    guarantor_kind: Mapped[str] = mapped_column(String(16))
    guarantor_person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("parties_person.id"))
    guarantor_enterprise_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("parties_enterprise.id")
    )
    exposure_enterprise_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("parties_enterprise.id"), index=True
    )
    signer_person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parties_person.id"))
    guarantor_name: Mapped[str] = mapped_column(String(200))
    amount_fen: Mapped[int]
    status: Mapped[str] = mapped_column(String(24), index=True)
    # the guarantor's consent and its own bureau/registry pull (data hub snapshot ids)
    consent_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    snapshot_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    check_summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    checked_at: Mapped[datetime | None]
    # the guarantee contract: its text as rendered and the hash the signature binds
    document_text: Mapped[str] = mapped_column(Text)
    document_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    created_by: Mapped[uuid.UUID | None]
    sent_at: Mapped[datetime | None]
    signed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class GuaranteeEvent(IdMixin, Base):
    __tablename__ = "lending_guarantee_event"

    guarantee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lending_guarantee.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    at: Mapped[datetime]
    actor_id: Mapped[uuid.UUID | None]
    reason: Mapped[str] = mapped_column(String(500), default="")


class GuaranteeSignature(IdMixin, Base):
    """Who signed the guarantee contract, when, from where, which hash, with which code."""

    __tablename__ = "lending_guarantee_signature"

    guarantee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lending_guarantee.id"), unique=True)
    signer_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_user.id"))
    signer_person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parties_person.id"))
    signer_name: Mapped[str] = mapped_column(String(100))
    signed_at: Mapped[datetime]
    ip: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    document_sha256: Mapped[str] = mapped_column(String(64))
    otp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_otp.id"))
    otp_message_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_outbox.id"))


class GuaranteeRequirement(IdMixin, Base):
    """The decision policy required a guarantee for this line (its limit above the policy's
    ``guarantor_above_fen``): the line is activated only once signed guarantees cover
    ``required_fen``."""

    __tablename__ = "lending_guarantee_requirement"

    line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lending_credit_line.id"), unique=True)
    required_fen: Mapped[int]
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class GuaranteeCall(IdMixin, Base):
    """A call on a guarantee for one loan (代偿): a claim on the guarantor."""

    __tablename__ = "lending_guarantee_call"
    __table_args__ = (
        UniqueConstraint("guarantee_id", "loan_id"),
        CheckConstraint("amount_fen >= 0", "amount_nonneg"),
    )

    reference: Mapped[str] = mapped_column(String(24), unique=True)
    guarantee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lending_guarantee.id"), index=True)
    loan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lending_loan.id"), index=True)
    trigger: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16))
    claim_fen: Mapped[int]  # the loan's principal, interest and penalty when called
    amount_fen: Mapped[int]  # claimed from the guarantor
    dpd: Mapped[int]
    business_date: Mapped[date]
    created_at: Mapped[datetime]
