"""Consents (数据授权): who allowed which data source to be read, for what, until when.

A consent covers one data source for one purpose and one scope (the enterprise itself, or its
legal representative personally). It is live from `granted_at` until `expires_at`, unless revoked
or superseded by a newer consent for the same source, purpose, scope and person. Its status is
derived from those columns (see `ConsentStatus`); changes are kept in the audit trail.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from puhui.core.db import Base, IdMixin


class Purpose(StrEnum):
    CREDIT_DECISION = "credit_decision"
    POST_LOAN_MONITORING = "post_loan_monitoring"
    MARKETING = "marketing"
    # The legal representative's own housing-fund and social-security records, shown to him or
    # her on request (便民服务, issue 19 item 6); never used for a credit decision.
    CONVENIENCE_QUERY = "convenience_query"


class ConsentScope(StrEnum):
    ENTERPRISE = "enterprise"
    LEGAL_REPRESENTATIVE = "legal_representative"


class Channel(StrEnum):
    H5 = "h5"
    CONSOLE = "console"
    API = "api"


class ConsentStatus(StrEnum):
    LIVE = "live"
    EXPIRED = "expired"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


class Consent(IdMixin, Base):
    __tablename__ = "consents_consent"
    __table_args__ = (
        CheckConstraint(
            "(scope = 'legal_representative') = (person_id IS NOT NULL)", name="person_scope"
        ),
        CheckConstraint("expires_at > granted_at", name="expiry_after_grant"),
        Index("ix_consents_consent_lookup", "enterprise_id", "source", "purpose", "scope"),
    )

    enterprise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parties_enterprise.id"))
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("parties_person.id"), index=True)
    source: Mapped[str] = mapped_column(String(32))
    purpose: Mapped[str] = mapped_column(String(32))
    scope: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    text_version: Mapped[str] = mapped_column(String(16))
    text_lang: Mapped[str] = mapped_column(String(2))
    text_sha256: Mapped[str] = mapped_column(String(64))
    granted_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    granted_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    revoked_at: Mapped[datetime | None]
    revoked_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    revoke_reason: Mapped[str | None] = mapped_column(String(200))
    superseded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("consents_consent.id"))

    def status_at(self, now: datetime) -> ConsentStatus:
        if self.revoked_at is not None:
            return ConsentStatus.REVOKED
        if self.superseded_by_id is not None:
            return ConsentStatus.SUPERSEDED
        if now >= self.expires_at:
            return ConsentStatus.EXPIRED
        return ConsentStatus.LIVE

    def is_live(self, now: datetime) -> bool:
        return self.granted_at <= now and self.status_at(now) == ConsentStatus.LIVE
