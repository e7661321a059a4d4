"""Engagement tables: pre-screening runs and their indicative offers (预授信), daily segment
runs and segment membership history (entered / left, per definition version)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
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
