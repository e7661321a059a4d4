"""Lending tables of charges (lending/charges.py): each product's catalogue, the charges
assessed on a loan, and waivers decided by maker-checker."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from puhui.core.db import Base, IdMixin


class ProductCharge(IdMixin, Base):
    """One charge of a product's catalogue (terms: `charges_rules.ChargeTerms`)."""

    __tablename__ = "lending_product_charge"
    __table_args__ = (
        UniqueConstraint("product_code", "code"),
        CheckConstraint("amount_fen >= 0 AND rate_bp >= 0", "amounts"),
    )

    product_code: Mapped[str] = mapped_column(String(32), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    trigger: Mapped[str] = mapped_column(String(16))
    basis: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int] = mapped_column(default=0)
    rate_bp: Mapped[int] = mapped_column(default=0)
    min_fen: Mapped[int | None]
    max_fen: Mapped[int | None]
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class LoanChargeStatus(StrEnum):
    DUE = "due"  # something is still owed
    PAID = "paid"
    WAIVED = "waived"  # nothing owed, some of it waived
    WRITTEN_OFF = "written_off"  # still owed, off the balance sheet with its loan (writeoff.py)

    @property
    def zh(self) -> str:
        return {"due": "待收", "paid": "已收", "waived": "已减免", "written_off": "已随贷款核销"}[
            self.value
        ]


class LoanCharge(IdMixin, Base):
    """A charge assessed on a loan: one per (loan, charge, occurrence) — assessing again is a
    no-op. Booked Dr fee_receivable / Cr fee_income when assessed (a prepayment charge is
    collected in the same entry as the prepayment: Cr fee_income directly)."""

    __tablename__ = "lending_loan_charge"
    __table_args__ = (
        UniqueConstraint("loan_id", "code", "occurrence"),
        CheckConstraint(
            "amount_fen > 0 AND paid_fen >= 0 AND waived_fen >= 0 "
            "AND paid_fen + waived_fen <= amount_fen",
            "amounts",
        ),
    )

    loan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lending_loan.id"), index=True)
    product_charge_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lending_product_charge.id"))
    code: Mapped[str] = mapped_column(String(32))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    trigger: Mapped[str] = mapped_column(String(16))
    occurrence: Mapped[str] = mapped_column(String(40))  # "drawdown", "2026-10-15", "inst:3"
    base_fen: Mapped[int]
    amount_fen: Mapped[int]
    paid_fen: Mapped[int] = mapped_column(default=0)
    waived_fen: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16), index=True)
    due_date: Mapped[date]
    entry_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ledger_entry.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    @property
    def outstanding_fen(self) -> int:
        return self.amount_fen - self.paid_fen - self.waived_fen


class WaiverStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"

    @property
    def zh(self) -> str:
        return {"proposed": "待复核", "approved": "已批准", "rejected": "已驳回"}[self.value]


WAIVER_TRANSITIONS: dict[WaiverStatus, frozenset[WaiverStatus]] = {
    WaiverStatus.PROPOSED: frozenset({WaiverStatus.APPROVED, WaiverStatus.REJECTED}),
    WaiverStatus.APPROVED: frozenset(),
    WaiverStatus.REJECTED: frozenset(),
}


class ChargeWaiver(IdMixin, Base):
    """A waiver (减免) of part or all of a charge: proposed by one officer, approved (posted:
    Dr fee_income / Cr fee_receivable) or rejected by another."""

    __tablename__ = "lending_charge_waiver"
    __table_args__ = (CheckConstraint("amount_fen > 0", "amount_positive"),)

    loan_charge_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("lending_loan_charge.id"), index=True
    )
    loan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lending_loan.id"), index=True)
    amount_fen: Mapped[int]
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), index=True)
    maker_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    maker_name: Mapped[str] = mapped_column(String(100))
    checker_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    checker_name: Mapped[str | None] = mapped_column(String(100))
    entry_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ledger_entry.id"))
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
