"""Risk tables: who is monitored (under a live post-loan consent) and each monthly observation
with its signals and warning; alerts with their status history; actions proposed and approved
(maker-checker); the watch list; the warning rules' versions (maker-checker like credit
policies).

Statuses are StrEnums with explicit transition tables; every status change leaves a history
row and an audit event (see `alerts.py`, `actions.py`).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from puhui.core.db import Base, IdMixin


class MonitorStatus(StrEnum):
    MONITORED = "monitored"
    UNMONITORED = "unmonitored"  # exposure, but no live post_loan_monitoring consent
    ENDED = "ended"  # no exposure any more


class Level(StrEnum):
    RED = "red"
    ORANGE = "orange"
    YELLOW = "yellow"

    @property
    def rank(self) -> int:
        return {"red": 3, "orange": 2, "yellow": 1}[self.value]


class AlertStatus(StrEnum):
    OPEN = "open"
    ASSIGNED = "assigned"
    INVESTIGATING = "investigating"
    ESCALATED = "escalated"
    RESOLVED = "resolved"


ALERT_TRANSITIONS: dict[AlertStatus, frozenset[AlertStatus]] = {
    AlertStatus.OPEN: frozenset({AlertStatus.ASSIGNED, AlertStatus.ESCALATED}),
    AlertStatus.ASSIGNED: frozenset(
        {AlertStatus.ASSIGNED, AlertStatus.INVESTIGATING, AlertStatus.ESCALATED}
    ),
    AlertStatus.INVESTIGATING: frozenset({AlertStatus.RESOLVED, AlertStatus.ESCALATED}),
    AlertStatus.ESCALATED: frozenset({AlertStatus.INVESTIGATING, AlertStatus.RESOLVED}),
    AlertStatus.RESOLVED: frozenset(),
}

OPEN_ALERT_STATUSES = frozenset(set(AlertStatus) - {AlertStatus.RESOLVED})


class Disposition(StrEnum):
    """How an alert ended (mandatory on resolution)."""

    FALSE_POSITIVE = "false_positive"  # the data explained, no risk
    RISK_ACCEPTED = "risk_accepted"  # real but tolerable: keep watching
    ACTION_TAKEN = "action_taken"  # an action (freeze, limit cut, demand) was taken
    REPAID = "repaid"  # the exposure was repaid


class ActionKind(StrEnum):
    WATCH = "watch"  # put on the watch list (monitored more often)
    UNWATCH = "unwatch"
    FREEZE = "freeze"  # no new drawdowns; existing loans run on
    UNFREEZE = "unfreeze"
    LIMIT_CUT = "limit_cut"  # reduce the line's limit (never below what is used)
    EARLY_REPAYMENT = "early_repayment"  # 提前收回: demand the loans back by a date
    MARGIN_CALL = "margin_call"  # 追加保证金: collateral value below the cover (IoT watch)


class ActionStatus(StrEnum):
    PROPOSED = "proposed"  # waiting for a second person (maker-checker)
    EXECUTED = "executed"
    REJECTED = "rejected"


ACTION_TRANSITIONS: dict[ActionStatus, frozenset[ActionStatus]] = {
    ActionStatus.PROPOSED: frozenset({ActionStatus.EXECUTED, ActionStatus.REJECTED}),
    ActionStatus.EXECUTED: frozenset(),
    ActionStatus.REJECTED: frozenset(),
}


class RulesStatus(StrEnum):
    PENDING_APPROVAL = "pending_approval"
    ACTIVE = "active"
    SUPERSEDED = "superseded"
    REJECTED = "rejected"


class MonitoredEnterprise(IdMixin, Base):
    """An enterprise with exposure, as monitoring sees it: monitored (its live consent's expiry)
    or unmonitored (why), its stagger day, the last pull and the next one due."""

    __tablename__ = "risk_monitored_enterprise"

    enterprise_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("parties_enterprise.id"), unique=True
    )
    status: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str | None] = mapped_column(String(40))  # why unmonitored: no_consent ...
    consent_expires_at: Mapped[datetime | None]
    stagger_day: Mapped[int]  # day of the month (1–28) of its pull, from a stable hash
    last_pulled_date: Mapped[date | None]
    next_due_date: Mapped[date | None]
    last_level: Mapped[str | None] = mapped_column(String(8))
    updated_at: Mapped[datetime]


class Observation(IdMixin, Base):
    """One monitoring pull of an enterprise: the signal inputs read from the snapshots (their
    ids: the lineage), the signals that fired with their evidence, the warning and the rules
    version that gave it."""

    __tablename__ = "risk_observation"
    __table_args__ = (UniqueConstraint("enterprise_id", "business_date"),)

    enterprise_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("parties_enterprise.id"), index=True
    )
    business_date: Mapped[date]
    month: Mapped[date]  # the month the sources describe
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    snapshot_ids: Mapped[list[str]] = mapped_column(JSON)
    signal_set_version: Mapped[str] = mapped_column(String(32))
    hits: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    level: Mapped[str | None] = mapped_column(String(8))
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    rules_version: Mapped[int | None]
    created_at: Mapped[datetime]


class Alert(IdMixin, Base):
    """A warning to work: one open alert per enterprise and signal (`open_key`, unique, emptied
    on resolution), assigned to the enterprise's customer manager, due by its level's SLA."""

    __tablename__ = "risk_alert"
    __table_args__ = (
        Index("ix_risk_alert_status_level", "status", "level"),
        Index("ix_risk_alert_enterprise", "enterprise_id", "opened_at"),
    )

    reference: Mapped[str] = mapped_column(String(24), unique=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parties_enterprise.id"))
    signal_code: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    open_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    assignee_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    observation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("risk_observation.id"))
    business_date: Mapped[date]
    opened_at: Mapped[datetime]
    sla_due_at: Mapped[datetime]
    last_seen_date: Mapped[date]  # the latest pull in which the signal still fired
    resolved_at: Mapped[datetime | None]
    disposition: Mapped[str | None] = mapped_column(String(24))
    resolution_note: Mapped[str | None] = mapped_column(String(1000))
    updated_at: Mapped[datetime]


class AlertEvent(IdMixin, Base):
    """History of an alert: every status change (and re-assignment), who and why."""

    __tablename__ = "risk_alert_event"

    alert_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("risk_alert.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(1000), default="")
    actor: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime]


class Action(IdMixin, Base):
    """A risk action on an enterprise (and its line): proposed by one person, executed when a
    second approves (maker-checker); automatic ones (the rules' level) are executed at once."""

    __tablename__ = "risk_action"
    __table_args__ = (Index("ix_risk_action_status", "status", "proposed_at"),)

    reference: Mapped[str] = mapped_column(String(24), unique=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("parties_enterprise.id"), index=True
    )
    line_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("lending_credit_line.id"))
    alert_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("risk_alert.id"))
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(500))
    automatic: Mapped[bool] = mapped_column(default=False)
    proposed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    proposed_by_name: Mapped[str] = mapped_column(String(100))
    proposed_at: Mapped[datetime]
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    decided_by_name: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(String(500))


class WatchEntry(IdMixin, Base):
    """The watch list: an enterprise watched from `added_at` until `removed_at`; at most one
    entry open per enterprise (`open_key`)."""

    __tablename__ = "risk_watch_entry"

    enterprise_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("parties_enterprise.id"), index=True
    )
    open_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    reason: Mapped[str] = mapped_column(String(500))
    action_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("risk_action.id"))
    added_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]
    removed_reason: Mapped[str | None] = mapped_column(String(500))


class RulesVersion(IdMixin, Base):
    """A version of the warning rules (a JDM document): submitted by one risk officer with its
    diff against the active one, activated by a second (like `decisioning_policy_version`)."""

    __tablename__ = "risk_rules_version"
    __table_args__ = (UniqueConstraint("name", "version"),)

    name: Mapped[str] = mapped_column(String(80))
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(24), index=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    document_sha256: Mapped[str] = mapped_column(String(64))
    base_version_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("risk_rules_version.id"))
    diff: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(1000))
    submitted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    submitted_by_name: Mapped[str] = mapped_column(String(100))
    submitted_at: Mapped[datetime]
    approved_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    approved_by_name: Mapped[str | None] = mapped_column(String(100))
    approved_at: Mapped[datetime | None]
    approval_note: Mapped[str | None] = mapped_column(String(1000))
    activated_at: Mapped[datetime | None]
    superseded_at: Mapped[datetime | None]
