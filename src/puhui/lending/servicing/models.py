"""Servicing tables: relief requests (+ history) and servicing notices."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from puhui.core.db import Base, IdMixin
from puhui.lending.servicing.states import ReliefRequestKind, ReliefRequestStatus

__all__ = [
    "CalendarOverride",
    "LimitIncreaseRuleSet",
    "LoanPricing",
    "LprPublication",
    "ReliefRequest",
    "ReliefRequestEvent",
    "ReliefRequestKind",
    "ReliefRequestStatus",
    "Restructuring",
    "ServicingNotice",
]


class ReliefRequest(IdMixin, Base):
    """A borrower's request for a deferral or a renewal, decided by credit officers."""

    __tablename__ = "lending_relief_request"

    reference: Mapped[str] = mapped_column(String(20), unique=True)
    loan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lending_loan.id"), index=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("parties_enterprise.id"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    months: Mapped[int]  # deferral: months moved; renewal: the new loan's term
    reason: Mapped[str] = mapped_column(String(500))
    documents: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), index=True)
    green_channel: Mapped[bool] = mapped_column(default=False)
    needs_check: Mapped[bool] = mapped_column(default=False)
    principal_fen: Mapped[int]  # outstanding when requested
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    # the fresh credit decision of a renewal (decisioning's application and its decision)
    application_id: Mapped[uuid.UUID | None]
    decision_id: Mapped[uuid.UUID | None]
    decision_outcome: Mapped[str | None] = mapped_column(String(16))
    maker_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    maker_name: Mapped[str | None] = mapped_column(String(100))
    checker_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    checker_name: Mapped[str | None] = mapped_column(String(100))
    officer_note: Mapped[str | None] = mapped_column(Text)
    relief_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("lending_relief.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]

    @property
    def status_enum(self) -> ReliefRequestStatus:
        return ReliefRequestStatus(self.status)

    @property
    def kind_enum(self) -> ReliefRequestKind:
        return ReliefRequestKind(self.kind)


class ReliefRequestEvent(IdMixin, Base):
    """History of a relief request: every status change, its actor and note (append-only)."""

    __tablename__ = "lending_relief_request_event"

    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("lending_relief_request.id"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(500), default="")
    actor: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime]


class ServicingNotice(IdMixin, Base):
    """What servicing tells a borrower and asks of the customer managers: a loan or a line
    maturing in 30 or 7 days (the renewal offer), an automatic limit increase. The borrower's
    SMS goes through the outbox (`message_id` once queued); the manager's task is done when
    `task_done_at` is set. One per kind, subject and business date: a re-run adds nothing."""

    __tablename__ = "lending_servicing_notice"
    __table_args__ = (UniqueConstraint("kind", "subject_id", "business_date"),)

    kind: Mapped[str] = mapped_column(String(24))  # loan_maturity | line_maturity | limit_increase
    subject_id: Mapped[uuid.UUID] = mapped_column(index=True)  # the loan or the line
    enterprise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parties_enterprise.id"))
    reference: Mapped[str] = mapped_column(String(24))  # the loan's or the line's
    days_before: Mapped[int | None]
    due_date: Mapped[date | None]  # the maturity or expiry date
    business_date: Mapped[date] = mapped_column(index=True)
    body: Mapped[str] = mapped_column(String(300))
    message_id: Mapped[uuid.UUID | None]
    task_done_at: Mapped[datetime | None]
    task_done_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]


class LimitIncreaseRuleSet(IdMixin, Base):
    """A version of the automatic limit increase's rules (`LimitIncreaseRules` as data):
    submitted by one risk officer, active once a second one approves (the previous active
    version is then superseded)."""

    __tablename__ = "lending_limit_increase_rules"

    version: Mapped[int] = mapped_column(unique=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), index=True)
    submitted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    submitted_by_name: Mapped[str] = mapped_column(String(100))
    approved_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    approved_by_name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]


class CalendarOverride(Base):
    """The bank's correction of the working-day calendar for one date (a year the package does
    not know yet, a local holiday, a late State Council notice): it always wins."""

    __tablename__ = "lending_calendar_override"

    day: Mapped[date] = mapped_column(primary_key=True)
    is_working: Mapped[bool]
    reason: Mapped[str] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]


class LprPublication(IdMixin, Base):
    """A Loan Prime Rate publication (贷款市场报价利率, the 20th of each month), entered by one
    officer and effective once a second approves (maker-checker)."""

    __tablename__ = "lending_lpr_publication"

    published_date: Mapped[date] = mapped_column(index=True)
    tenor: Mapped[str] = mapped_column(String(4))  # 1y | 5y
    rate_bp: Mapped[int]
    # pending | active | superseded (a correction of the same date approved) | rejected
    status: Mapped[str] = mapped_column(String(16))
    entered_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    entered_by_name: Mapped[str] = mapped_column(String(100))
    approved_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    approved_by_name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]


class LoanPricing(Base):
    """A floating-rate loan's contract terms: LPR tenor + spread, repriced every
    `frequency_months` (12: annually, 1: monthly) from `next_repricing_date`."""

    __tablename__ = "lending_loan_pricing"

    loan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lending_loan.id"), primary_key=True)
    tenor: Mapped[str] = mapped_column(String(4))
    spread_bp: Mapped[int]
    frequency_months: Mapped[int]
    next_repricing_date: Mapped[date] = mapped_column(index=True)
    last_lpr_bp: Mapped[int | None]
    updated_at: Mapped[datetime]


class Restructuring(IdMixin, Base):
    """A loan's restructuring (重组): new rate, term or method, proposed by one officer under a
    credit decision and executed when a second approves; the loan is at least 关注 until
    `observation_until`."""

    __tablename__ = "lending_restructuring"

    loan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lending_loan.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))  # proposed | executed | rejected
    decision_id: Mapped[uuid.UUID | None]
    new_rate_bp: Mapped[int]
    new_term_months: Mapped[int]
    new_method: Mapped[str] = mapped_column(String(32))
    capitalise_interest: Mapped[bool]
    capitalised_fen: Mapped[int] = mapped_column(default=0)
    observation_months: Mapped[int]
    observation_until: Mapped[date | None] = mapped_column(index=True)
    reason: Mapped[str] = mapped_column(String(500))
    proposed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    proposed_by_name: Mapped[str] = mapped_column(String(100))
    approved_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    approved_by_name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
