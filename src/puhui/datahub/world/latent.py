"""Stage 2: the latent monthly financial-health process h[i, t] over T observed + H future months.

    h[i,t] = mu_i + c[k(i),t] + x[i,t] + l_g * g[grp(i),t] + l_c * (h[core(i),t] - mu_core)
             - D[i,t]
    mu_i   = industry + size + age effects + quality_sd * z_i
    x[i,t] = phi * x[i,t-1] + ar_sd * eps[i,t]            (stationary start)
    c[k,t] = cycle_phi * c[k,t-1] + cycle_sd * eta[k,t]   (industry cycle)
    D[i,t] = deterioration regime: a linear decline of delta_i per month from the onset tau_i
             for L_i months (capped), then a recovery at delta_i / 2 per month.
             Plus (issue 22, item 4) a regime shift: the sections in `regime_shift_sections`
             lose `regime_shift_depth` over three months from `regime_shift_month` after the
             last observed month; and rare strong shocks (a lost customer, a fire, a core
             enterprise in trouble): at `shock_monthly_rate` (x `core_shock_multiplier` for core
             enterprises, whose shock passes down the chain) a drop of U(shock_depth) that
             decays by `shock_persistence` a month.

The time loop runs over months (48 steps) with vector operations over all enterprises.
"""

from __future__ import annotations

import numpy as np

from puhui.datahub.world.context import (
    CHAIN_CORE,
    CHAIN_DEALER,
    CHAIN_TIER1,
    CHAIN_TIER2,
    F64,
    LARGE,
    Ctx,
)
from puhui.datahub.world.vocab import INDUSTRIES

_SIZE_EFFECT = np.array([-0.15, 0.0, 0.15, 0.3])  # micro, small, medium, large
_ONSET_EARLIEST = -12  # regimes may have begun up to a year before the first observed month


def _ar1(rng: np.random.Generator, rows: int, steps: int, phi: float, sd: float) -> F64:
    out = np.empty((rows, steps))
    prev = rng.normal(0.0, sd / np.sqrt(1.0 - phi * phi), size=rows)
    for t in range(steps):
        prev = phi * prev + sd * rng.normal(0.0, 1.0, size=rows)
        out[:, t] = prev
    return out


def build_health(ctx: Ctx) -> None:
    rng, p, n, tt = ctx.rng, ctx.params, ctx.n, ctx.total_months
    age = ctx.attrs["age_years"]
    ind_effect = np.array([ind.quality_effect for ind in INDUSTRIES])[ctx.industry]
    age_effect = np.clip(0.12 * np.log(age / 4.0), -0.3, 0.2)
    z = rng.normal(0.0, 1.0, size=n)
    mu = ind_effect + _SIZE_EFFECT[ctx.size] + age_effect + p.quality_sd * z
    ctx.quality = mu
    ctx.attrs["quality_z"] = z

    cycle = _ar1(rng, len(INDUSTRIES), tt, p.cycle_phi, p.cycle_sd)
    x = _ar1(rng, n, tt, p.ar_phi, p.ar_sd)

    # Deterioration regime.
    hazard = p.deterioration_hazard * np.exp(-p.deterioration_quality_slope * (mu - mu.mean()))
    hazard = np.where(ctx.size == LARGE, hazard * 0.5, hazard)
    wait = rng.exponential(1.0, size=n) / np.maximum(hazard, 1e-12)
    onset = _ONSET_EARLIEST + np.floor(wait).astype(np.int64)
    onset = np.where(onset >= tt, tt + 1000, onset)  # never within the simulated span
    # A firm cannot deteriorate before it exists.
    onset = np.maximum(onset, ctx.est_t + 3)
    lo, hi = p.deterioration_speed
    speed = rng.uniform(lo, hi, size=n)
    length = 4.0 + rng.exponential(p.deterioration_mean_months, size=n)
    t = np.arange(tt)[None, :]
    since = t - onset[:, None]
    decline = speed[:, None] * np.clip(since, 0, length[:, None])
    recovery = 0.5 * speed[:, None] * np.clip(since - length[:, None], 0, None)
    depth = np.clip(np.minimum(decline, p.deterioration_max_depth) - recovery, 0.0, None)

    health = mu[:, None] + cycle[ctx.industry] + x - depth
    del x, decline, recovery, since
    health -= _regime_shift(ctx) + _rare_shocks(ctx)

    # SME groups share a shock.
    grp = ctx.group_id
    if (grp >= 0).any():
        n_groups = int(grp.max()) + 1
        shock = _ar1(rng, n_groups, tt, p.ar_phi, p.ar_sd)
        members = np.flatnonzero(grp >= 0)
        health[members] += p.group_loading * shock[grp[members]]

    # Supply-chain contagion: suppliers and dealers feel their core's deviation.
    core_dev = health - mu[:, None]
    roles = (
        (CHAIN_TIER1, p.chain_loading_tier1),
        (CHAIN_TIER2, p.chain_loading_tier2),
        (CHAIN_DEALER, p.chain_loading_tier2),
    )
    for role, loading in roles:
        members = np.flatnonzero(ctx.chain_role == role)
        if len(members):
            health[members] += loading * core_dev[ctx.core_of[members]]
    del core_dev

    ctx.health = health
    # Appetite for debt (scales the bureau's enterprise loans; the hazard reads it by size).
    ctx.attrs["leverage"] = np.exp(rng.normal(0.0, p.leverage_sd, size=n))
    ctx.onset = onset
    ctx.onset_observed = onset <= ctx.months - 1
    ctx.attrs["deterioration_speed"] = speed


def _regime_shift(ctx: Ctx) -> F64:
    """(n, T + H) health lost to the regime shift: a 3-month ramp to the full depth."""
    p = ctx.params
    sections = [ind.section for ind in INDUSTRIES]
    hit = np.isin(np.array(sections)[ctx.industry], list(p.regime_shift_sections))
    start = ctx.months - 1 + p.regime_shift_month
    ramp = np.clip((np.arange(ctx.total_months) - start + 1) / 3.0, 0.0, 1.0)
    return np.where(hit[:, None], p.regime_shift_depth * ramp[None, :], 0.0)


def _rare_shocks(ctx: Ctx) -> F64:
    """(n, T + H) health lost to rare strong shocks (at most one per firm, decaying)."""
    rng, p, n, tt = ctx.rng, ctx.params, ctx.n, ctx.total_months
    rate = np.where(ctx.chain_role == CHAIN_CORE, p.shock_monthly_rate * p.core_shock_multiplier,
                    p.shock_monthly_rate)  # fmt: skip
    wait = rng.exponential(1.0, size=n) / np.maximum(rate, 1e-12)
    when = np.maximum(np.floor(wait).astype(np.int64), ctx.est_t + 1)
    lo, hi = p.shock_depth
    size = rng.uniform(lo, hi, size=n)
    since = np.arange(tt)[None, :] - when[:, None]
    decay = np.where(since >= 0, p.shock_persistence ** np.clip(since, 0, None), 0.0)
    ctx.attrs["shock_month_index"] = np.where(when < tt, when, -1)
    return size[:, None] * decay
