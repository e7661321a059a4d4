"""Engagement tables: pre-screening runs and their indicative offers (预授信), daily segment
runs and segment membership history (entered / left, per definition version)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from puhui.core.db import Base, IdMixin


class PrescreenRun(IdMixin, Base):
    """One pre-screening of one list: what was applied and what came out (a recorded job)."""

    __tablename__ = "engagement_prescreen_run"

    list_kind: Mapped[str] = mapped_column(String(24))
    list_name: Mapped[str] = mapped_column(String(200))
    core_enterprise_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("parties_enterprise.id")
    )
    agreement_ref: Mapped[str | None] = mapped_column(String(100))
    engine: Mapped[str] = mapped_column(String(16))
    business_date: Mapped[date]
    policy_name: Mapped[str] = mapped_column(String(64))
    policy_version: Mapped[int]
    policy_sha256: Mapped[str] = mapped_column(String(64))
    model_id: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[str] = mapped_column(String(64))
    product_code: Mapped[str] = mapped_column(String(32))
    green_spread_bp: Mapped[int]
    rows_total: Mapped[int]
    offers_count: Mapped[int]
    green_count: Mapped[int]
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    created_at: Mapped[datetime]


class Offer(IdMixin, Base):
    """One row of a pre-screening: an indicative offer (or why there is none). An invitation,
    never a credit line: the line comes from the full decision after the enterprise applies."""

    __tablename__ = "engagement_offer"
    __table_args__ = (
        Index("ix_engagement_offer_enterprise_state", "enterprise_id", "state"),
        Index("ix_engagement_offer_run_outcome", "run_id", "outcome"),
    )

    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("engagement_prescreen_run.id"))
    enterprise_key: Mapped[str] = mapped_column(String(40))
    enterprise_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("parties_enterprise.id"))
    name: Mapped[str] = mapped_column(String(200))
    # keyed hash of the mobile the invitation is addressed to (the list's contact: a dealer's
    # registered mobile from the core enterprise's feed); /m shows the invitation to it
    contact_mobile_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(24))
    state: Mapped[str] = mapped_column(String(16))
    points: Mapped[int]
    grade: Mapped[str | None] = mapped_column(String(4))
    knockouts: Mapped[str | None] = mapped_column(String(500))
    green: Mapped[bool]
    green_category: Mapped[str | None] = mapped_column(String(4))
    indicative_limit_fen: Mapped[int]
    rate_bp: Mapped[int | None]
    product_code: Mapped[str] = mapped_column(String(32))
    valid_until: Mapped[date]
    application_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SegmentRun(IdMixin, Base):
    """The daily segmentation of one business date (re-running the date changes nothing)."""

    __tablename__ = "engagement_segment_run"

    business_date: Mapped[date] = mapped_column(unique=True)
    definition_version: Mapped[str] = mapped_column(String(32))
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]


class SegmentMembership(IdMixin, Base):
    """An enterprise's stay in a segment: entered on a date, left on a later one (or not yet)."""

    __tablename__ = "engagement_segment_membership"
    __table_args__ = (
        Index("ix_engagement_segment_membership_segment_left", "segment", "left_date"),
        Index("ix_engagement_segment_membership_enterprise", "enterprise_id"),
    )

    enterprise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parties_enterprise.id"))
    segment: Mapped[str] = mapped_column(String(24))
    definition_version: Mapped[str] = mapped_column(String(32))
    entered_date: Mapped[date]
    left_date: Mapped[date | None]
    created_at: Mapped[datetime]


class MarketingOptOut(IdMixin, Base):
    """Marketing consent, separate from data consent (PIPL art. 24/44): a recipient (an
    enterprise, or the keyed hash of a mobile an invitation is addressed to) who said no to
    marketing. Honoured at once; servicing notices are not marketing and still reach them."""

    __tablename__ = "engagement_marketing_opt_out"
    __table_args__ = (
        Index("ix_engagement_marketing_opt_out_enterprise", "enterprise_id"),
        Index("ix_engagement_marketing_opt_out_mobile", "mobile_hash"),
    )

    enterprise_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("parties_enterprise.id"))
    mobile_hash: Mapped[str | None] = mapped_column(String(64))
    opted_out_at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(16))  # where it was said: m, sms, call


# --------------------------------------------------------------------------- campaigns (issue 18)


class Campaign(IdMixin, Base):
    """A campaign: audience × channel × schedule; drafted by one person, approved by another
    (marketing compliance), then sent as a recorded job. Statuses: ``campaign_rules``."""

    __tablename__ = "engagement_campaign"

    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), index=True)
    audience_kind: Mapped[str] = mapped_column(String(16))
    audience: Mapped[dict[str, Any]] = mapped_column(JSON)  # segment / run id / filter
    channel: Mapped[str] = mapped_column(String(16))
    template: Mapped[str] = mapped_column(String(500))  # SMS and in-app text
    call_script: Mapped[str | None] = mapped_column(String(2000))
    call_team: Mapped[str | None] = mapped_column(String(16))
    scheduled_at: Mapped[datetime]
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("core_user.id"))
    approved_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    approved_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CampaignTouch(IdMixin, Base):
    """One recipient in one campaign: an enterprise, or (a pre-approved list's dealer not yet
    registered here) the keyed hash of the mobile its invitation is addressed to. Sent,
    deferred (quiet hours), or why not (opted out, capped, no contact). ``token`` is the
    landing link's (/m/c/<token>)."""

    __tablename__ = "engagement_campaign_touch"
    __table_args__ = (
        UniqueConstraint("campaign_id", "recipient"),
        Index("ix_engagement_campaign_touch_enterprise_sent", "enterprise_id", "sent_at"),
        Index("ix_engagement_campaign_touch_mobile_sent", "mobile_hash", "sent_at"),
        Index("ix_engagement_campaign_touch_status_due", "status", "due_at"),
    )

    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("engagement_campaign.id"))
    recipient: Mapped[str] = mapped_column(String(80))  # "e:<enterprise id>" | "m:<hash>"
    enterprise_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("parties_enterprise.id"))
    mobile_hash: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    token: Mapped[str] = mapped_column(String(32), unique=True)
    due_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    outbox_message_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime]


class InAppMessage(IdMixin, Base):
    """A message in the /m inbox of an enterprise (or of the mobile an invitation is addressed
    to): marketing (a campaign's) or servicing (a notice's, never hidden by an opt-out)."""

    __tablename__ = "engagement_in_app_message"
    __table_args__ = (
        Index("ix_engagement_in_app_message_enterprise", "enterprise_id"),
        Index("ix_engagement_in_app_message_mobile", "mobile_hash"),
    )

    enterprise_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("parties_enterprise.id"))
    mobile_hash: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # marketing | servicing
    topic: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(String(1000))
    link: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class CallTask(IdMixin, Base):
    """A call to make: a campaign's, a renewal, a pre-approved lead, a dormant customer (the
    manager's workbench) or an unfinished application or drawdown (the remote team's queue)."""

    __tablename__ = "engagement_call_task"
    __table_args__ = (
        Index("ix_engagement_call_task_team_open", "team", "done_at"),
        Index("ix_engagement_call_task_enterprise_source", "enterprise_id", "source"),
    )

    enterprise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parties_enterprise.id"))
    source: Mapped[str] = mapped_column(String(24))
    team: Mapped[str] = mapped_column(String(16))
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("engagement_campaign.id"))
    value_fen: Mapped[int] = mapped_column(BigInteger)
    due_date: Mapped[date]
    script: Mapped[str | None] = mapped_column(String(2000))
    outcome: Mapped[str | None] = mapped_column(String(24))
    outcome_note: Mapped[str | None] = mapped_column(String(500))
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("core_user.id"))
    created_at: Mapped[datetime]


class Conversion(IdMixin, Base):
    """A campaign's funnel: one row per (campaign, recipient, stage) — counted once. The
    enterprise is known from the application on (a dealer invited by mobile registers then)."""

    __tablename__ = "engagement_conversion"
    __table_args__ = (UniqueConstraint("campaign_id", "touch_id", "stage"),)

    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("engagement_campaign.id"))
    touch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("engagement_campaign_touch.id"))
    enterprise_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("parties_enterprise.id"))
    stage: Mapped[str] = mapped_column(String(16))  # visit | application | drawdown
    ref_id: Mapped[uuid.UUID | None]
    reached_at: Mapped[datetime]


class Notice(IdMixin, Base):
    """A servicing notice (repayment due, overdue, limit expiry, renewal offer, rate change,
    contract to sign): not marketing, so never stopped by an opt-out. Once per ``key``."""

    __tablename__ = "engagement_notice"

    key: Mapped[str] = mapped_column(String(120), unique=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parties_enterprise.id"))
    kind: Mapped[str] = mapped_column(String(24))
    body: Mapped[str] = mapped_column(String(1000))
    outbox_message_id: Mapped[uuid.UUID | None]
    in_app_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime]
