"""Tables of the shared kernel: users and tokens, login attempts, audit trail, idempotency."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from puhui.core.db import Base, IdMixin


class Role(StrEnum):
    ADMIN = "admin"
    CUSTOMER_MANAGER = "customer_manager"
    CREDIT_OFFICER = "credit_officer"
    RISK_OFFICER = "risk_officer"
    SERVICE_REP = "service_rep"
    AUDITOR = "auditor"
    BORROWER = "borrower"


STAFF_ROLES: frozenset[Role] = frozenset(Role) - {Role.BORROWER}

ROLE_LABELS_ZH = {
    Role.ADMIN: "管理员",
    Role.CUSTOMER_MANAGER: "客户经理",
    Role.CREDIT_OFFICER: "审批员",
    Role.RISK_OFFICER: "风险经理",
    Role.SERVICE_REP: "远程客服",
    Role.AUDITOR: "审计员",
    Role.BORROWER: "企业客户",
}


class User(IdMixin, Base):
    __tablename__ = "core_user"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(200))
    branch: Mapped[str | None] = mapped_column(String(64))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    # An applicant signed in by SMS: the username is a keyed hash of the mobile (never the
    # number); the number itself only encrypted, for the rare page that shows it masked.
    mobile_enc: Mapped[bytes | None] = mapped_column(
        LargeBinary, info={"cipher_field": "core_user.mobile"}
    )
    # The staff second factor: the TOTP secret (encrypted) once confirmed by a first code; the
    # secret offered at enrolment until then; the last time step accepted (a code counts once).
    totp_secret_enc: Mapped[bytes | None] = mapped_column(
        LargeBinary, info={"cipher_field": "core_user.totp_secret"}
    )
    totp_pending_enc: Mapped[bytes | None] = mapped_column(
        LargeBinary, info={"cipher_field": "core_user.totp_secret"}
    )
    totp_enrolled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None]
    # single sign-on: the directory's subject (`iss` + `sub`), when the user came from it
    external_subject: Mapped[str | None] = mapped_column(String(200), unique=True)

    enterprises: Mapped[list[UserEnterprise]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )


class UserEnterprise(Base):
    """A borrower user acts for these enterprises (by id in parties_enterprise)."""

    __tablename__ = "core_user_enterprise"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_user.id"), primary_key=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user: Mapped[User] = relationship(back_populates="enterprises")


class ApiToken(Base):
    """Bearer tokens are random; only their SHA-256 is stored."""

    __tablename__ = "core_api_token"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_user.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class LoginAttempt(IdMixin, Base):
    __tablename__ = "core_login_attempt"
    __table_args__ = (
        Index("ix_core_login_attempt_username_at", "username", "attempted_at"),
        Index("ix_core_login_attempt_ip_at", "ip", "attempted_at"),
    )

    username: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[datetime]
    succeeded: Mapped[bool]


class UserSession(IdMixin, Base):
    """A console session, server-side: the cookie carries only a random secret whose SHA-256 is
    `secret_hash`. A session of a staff member counts only once `mfa_at` is set (the second
    factor passed); `revoked_at` ends it at once."""

    __tablename__ = "core_session"

    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_user.id"), index=True)
    method: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ip: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(200))
    mfa_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class RecoveryCode(IdMixin, Base):
    """A staff member's single-use recovery code (argon2 hash), shown once at enrolment."""

    __tablename__ = "core_recovery_code"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_user.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class WebAuthnCredential(IdMixin, Base):
    """A security key or passkey registered as a staff member's second factor."""

    __tablename__ = "core_webauthn_credential"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_user.id"), index=True)
    credential_id: Mapped[str] = mapped_column(String(400), unique=True)  # base64url
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int]
    label: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]


class AuditEvent(IdMixin, Base):
    """Append-only, hash-chained audit trail. Database triggers refuse UPDATE and DELETE."""

    __tablename__ = "core_audit_event"

    seq: Mapped[int] = mapped_column(unique=True)
    occurred_at: Mapped[datetime]
    actor_id: Mapped[uuid.UUID | None]
    actor_name: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str | None] = mapped_column(String(32))
    source_ip: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(64), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))
    # how row_hash was made: "sha256" (rows before the keyed chain), "hmac-sha256", "hmac-sm3"
    chain_alg: Mapped[str] = mapped_column(String(16), server_default="sha256")


class DataKeyRecord(IdMixin, Base):
    """A data key of the envelope encryption, wrapped by the key-encryption key (core/crypto).

    status: "active" (seals new values; one at a time), "previous" (still decrypts), "retired"
    (no ciphertext uses it any more: ``wrapped`` erased).
    """

    __tablename__ = "core_data_key"

    kid: Mapped[str] = mapped_column(String(16), unique=True)
    suite: Mapped[str] = mapped_column(String(8))
    wrapped: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]


class AuditCheckpoint(IdMixin, Base):
    """A signed statement "the audit chain had `size` rows ending in `head_hash` at `signed_at`".

    The note (C2SP signed note, Ed25519) is also exported to a file outside the database, so
    deleting the newest audit rows (and these checkpoints) is detected by `puhui audit verify`.
    """

    __tablename__ = "core_audit_checkpoint"

    size: Mapped[int] = mapped_column(unique=True)
    head_hash: Mapped[str] = mapped_column(String(64))
    legacy_rows: Mapped[int]  # rows before the keyed chain (plain SHA-256), as signed
    signed_at: Mapped[datetime]
    key_id: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)


class IdempotencyRecord(Base):
    """The first result of an idempotent command, replayed for the same key and payload."""

    __tablename__ = "core_idempotency"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]


class OutboxMessage(IdMixin, Base):
    """Side effects (SMS, WeChat, jobs) written in the same transaction, sent after commit."""

    __tablename__ = "core_outbox"
    __table_args__ = (Index("ix_core_outbox_status_created", "status", "created_at"),)

    channel: Mapped[str] = mapped_column(String(32))
    topic: Mapped[str] = mapped_column(String(64))
    # The recipient (a mobile number) and the body (may hold a one-time code) are encrypted.
    recipient_masked: Mapped[str] = mapped_column(String(64))
    recipient_hash: Mapped[str] = mapped_column(String(64), index=True)
    recipient_enc: Mapped[bytes] = mapped_column(
        LargeBinary, info={"cipher_field": "outbox_recipient"}
    )
    body_enc: Mapped[bytes] = mapped_column(LargeBinary, info={"cipher_field": "outbox_body"})
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    note: Mapped[str | None] = mapped_column(Text)
    # retries: sends tried so far, when the next may be tried (None: at once), and when the
    # message is no use any more (a one-time code's expiry: never sent after it)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]


class OneTimeCode(IdMixin, Base):
    """A one-time code (OTP) bound to a purpose and a subject; only a keyed hash is stored.

    The code is 6 digits, valid 5 minutes, single use, and refused after 5 wrong attempts.
    `message_id` names the outbox message that carried it to the person.
    """

    __tablename__ = "core_otp"
    __table_args__ = (Index("ix_core_otp_purpose_subject", "purpose", "subject"),)

    purpose: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int]
    consumed_at: Mapped[datetime | None]
    superseded_at: Mapped[datetime | None]
    message_id: Mapped[uuid.UUID | None]
