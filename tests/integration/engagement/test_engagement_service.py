"""Pre-screening and segments through the database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.integration.lending.lending_factories import (
    draw,
    make_enterprise,
    make_line,
    random_uscc,
)
from tests.support.engagement_lists import dealer_list

from puhui.core.clock import FixedClock, business_date
from puhui.decisioning.scoring import store_for
from puhui.engagement import service as engagement
from puhui.engagement.errors import FeedAgreementMissing
from puhui.engagement.models import Offer, SegmentMembership
from puhui.engagement.prescreen import ListKind, OfferStatus
from puhui.engagement.segments import Segment
from puhui.lending.models import CreditLine, Loan


def _dealers(session: Session, clock: FixedClock) -> tuple[pl.DataFrame, list[str]]:
    known = [make_enterprise(session, clock, f"经销商{i}有限公司") for i in range(2)]
    frame = dealer_list(40, seed=2).with_columns(
        pl.Series("enterprise_key", [e.uscc for e in known] + [random_uscc() for _ in range(38)])
    )
    # the two known dealers: established, clean, good trends, a purchase basis
    good = {"enterprise_age_months": 120, "enforcement_open": 0, "dishonest_debtor": False,
            "abnormal_operation": False, "registry_status": "active", "sales_trend_6m": 0.2,
            "sales_yoy": 0.3, "basis_monthly_fen": 80_000_000}  # fmt: skip
    for col, value in good.items():
        frame = frame.with_columns(
            pl.when(pl.int_range(pl.len()) < 2).then(pl.lit(value)).otherwise(pl.col(col))
            .cast(frame[col].dtype).alias(col)
        )  # fmt: skip
    return frame, [e.uscc for e in known]


def test_a_dealer_list_gives_offers_and_never_a_line(session: Session, clock: FixedClock) -> None:
    core = make_enterprise(session, clock, "核心企业集团有限公司")
    frame, known = _dealers(session, clock)
    lines_before = session.scalar(select(func.count()).select_from(CreditLine))
    req = engagement.PrescreenRequest(
        kind=ListKind.DEALER_LIST, list_name="2026年12月经销商名单", frame=frame,
        core_enterprise_id=core.id, agreement_ref="DSX-2026-001",
    )  # fmt: skip
    run = engagement.run_prescreen(session, clock, store_for(None), req)
    assert run.rows_total == 40 and run.offers_count >= 2
    offers = engagement.offers_of_run(session, run.id)
    assert len(offers) == 40
    assert session.scalar(select(func.count()).select_from(CreditLine)) == lines_before
    first = next(o for o in offers if o.enterprise_key == known[0])
    assert first.outcome == OfferStatus.OFFER and first.enterprise_id is not None
    assert first.indicative_limit_fen > 0 and first.rate_bp is not None
    today = business_date(clock)
    assert [o.id for o in engagement.open_offers_for(session, first.enterprise_id, today)] == [
        first.id
    ]
    # the offer lapses after its validity; a knocked-out row is never open
    later = today + timedelta(days=engagement.OFFER_VALID_DAYS + 1)
    assert engagement.open_offers_for(session, first.enterprise_id, later) == []
    assert all(o.state == "lapsed" for o in offers if o.outcome != OfferStatus.OFFER)


def test_a_dealer_list_without_an_agreement_is_refused(session: Session, clock: FixedClock) -> None:
    core = make_enterprise(session, clock, "核心企业集团有限公司")
    frame, _ = _dealers(session, clock)
    req = engagement.PrescreenRequest(
        kind=ListKind.DEALER_LIST, list_name="x", frame=frame, core_enterprise_id=core.id
    )
    with pytest.raises(FeedAgreementMissing):
        engagement.run_prescreen(session, clock, store_for(None), req)


def test_segments_daily_with_history(session: Session, clock: FixedClock) -> None:
    day = business_date(clock)
    late = make_enterprise(session, clock, "逾期测试有限公司")
    line = make_line(session, clock, late.id, expiry_days=40)
    loan = draw(session, clock, line.id, 10_000_000)
    loan.dpd = 5  # the end of day's overdue step would have set it
    session.flush()
    run = engagement.run_segments(session, clock, day)
    assert run.counts[Segment.OVERDUE_WATCH]["members"] == 1
    assert run.counts[Segment.RENEWAL_DUE]["members"] == 1  # the line expires in 40 days
    assert run.counts[Segment.NEW_ACCOUNT]["members"] >= 1
    assert engagement.run_segments(session, clock, day).id == run.id  # once per date
    # the next day the loan is current again: it leaves the overdue watch
    session.get(Loan, loan.id).dpd = 0  # type: ignore[union-attr]
    session.flush()
    nxt = engagement.run_segments(session, clock, day + timedelta(days=1))
    assert nxt.counts[Segment.OVERDUE_WATCH] == {"members": 0, "entered": 0, "left": 1}
    history = engagement.segments_of(session, late.id)
    watch = [m for m in history if m.segment == Segment.OVERDUE_WATCH]
    assert [(m.entered_date, m.left_date) for m in watch] == [(day, day + timedelta(days=1))]
    assert session.scalar(select(func.count()).select_from(SegmentMembership)) >= 3


def test_a_marketing_opt_out_hides_invitations_at_once(session: Session, clock: FixedClock) -> None:
    core = make_enterprise(session, clock, "核心企业集团有限公司")
    frame, known = _dealers(session, clock)
    frame = frame.with_columns(pl.lit(None, dtype=pl.Utf8).alias("contact_mobile"))
    frame = frame.with_columns(
        pl.when(pl.col("enterprise_key") == known[1]).then(pl.lit("13900001111"))
        .otherwise(pl.col("contact_mobile")).alias("contact_mobile")
    )  # fmt: skip
    req = engagement.PrescreenRequest(
        kind=ListKind.DEALER_LIST, list_name="名单", frame=frame,
        core_enterprise_id=core.id, agreement_ref="DSX-2026-002",
    )  # fmt: skip
    engagement.run_prescreen(session, clock, store_for(None), req, mobile_hash=lambda m: f"h:{m}")
    today = business_date(clock)
    mine = engagement.open_offers_for(session, None, today, contact_mobile_hash="h:13900001111")
    assert [o.enterprise_key for o in mine] == [known[1]]
    # another recipient's opt-out changes nothing for this one
    engagement.opt_out_of_marketing(session, clock, [], "h:13900002222", "m")
    assert engagement.open_offers_for(session, None, today, contact_mobile_hash="h:13900001111")
    engagement.opt_out_of_marketing(session, clock, [], "h:13900001111", "m")
    assert engagement.marketing_opted_out(session, [], "h:13900001111")
    assert (
        engagement.open_offers_for(session, None, today, contact_mobile_hash="h:13900001111") == []
    )
    # the enterprise's own opt-out hides the offers addressed to the enterprise as well
    first = session.scalars(select(Offer).where(Offer.enterprise_key == known[0])).one()
    assert engagement.open_offers_for(session, first.enterprise_id, today)
    engagement.opt_out_of_marketing(session, clock, [first.enterprise_id], None, "call")
    assert engagement.open_offers_for(session, first.enterprise_id, today) == []
