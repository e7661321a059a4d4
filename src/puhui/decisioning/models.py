"""Decisioning tables: applications (+ status history), decisions, policy versions, reviews.

An application moves along `APPLICATION_TRANSITIONS`; every move leaves a
`decisioning_application_event` row. A decision stores everything needed to explain and to replay
it: the feature values and the feature-set version, the hub snapshots it used (lineage), the
policy version and the model version, the score and PD, every rule hit, the reasons in Chinese
and English, the offer, and its latency. Policy versions are immutable once submitted; a second
risk officer (not the maker) approves one before it becomes the active version.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from puhui.core.db import Base, IdMixin


class ApplicationStatus(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    DECLINED = "declined"
    REFERRED = "referred"
    ACCEPTED = "accepted"  # the offer was accepted (contract signed, line active)
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"

    @property
    def zh(self) -> str:
        return _APPLICATION_ZH[self]


_APPLICATION_ZH = {
    ApplicationStatus.SUBMITTED: "已提交",
    ApplicationStatus.APPROVED: "已批准",
    ApplicationStatus.DECLINED: "已拒绝",
    ApplicationStatus.REFERRED: "人工审批中",
    ApplicationStatus.ACCEPTED: "已接受授信",
    ApplicationStatus.WITHDRAWN: "已撤回",
    ApplicationStatus.EXPIRED: "已过期",
}

APPLICATION_TRANSITIONS: dict[ApplicationStatus, frozenset[ApplicationStatus]] = {
    ApplicationStatus.SUBMITTED: frozenset(
        {
            ApplicationStatus.APPROVED,
            ApplicationStatus.DECLINED,
            ApplicationStatus.REFERRED,
            ApplicationStatus.WITHDRAWN,
        }
    ),
    ApplicationStatus.REFERRED: frozenset(
        {ApplicationStatus.APPROVED, ApplicationStatus.DECLINED, ApplicationStatus.WITHDRAWN}
    ),
    ApplicationStatus.APPROVED: frozenset({ApplicationStatus.ACCEPTED, ApplicationStatus.EXPIRED}),
    ApplicationStatus.DECLINED: frozenset(),
    ApplicationStatus.ACCEPTED: frozenset(),
    ApplicationStatus.WITHDRAWN: frozenset(),
    ApplicationStatus.EXPIRED: frozenset(),
}


class DecisionOutcome(StrEnum):
    APPROVE = "approve"
    DECLINE = "decline"
    REFER = "refer"


class DecisionKind(StrEnum):
    AUTOMATED = "automated"
    MANUAL = "manual"  # a credit officer's review decision


class PolicyStatus(StrEnum):
    PENDING_APPROVAL = "pending_approval"
    ACTIVE = "active"
    SUPERSEDED = "superseded"
    REJECTED = "rejected"


class ReviewStatus(StrEnum):
    OPEN = "open"
    AWAITING_CONFIRMATION = "awaiting_confirmation"  # maker decided, checker pending
    APPROVED = "approved"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"

    @property
    def closed(self) -> bool:
        return self in (ReviewStatus.APPROVED, ReviewStatus.DECLINED, ReviewStatus.WITHDRAWN)


class Application(IdMixin, Base):
    __tablename__ = "decisioning_application"
    __table_args__ = (
        CheckConstraint("requested_amount_fen > 0", name="amount_positive"),
        Index("ix_decisioning_application_status_created", "status", "created_at"),
        Index("ix_decisioning_application_channel_created", "channel_key", "created_at"),
        Index("ix_decisioning_application_enterprise_created", "enterprise_id", "created_at"),
    )

    reference: Mapped[str] = mapped_column(String(24), unique=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parties_enterprise.id"))
    product_code: Mapped[str] = mapped_column(String(32))
    requested_amount_fen: Mapped[int]
    requested_term_months: Mapped[int | None]
    declared_annual_revenue_fen: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(16))
    applicant_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    applicant_role: Mapped[str] = mapped_column(String(32))
    legal_rep_person_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("parties_person.id"), index=True
    )
    contact_mobile_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    manager_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    team_code: Mapped[str | None] = mapped_column(String(64))
    channel_key: Mapped[str] = mapped_column(String(80))
    green_channel: Mapped[bool] = mapped_column(default=False)
    latest_decision_id: Mapped[uuid.UUID | None]
    credit_line_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]


class ApplicationEvent(IdMixin, Base):
    """History of an application: every status change, who made it and why."""

    __tablename__ = "decisioning_application_event"

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("decisioning_application.id"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(500))
    actor_id: Mapped[uuid.UUID | None]
    actor_name: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime]


class PolicyVersion(IdMixin, Base):
    """One submitted version of a credit policy document (immutable once submitted)."""

    __tablename__ = "decisioning_policy_version"
    __table_args__ = (
        UniqueConstraint("name", "version"),
        Index("ix_decisioning_policy_version_status", "name", "status"),
    )

    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(24))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    document_sha256: Mapped[str] = mapped_column(String(64))
    base_version_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("decisioning_policy_version.id")
    )
    diff: Mapped[dict[str, Any]] = mapped_column(JSON)
    validation: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(500))
    submitted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    submitted_by_name: Mapped[str] = mapped_column(String(100))
    submitted_at: Mapped[datetime]
    approved_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    approved_by_name: Mapped[str | None] = mapped_column(String(100))
    approved_at: Mapped[datetime | None]
    approval_note: Mapped[str | None] = mapped_column(String(500))
    activated_at: Mapped[datetime | None]
    superseded_at: Mapped[datetime | None]


class Decision(IdMixin, Base):
    __tablename__ = "decisioning_decision"
    __table_args__ = (Index("ix_decisioning_decision_policy", "policy_version_id", "decided_at"),)

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("decisioning_application.id"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    feature_set_version: Mapped[str] = mapped_column(String(32))
    features: Mapped[dict[str, Any]] = mapped_column(JSON)
    snapshot_ids: Mapped[list[str]] = mapped_column(JSON)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    policy_version_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("decisioning_policy_version.id")
    )
    policy_version: Mapped[int | None]
    model_id: Mapped[str | None] = mapped_column(String(64))
    model_version: Mapped[str | None] = mapped_column(String(64))
    score_points: Mapped[int | None]
    pd_ppm: Mapped[int | None]  # probability of default in parts per million (exact PD: inputs)
    grade: Mapped[str | None] = mapped_column(String(8))
    rule_hits: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    limit_fen: Mapped[int]
    rate_bp: Mapped[int | None]
    term_months: Mapped[int | None]
    repayment_method: Mapped[str | None] = mapped_column(String(32))
    credit_line_id: Mapped[uuid.UUID | None]
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    decided_by_name: Mapped[str] = mapped_column(String(100))
    reason_text: Mapped[str | None] = mapped_column(Text)
    latency_ms: Mapped[int]
    decided_at: Mapped[datetime]


class Review(IdMixin, Base):
    """A referred application in the manual-review queue (maker-checker above a threshold)."""

    __tablename__ = "decisioning_review"
    __table_args__ = (Index("ix_decisioning_review_queue", "status", "green_channel", "due_at"),)

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("decisioning_application.id"), unique=True
    )
    decision_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("decisioning_decision.id"))
    status: Mapped[str] = mapped_column(String(24))
    green_channel: Mapped[bool] = mapped_column(default=False)
    green_channel_reason: Mapped[str | None] = mapped_column(String(500))
    green_channel_by_name: Mapped[str | None] = mapped_column(String(100))
    green_channel_at: Mapped[datetime | None]
    due_at: Mapped[datetime]
    dual_control_above_fen: Mapped[int]
    maker_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    maker_name: Mapped[str | None] = mapped_column(String(100))
    maker_outcome: Mapped[str | None] = mapped_column(String(16))
    maker_reason: Mapped[str | None] = mapped_column(String(500))
    maker_terms: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    made_at: Mapped[datetime | None]
    checker_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    checker_name: Mapped[str | None] = mapped_column(String(100))
    checker_reason: Mapped[str | None] = mapped_column(String(500))
    checked_at: Mapped[datetime | None]
    final_decision_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class ReviewEvidence(IdMixin, Base):
    """Evidence gathered for a review (a video interview: its recording's SHA-256 and the
    checklist's outcome), append-only; the manual decision carries the list in its result."""

    __tablename__ = "decisioning_review_evidence"
    __table_args__ = (UniqueConstraint("review_id", "kind", "ref_id"),)

    review_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("decisioning_review.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    ref_id: Mapped[uuid.UUID]
    sha256: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    recorded_by_name: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime]


class ManagerReassignment(IdMixin, Base):
    """An enterprise handed to another customer manager (客户经理变更): who, when, why; a bulk
    reassignment shares its `batch_id`. Append-only: the history of who served the client."""

    __tablename__ = "decisioning_manager_reassignment"

    enterprise_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("parties_enterprise.id"), index=True
    )
    from_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    to_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_user.id"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    batch_id: Mapped[uuid.UUID] = mapped_column(index=True)
    applications_moved: Mapped[int]
    alerts_moved: Mapped[int] = mapped_column(default=0)
    made_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    made_by_name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
