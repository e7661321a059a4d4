"""Double-entry ledger tables. Entries and postings are append-only (database triggers)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from puhui.core.db import Base, IdMixin


class Account(IdMixin, Base):
    __tablename__ = "ledger_account"
    __table_args__ = (UniqueConstraint("code", "owner_key"),)

    code: Mapped[str] = mapped_column(String(32))
    # The owner (a loan, a credit line, an enterprise, a certificate), or "" for a bank account.
    owner_key: Mapped[str] = mapped_column(String(64))
    owner_type: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]


class Balance(Base):
    """Cached sums of an account's postings, updated in the posting's transaction."""

    __tablename__ = "ledger_balance"
    __table_args__ = (CheckConstraint("debits_fen >= 0 AND credits_fen >= 0", name="nonneg"),)

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_account.id"), primary_key=True)
    debits_fen: Mapped[int] = mapped_column(default=0)
    credits_fen: Mapped[int] = mapped_column(default=0)


class Entry(IdMixin, Base):
    __tablename__ = "ledger_entry"
    __table_args__ = (Index("ix_ledger_entry_business_date", "business_date"),)

    kind: Mapped[str] = mapped_column(String(32))
    business_date: Mapped[date]
    posted_at: Mapped[datetime]
    memo: Mapped[str] = mapped_column(String(200), default="")
    # What caused it: e.g. ("drawdown", <id>); for a reversal the reversed entry.
    source_type: Mapped[str | None] = mapped_column(String(32))
    source_id: Mapped[str | None] = mapped_column(String(64), index=True)
    reverses_entry_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ledger_entry.id"), unique=True
    )


class Posting(IdMixin, Base):
    __tablename__ = "ledger_posting"
    __table_args__ = (
        CheckConstraint(
            "(debit_fen > 0 AND credit_fen = 0) OR (credit_fen > 0 AND debit_fen = 0)",
            name="one_side",
        ),
    )

    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_entry.id"), index=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_account.id"), index=True)
    debit_fen: Mapped[int] = mapped_column(default=0)
    credit_fen: Mapped[int] = mapped_column(default=0)
