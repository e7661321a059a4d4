"""Identity verifications, their raw captures (kept encrypted until `purge_after`), and the
legal representative's authorisations of agents (经办人授权)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from puhui.core.db import Base, IdMixin


class VerificationKind(StrEnum):
    TWO_FACTOR = "two_factor"
    THREE_FACTOR = "three_factor"
    FACE = "face"

    @property
    def zh(self) -> str:
        return {"two_factor": "身份二要素", "three_factor": "运营商三要素", "face": "人脸识别"}[
            self.value
        ]

    @property
    def en(self) -> str:
        return {
            "two_factor": "ID two-factor",
            "three_factor": "carrier three-factor",
            "face": "face check",
        }[self.value]


class IdentityVerification(IdMixin, Base):
    """One check by a provider. The person is found by the keyed hash of the resident ID (the
    same as `parties_person.resident_id_hash`), so a check made before the person's row exists
    (a new enterprise's application) still counts. `evidence_sha256` hashes what was asked and
    what the provider answered (canonical JSON), so the record can be proved unchanged."""

    __tablename__ = "identity_verification"
    __table_args__ = (Index("ix_identity_verification_subject", "resident_id_hash", "kind"),)

    kind: Mapped[str] = mapped_column(String(16))
    resident_id_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    # three-factor: the mobile the carrier confirmed (keyed hash, encrypted for sending codes)
    mobile_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    mobile_enc: Mapped[bytes | None] = mapped_column(LargeBinary, info={"cipher_field": "mobile"})
    mobile_masked: Mapped[str | None] = mapped_column(String(11))
    passed: Mapped[bool]
    reason: Mapped[str] = mapped_column(String(40))
    score_bp: Mapped[int | None]
    provider: Mapped[str] = mapped_column(String(32))
    provider_ref: Mapped[str] = mapped_column(String(64))
    is_sandbox: Mapped[bool]
    evidence_sha256: Mapped[str] = mapped_column(String(64))
    requested_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    device_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]


class IdentityCapture(IdMixin, Base):
    """The raw selfie recording of a face check, encrypted; purged after `purge_after` (the
    content is emptied, its hash and size stay as evidence)."""

    __tablename__ = "identity_capture"

    verification_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("identity_verification.id"), index=True
    )
    content_enc: Mapped[bytes | None] = mapped_column(
        LargeBinary, info={"cipher_field": "identity_capture"}
    )
    content_type: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    created_at: Mapped[datetime]
    purge_after: Mapped[datetime] = mapped_column(index=True)
    purged_at: Mapped[datetime | None]


class AgentAuthorisation(IdMixin, Base):
    """The verified legal representative authorises an agent (by mobile) to act for the
    enterprise in the scopes listed, until `expires_at` or revocation."""

    __tablename__ = "identity_agent_authorisation"
    __table_args__ = (Index("ix_identity_agent_lookup", "enterprise_id", "agent_mobile_hash"),)

    reference: Mapped[str] = mapped_column(String(32), unique=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parties_enterprise.id"))
    grantor_person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parties_person.id"))
    grantor_verification_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("identity_verification.id")
    )
    granted_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    agent_name: Mapped[str] = mapped_column(String(100))
    agent_mobile_hash: Mapped[str] = mapped_column(String(64))
    agent_mobile_masked: Mapped[str] = mapped_column(String(11))
    scopes: Mapped[str] = mapped_column(String(200))  # comma-separated AgentScope values
    granted_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    evidence_sha256: Mapped[str] = mapped_column(String(64))

    def scope_list(self) -> list[str]:
        return [s for s in self.scopes.split(",") if s]

    def is_live(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at
