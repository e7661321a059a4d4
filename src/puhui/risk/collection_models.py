"""Collections tables (催收): one case per loan past due, its contact log, promises to pay and
the reminders sent (risk/collections.py)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from puhui.core.db import Base, IdMixin


class CollectionCase(IdMixin, Base):
    """A loan in collections: opened when it is first past due, closed when it is no longer
    (or written off); its bucket and dpd are refreshed by each queue run."""

    __tablename__ = "risk_collection_case"
    __table_args__ = (
        Index("ix_risk_collection_case_status_bucket", "status", "bucket"),
        Index("ix_risk_collection_case_loan", "loan_id", "status"),
    )

    loan_id: Mapped[uuid.UUID]
    loan_reference: Mapped[str] = mapped_column(String(20))
    enterprise_id: Mapped[uuid.UUID]
    enterprise_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    bucket: Mapped[str] = mapped_column(String(8))
    dpd: Mapped[int]
    overdue_fen: Mapped[int]
    assignee_role: Mapped[str] = mapped_column(String(32))
    assignee_user_id: Mapped[uuid.UUID | None]
    opened_date: Mapped[date]
    escalated_date: Mapped[date | None]
    closed_date: Mapped[date | None]
    close_reason: Mapped[str] = mapped_column(String(32), default="")
    updated_at: Mapped[datetime]


class CollectionContact(IdMixin, Base):
    """One contact attempt (the contact log)."""

    __tablename__ = "risk_collection_contact"

    case_id: Mapped[uuid.UUID] = mapped_column(index=True)
    channel: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(String(500), default="")
    actor: Mapped[str] = mapped_column(String(100))
    business_date: Mapped[date]
    occurred_at: Mapped[datetime]


class PromiseToPay(IdMixin, Base):
    """A promise to pay `amount_fen` by `promised_date`; kept or broken is decided from the
    loan's repayments after `repaid_before_fen` (what it had repaid when the promise was made)."""

    __tablename__ = "risk_promise_to_pay"
    __table_args__ = (CheckConstraint("amount_fen > 0", "positive"),)

    case_id: Mapped[uuid.UUID] = mapped_column(index=True)
    loan_id: Mapped[uuid.UUID]
    amount_fen: Mapped[int]
    promised_date: Mapped[date]
    status: Mapped[str] = mapped_column(String(16))
    repaid_before_fen: Mapped[int]
    repaid_fen: Mapped[int] = mapped_column(default=0)
    resolved_date: Mapped[date | None]
    actor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]


class CollectionReminder(IdMixin, Base):
    """A reminder written to the outbox: at most one per instalment and kind (T-3, T-0, T+1,
    T+7), hence at most one per instalment and day."""

    __tablename__ = "risk_collection_reminder"
    __table_args__ = (UniqueConstraint("instalment_id", "kind"),)

    loan_id: Mapped[uuid.UUID]
    instalment_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(8))
    due_date: Mapped[date]
    business_date: Mapped[date]
    outbox_message_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime]
