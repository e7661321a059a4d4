"""Stage 3: monthly observations driven by the health process (tax, social security, housing
fund, utilities). Dense (n, T) arrays; rows before an enterprise's establishment are dropped
when the panel frame is assembled.

    activity[i,t] = revenue_i / 12 * season[k,m(t)] * exp(kappa_s * (h - mu_i) + g_i * (t-T+1)/12)
                    * ramp_i(t)                                       (true sales, fen)
    invoiced      = activity * coverage_i * LogNormal(0, invoice_noise_sd)   if filed else 0
    filed         ~ Bernoulli(sigmoid(a_f + b_f * h))
    headcount     = round(base_i * cov_i * exp(kappa_h * ema(h - mu_i)))
    electricity   = office_i * climate[m] * exp(kappa_h * ema) * noise
                    + intensity_i * activity / 100 * LogNormal(0, sd_k)
"""

from __future__ import annotations

import numpy as np

from puhui.datahub.world.context import F64, SMALL, Ctx, sigmoid
from puhui.datahub.world.vocab import (
    CLIMATE_SEASONALITY,
    INDUSTRIES,
    REGIONS,
    SALES_SEASONALITY,
    WAGE_BASE_YUAN_BY_TIER,
)

_SECTIONS = [ind.section for ind in INDUSTRIES]


def _by_sector(values: dict[str, float], ctx: Ctx) -> F64:
    return np.array([values[s] for s in _SECTIONS])[ctx.industry]


_SEASON_AMPLITUDE = {"C": 1.0, "F": 1.2, "E": 1.1, "G": 0.9, "I": 0.5, "M": 0.5, "H": 0.9,
                     "A": 1.6, "L": 0.6, "O": 0.7}  # fmt: skip
_INVOICE_COVERAGE = {"C": 0.97, "F": 0.9, "E": 0.95, "G": 0.93, "I": 0.97, "M": 0.97, "H": 0.62,
                     "A": 0.7, "L": 0.95, "O": 0.6}  # fmt: skip
_VAT_BURDEN = {"C": 0.035, "F": 0.012, "E": 0.025, "G": 0.025, "I": 0.04, "M": 0.04, "H": 0.03,
               "A": 0.003, "L": 0.04, "O": 0.03}  # fmt: skip
_KWH_PER_YUAN = {"C": 0.045, "F": 0.0004, "E": 0.001, "G": 0.003, "I": 0.002, "M": 0.004,
                 "H": 0.02, "A": 0.01, "L": 0.0004, "O": 0.005}  # fmt: skip
_WATER_M3_PER_YUAN = {"C": 0.0015, "F": 0.0001, "E": 0.0008, "G": 0.0002, "I": 0.0001,
                      "M": 0.0004, "H": 0.004, "A": 0.004, "L": 0.0001, "O": 0.0006}  # fmt: skip
_WAGE_FACTOR = {"C": 1.0, "F": 0.95, "E": 1.05, "G": 1.0, "I": 1.5, "M": 1.35, "H": 0.7,
                "A": 0.7, "L": 1.05, "O": 0.75}  # fmt: skip
_HF_RATES_BP = np.array([500, 700, 800, 1000, 1200])
_HF_RATE_WEIGHTS = np.array([0.3, 0.2, 0.15, 0.15, 0.2])
SMALL_SCALE_EXEMPT_FEN = 10_000_000  # 100,000 yuan of monthly sales: small-scale VAT exemption
GENERAL_TAXPAYER_THRESHOLD_YUAN = 5_000_000


def build_panel(ctx: Ctx) -> None:
    # One long function on purpose: a straight recipe of column definitions (tax, headcount,
    # housing fund, utilities), cyclomatic 6, drawing from the world's one generator in a fixed
    # order. The sections share their intermediate arrays and the order of the draws is the world
    # itself (one seed, one world byte for byte), so cutting it up would scatter one recipe, not
    # reveal a seam.
    rng, p, n, T = ctx.rng, ctx.params, ctx.n, ctx.months
    h = ctx.health[:, :T]
    dev = h - ctx.quality[:, None]
    alive = ctx.alive()
    cal = ctx.calendar_month(T)
    t = np.arange(T)[None, :]

    amp = _by_sector(_SEASON_AMPLITUDE, ctx)
    season = 1.0 + amp[:, None] * (np.asarray(SALES_SEASONALITY)[cal][None, :] - 1.0)
    z = ctx.attrs["quality_z"]
    growth = 0.02 + 0.03 * z + p.growth_sd * rng.normal(0.0, 1.0, size=n)
    months_alive = t - ctx.est_t[:, None]
    ramp = np.where(months_alive >= 0, 1.0 - np.exp(-(months_alive + 1.0) / 5.0), 0.0)
    activity = (ctx.revenue_yuan * 100.0 / 12.0)[:, None] * season * ramp
    activity *= np.exp(p.sales_elasticity * dev + growth[:, None] * (t - (T - 1)) / 12.0)
    del season

    # --- tax ---------------------------------------------------------------------------
    coverage = np.clip(_by_sector(_INVOICE_COVERAGE, ctx) * rng.uniform(0.9, 1.04, size=n), 0, 1)
    sd = p.invoice_noise_sd
    invoiced = activity * coverage[:, None] * np.exp(rng.normal(-0.5 * sd * sd, sd, size=(n, T)))
    a_f, b_f = p.filing_logit
    filed = (rng.random((n, T)) < sigmoid(a_f + b_f * h)) & alive
    general = (
        (ctx.revenue_yuan >= GENERAL_TAXPAYER_THRESHOLD_YUAN)
        | (ctx.size >= SMALL)
        | ctx.shell_fake_invoicing
    )
    burden = _by_sector(_VAT_BURDEN, ctx)[:, None] * np.exp(
        0.15 * dev + rng.normal(0.0, 0.25, size=(n, T))
    )
    vat_general = invoiced * burden
    vat_small = np.where(invoiced > SMALL_SCALE_EXEMPT_FEN, invoiced * 0.01, 0.0)
    vat = np.where(general[:, None], vat_general, vat_small)
    del burden, vat_general, vat_small

    shells = np.flatnonzero(ctx.shell)
    if len(shells):
        fake = ctx.shell_fake_invoicing[shells]
        fake_rev = rng.uniform(3e6, 2e7, size=len(shells)) * 100.0 / 12.0
        lumpy = np.exp(rng.normal(0.0, 0.7, size=(len(shells), T)))
        invoiced[shells] = np.where(fake[:, None], fake_rev[:, None] * lumpy, 0.0)
        vat[shells] = invoiced[shells] * 0.004
        filed[shells] = alive[shells] & (rng.random((len(shells), T)) < 0.97)
        activity[shells] = invoiced[shells]  # nothing real behind the invoices
        ctx.attrs["shell_fake_revenue_fen"] = np.zeros(n)
        ctx.attrs["shell_fake_revenue_fen"][shells] = np.where(fake, fake_rev * 12.0, 0.0)
    invoiced_fen = np.where(filed, np.rint(invoiced), 0).astype(np.int64)
    vat_fen = np.where(filed, np.rint(vat), 0).astype(np.int64)
    del invoiced, vat

    # --- social security headcount ----------------------------------------------------
    alpha = p.headcount_smoothing
    ema = np.empty((n, T))
    prev = dev[:, 0]
    for step in range(T):
        prev = (1.0 - alpha) * prev + alpha * dev[:, step]
        ema[:, step] = prev
    ss_low = np.array([0.3, 0.6, 0.85, 0.97])[ctx.size]
    ss_cov = rng.uniform(ss_low, 1.0)
    base = ctx.headcount_base * ss_cov
    staff = base[:, None] * np.exp(p.headcount_elasticity * ema) * np.sqrt(ramp)
    staff *= np.exp(rng.normal(0.0, 0.02, size=(n, T)))
    insured = np.where(alive, np.rint(staff), 0).astype(np.int32)
    del staff

    # --- housing fund ------------------------------------------------------------------
    has_hf = rng.random(n) < np.array([0.25, 0.6, 0.9, 1.0])[ctx.size]
    has_hf &= ~ctx.shell
    hf_cov = rng.uniform(0.5, 1.0, size=n)
    contributors = np.where(has_hf[:, None], np.rint(insured * hf_cov[:, None]), 0).astype(np.int32)
    contributors = np.where(has_hf[:, None] & (insured >= 1), np.maximum(contributors, 1), 0)
    tier = np.array([r.tier for r in REGIONS])[ctx.region]
    wage_yuan = np.array([WAGE_BASE_YUAN_BY_TIER[x] for x in (1, 2, 3)])[tier - 1]
    wage_yuan = wage_yuan * _by_sector(_WAGE_FACTOR, ctx) * np.exp(rng.normal(0, 0.2, size=n))
    wage_fen = (np.rint(wage_yuan / 100.0) * 100 * 100).astype(np.int64)  # whole 100 yuan
    rate_bp = rng.choice(_HF_RATES_BP, size=n, p=_HF_RATE_WEIGHTS).astype(np.int64)
    hf_paid = rng.random((n, T)) < sigmoid(4.5 + 2.0 * h)
    per_person = wage_fen * rate_bp * 2 // 10_000  # employer + employee share, whole fen
    hf_amount = np.where(hf_paid, contributors.astype(np.int64) * per_person[:, None], 0)
    ctx.attrs["has_housing_fund"] = has_hf
    ctx.attrs["housing_fund_base_fen"] = wage_fen
    ctx.attrs["housing_fund_rate_bp"] = rate_bp

    # --- utilities ---------------------------------------------------------------------
    climate = np.asarray(CLIMATE_SEASONALITY)[cal][None, :]
    office = (120.0 * ctx.headcount_base + 150.0) * np.exp(rng.normal(0.0, 0.3, size=n))
    intensity = _by_sector(_KWH_PER_YUAN, ctx) * np.exp(rng.normal(0.0, 0.4, size=n))
    manufacturing = ctx.attrs["sector"] == "C"
    prod_sd = np.where(
        manufacturing, p.electricity_noise_sd_manufacturing, p.electricity_noise_sd_other
    )
    office_part = office[:, None] * climate * np.exp(p.headcount_elasticity * ema)
    office_part *= np.exp(rng.normal(0.0, 0.1, size=(n, T)))
    prod_part = intensity[:, None] * activity / 100.0
    prod_part *= np.exp(rng.normal(0.0, 1.0, size=(n, T)) * prod_sd[:, None])
    kwh = office_part + prod_part
    del office_part, prod_part
    if len(shells):
        kwh[shells] = rng.uniform(30, 250, size=len(shells))[:, None] * climate
    kwh = np.where(alive, np.rint(kwh * np.sqrt(ramp)), 0).astype(np.int64)

    water_int = _by_sector(_WATER_M3_PER_YUAN, ctx)
    water = insured * 2.2 * np.exp(rng.normal(0.0, 0.3, size=(n, 1)))
    water = water + water_int[:, None] * activity / 100.0 * np.exp(
        rng.normal(0.0, 0.15, size=(n, T))
    )
    water_m3 = np.where(alive, np.rint(water), 0).astype(np.int64)
    paid_on_time = (rng.random((n, T)) < sigmoid(4.0 + 2.0 * h)) & alive

    ctx.dense.update(
        activity=activity,
        invoiced_sales_fen=invoiced_fen,
        vat_paid_fen=vat_fen,
        filed=filed,
        headcount=insured,
        housing_fund_contributors=contributors.astype(np.int32),
        housing_fund_amount_fen=hf_amount.astype(np.int64),
        electricity_kwh=kwh,
        water_m3=water_m3,
        utilities_paid_on_time=paid_on_time,
        alive=alive,
    )
    ctx.attrs["taxpayer_type"] = np.where(general, "general", "small_scale")
    ctx.attrs["growth"] = growth
