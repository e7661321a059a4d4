"""Lending tables of bad-loan accounting: write-offs (核销) with their maker-checker and the
recoveries after them, and the month-end five-category snapshot the cockpit's migration matrix
and roll rates read (lending/writeoff.py, lending/provisions.py).

Non-accrual itself is a column of the loan (``lending_loan.non_accrual_since``) and provisions
live in the ledger (``loan_loss_reserve`` per class): neither needs a table of its own.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from puhui.core.db import Base, IdMixin


class WriteOffStatus(StrEnum):
    PROPOSED = "proposed"  # the maker asked; the loan is unchanged
    APPROVED = "approved"  # a second person approved: posted, the loan written off
    REJECTED = "rejected"


WRITE_OFF_TRANSITIONS: dict[WriteOffStatus, frozenset[WriteOffStatus]] = {
    WriteOffStatus.PROPOSED: frozenset({WriteOffStatus.APPROVED, WriteOffStatus.REJECTED}),
    WriteOffStatus.APPROVED: frozenset(),
    WriteOffStatus.REJECTED: frozenset(),
}


class WriteOff(IdMixin, Base):
    """A write-off of one loan: proposed by a maker, approved or rejected by a checker."""

    __tablename__ = "lending_write_off"
    __table_args__ = (
        CheckConstraint(
            "principal_fen >= 0 AND interest_fen >= 0 AND penalty_fen >= 0 AND recovered_fen >= 0",
            "nonneg",
        ),
        Index("ix_lending_write_off_loan", "loan_id", "status"),
    )

    reference: Mapped[str] = mapped_column(String(20), unique=True)
    loan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lending_loan.id"))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(500))
    # the claim at approval (at proposal until then): what stays off the balance sheet
    principal_fen: Mapped[int] = mapped_column(default=0)
    interest_fen: Mapped[int] = mapped_column(default=0)
    penalty_fen: Mapped[int] = mapped_column(default=0)
    fee_fen: Mapped[int] = mapped_column(default=0, server_default="0")  # charges owed
    reserve_used_fen: Mapped[int] = mapped_column(default=0)
    expense_fen: Mapped[int] = mapped_column(default=0)  # the part the reserve did not cover
    recovered_fen: Mapped[int] = mapped_column(default=0)
    proposed_by: Mapped[str] = mapped_column(String(100))
    proposed_by_user_id: Mapped[uuid.UUID | None]
    proposed_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(String(500), default="")
    entry_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ledger_entry.id"))
    business_date: Mapped[date]

    @property
    def claim_fen(self) -> int:
        return self.principal_fen + self.interest_fen + self.penalty_fen + self.fee_fen


class Recovery(IdMixin, Base):
    """Money recovered on a written-off loan (income; the off-balance claim goes down)."""

    __tablename__ = "lending_write_off_recovery"
    __table_args__ = (
        UniqueConstraint("write_off_id", "idempotency_key"),
        CheckConstraint("amount_fen > 0", "positive"),
    )

    write_off_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lending_write_off.id"))
    amount_fen: Mapped[int]
    idempotency_key: Mapped[str] = mapped_column(String(128))
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_entry.id"))
    actor: Mapped[str] = mapped_column(String(100))
    business_date: Mapped[date]
    created_at: Mapped[datetime]


class ClassSnapshot(Base):
    """Each loan's class, dpd and balance at a month end (the end of day of the month's last
    day): the "from" of the cockpit's migration matrix and roll rates."""

    __tablename__ = "lending_class_snapshot"

    as_of_date: Mapped[date] = mapped_column(primary_key=True)
    loan_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    classification: Mapped[str] = mapped_column(String(16))
    dpd: Mapped[int]
    principal_fen: Mapped[int]
