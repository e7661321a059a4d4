"""Lending tables: products, credit lines (+ history), drawdowns, loans, instalments, repayments,
relief measures and the per-year reference counters.

The loan row is deliberately *flat*: every figure the end-of-day job reads or writes (outstanding
principal, accrued-not-due interest and its carry, overdue principal and interest, penalty and
compound interest with their carries, the dates accrued through, the next due date, dpd,
classification) is a column of `lending_loan`, so the job can process a million loans with a few
set-based statements (or one numpy pass over a column scan) instead of walking the instalments.
The instalments keep the per-period truth (amounts due, amounts paid per bucket); the loan's
aggregates are kept equal to them by every service that changes one (see docs/lending.md).

Carries are in accrual units (`puhui.lending.interest.accrual_units_per_fen`: 3.6e10 per fen on
ACT/360); they always lie within ± half a fen, so a BigInteger holds them.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from puhui.core.db import Base, IdMixin


class ProductKind(StrEnum):
    REVOLVING = "revolving"  # 随借随还 credit line, daily interest, limit restored by repayment
    INSTALMENT = "instalment"  # instalment loan: the limit is used once

    @property
    def zh(self) -> str:
        return "循环额度（随借随还）" if self is ProductKind.REVOLVING else "分期贷款"


class LineStatus(StrEnum):
    PENDING_SIGNATURE = "pending_signature"
    ACTIVE = "active"
    FROZEN = "frozen"
    EXPIRED = "expired"
    CLOSED = "closed"

    @property
    def zh(self) -> str:
        return _LINE_ZH[self]


_LINE_ZH = {
    LineStatus.PENDING_SIGNATURE: "待签约",
    LineStatus.ACTIVE: "生效",
    LineStatus.FROZEN: "冻结",
    LineStatus.EXPIRED: "到期",
    LineStatus.CLOSED: "关闭",
}

LINE_TRANSITIONS: dict[LineStatus, frozenset[LineStatus]] = {
    LineStatus.PENDING_SIGNATURE: frozenset({LineStatus.ACTIVE, LineStatus.CLOSED}),
    LineStatus.ACTIVE: frozenset({LineStatus.FROZEN, LineStatus.EXPIRED, LineStatus.CLOSED}),
    LineStatus.FROZEN: frozenset({LineStatus.ACTIVE, LineStatus.EXPIRED, LineStatus.CLOSED}),
    LineStatus.EXPIRED: frozenset({LineStatus.CLOSED}),
    LineStatus.CLOSED: frozenset(),
}


class DrawdownStatus(StrEnum):
    RESERVED = "reserved"
    COMPLETED = "completed"
    VOIDED = "voided"
    REVERSED = "reversed"  # its payout was rejected or returned: the loan is reversed


DRAWDOWN_TRANSITIONS: dict[DrawdownStatus, frozenset[DrawdownStatus]] = {
    DrawdownStatus.RESERVED: frozenset({DrawdownStatus.COMPLETED, DrawdownStatus.VOIDED}),
    DrawdownStatus.COMPLETED: frozenset({DrawdownStatus.REVERSED}),
    DrawdownStatus.VOIDED: frozenset(),
    DrawdownStatus.REVERSED: frozenset(),
}


class LoanStatus(StrEnum):
    ACTIVE = "active"
    PAID_OFF = "paid_off"
    RENEWED = "renewed"  # refinanced by a 无还本续贷 renewal loan
    WRITTEN_OFF = "written_off"  # 核销: off the balance sheet, the claim kept (lending/writeoff.py)
    REVERSED = "reversed"  # its payout never arrived (rejected or returned): undone

    @property
    def zh(self) -> str:
        return {
            "active": "正常还款中",
            "paid_off": "已结清",
            "renewed": "已续贷",
            "written_off": "已核销",
            "reversed": "已冲销（放款退回）",
        }[self.value]


LOAN_TRANSITIONS: dict[LoanStatus, frozenset[LoanStatus]] = {
    LoanStatus.ACTIVE: frozenset(
        {LoanStatus.PAID_OFF, LoanStatus.RENEWED, LoanStatus.WRITTEN_OFF, LoanStatus.REVERSED}
    ),
    LoanStatus.PAID_OFF: frozenset(),
    LoanStatus.RENEWED: frozenset(),
    LoanStatus.WRITTEN_OFF: frozenset(),
    LoanStatus.REVERSED: frozenset(),
}


class InstalmentStatus(StrEnum):
    SCHEDULED = "scheduled"  # not yet due (not billed)
    BILLED = "billed"  # due: its interest is fully recognised; unpaid or partly paid
    PAID = "paid"
    SUPERSEDED = "superseded"  # replaced by a relief measure; its unpaid part moved on


class RepaymentKind(StrEnum):
    MANUAL = "manual"
    AUTO_DEBIT = "auto_debit"
    PREPAYMENT = "prepayment"
    RENEWAL = "renewal"  # the interest paid when a loan is renewed without principal
    DIRECT_DEBIT = "direct_debit"  # collected from another bank's account (pain.008, mandate)


class ReliefKind(StrEnum):
    DEFERRAL = "deferral"  # 延期还本付息
    RENEWAL = "renewal"  # 无还本续贷


class Product(IdMixin, Base):
    __tablename__ = "lending_product"
    __table_args__ = (
        CheckConstraint("min_term_months >= 1 AND max_term_months >= min_term_months", "terms"),
        CheckConstraint("min_rate_bp >= 0 AND max_rate_bp >= min_rate_bp", "rates"),
        CheckConstraint("min_amount_fen > 0 AND max_amount_fen >= min_amount_fen", "amounts"),
        CheckConstraint("max_limit_fen > 0", "max_limit"),
        CheckConstraint("grace_days >= 0 AND penalty_markup_bp >= 0", "penalty"),
        CheckConstraint("prepayment_fee_bp >= 0", "prepayment_fee"),
    )

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    repayment_methods: Mapped[list[str]] = mapped_column(JSON)
    default_method: Mapped[str] = mapped_column(String(32))
    line_term_months: Mapped[int]  # how long a line of this product stays open
    min_term_months: Mapped[int]  # of one drawdown (loan)
    max_term_months: Mapped[int]
    min_rate_bp: Mapped[int]
    max_rate_bp: Mapped[int]
    min_amount_fen: Mapped[int]  # of one drawdown
    max_amount_fen: Mapped[int]
    max_limit_fen: Mapped[int]  # of a line (auto limit increases stop here)
    day_count: Mapped[str] = mapped_column(String(8))  # "ACT/360" | "ACT/365"
    interest_mode: Mapped[str] = mapped_column(String(16))  # "monthly_rate" | "actual_days"
    grace_days: Mapped[int]
    penalty_markup_bp: Mapped[int]
    compound_interest: Mapped[bool]
    allocation_order: Mapped[list[str]] = mapped_column(JSON)
    prepayment_allowed: Mapped[bool]
    prepayment_fee_bp: Mapped[int]
    prepayment_option: Mapped[str] = mapped_column(String(16))  # default keep_term|keep_instalment
    renewal_allowed: Mapped[bool]
    max_deferral_months: Mapped[int]
    # due dates on a holiday: "none" (kept) or "next_working_day" (moved, interest to the date)
    holiday_rule: Mapped[str] = mapped_column(String(24), default="none")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class CreditLine(IdMixin, Base):
    """A credit line (授信额度). `available` is derived: limit − used (never stored)."""

    __tablename__ = "lending_credit_line"
    __table_args__ = (
        CheckConstraint("limit_fen > 0", "limit_positive"),
        CheckConstraint("used_fen >= 0 AND used_fen <= limit_fen", "used_within_limit"),
        Index("ix_lending_credit_line_status_expiry", "status", "expiry_date"),
    )

    reference: Mapped[str] = mapped_column(String(24), unique=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("parties_enterprise.id"), index=True
    )
    product_code: Mapped[str] = mapped_column(ForeignKey("lending_product.code"))
    status: Mapped[str] = mapped_column(String(24))
    limit_fen: Mapped[int]
    used_fen: Mapped[int] = mapped_column(default=0)
    rate_bp: Mapped[int]
    term_months: Mapped[int]  # the longest term of one drawdown under this line
    repayment_method: Mapped[str] = mapped_column(String(32))
    expiry_date: Mapped[date]
    decision_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    contract_id: Mapped[uuid.UUID | None]
    activated_at: Mapped[datetime | None]
    last_limit_change_date: Mapped[date | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    @property
    def available_fen(self) -> int:
        return self.limit_fen - self.used_fen


class CreditLineEvent(IdMixin, Base):
    """History of a line: every status transition and every limit change, with its reason."""

    __tablename__ = "lending_credit_line_event"

    line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lending_credit_line.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))  # status | limit_change | limit_increase
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))
    old_limit_fen: Mapped[int | None]
    new_limit_fen: Mapped[int | None]
    reason: Mapped[str] = mapped_column(String(500), default="")
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    actor: Mapped[str] = mapped_column(String(100))
    business_date: Mapped[date]
    occurred_at: Mapped[datetime]


class Drawdown(IdMixin, Base):
    __tablename__ = "lending_drawdown"
    __table_args__ = (CheckConstraint("amount_fen > 0", "amount_positive"),)

    reference: Mapped[str] = mapped_column(String(20), unique=True)
    line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lending_credit_line.id"), index=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parties_enterprise.id"))
    amount_fen: Mapped[int]
    term_months: Mapped[int]
    repayment_method: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    loan_id: Mapped[uuid.UUID | None]
    failure: Mapped[str | None] = mapped_column(String(200))
    business_date: Mapped[date]
    created_at: Mapped[datetime]


class Loan(IdMixin, Base):
    """One loan (借据), with the flat balances the end-of-day job works on."""

    __tablename__ = "lending_loan"
    __table_args__ = (
        CheckConstraint(
            "principal_outstanding_fen >= 0 AND overdue_principal_fen >= 0"
            " AND overdue_principal_fen <= principal_outstanding_fen",
            "principal",
        ),
        CheckConstraint(
            "interest_accrued_fen >= 0 AND overdue_interest_fen >= 0"
            " AND interest_deferred_fen >= 0 AND penalty_accrued_fen >= 0"
            " AND compound_accrued_fen >= 0 AND dpd >= 0",
            "nonneg",
        ),
        Index("ix_lending_loan_status_next_due", "status", "next_due_date"),
        Index("ix_lending_loan_status_oldest_due", "status", "oldest_unpaid_due_date"),
    )

    reference: Mapped[str] = mapped_column(String(20), unique=True)
    line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lending_credit_line.id"), index=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("parties_enterprise.id"), index=True
    )
    product_code: Mapped[str] = mapped_column(ForeignKey("lending_product.code"))
    drawdown_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("lending_drawdown.id"))
    renewed_from_loan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("lending_loan.id"))
    status: Mapped[str] = mapped_column(String(16))
    revolving: Mapped[bool]  # principal repaid restores the line's available amount
    # terms (copied from the product at booking, so the batch needs no join)
    repayment_method: Mapped[str] = mapped_column(String(32))
    principal_fen: Mapped[int]
    rate_bp: Mapped[int]
    term_months: Mapped[int]
    day_count: Mapped[str] = mapped_column(String(8))
    interest_mode: Mapped[str] = mapped_column(String(16))
    grace_days: Mapped[int]
    penalty_markup_bp: Mapped[int]
    compound_interest: Mapped[bool]
    start_date: Mapped[date]
    maturity_date: Mapped[date]
    # balances (the ledger holds the same figures; docs/lending.md states the identities)
    principal_outstanding_fen: Mapped[int]
    overdue_principal_fen: Mapped[int] = mapped_column(default=0)  # billed, unpaid
    overdue_interest_fen: Mapped[int] = mapped_column(default=0)  # billed, unpaid
    interest_accrued_fen: Mapped[int] = mapped_column(default=0)  # accrued, not yet billed
    interest_carry: Mapped[int] = mapped_column(default=0)  # accrual units
    interest_accrued_through: Mapped[date]  # interest accrued for the days before this date
    interest_deferred_fen: Mapped[int] = mapped_column(default=0)  # recognised, billed later
    penalty_accrued_fen: Mapped[int] = mapped_column(default=0)
    penalty_carry: Mapped[int] = mapped_column(default=0)
    compound_accrued_fen: Mapped[int] = mapped_column(default=0)
    compound_carry: Mapped[int] = mapped_column(default=0)
    penalty_accrued_through: Mapped[date | None]  # last business date penalty was accrued for
    next_due_date: Mapped[date | None]  # due date of the first instalment not yet billed
    oldest_unpaid_due_date: Mapped[date | None]
    dpd: Mapped[int] = mapped_column(default=0)
    classification: Mapped[str] = mapped_column(String(16), default="normal")
    last_overdue_date: Mapped[date | None]
    # 非应计: set by the end of day when dpd reaches the policy's threshold, cleared when cured
    # (lending/nonaccrual.py); while set, interest and penalty accrue into suspense, not income
    non_accrual_since: Mapped[date | None] = mapped_column(default=None)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Instalment(IdMixin, Base):
    __tablename__ = "lending_instalment"
    __table_args__ = (
        CheckConstraint(
            "principal_paid_fen >= 0 AND principal_paid_fen <= principal_fen"
            " AND interest_paid_fen >= 0 AND interest_paid_fen <= interest_fen",
            "paid_within_due",
        ),
        Index("ix_lending_instalment_loan_seq", "loan_id", "seq"),
        Index("ix_lending_instalment_due", "status", "due_date"),
    )

    loan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lending_loan.id"))
    seq: Mapped[int]
    start_date: Mapped[date]
    due_date: Mapped[date]
    principal_fen: Mapped[int]
    interest_fen: Mapped[int]  # includes deferred_interest_fen
    deferred_interest_fen: Mapped[int] = mapped_column(default=0)
    opening_balance_fen: Mapped[int]
    closing_balance_fen: Mapped[int]
    principal_paid_fen: Mapped[int] = mapped_column(default=0)
    interest_paid_fen: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16))
    billed_date: Mapped[date | None]
    paid_date: Mapped[date | None]


class LoanEvent(IdMixin, Base):
    """History of a loan: booking, status transitions, reschedules (with before/after figures)."""

    __tablename__ = "lending_loan_event"

    loan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lending_loan.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    actor: Mapped[str] = mapped_column(String(100))
    business_date: Mapped[date]
    occurred_at: Mapped[datetime]


class Repayment(IdMixin, Base):
    """One repayment and how it was allocated (fen per bucket)."""

    __tablename__ = "lending_repayment"
    __table_args__ = (CheckConstraint("amount_applied_fen > 0", "applied_positive"),)

    reference: Mapped[str] = mapped_column(String(20), unique=True)
    loan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lending_loan.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    amount_requested_fen: Mapped[int]
    amount_applied_fen: Mapped[int]
    unapplied_fen: Mapped[int]
    penalty_fen: Mapped[int] = mapped_column(default=0)
    compound_fen: Mapped[int] = mapped_column(default=0)
    overdue_interest_fen: Mapped[int] = mapped_column(default=0)
    overdue_principal_fen: Mapped[int] = mapped_column(default=0)
    current_interest_fen: Mapped[int] = mapped_column(default=0)
    current_principal_fen: Mapped[int] = mapped_column(default=0)
    accrued_interest_fen: Mapped[int] = mapped_column(default=0)  # stub interest of a prepayment
    prepaid_principal_fen: Mapped[int] = mapped_column(default=0)
    fee_fen: Mapped[int] = mapped_column(default=0)
    charges_fen: Mapped[int] = mapped_column(default=0)  # the `fee` bucket: charges collected
    prepayment_option: Mapped[str | None] = mapped_column(String(16))
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_entry.id"))
    business_date: Mapped[date]
    created_at: Mapped[datetime]


class Relief(IdMixin, Base):
    """A relief measure granted on a loan: 延期还本付息 or 无还本续贷."""

    __tablename__ = "lending_relief"

    loan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lending_loan.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(500))
    months: Mapped[int | None]
    decision_id: Mapped[uuid.UUID | None]
    new_loan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("lending_loan.id"))
    penalty_waived_fen: Mapped[int] = mapped_column(default=0)
    deferred_interest_fen: Mapped[int] = mapped_column(default=0)
    old_maturity_date: Mapped[date]
    new_maturity_date: Mapped[date]
    actor: Mapped[str] = mapped_column(String(100))
    business_date: Mapped[date]
    created_at: Mapped[datetime]


class ReferenceCounter(Base):
    """Per-prefix, per-year counters for human references (DRW-2026-000042)."""

    __tablename__ = "lending_reference_counter"

    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_value: Mapped[int]


class DrawdownPurpose(Base):
    """What a drawdown is for and, for an entrusted payment (受托支付), whom it paid and on
    which evidence (lending/purposes.py)."""

    __tablename__ = "lending_drawdown_purpose"

    drawdown_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("lending_drawdown.id"), primary_key=True
    )
    purpose: Mapped[str] = mapped_column(String(32))
    entrusted: Mapped[bool]
    payee_account_id: Mapped[uuid.UUID | None]
    payee_name: Mapped[str | None] = mapped_column(String(200))
    invoice_number: Mapped[str | None] = mapped_column(String(40))
    # whether the invoice was found in the data hub's invoice source (None: no such source)
    invoice_found: Mapped[bool | None]
    created_at: Mapped[datetime]
