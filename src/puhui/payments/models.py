"""Payments tables: payments with their history, the ISO 20022 messages sent and received,
payout accounts (numbers encrypted at rest, masked on screen)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from puhui.core.db import Base, IdMixin


class Payment(IdMixin, Base):
    """One payment through a rail. `end_to_end_id` is the id every submission carries: the
    bank's duplicate check makes a resubmission safe. `(source_type, source_id)` is what the
    payment is for (a drawdown, a repayment); `idempotency_key` the caller's key."""

    __tablename__ = "payments_payment"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", "amount_positive"),
        Index("ix_payments_payment_status", "status"),
        Index("ix_payments_payment_source", "source_type", "source_id"),
    )

    reference: Mapped[str] = mapped_column(String(24), unique=True)
    end_to_end_id: Mapped[str] = mapped_column(String(35), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    rail: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int]
    enterprise_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("parties_enterprise.id"), index=True
    )
    payout_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("payments_payout_account.id")
    )
    counterparty_name: Mapped[str] = mapped_column(String(200))
    counterparty_account_enc: Mapped[bytes] = mapped_column(
        LargeBinary, info={"cipher_field": "payments.account_number"}
    )
    counterparty_account_masked: Mapped[str] = mapped_column(String(40))
    counterparty_bank_code: Mapped[str] = mapped_column(String(12))
    remittance: Mapped[str] = mapped_column(String(140), default="")
    source_type: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[uuid.UUID | None]
    submissions: Mapped[int] = mapped_column(default=0)
    failure: Mapped[str | None] = mapped_column(String(200))
    business_date: Mapped[date]
    settled_date: Mapped[date | None]
    returned_date: Mapped[date | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PaymentEvent(IdMixin, Base):
    """The payment's history: every status change, with the message that caused it."""

    __tablename__ = "payments_payment_event"

    payment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments_payment.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(200), default="")
    message_id: Mapped[uuid.UUID | None]
    at: Mapped[datetime]


class Direction(StrEnum):
    OUTBOUND = "outbound"  # we sent it
    INBOUND = "inbound"  # the bank sent it


class Message(IdMixin, Base):
    """An ISO 20022 message as sent or received, verbatim."""

    __tablename__ = "payments_message"
    __table_args__ = (Index("ix_payments_message_day", "business_date", "message_type"),)

    message_type: Mapped[str] = mapped_column(String(20))
    direction: Mapped[str] = mapped_column(String(8))
    rail: Mapped[str] = mapped_column(String(16))
    message_ref: Mapped[str] = mapped_column(String(64))  # MsgId
    xml: Mapped[str] = mapped_column(Text)
    business_date: Mapped[date]
    created_at: Mapped[datetime]


class MessagePayment(Base):
    """Which payments a message concerns (a pain.001 carries many; a camt.054 reports many)."""

    __tablename__ = "payments_message_payment"

    message_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("payments_message.id"), primary_key=True
    )
    payment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("payments_payment.id"), primary_key=True, index=True
    )


class AccountStatus(StrEnum):
    PENDING = "pending"  # another bank's account, not yet verified
    VERIFIED = "verified"
    FAILED = "failed"  # the name check said no, or the micro-credit was never confirmed


class VerificationMethod(StrEnum):
    IN_HOUSE = "in_house"  # an account at this bank: known, nothing to verify
    NAME_CHECK = "name_check"  # the verification provider's account-name check
    MICRO_CREDIT = "micro_credit"  # 打款验证: a small random credit the customer confirms


class PayoutAccount(IdMixin, Base):
    """An enterprise's account for payouts and collections, at this bank or another."""

    __tablename__ = "payments_payout_account"
    __table_args__ = (
        Index("ix_payments_payout_account_owner", "enterprise_id", "number_hash", unique=True),
    )

    enterprise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parties_enterprise.id"))
    holder_name: Mapped[str] = mapped_column(String(200))
    number_enc: Mapped[bytes] = mapped_column(
        LargeBinary, info={"cipher_field": "payments.account_number"}
    )
    number_hash: Mapped[str] = mapped_column(String(64))
    number_masked: Mapped[str] = mapped_column(String(40))
    bank_code: Mapped[str] = mapped_column(String(12))
    bank_name: Mapped[str] = mapped_column(String(100))
    in_house: Mapped[bool]
    status: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(16))
    challenge_hash: Mapped[str | None] = mapped_column(String(64))  # the micro-credit's amount
    challenge_payment_id: Mapped[uuid.UUID | None]
    attempts_left: Mapped[int] = mapped_column(default=0)
    failure: Mapped[str | None] = mapped_column(String(200))
    verified_at: Mapped[datetime | None]
    # a trusted payee (可信任收款人): capped per payment, usable from `trusted_from` (cooling-off)
    trusted: Mapped[bool] = mapped_column(default=False)
    trusted_cap_fen: Mapped[int | None]
    trusted_from: Mapped[datetime | None]
    # a signed direct-debit mandate (代扣授权) allows collections from this account (pain.008)
    mandate_ref: Mapped[str | None] = mapped_column(String(35))
    mandate_signed_at: Mapped[datetime | None]
    # the account receivables' payouts (discount proceeds, clearing at maturity) go to
    receives_receivables: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class RunStatus(StrEnum):
    CLEAN = "clean"  # no break
    OPEN = "open"  # breaks awaiting resolution
    RESOLVED = "resolved"  # every break resolved (maker-checker)
    OVERRIDDEN = "overridden"  # a risk officer let the day close with its breaks, with a reason


class BreakStatus(StrEnum):
    OPEN = "open"
    PROPOSED = "proposed"  # a manual match proposed by one person, awaiting a second
    RESOLVED = "resolved"


class ReconRun(IdMixin, Base):
    """One day's reconciliation of our clearing account: the bank's camt.053 against the
    ledger (`reconciliation.reconcile_day`)."""

    __tablename__ = "payments_recon_run"

    business_date: Mapped[date] = mapped_column(unique=True)
    statement_message_id: Mapped[uuid.UUID | None]
    statement_lines: Mapped[int]
    ledger_lines: Mapped[int]
    matched: Mapped[int]
    breaks: Mapped[int]
    break_fen: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    override_reason: Mapped[str | None] = mapped_column(String(500))
    overridden_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ReconBreak(IdMixin, Base):
    __tablename__ = "payments_recon_break"

    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments_recon_run.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    end_to_end_id: Mapped[str] = mapped_column(String(35))
    returned: Mapped[bool]
    statement_fen: Mapped[int | None]
    ledger_fen: Mapped[int | None]
    size_fen: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(500), default="")
    proposed_by: Mapped[str | None] = mapped_column(String(100))
    proposed_by_id: Mapped[uuid.UUID | None]
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    proposed_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]


class GuardianSetting(Base):
    """An enterprise's transfer protection: payouts only to trusted payees, a transfer guardian
    (转账监管人) who confirms any other by one-time code; a new guardian takes over only after a
    delay (`pending_*`)."""

    __tablename__ = "payments_guardian"

    enterprise_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("parties_enterprise.id"), primary_key=True
    )
    trusted_only: Mapped[bool]
    guardian_name: Mapped[str | None] = mapped_column(String(100))
    guardian_mobile_enc: Mapped[bytes | None] = mapped_column(
        LargeBinary, info={"cipher_field": "mobile"}
    )
    guardian_mobile_masked: Mapped[str | None] = mapped_column(String(11))
    pending_name: Mapped[str | None] = mapped_column(String(100))
    pending_mobile_enc: Mapped[bytes | None] = mapped_column(
        LargeBinary, info={"cipher_field": "mobile"}
    )
    pending_mobile_masked: Mapped[str | None] = mapped_column(String(11))
    pending_effective_at: Mapped[datetime | None]
    # who set `trusted_only` (TrustedOnlyBy): the representative (verified by code), anyone
    # acting for the enterprise switching it on, or the default (age, large-type mode)
    trusted_only_by: Mapped[str | None] = mapped_column(String(16))
    updated_at: Mapped[datetime]


class TransferStatus(StrEnum):
    AWAITING_GUARDIAN = "awaiting_guardian"
    SENT = "sent"  # the payout was created (its own status follows the rail)
    CANCELLED = "cancelled"


class TransferRequest(IdMixin, Base):
    """A payout the enterprise asked for from its settlement account (a transfer)."""

    __tablename__ = "payments_transfer"

    enterprise_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("parties_enterprise.id"), index=True
    )
    payout_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments_payout_account.id"))
    amount_fen: Mapped[int]
    status: Mapped[str] = mapped_column(String(20))
    idempotency_key: Mapped[str] = mapped_column(String(160), unique=True)
    payment_id: Mapped[uuid.UUID | None]
    reason: Mapped[str] = mapped_column(String(40))  # why the guardian must confirm
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]


class TrustedOnlyBy(StrEnum):
    """Why "trusted payees only" is as it is."""

    ENTERPRISE = "enterprise"  # switched on by whoever acts for the enterprise
    REPRESENTATIVE = "representative"  # set by the legal representative, verified by code
    AGE = "age"  # default: a sole proprietor whose representative is over the configured age
    LARGE_TYPE = "large_type"  # default: the enterprise uses the large-type mode


class AgentLimit(Base):
    """Limits the legal representative sets on an authorised agent's payouts (授权委托限额):
    per payment, per business day, trusted payees only. No row: the agent's scopes only."""

    __tablename__ = "payments_agent_limit"

    authorisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("identity_agent_authorisation.id"), primary_key=True
    )
    enterprise_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("parties_enterprise.id"), index=True
    )
    per_payment_cap_fen: Mapped[int | None]
    per_day_cap_fen: Mapped[int | None]
    trusted_only: Mapped[bool]
    updated_at: Mapped[datetime]


class AgentPayout(IdMixin, Base):
    """A payout an agent initiated (a transfer, a drawdown paid out): what the daily cap sums."""

    __tablename__ = "payments_agent_payout"
    __table_args__ = (
        Index("ix_payments_agent_payout_day", "authorisation_id", "business_date"),
        CheckConstraint("amount_fen > 0", "amount_positive"),
    )

    authorisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("identity_agent_authorisation.id")
    )
    enterprise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parties_enterprise.id"))
    payout_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments_payout_account.id"))
    amount_fen: Mapped[int]
    source_type: Mapped[str] = mapped_column(String(32))
    idempotency_key: Mapped[str] = mapped_column(String(160), unique=True)
    business_date: Mapped[date]
    created_at: Mapped[datetime]
