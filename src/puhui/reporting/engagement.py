"""Engagement's read model (issue 18): the home cards (segments with the day's movements,
pre-screening with its green share) and the console page's figures. SQL aggregates only.

Registered on the staff home through :func:`puhui.reporting.home.card` (imported by
``home.py`` so that the registry is complete wherever the home is drawn).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from puhui.core.auth import Principal
from puhui.core.clock import Clock, business_date
from puhui.core.models import Role
from puhui.engagement import workbench
from puhui.engagement.campaign_rules import CallTeam
from puhui.engagement.models import Offer, PrescreenRun, SegmentRun
from puhui.engagement.prescreen import OfferStatus
from puhui.engagement.segments import Segment, definitions
from puhui.reporting.home import Card, Item, Text, card

PAGE = "/console/engagement"


def latest_segment_run(session: Session) -> SegmentRun | None:
    return session.scalar(select(SegmentRun).order_by(SegmentRun.business_date.desc()).limit(1))


@dataclass(frozen=True)
class OfferTotals:
    open: int
    green_open: int
    applied: int
    runs: int


def offer_totals(session: Session, day: date) -> OfferTotals:
    """Open (still valid) pre-approved offers, the green ones among them, those applied for."""
    is_offer = Offer.outcome == OfferStatus.OFFER.value
    live = (Offer.state == "open") & (Offer.valid_until >= day) & is_offer
    open_, green, applied = session.execute(
        select(
            func.count().filter(live),
            func.count().filter(live & Offer.green.is_(True)),
            func.count().filter(Offer.state == "applied"),
        )
    ).one()
    runs = session.scalar(select(func.count()).select_from(PrescreenRun)) or 0
    return OfferTotals(int(open_), int(green), int(applied), int(runs))


def recent_runs(session: Session, limit: int = 10) -> list[PrescreenRun]:
    return list(
        session.scalars(select(PrescreenRun).order_by(PrescreenRun.created_at.desc()).limit(limit))
    )


def offers_of(session: Session, run_id: object, limit: int = 50) -> list[Offer]:
    return list(
        session.scalars(
            select(Offer)
            .where(Offer.run_id == run_id)
            .order_by(Offer.indicative_limit_fen.desc(), Offer.enterprise_key)
            .limit(limit)
        )
    )


@card(Role.CUSTOMER_MANAGER, Role.SERVICE_REP, Role.RISK_OFFICER, order=35)
def segments_card(session: Session, clock: Clock, principal: Principal) -> Card:
    run = latest_segment_run(session)
    defs = definitions()
    version, on = (run.definition_version, str(run.business_date)) if run else ("—", "")
    items = []
    if run is not None:
        for seg in Segment:
            c = run.counts.get(seg.value, {})
            items.append(
                Item(
                    Text(defs.label(seg, "zh"), defs.label(seg, "en")),
                    Text(
                        f"{c.get('members', 0)} 户（新进 {c.get('entered', 0)}，"
                        f"移出 {c.get('left', 0)}）",
                        f"{c.get('members', 0)} (in {c.get('entered', 0)}, out {c.get('left', 0)})",
                    ),
                    href=PAGE,
                )
            )
    return Card(
        key="segments",
        title=Text("客群", "Segments"),
        count=None,
        items=tuple(items),
        empty=Text("尚未运行客群划分。", "No segmentation has run yet."),
        link=(PAGE, Text("主动服务", "Proactive service")),
        title_hint=Text(f"定义版本 {version}，{on}", f"Definitions {version}, {on}"),
    )


@card(Role.CUSTOMER_MANAGER, Role.RISK_OFFICER, order=36)
def prescreen_card(session: Session, clock: Clock, principal: Principal) -> Card:
    t = offer_totals(session, business_date(clock))
    items = (
        Item(Text("有效预授信邀请", "Open pre-approved offers"), Text(str(t.open), str(t.open)),
             href=PAGE),
        Item(Text("其中绿色企业", "of which green enterprises"),
             Text(str(t.green_open), str(t.green_open)), href=PAGE),
        Item(Text("已按邀请申请", "Applied from an invitation"),
             Text(str(t.applied), str(t.applied)), href=PAGE),
    )  # fmt: skip
    return Card(
        key="prescreen",
        title=Text("预授信", "Pre-screening"),
        count=t.open,
        items=items if t.runs else (),
        empty=Text("尚无预授信批次。", "No pre-screening run yet."),
        link=(PAGE, Text("主动服务", "Proactive service")),
    )


@card(Role.CUSTOMER_MANAGER, Role.SERVICE_REP, order=34)
def follow_up_card(session: Session, clock: Clock, principal: Principal) -> Card:
    """Open call tasks of the viewer's team (the workbench), those due today or late first."""
    team = CallTeam.REMOTE if principal.role == Role.SERVICE_REP else CallTeam.MANAGER
    mine = principal.user_id if principal.role == Role.CUSTOMER_MANAGER else None
    total, due = workbench.task_counts(session, team, business_date(clock), manager_id=mine)
    page = f"/console/workbench?team={team.value}"
    items = (
        Item(Text("今日到期", "Due today or late"), Text(str(due), str(due)), href=page),
        Item(Text("全部待办", "All open"), Text(str(total), str(total)), href=page),
    )
    return Card(
        key="follow_ups",
        title=Text("客户跟进", "Follow-ups"),
        count=int(due),
        items=items if total else (),
        empty=Text("暂无待办外呼任务。", "No open call tasks."),
        link=(page, Text("客户跟进工作台", "Follow-up workbench")),
    )
