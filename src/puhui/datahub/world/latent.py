"""Stage 2: the latent monthly financial-health process h[i, t] over T observed + H future months.

    h[i,t] = mu_i + c[k(i),t] + x[i,t] + l_g * g[grp(i),t] + l_c * (h[core(i),t] - mu_core)
             - D[i,t]
    mu_i   = industry + size + age effects + quality_sd * z_i
    x[i,t] = phi * x[i,t-1] + ar_sd * eps[i,t]            (stationary start)
    c[k,t] = cycle_phi * c[k,t-1] + cycle_sd * eta[k,t]   (industry cycle)
    D[i,t] = deterioration regime: a linear decline of delta_i per month from the onset tau_i
             for L_i months (capped), then a recovery at delta_i / 2 per month.

The time loop runs over months (48 steps) with vector operations over all enterprises.
"""

from __future__ import annotations

import numpy as np

from puhui.datahub.world.context import CHAIN_DEALER, CHAIN_TIER1, CHAIN_TIER2, F64, LARGE, Ctx
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
    ctx.onset = onset
    ctx.onset_observed = onset <= ctx.months - 1
    ctx.attrs["deterioration_speed"] = speed
