"""The demo's proactive service (issue 18): a core enterprise's dealer list pre-screened under
its data agreement — three of the world's reserved firms, invited on /m by their registered
mobiles — an in-app campaign to them (drafted by the manager, approved by the risk officer as
marketing compliance, sent as a recorded job), and the engagement end of day: segments and the
workbench's call tasks."""

from __future__ import annotations

import uuid
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from puhui.core.clock import business_date
from puhui.core.db import unit_of_work
from puhui.core.models import User
from puhui.decisioning.scoring import store_for
from puhui.engagement import campaigns, eod
from puhui.engagement import service as engagement_service
from puhui.engagement.campaign_rules import AudienceKind, CallTeam, CampaignChannel
from puhui.engagement.prescreen import ListKind

DEALER_FIRMS = (3, 4, 5)  # indexes into demo.world.journey_firms(): unused by other journeys


def dealer_list(firms: list[Any]) -> pl.DataFrame:
    """The core enterprise's feed: public registry facts, purchase trends and a basis."""
    n = len(firms)
    return pl.DataFrame(
        {
            "enterprise_key": [f.uscc for f in firms],
            "name": [f.name for f in firms],
            "contact_mobile": [f.mobile for f in firms],
            "industry_code": ["4416", "5191", "3841"][:n],
            "enterprise_age_months": [96, 60, 130][:n],
            "enforcement_open": [0] * n,
            "dishonest_debtor": [False] * n,
            "abnormal_operation": [False] * n,
            "registry_status": ["active"] * n,
            "sales_trend_6m": [0.12, 0.05, 0.2][:n],
            "sales_yoy": [0.25, 0.1, 0.3][:n],
            "basis_monthly_fen": [60_000_000, 35_000_000, 80_000_000][:n],
        }
    )


def build(rt: Any, core_enterprise_id: uuid.UUID, firms: list[Any]) -> None:
    """One recorded dealer pre-screening, its in-app campaign and the engagement end of day."""
    with unit_of_work(rt.session_factory) as session:
        run = engagement_service.run_prescreen(
            session,
            rt.clock,
            store_for(rt.settings.resolved_var_dir() / "models"),
            engagement_service.PrescreenRequest(
                kind=ListKind.DEALER_LIST,
                list_name="示例核心企业经销商名单 Demo dealer list",
                frame=dealer_list(firms),
                core_enterprise_id=core_enterprise_id,
                agreement_ref="DEMO-分销通-2026-001",
            ),
            mobile_hash=lambda m: rt.cipher.lookup_hash(m, "mobile"),
        )
        engagement_service.run_segments(session, rt.clock, business_date(rt.clock))
        campaign_ids = _campaign(session, rt, run.id)  # the call campaign's audience: a segment
    for campaign_id in campaign_ids:
        campaigns.run_send(rt.session_factory, rt.clock, rt.cipher, campaign_id,
                           rt.settings.campaign_cap_per_30_days)  # fmt: skip
    eod.run_eod(rt.session_factory, rt.clock, business_date(rt.clock), rt.cipher)


def _campaign(session: Session, rt: Any, run_id: uuid.UUID) -> list[uuid.UUID]:
    """The dealers' in-app invitation and the managers' calls to the enterprises close to the
    next size tier, each drafted by the manager and approved by the risk officer."""
    users = {
        name: session.scalars(select(User.id).where(User.username == name)).one()
        for name in ("manager", "risk")
    }
    drafts = (
        campaigns.CampaignDraft(
            name="经销商预授信邀请 Dealer invitations",
            audience_kind=AudienceKind.PRESCREEN,
            audience={"run_id": str(run_id)},
            channel=CampaignChannel.IN_APP,
            template="{name}：您已获预授信额度 {limit_yuan} 元，点击查看并申请 {link}",
            scheduled_at=rt.clock.now(),
        ),
        campaigns.CampaignDraft(
            name="临界提级客户回访 Calls to enterprises close to the next tier",
            audience_kind=AudienceKind.SEGMENT,
            audience={"segment": "near_upgrade"},
            channel=CampaignChannel.CALL,
            template="{name}：经营规模增长，可申请提高额度。",
            call_script="您好，贵司经营规模增长较快，我行可为贵司评估提高授信额度，是否方便了解一下？",
            call_team=CallTeam.MANAGER,
            scheduled_at=rt.clock.now(),
        ),
    )
    ids = []
    for draft in drafts:
        campaign = campaigns.create_draft(session, rt.clock, users["manager"], draft)
        campaigns.approve(session, rt.clock, campaign.id, users["risk"])
        ids.append(campaign.id)
    return ids
