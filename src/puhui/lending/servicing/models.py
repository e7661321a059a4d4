"""Servicing tables: relief requests (+ history) and maturity notices."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from puhui.core.db import Base, IdMixin
from puhui.lending.servicing.states import ReliefRequestKind, ReliefRequestStatus

__all__ = [
    "MaturityNotice",
    "ReliefRequest",
    "ReliefRequestEvent",
    "ReliefRequestKind",
    "ReliefRequestStatus",
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


class MaturityNotice(IdMixin, Base):
    """A loan's maturity reminder (30 and 7 days before): the borrower's message in the outbox
    and the customer manager's task; one per loan and lead time, so a re-run sends nothing."""

    __tablename__ = "lending_maturity_notice"
    __table_args__ = (UniqueConstraint("loan_id", "days_before"),)

    loan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lending_loan.id"), index=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parties_enterprise.id"))
    days_before: Mapped[int]
    maturity_date: Mapped[date]
    business_date: Mapped[date] = mapped_column(index=True)
    manager_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    message_id: Mapped[uuid.UUID | None]  # the borrower's SMS in the outbox, once queued
    task_done_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
