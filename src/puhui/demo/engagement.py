"""The demo's proactive service (issue 18): a core enterprise's dealer list pre-screened under
its data agreement — three of the world's reserved firms, invited on /m by their registered
mobiles — and the first day's lifecycle segments."""

from __future__ import annotations

import uuid
from typing import Any

import polars as pl

from puhui.core.clock import business_date
from puhui.core.db import unit_of_work
from puhui.decisioning.scoring import store_for
from puhui.engagement import service as engagement_service
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
    """One recorded dealer pre-screening and the day's segments, in their own unit of work."""
    with unit_of_work(rt.session_factory) as session:
        engagement_service.run_prescreen(
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
