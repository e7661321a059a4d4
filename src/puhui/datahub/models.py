"""What the hub keeps: snapshots of provider payloads, and a log of every pull.

A snapshot is one payload as received from a provider for one subject, with the SHA-256 of its
canonical JSON and the consent it was fetched under; decisions point at snapshots for lineage.
The subject key is the USCC for an enterprise, and for a person the keyed hash (HMAC) of the
resident ID — never the clear number. Payloads hold personal data (a legal representative's
credit report and resident ID, registry contact mobiles that are often the owner's own), so the
canonical JSON is stored encrypted (AES-256-GCM, `FieldCipher`) like every personal field.
Each pull (a fresh fetch or the reuse of a recent snapshot) writes one `datahub_pull` row naming
the purpose, the consent and the snapshot.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from puhui.core.db import Base, IdMixin


class SubjectType(StrEnum):
    ENTERPRISE = "enterprise"
    PERSON = "person"


class SnapshotRow(IdMixin, Base):
    __tablename__ = "datahub_snapshot"
    __table_args__ = (
        Index(
            "ix_datahub_snapshot_subject",
            "source",
            "subject_type",
            "subject_key",
            "provider",
            "fetched_at",
        ),
    )

    source: Mapped[str] = mapped_column(String(32))
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_key: Mapped[str] = mapped_column(String(64))
    enterprise_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("parties_enterprise.id"), index=True
    )
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("parties_person.id"))
    fetched_at: Mapped[datetime]
    request_id: Mapped[str] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(32))
    is_sandbox: Mapped[bool]
    payload_hash: Mapped[str] = mapped_column(String(64))
    payload_enc: Mapped[bytes] = mapped_column(
        LargeBinary, info={"cipher_field": "datahub_snapshot.payload"}
    )
    consent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("consents_consent.id"), index=True)
    latency_ms: Mapped[int]


class PullRow(IdMixin, Base):
    __tablename__ = "datahub_pull"
    __table_args__ = (Index("ix_datahub_pull_enterprise_at", "enterprise_id", "pulled_at"),)

    enterprise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parties_enterprise.id"))
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("parties_person.id"))
    source: Mapped[str] = mapped_column(String(32))
    purpose: Mapped[str] = mapped_column(String(32))
    scope: Mapped[str] = mapped_column(String(32))
    consent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("consents_consent.id"), index=True)
    snapshot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("datahub_snapshot.id"), index=True)
    reused: Mapped[bool]
    pulled_at: Mapped[datetime]
    actor_id: Mapped[uuid.UUID | None]
    actor_name: Mapped[str] = mapped_column(String(100))
