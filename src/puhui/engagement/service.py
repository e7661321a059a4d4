"""The engagement domain's public face: pre-screening runs and their offers, daily segments.

Services never commit (the request, job or CLI command owns the unit of work). Other domains
are read through their services: parties (enterprises), lending (lines, drawdowns, dpd),
decisioning (the active policy, the champion scorecard, a decision's features).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.clock import SHANGHAI, Clock, business_date
from puhui.core.models import UserEnterprise
from puhui.core.models import UserSession as LoginSession
from puhui.decisioning import service as decisioning_service
from puhui.decisioning.scoring import ModelStore
from puhui.engagement import segments as seg
from puhui.engagement.engines import Engine, run_embedded, run_spark, spark_session
from puhui.engagement.errors import FeedAgreementMissing, OfferNotFound, OfferNotOpen
from puhui.engagement.green import catalogue
from puhui.engagement.models import (
    MarketingOptOut,
    Offer,
    PrescreenRun,
    SegmentMembership,
    SegmentRun,
)
from puhui.engagement.prescreen import ListKind, OfferStatus, PrescreenSpec
from puhui.lending import service as lending_service
from puhui.parties import service as parties_service
from puhui.scorecards.artifact import ScorecardArtifact

OFFER_VALID_DAYS = 30
DEFAULT_PRODUCT = "weiyedai"


class OfferState:
    """An offer's life: open -> applied (the enterprise applied from it) | lapsed."""

    OPEN = "open"
    APPLIED = "applied"
    LAPSED = "lapsed"


@dataclass(frozen=True)
class PrescreenRequest:
    kind: ListKind
    list_name: str
    frame: pl.DataFrame  # the list (see puhui.engagement.prescreen for its columns)
    engine: Engine = Engine.EMBEDDED
    product_code: str = DEFAULT_PRODUCT
    green_spread_bp: int = -20
    core_enterprise_id: uuid.UUID | None = None  # a dealer list's core enterprise
    agreement_ref: str | None = None  # its data agreement (分销通 / 批量授信)
    spark_master: str = "local[2]"


# --------------------------------------------------------------------------- pre-screening


def _spec(
    session: Session, clock: Clock, models: ModelStore, req: PrescreenRequest
) -> tuple[PrescreenSpec, Any]:
    ref, compiled = decisioning_service.active_policy(session, clock)
    artifact = models.champion().artifact
    if not isinstance(artifact, ScorecardArtifact):  # a challenger never pre-screens
        raise TypeError("the champion of the pre-screen must be a points scorecard")
    spec = PrescreenSpec(
        kind=req.kind,
        policy=compiled.document,
        artifact=artifact,
        product_code=req.product_code,
        green=catalogue(),
        green_spread_bp=req.green_spread_bp,
    )
    return spec, ref


def run_prescreen(
    session: Session,
    clock: Clock,
    models: ModelStore,
    req: PrescreenRequest,
    *,
    user_id: uuid.UUID | None = None,
    mobile_hash: Callable[[str], str] | None = None,
) -> PrescreenRun:
    """Pre-screen one list and keep its offers (open invitations). Creates no credit line."""
    core_name = None
    if req.kind == ListKind.DEALER_LIST:
        core = (
            parties_service.get_enterprise(session, req.core_enterprise_id)
            if req.core_enterprise_id
            else None
        )
        core_name = core.name if core else "?"
        if core is None or not (req.agreement_ref or "").strip():
            raise FeedAgreementMissing(name=core_name)
    spec, ref = _spec(session, clock, models, req)
    if req.engine == Engine.SPARK:
        spark = spark_session(req.spark_master)
        out = run_spark(spark, req.frame, spec)
    else:
        out = run_embedded(req.frame, spec)
    today = business_date(clock)
    now = clock.now()
    run = PrescreenRun(
        list_kind=req.kind.value,
        list_name=req.list_name,
        core_enterprise_id=req.core_enterprise_id,
        agreement_ref=req.agreement_ref,
        engine=req.engine.value,
        business_date=today,
        policy_name=ref.name,
        policy_version=ref.version,
        policy_sha256=spec.policy.sha256(),
        model_id=spec.artifact.model_id,
        model_version=spec.artifact.version,
        product_code=req.product_code,
        green_spread_bp=req.green_spread_bp,
        rows_total=out.height,
        offers_count=int((out["status"] == OfferStatus.OFFER.value).sum()),
        green_count=int(out["green"].sum()),
        created_by_id=user_id,
        created_at=now,
    )
    session.add(run)
    session.flush()
    _store_offers(session, clock, run, req.frame, out, mobile_hash)
    audit.record(
        session,
        "engagement.prescreen",
        "engagement_prescreen_run",
        run.id,
        after={
            "kind": run.list_kind,
            "rows": run.rows_total,
            "offers": run.offers_count,
            "engine": run.engine,
            "core": core_name,
        },
    )
    return run


def _store_offers(
    session: Session,
    clock: Clock,
    run: PrescreenRun,
    frame: pl.DataFrame,
    out: pl.DataFrame,
    mobile_hash: Callable[[str], str] | None,
) -> None:
    names = frame["name"].to_list() if "name" in frame.columns else [None] * frame.height
    mobiles = (
        frame["contact_mobile"].to_list()
        if "contact_mobile" in frame.columns and mobile_hash is not None
        else [None] * frame.height
    )
    keys = out["enterprise_key"].to_list()
    known = parties_service.enterprise_ids_by_uscc(session, keys)
    now = clock.now()
    valid_until = run.business_date + timedelta(days=OFFER_VALID_DAYS)
    rows = []
    for name, mobile, r in zip(names, mobiles, out.iter_rows(named=True), strict=True):
        rows.append(
            Offer(
                run_id=run.id,
                enterprise_key=r["enterprise_key"],
                enterprise_id=known.get(r["enterprise_key"]),
                name=name or r["enterprise_key"],
                contact_mobile_hash=mobile_hash(mobile) if mobile and mobile_hash else None,
                outcome=r["status"],
                state=OfferState.OPEN if r["status"] == OfferStatus.OFFER else OfferState.LAPSED,
                points=r["points"],
                grade=r["grade"],
                knockouts=r["knockouts"],
                green=bool(r["green"]),
                green_category=r["green_category"],
                indicative_limit_fen=r["indicative_limit_fen"],
                rate_bp=r["rate_bp"],
                product_code=run.product_code,
                valid_until=valid_until,
                application_id=None,
                created_at=now,
                updated_at=now,
            )
        )
    session.add_all(rows)
    session.flush()


def offers_of_run(session: Session, run_id: uuid.UUID) -> list[Offer]:
    return list(session.scalars(select(Offer).where(Offer.run_id == run_id).order_by(Offer.id)))


def open_offers_for(
    session: Session,
    enterprise_id: uuid.UUID | None,
    day: date,
    *,
    enterprise_ids: Sequence[uuid.UUID] = (),
    contact_mobile_hash: str | None = None,
) -> list[Offer]:
    """Open pre-approved invitations still valid on ``day``: of an enterprise (or several), or
    addressed to a mobile (an applicant whose enterprise is not registered here yet)."""
    ids = [*enterprise_ids, *([enterprise_id] if enterprise_id else [])]
    if marketing_opted_out(session, ids, contact_mobile_hash):
        return []  # an invitation is marketing: an opt-out hides it at once
    whose: list[ColumnElement[bool]] = [Offer.enterprise_id.in_(ids)] if ids else []
    if contact_mobile_hash:
        whose.append(Offer.contact_mobile_hash == contact_mobile_hash)
    if not whose:
        return []
    return list(
        session.scalars(
            select(Offer)
            .where(
                or_(*whose),
                Offer.state == OfferState.OPEN,
                Offer.outcome == OfferStatus.OFFER.value,
                Offer.valid_until >= day,
            )
            .order_by(Offer.indicative_limit_fen.desc())
        )
    )


def get_open_offer(
    session: Session,
    offer_id: uuid.UUID,
    day: date,
    *,
    enterprise_ids: Sequence[uuid.UUID] = (),
    contact_mobile_hash: str | None = None,
) -> Offer:
    """One open invitation of the viewer (its enterprise's, or addressed to its mobile)."""
    offer = session.get(Offer, offer_id)
    mine = offer is not None and (
        offer.enterprise_id in set(enterprise_ids)
        or (contact_mobile_hash is not None and offer.contact_mobile_hash == contact_mobile_hash)
    )
    if offer is None or not mine:
        raise OfferNotFound()
    if offer.state != OfferState.OPEN or offer.valid_until < day:
        raise OfferNotOpen()
    return offer


def mark_offer_applied(
    session: Session,
    clock: Clock,
    offer: Offer,
    application_id: uuid.UUID,
    enterprise_id: uuid.UUID | None = None,
) -> None:
    """The enterprise applied from the invitation: the full decision runs on its consent."""
    if offer.state != OfferState.OPEN:
        raise OfferNotOpen()
    offer.state = OfferState.APPLIED
    offer.application_id = application_id
    if offer.enterprise_id is None:
        offer.enterprise_id = enterprise_id
    offer.updated_at = clock.now()
    audit.record(session, "engagement.offer_applied", "engagement_offer", offer.id,
                 after={"application_id": str(application_id)})  # fmt: skip


# --------------------------------------------------------------------------- marketing consent


def _opt_out_filter(
    enterprise_ids: Sequence[uuid.UUID], mobile_hash: str | None
) -> list[ColumnElement[bool]]:
    whose: list[ColumnElement[bool]] = []
    if enterprise_ids:
        whose.append(MarketingOptOut.enterprise_id.in_(list(enterprise_ids)))
    if mobile_hash:
        whose.append(MarketingOptOut.mobile_hash == mobile_hash)
    return whose


def marketing_opted_out(
    session: Session, enterprise_ids: Sequence[uuid.UUID], mobile_hash: str | None
) -> bool:
    """Has this recipient said no to marketing? (Data consent is another matter.)"""
    whose = _opt_out_filter(enterprise_ids, mobile_hash)
    if not whose:
        return False
    found = session.scalar(select(MarketingOptOut.id).where(or_(*whose)).limit(1))
    return found is not None


def opt_out_of_marketing(
    session: Session,
    clock: Clock,
    enterprise_ids: Sequence[uuid.UUID],
    mobile_hash: str | None,
    channel: str,
) -> None:
    """No more marketing, from now on (PIPL): open invitations stop showing at once."""
    now = clock.now()
    rows = [
        MarketingOptOut(enterprise_id=e, mobile_hash=None, opted_out_at=now, channel=channel)
        for e in enterprise_ids
    ]
    if mobile_hash:
        rows.append(
            MarketingOptOut(
                enterprise_id=None, mobile_hash=mobile_hash, opted_out_at=now, channel=channel
            )
        )
    session.add_all(rows)
    session.flush()
    for row in rows:
        audit.record(session, "engagement.marketing_opt_out", "engagement_marketing_opt_out",
                     row.id, after={"channel": channel})  # fmt: skip


# --------------------------------------------------------------------------- segments


def segment_facts(session: Session, day: date) -> pl.DataFrame:
    """One row of facts per enterprise (see :mod:`puhui.engagement.segments`)."""
    enterprises = parties_service.enterprise_facts(session)
    lending = {f.enterprise_id: f for f in lending_service.lending_facts(session)}
    features = decisioning_service.latest_feature_values(session, ("sales_12m_fen",
                                                                    "headcount_now"))  # fmt: skip
    logins = {
        ent: seen
        for ent, seen in session.execute(
            select(UserEnterprise.enterprise_id, func.max(LoginSession.last_seen_at))
            .join(LoginSession, LoginSession.user_id == UserEnterprise.user_id)
            .group_by(UserEnterprise.enterprise_id)
        )
    }
    rows = []
    for ent_id, onboarded_at, size_class in enterprises:
        lf = lending.get(ent_id)
        feats = features.get(ent_id, {})
        login = logins.get(ent_id)
        rows.append(
            {
                "enterprise_id": str(ent_id),
                "onboarded_date": onboarded_at.astimezone(SHANGHAI).date(),
                "first_line_date": lf.first_line_date if lf else None,
                "active_limit_fen": lf.active_limit_fen if lf else 0,
                "used_fen": lf.used_fen if lf else 0,
                "last_drawdown_date": lf.last_drawdown_date if lf else None,
                "last_login_date": login.astimezone(SHANGHAI).date() if login else None,
                "next_expiry_date": lf.next_expiry_date if lf else None,
                "max_dpd": lf.max_dpd if lf else 0,
                "sales_12m_fen": feats.get("sales_12m_fen"),
                "headcount_now": feats.get("headcount_now"),
                "size_class": size_class,
            }
        )
    return pl.DataFrame(rows, schema=seg.FACT_SCHEMA)


def run_segments(session: Session, clock: Clock, day: date) -> SegmentRun:
    """The day's segmentation: memberships entered and left, counts; once per date."""
    done = session.scalar(select(SegmentRun).where(SegmentRun.business_date == day))
    if done is not None:
        return done
    defs = seg.definitions()
    today = seg.members(segment_facts(session, day), day, defs)
    open_rows = list(
        session.scalars(select(SegmentMembership).where(SegmentMembership.left_date.is_(None)))
    )
    before: dict[str, set[str]] = {}
    for m in open_rows:
        before.setdefault(m.segment, set()).add(str(m.enterprise_id))
    moved = seg.movements(before, today)
    for m in open_rows:
        if str(m.enterprise_id) in moved.left.get(m.segment, set()):
            m.left_date = day
    now = clock.now()
    session.add_all(
        SegmentMembership(
            enterprise_id=uuid.UUID(ent),
            segment=name,
            definition_version=defs.version,
            entered_date=day,
            left_date=None,
            created_at=now,
        )
        for name, ents in sorted(moved.entered.items())
        for ent in sorted(ents)
    )
    counts = {
        s.value: {
            "members": len(today.get(s.value, ())),
            "entered": len(moved.entered.get(s.value, ())),
            "left": len(moved.left.get(s.value, ())),
        }
        for s in seg.Segment
    }
    run = SegmentRun(business_date=day, definition_version=defs.version, counts=counts,
                     created_at=now)  # fmt: skip
    session.add(run)
    session.flush()
    return run


def segments_of(session: Session, enterprise_id: uuid.UUID) -> list[SegmentMembership]:
    """The enterprise's membership history, newest first."""
    return list(
        session.scalars(
            select(SegmentMembership)
            .where(SegmentMembership.enterprise_id == enterprise_id)
            .order_by(SegmentMembership.entered_date.desc(), SegmentMembership.segment)
        )
    )
