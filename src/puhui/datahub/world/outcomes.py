"""Stage 8: what the applicant types (declared revenue, requested amount, application time),
the seeded fraud patterns, and the true 12-month default outcome.

    pd_i = 1 - prod_{t in horizon} (1 - sigmoid(hazard_logit[i,t]))
    hazard_logit[i,t] = a_d - b_d * s_size(i) * y(i) * h[i,t]            (size, age x health)
                        + jump * sigmoid((h* - h[i,t]) / width)          (a liquidity cliff)
                        + squeeze * amp_k(i) * off_season(t) * sigmoid(-h[i,t] / 0.3)
                                                            (industry x season x weak health)
    shells:        pd = max(pd, shell_default_probability)
    burst rings:   pd = 1 - (1 - pd) * (1 - burst_default_probability)
    inflators:     pd = 1 - (1 - pd) * (1 - inflation_extra_default_probability)
    default_12m ~ Bernoulli(pd)
    default month: the hazard strikes at a distress spell's onset; the default (the first
                   instalment never paid) follows distress_spell_min + Poisson months later
                   (``spell_timing``), at once for the sudden ones and fraud-driven ones
"""

from __future__ import annotations

import math
from datetime import datetime, time, timedelta, timezone
from typing import Any

import numpy as np
import polars as pl

from puhui.datahub.world.context import F64, FEN_PER_WAN, I64, Ctx, gumbel_top_k, sigmoid
from puhui.datahub.world.vocab import INDUSTRIES, SALES_SEASONALITY

_SHANGHAI = timezone(timedelta(hours=8))
# Hour-of-day profile of applications (Asia/Shanghai), 0..23.
_HOUR_WEIGHTS = np.array(
    [
        0.2,
        0.1,
        0.05,
        0.05,
        0.05,
        0.1,
        0.3,
        0.8,
        1.5,
        2.5,
        3.0,
        2.8,
        1.8,
        2.0,
        2.6,
        2.6,
        2.4,
        2.0,
        1.5,
        1.8,
        2.4,
        2.2,
        1.4,
        0.6,
    ]
)


def _masked(values: np.ndarray, keep: np.ndarray, dtype: Any) -> pl.Series:
    """A series of ``values`` with nulls where ``keep`` is false."""
    series = pl.Series(values).cast(dtype)
    return pl.select(pl.when(pl.Series(keep)).then(series).otherwise(None)).to_series()


def _round_declared(fen: np.ndarray) -> np.ndarray:
    """People type round numbers: whole 万元 above 1 million yuan, whole thousands below."""
    fen = np.maximum(fen, 0.0)
    big = np.rint(fen / FEN_PER_WAN) * FEN_PER_WAN
    small = np.rint(fen / 100_000) * 100_000
    return np.where(fen >= 100_000_000, big, small).astype(np.int64)


# Seasonal cash squeeze: how strongly each section's sales swing with the season (the
# amplitudes observe.py applies to SALES_SEASONALITY), 0 for the steady ones.
_SEASONAL_EXPOSURE = {"A": 1.6, "F": 1.2, "E": 1.1, "C": 0.6, "H": 0.9, "G": 0.4}


def hazard_logit(ctx: Ctx) -> F64:
    """(n, H) logit of the monthly default hazard over the horizon; non-additive on purpose
    (issue 22, item 4): the health slope depends on size and age, a cliff below h*, and an
    off-season squeeze for seasonal industries whose health is weak. All of it through h, so
    a default is foreshadowed by the health path."""
    p, T, H = ctx.params, ctx.months, ctx.horizon
    a_d, b_d = p.default_logit
    h = ctx.health[:, T : T + H]
    slope = np.asarray((*p.hazard_size_slope, p.hazard_size_slope[-1]))[ctx.size]
    young = ctx.attrs["age_years"] * 12.0 < p.hazard_young_months
    slope = slope * np.where(young, p.hazard_young_slope, 1.0)
    logit = a_d - b_d * slope[:, None] * h
    lev = np.asarray((*p.hazard_leverage, p.hazard_leverage[-1]))[ctx.size]
    logit += (lev * np.log(ctx.attrs["leverage"]))[:, None]
    # Subscribed capital (认缴制): a young firm with a large registered capital for its size has
    # usually not paid it in (a vehicle, a stretched founder); an established one has.
    cap = ctx.attrs["registered_capital_fen"] / FEN_PER_WAN
    size_median = np.array([75.0, 400.0, 2000.0, 30000.0])[ctx.size]
    big_cap = np.clip(np.log(cap / size_median), 0.0, None)
    cap_young, cap_old = p.hazard_capital
    young_cap = ctx.attrs["age_years"] * 12.0 < p.hazard_capital_young_months
    logit += (big_cap * np.where(young_cap, cap_young, -cap_old))[:, None]
    h_star, jump, width = p.hazard_cliff
    logit += jump * sigmoid((h_star - h) / width)
    sections = [ind.section for ind in INDUSTRIES]
    exposure = np.array([_SEASONAL_EXPOSURE.get(s, 0.0) for s in sections])[ctx.industry]
    cal = ctx.calendar_month()[T : T + H]
    off_season = np.clip(1.0 - np.asarray(SALES_SEASONALITY)[cal], 0.0, None) / 0.26
    logit += p.hazard_season_squeeze * exposure[:, None] * off_season[None, :] * sigmoid(-h / 0.3)
    return logit


def spell_timing(survive: F64, v: F64, spell_min: int, spell_mean_extra: float) -> tuple[I64, I64]:
    """The (onset, spell length) of each firm's distress spell, drawn jointly with ``v``:
    P(onset o, spell L) ∝ f(o) * p(L) over o + L < H, where f is the hazard's month density
    (``1 - survive`` differenced) and p the spell's ``spell_min + Poisson(spell_mean_extra)``.
    Conditional on a default within the horizon, it comes a spell after the hazard strikes.
    Spell 0: no room (short horizons) -- the caller defaults such firms at the hazard month."""
    n, H = survive.shape
    f = np.diff(np.concatenate([np.zeros((n, 1)), 1.0 - survive], axis=1), axis=1)
    f = np.clip(f, 0.0, None) + 1e-15  # a flat floor for firms without health hazard
    lengths = np.arange(H)
    extra = lengths - spell_min
    pois = np.where(extra >= 0, np.exp(
        extra * np.log(max(spell_mean_extra, 1e-12)) - spell_mean_extra
        - np.array([math.lgamma(e + 1) for e in np.clip(extra, 0, None)])), 0.0)  # fmt: skip
    onset, length = np.meshgrid(lengths, lengths, indexing="ij")  # (H, H): o, L
    valid = (onset + length < H) & (pois[length] > 0)
    joint = f[:, onset] * np.where(valid, pois[length], 0.0)[None, :, :]
    flat = joint.reshape(n, -1)
    total = flat.sum(axis=1)
    cdf = np.cumsum(flat, axis=1) / np.maximum(total, 1e-300)[:, None]
    pick = np.minimum((cdf < v[:, None]).sum(axis=1), H * H - 1)
    o, L = pick // H, pick % H
    none = total <= 0
    return np.where(none, 0, o).astype(np.int64), np.where(none, 0, L).astype(np.int64)


def build_outcomes(ctx: Ctx) -> pl.DataFrame:
    # One long function on purpose: a straight recipe of column definitions (inflators, declared
    # revenue, application times, defaults), cyclomatic 3, drawing from the world's one generator
    # in a fixed order. The sections share their intermediate arrays and the order of the draws is
    # the world itself (one seed, one world byte for byte), so cutting it up would scatter one
    # recipe, not reveal a seam.
    rng, p, n, T, H = ctx.rng, ctx.params, ctx.n, ctx.months, ctx.horizon
    ids = np.arange(n, dtype=np.int64)

    # --- revenue inflators: weaker firms are likelier to inflate -------------------------
    eligible = ~ctx.is_core & ~ctx.shell & (ctx.burst_ring < 0)
    weights = np.where(eligible, np.exp(-1.5 * ctx.quality), 0.0)
    chosen = gumbel_top_k(rng, weights, round(n * p.revenue_inflation_rate))
    ctx.inflator = np.zeros(n, dtype=np.bool_)
    ctx.inflator[chosen] = True

    # --- declared annual revenue --------------------------------------------------------
    last12 = slice(max(0, T - 12), T)
    tax_implied = ctx.dense["invoiced_sales_fen"][:, last12].sum(axis=1).astype(np.float64)
    true_rev = ctx.dense["activity"][:, last12].sum(axis=1)
    months_seen = ctx.dense["alive"][:, last12].sum(axis=1)
    annualize = 12.0 / np.maximum(months_seen, 1)
    honest = true_rev * annualize * np.exp(rng.normal(0.02, 0.08, size=n))
    lo, hi = p.revenue_inflation_factor
    inflated = np.maximum(tax_implied, true_rev) * annualize * rng.uniform(lo, hi, size=n)
    packaged = true_rev * annualize * rng.uniform(1.2, 2.0, size=n)
    shell_claim = np.maximum(tax_implied, 3e8) * rng.uniform(1.0, 2.0, size=n)
    declared = np.where(ctx.inflator, inflated, honest)
    declared = np.where(ctx.burst_ring >= 0, packaged, declared)
    declared = np.where(ctx.shell, shell_claim, declared)
    declared_fen = _round_declared(declared)
    requested = np.minimum(declared_fen * rng.uniform(0.08, 0.3, size=n), 1_000_000_000)
    requested_fen = np.maximum(np.rint(requested / FEN_PER_WAN), 1).astype(np.int64) * FEN_PER_WAN

    # --- intended application timestamps (UTC) ----------------------------------------
    start = datetime.combine(ctx.as_of + timedelta(days=1), time(0, 0), tzinfo=_SHANGHAI)
    start_us = int(start.timestamp() * 1_000_000)
    day = rng.integers(0, 60, size=n)
    hour = rng.choice(24, size=n, p=_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum())
    seconds = rng.integers(0, 3600, size=n)
    offset_s = day * 86_400 + hour * 3600 + seconds
    # Rings (burst rings, and half of the shell rings) apply within minutes of each other.
    ring_key = np.where(ctx.burst_ring >= 0, ctx.burst_ring, -1)
    shell_burst = (ctx.shell_ring >= 0) & (ctx.shell_ring % 2 == 0)
    n_burst_rings = int(ctx.burst_ring.max()) + 1 if (ctx.burst_ring >= 0).any() else 0
    ring_key = np.where(shell_burst, n_burst_rings + ctx.shell_ring, ring_key)
    if (ring_key >= 0).any():
        n_keys = int(ring_key.max()) + 1
        centre = (
            rng.integers(0, 60, size=n_keys) * 86_400
            + rng.choice([10, 11, 14, 15, 20, 21], size=n_keys) * 3600
            + rng.integers(0, 3600, size=n_keys)
        )
        jitter = np.clip(rng.normal(0.0, 25 * 60, size=n), -90 * 60, 90 * 60).astype(np.int64)
        in_ring = ring_key >= 0
        offset_s = np.where(in_ring, centre[np.maximum(ring_key, 0)] + jitter, offset_s)
    applied_us = start_us + offset_s.astype(np.int64) * 1_000_000

    # --- default outcome over the horizon ---------------------------------------------
    hazard = sigmoid(hazard_logit(ctx))
    survive = np.cumprod(1.0 - hazard, axis=1)
    pd_health = 1.0 - survive[:, -1]
    pd_true = pd_health.copy()
    pd_true = np.where(ctx.shell, np.maximum(pd_true, p.shell_default_probability), pd_true)
    burst = ctx.burst_ring >= 0
    pd_true = np.where(burst, 1 - (1 - pd_true) * (1 - p.burst_default_probability), pd_true)
    pd_true = np.where(
        ctx.inflator, 1 - (1 - pd_true) * (1 - p.inflation_extra_default_probability), pd_true
    )
    revoked = ctx.attrs["status"] == "revoked"
    pd_true = np.where(revoked, np.maximum(pd_true, 0.8), pd_true)
    u = rng.random(n)
    default = u < pd_true
    # Month of default: along the health hazard, or early for fraud-driven defaults.
    cum = (1.0 - survive) / np.maximum(pd_health, 1e-12)[:, None]
    v = rng.random(n)
    month_health = (cum < v[:, None]).sum(axis=1)
    month_fraud = rng.integers(0, min(6, H), size=n)
    from_health = rng.random(n) < pd_health / np.maximum(pd_true, 1e-12)
    # The health hazard is the onset of a distress spell: the default (the first instalment
    # never paid) comes when the spell has used up the cash, ``distress_spell_min + Poisson``
    # months later -- except for the sudden ones (no spell: the default is the hazard month).
    # (Drawn after every earlier draw of the world: nothing before it moves.)
    sudden = rng.random(n) < p.sudden_default_share
    onset_idx, spell_idx = spell_timing(np.asarray(survive, dtype=np.float64), v,
                                        p.distress_spell_min,
                                        p.distress_spell_mean_extra)  # fmt: skip
    sudden |= spell_idx == 0  # no room for a spell in a short horizon
    month_health = np.where(sudden, month_health, onset_idx + spell_idx)
    spell = np.where(sudden | ~from_health, 0, spell_idx)
    default_idx = np.minimum(np.where(from_health, month_health, month_fraud), H - 1)
    default_month = (ctx.month0 + T + default_idx).astype("datetime64[D]")

    fraud_type = np.where(
        ctx.shell,
        "shell_company",
        np.where(burst, "application_burst", np.where(ctx.inflator, "revenue_inflation", "")),
    )
    is_fraud = fraud_type != ""
    ring_id = np.where(ctx.shell, ctx.shell_ring, np.where(burst, ctx.burst_ring, -1))
    onset = ctx.onset
    onset_month = np.where(
        onset < ctx.total_months, (ctx.month0 + onset).astype("datetime64[D]"), np.datetime64("NaT")
    )

    ctx.attrs["declared_annual_revenue_fen"] = declared_fen
    ctx.attrs["requested_amount_fen"] = requested_fen
    ctx.attrs["applied_at_us"] = applied_us
    ctx.attrs["tax_implied_revenue_fen"] = tax_implied.astype(np.int64)

    return pl.DataFrame(
        {
            "enterprise_id": pl.Series(ids, dtype=pl.Int32),
            "default_12m": default,
            "default_month": pl.Series(
                np.where(default, default_month, np.datetime64("NaT")), dtype=pl.Date
            ),
            "distress_spell_months": _masked(spell, default & (spell > 0), pl.Int8),
            "pd_true": pd_true,
            "is_fraud": is_fraud,
            "fraud_type": _masked(fraud_type, is_fraud, pl.String),
            "fraud_ring_id": _masked(ring_id, ring_id >= 0, pl.Int32),
            "shell_ring_shares": _masked(
                np.where(ctx.shell_ring_kind == 0, "legal_representative", "phone"),
                ctx.shell,
                pl.String,
            ),
            "deteriorating": ctx.onset_observed,
            "deterioration_onset_month": pl.Series(onset_month, dtype=pl.Date),
            "quality": ctx.quality,
            "health_as_of": ctx.health[:, T - 1],
        }
    )
