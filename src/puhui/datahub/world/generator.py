"""generate_world: the seeded, vectorized synthetic SME world.

One ``numpy.random.Generator(PCG64(seed))`` feeds every stage in a fixed order, so one seed
gives the same world byte for byte (see ``World.fingerprint``). Stages loop over months or
over a handful of categories, never over enterprises.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import polars as pl

from puhui.datahub.world.bureau import build_bureau
from puhui.datahub.world.context import CHAIN_ROLES, SIZE_CLASSES, Ctx, last_observed_month
from puhui.datahub.world.firms import build_firms
from puhui.datahub.world.judicial import build_judicial
from puhui.datahub.world.latent import build_health
from puhui.datahub.world.model import World
from puhui.datahub.world.observe import build_panel
from puhui.datahub.world.outcomes import build_outcomes
from puhui.datahub.world.params import WorldParams
from puhui.datahub.world.parties import build_parties
from puhui.datahub.world.registry import build_registry, build_tax_grades
from puhui.datahub.world.vocab import INDUSTRIES

DEFAULT_AS_OF = date(2026, 10, 31)
MIN_MONTHS = 26  # the bureau's 24-month record looks two months further back


def generate_world(
    n_enterprises: int,
    seed: int,
    months: int = 36,
    as_of: date = DEFAULT_AS_OF,
    params: WorldParams | None = None,
) -> World:
    """Generate a synthetic world of ``n_enterprises`` SMEs observed for ``months`` months.

    The observed months are the ``months`` complete calendar months ending on or before
    ``as_of``; outcomes cover the following ``params.horizon_months`` months.
    """
    if n_enterprises < 1:
        raise ValueError("n_enterprises must be at least 1")
    if not MIN_MONTHS <= months <= 120:
        raise ValueError(f"months must be between {MIN_MONTHS} and 120")
    params = params or WorldParams()
    last = last_observed_month(as_of)
    ctx = Ctx(
        rng=np.random.Generator(np.random.PCG64(seed)),
        params=params,
        n=n_enterprises,
        months=months,
        horizon=params.horizon_months,
        as_of=as_of,
        month0=last - (months - 1),
    )
    build_firms(ctx)
    build_health(ctx)
    people, relationships = build_parties(ctx)
    build_panel(ctx)
    bureau_accounts, bureau_inquiries = build_bureau(ctx)
    judicial = build_judicial(ctx)
    registry_changes, abnormal = build_registry(ctx, people)
    build_tax_grades(ctx)
    outcomes = build_outcomes(ctx)
    return World(
        seed=seed,
        n_enterprises=n_enterprises,
        months=months,
        as_of=as_of,
        params=params,
        enterprises=_enterprises_frame(ctx),
        people=people,
        relationships=relationships,
        panel=_panel_frame(ctx),
        judicial=judicial,
        bureau_accounts=bureau_accounts,
        bureau_inquiries=bureau_inquiries,
        registry_changes=registry_changes,
        abnormal_operations=abnormal,
        outcomes=outcomes,
        latent=_latent_frame(ctx),
    )


def _nullable(values: np.ndarray, dtype: Any) -> pl.Series:
    """Non-negative ids, null where negative."""
    series = pl.Series(values).cast(dtype)
    return pl.select(pl.when(series >= 0).then(series).otherwise(None)).to_series()


def _enterprises_frame(ctx: Ctx) -> pl.DataFrame:
    a = ctx.attrs
    n = ctx.n
    sections = np.array([ind.section for ind in INDUSTRIES])
    return pl.DataFrame(
        {
            "enterprise_id": pl.Series(np.arange(n), dtype=pl.Int32),
            "uscc": a["uscc"],
            "name": a["name"],
            "industry": sections[ctx.industry],
            "size_class": np.array(SIZE_CLASSES)[ctx.size],
            "region_code": pl.Series(a["region_code"], dtype=pl.Int32),
            "region_name": a["region_name"],
            "address": a["address"],
            "established_date": pl.Series(ctx.established, dtype=pl.Date),
            "registered_capital_fen": pl.Series(a["registered_capital_fen"], dtype=pl.Int64),
            "status": a["status"],
            "taxpayer_type": a["taxpayer_type"],
            "tax_credit_grade": a["tax_credit_grade"],
            "tax_credit_grade_year": pl.Series(
                np.full(n, a["tax_credit_grade_year"]), dtype=pl.Int16
            ),
            "legal_rep_person_id": pl.Series(a["legal_rep_person_id"], dtype=pl.Int32),
            "contact_mobile": a["contact_mobile"],
            "chain_role": np.array(CHAIN_ROLES)[ctx.chain_role],
            "core_enterprise_id": _nullable(ctx.core_of, pl.Int32),
            "group_id": _nullable(ctx.group_id, pl.Int32),
            "housing_fund_base_fen": pl.Series(a["housing_fund_base_fen"], dtype=pl.Int64),
            "housing_fund_rate_bp": pl.Series(a["housing_fund_rate_bp"], dtype=pl.Int16),
            "electricity_price_fen_per_kwh": pl.Series(
                a["electricity_price_fen_per_kwh"], dtype=pl.Int16
            ),
            "water_price_fen_per_m3": pl.Series(a["water_price_fen_per_m3"], dtype=pl.Int16),
            "declared_annual_revenue_fen": pl.Series(
                a["declared_annual_revenue_fen"], dtype=pl.Int64
            ),
            "requested_amount_fen": pl.Series(a["requested_amount_fen"], dtype=pl.Int64),
            "intended_application_at": pl.Series(a["applied_at_us"], dtype=pl.Int64).cast(
                pl.Datetime("us", "UTC")
            ),
        }
    )


def _panel_frame(ctx: Ctx) -> pl.DataFrame:
    d = ctx.dense
    alive = d["alive"]
    rows, cols = np.nonzero(alive)  # row-major: by enterprise, then month
    month = (ctx.month0 + cols).astype("datetime64[D]")
    columns: dict[str, pl.Series] = {
        "enterprise_id": pl.Series(rows, dtype=pl.Int32),
        "month": pl.Series(month, dtype=pl.Date),
    }
    spec = (
        ("invoiced_sales_fen", pl.Int64),
        ("vat_paid_fen", pl.Int64),
        ("filed", pl.Boolean),
        ("headcount", pl.Int32),
        ("housing_fund_contributors", pl.Int32),
        ("housing_fund_amount_fen", pl.Int64),
        ("electricity_kwh", pl.Int64),
        ("water_m3", pl.Int32),
        ("utilities_paid_on_time", pl.Boolean),
    )
    for name, dtype in spec:
        columns[name] = pl.Series(d[name][rows, cols], dtype=dtype)
    ctx.dense.clear()
    return pl.DataFrame(columns)


def _latent_frame(ctx: Ctx) -> pl.DataFrame:
    if not ctx.params.keep_latent:
        return pl.DataFrame(
            schema={
                "enterprise_id": pl.Int32,
                "month": pl.Date,
                "health": pl.Float32,
                "observed": pl.Boolean,
            }
        )
    n, tt = ctx.health.shape
    rows = np.repeat(np.arange(n), tt)
    cols = np.tile(np.arange(tt), n)
    keep = cols >= np.maximum(ctx.est_t[rows], 0)
    rows, cols = rows[keep], cols[keep]
    return pl.DataFrame(
        {
            "enterprise_id": pl.Series(rows, dtype=pl.Int32),
            "month": pl.Series((ctx.month0 + cols).astype("datetime64[D]"), dtype=pl.Date),
            "health": pl.Series(ctx.health[rows, cols].astype(np.float32), dtype=pl.Float32),
            "observed": cols < ctx.months,
        }
    )
