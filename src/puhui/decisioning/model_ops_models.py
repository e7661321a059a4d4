"""Tables of model operations (issue 22, items 6-7): monthly monitoring runs and their alerts,
and retrained model candidates with their maker-checker approval and shadow period.

A monitoring run is one model version's month (re-running a month replaces its report and its
open alerts: the same figures, no duplicates). An alert is open until a risk officer
acknowledges it. A candidate goes submitted -> approved (a second officer, not the maker) ->
shadow (scored beside the deciding model on every decision, deciding nothing) -> promoted (it
decides), or submitted -> rejected; every move leaves its time and its officer on the row.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from puhui.core.db import Base, IdMixin


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"


ALERT_TRANSITIONS: dict[AlertStatus, frozenset[AlertStatus]] = {
    AlertStatus.OPEN: frozenset({AlertStatus.ACKNOWLEDGED}),
    AlertStatus.ACKNOWLEDGED: frozenset(),
}


class CandidateStatus(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    SHADOW = "shadow"
    PROMOTED = "promoted"


CANDIDATE_TRANSITIONS: dict[CandidateStatus, frozenset[CandidateStatus]] = {
    CandidateStatus.SUBMITTED: frozenset({CandidateStatus.APPROVED, CandidateStatus.REJECTED}),
    CandidateStatus.APPROVED: frozenset({CandidateStatus.SHADOW}),
    CandidateStatus.SHADOW: frozenset({CandidateStatus.PROMOTED}),
    CandidateStatus.REJECTED: frozenset(),
    CandidateStatus.PROMOTED: frozenset(),
}


class MonitoringRun(IdMixin, Base):
    __tablename__ = "decisioning_model_monitoring"
    __table_args__ = (UniqueConstraint("model_id", "model_version", "month"),)

    model_id: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[str] = mapped_column(String(64))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM (Asia/Shanghai)
    decisions: Mapped[int]
    score_psi: Mapped[float | None]
    alert_count: Mapped[int]
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]


class ModelAlert(IdMixin, Base):
    __tablename__ = "decisioning_model_alert"
    __table_args__ = (Index("ix_decisioning_model_alert_status", "status", "created_at"),)

    run_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("decisioning_model_monitoring.id"), index=True
    )
    model_id: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[str] = mapped_column(String(64))
    month: Mapped[str] = mapped_column(String(7))
    metric: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(64))
    value: Mapped[float]  # a statistic (PSI, a ratio), not money
    threshold: Mapped[float]
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    acknowledged_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    acknowledged_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class ModelCandidate(IdMixin, Base):
    __tablename__ = "decisioning_model_candidate"
    __table_args__ = (UniqueConstraint("model_id", "version"),)

    model_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    training: Mapped[dict[str, Any]] = mapped_column(JSON)  # rows, bads, cut-off, CV AUC ...
    maker_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    maker_name: Mapped[str] = mapped_column(String(100))
    checker_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    checker_name: Mapped[str | None] = mapped_column(String(100))
    checker_note: Mapped[str | None] = mapped_column(Text)
    shadow_until: Mapped[date | None]
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    promoted_at: Mapped[datetime | None]
