"""Stage 1: the enterprise population (industry, size, region, age, roles, scale, names)."""

from __future__ import annotations

import numpy as np
import polars as pl

from puhui.datahub.validators import uscc_batch
from puhui.datahub.world.context import (
    CHAIN_CORE,
    CHAIN_DEALER,
    CHAIN_NONE,
    CHAIN_TIER1,
    CHAIN_TIER2,
    FEN_PER_WAN,
    I64,
    LARGE,
    MEDIUM,
    MICRO,
    SMALL,
    Ctx,
    Str,
)
from puhui.datahub.world.vocab import (
    INDUSTRIES,
    INDUSTRY_INDEX,
    REGIONS,
    ROADS,
    TRADE_NAME_CHARS,
)

# Median annual revenue (yuan) by size class and its log-sd.
_REVENUE_MEDIAN_YUAN = {MICRO: 1.6e6, SMALL: 1.4e7, MEDIUM: 9.0e7, LARGE: 3.0e9}
_REVENUE_LOG_SD = {MICRO: 0.75, SMALL: 0.6, MEDIUM: 0.5, LARGE: 0.8}
# Revenue multiplier and revenue per employee (yuan) by industry.
_INDUSTRY_REVENUE_FACTOR = {
    "C": 1.0, "F": 1.4, "E": 1.1, "G": 0.9, "I": 0.7, "M": 0.6, "H": 0.5, "A": 0.7, "L": 0.6,
    "O": 0.4,
}  # fmt: skip
_REVENUE_PER_EMPLOYEE_YUAN = {
    "C": 4.5e5, "F": 1.1e6, "E": 6.0e5, "G": 5.5e5, "I": 3.5e5, "M": 3.0e5, "H": 1.6e5,
    "A": 2.5e5, "L": 4.0e5, "O": 1.5e5,
}  # fmt: skip
_HEADCOUNT_BOUNDS = {MICRO: (1, 20), SMALL: (8, 120), MEDIUM: (60, 600), LARGE: (500, 20000)}
# Registered (subscribed) capital choices in 万元 by size class.
_CAPITAL_WAN = {
    MICRO: (10, 30, 50, 100, 200, 500),
    SMALL: (100, 200, 300, 500, 1000, 2000),
    MEDIUM: (500, 1000, 2000, 3000, 5000),
    LARGE: (10000, 30000, 50000, 100000),
}
_SHELL_CAPITAL_WAN = (1000, 2000, 3000, 5000)


def _pick(rng: np.random.Generator, weights: dict[str, float], keys: list[str], n: int) -> I64:
    p = np.array([weights.get(k, 0.0) for k in keys], dtype=np.float64)
    return rng.choice(len(keys), size=n, p=p / p.sum()).astype(np.int64)


def build_firms(ctx: Ctx) -> None:
    rng, params, n = ctx.rng, ctx.params, ctx.n
    sections = [ind.section for ind in INDUSTRIES]
    ctx.industry = _pick(rng, params.industry_mix, sections, n)
    ctx.size = _pick(rng, params.size_mix, ["micro", "small", "medium"], n)
    region_w = np.array([r.weight for r in REGIONS])
    ctx.region = rng.choice(len(REGIONS), size=n, p=region_w / region_w.sum()).astype(np.int64)

    # Core enterprises: large firms, mostly manufacturers.
    n_core = round(n * params.core_share) if n >= 50 else 0
    if params.core_share > 0 and n >= 50:
        n_core = max(1, n_core)
    ctx.is_core = np.zeros(n, dtype=np.bool_)
    core_ids = np.sort(rng.choice(n, size=n_core, replace=False)) if n_core else np.empty(0, int)
    ctx.is_core[core_ids] = True
    core_ind = rng.choice(
        [INDUSTRY_INDEX["C"], INDUSTRY_INDEX["F"], INDUSTRY_INDEX["E"], INDUSTRY_INDEX["G"]],
        size=n_core,
        p=[0.6, 0.2, 0.1, 0.1],
    )
    ctx.industry[core_ids] = core_ind
    ctx.size[core_ids] = LARGE

    # Age: log-normal around 5 years; medium and core firms are older.
    age_years = np.exp(rng.normal(np.log(5.0), 0.8, size=n))
    age_years = np.where(ctx.size == MEDIUM, age_years * 1.6, age_years)
    age_years = np.where(ctx.is_core, rng.uniform(10, 30, size=n), age_years)
    age_years = np.clip(age_years, 0.1, 28.0)

    # --- fraud roles that change the firm's shape --------------------------------------
    ordinary = ~ctx.is_core
    ctx.shell = np.zeros(n, dtype=np.bool_)
    ctx.shell_ring = np.full(n, -1, dtype=np.int64)
    ctx.shell_ring_kind = np.full(n, -1, dtype=np.int64)
    n_shell = round(n * params.shell_rate)
    if n_shell >= 2:
        sizes = rng.integers(3, 7, size=n_shell)  # rings of 3..6
        ring_sizes = sizes[: int(np.searchsorted(np.cumsum(sizes), n_shell)) + 1]
        ring_sizes[-1] -= max(0, int(ring_sizes.sum()) - n_shell)
        ring_sizes = ring_sizes[ring_sizes >= 2]
        members = rng.choice(np.flatnonzero(ordinary), size=int(ring_sizes.sum()), replace=False)
        ring_of = np.repeat(np.arange(len(ring_sizes)), ring_sizes)
        ctx.shell[members] = True
        ctx.shell_ring[members] = ring_of
        ring_kind = (rng.random(len(ring_sizes)) < 0.4).astype(np.int64)  # 1 = shared phone
        ctx.shell_ring_kind[members] = ring_kind[ring_of]
        # Shells are young micro firms in trade / consulting / IT, one region per ring.
        shell_inds = [INDUSTRY_INDEX[s] for s in ("F", "L", "I", "F")]
        ring_ind = rng.choice(shell_inds, size=len(ring_sizes))
        ring_region = rng.choice(len(REGIONS), size=len(ring_sizes), p=region_w / region_w.sum())
        ctx.industry[members] = ring_ind[ring_of]
        ctx.region[members] = ring_region[ring_of]
        ctx.size[members] = MICRO
        age_years[members] = rng.uniform(0.3, 2.2, size=len(members))
    ctx.shell_fake_invoicing = ctx.shell & (rng.random(n) < 0.6)

    ctx.burst_ring = np.full(n, -1, dtype=np.int64)
    n_burst = round(n * params.burst_rate)
    if n_burst >= 3:
        sizes = rng.integers(5, 16, size=n_burst)
        ring_sizes = sizes[: int(np.searchsorted(np.cumsum(sizes), n_burst)) + 1]
        ring_sizes[-1] -= max(0, int(ring_sizes.sum()) - n_burst)
        ring_sizes = ring_sizes[ring_sizes >= 3]
        pool = np.flatnonzero(ordinary & ~ctx.shell & (ctx.size != MEDIUM))
        members = rng.choice(pool, size=int(ring_sizes.sum()), replace=False)
        ctx.burst_ring[members] = np.repeat(np.arange(len(ring_sizes)), ring_sizes)

    established = np.datetime64(ctx.as_of, "D") - np.round(age_years * 365.25).astype(
        "timedelta64[D]"
    )
    ctx.established = established
    ctx.est_t = (established.astype("datetime64[M]") - ctx.month0).astype(np.int64)
    ctx.attrs["age_years"] = age_years

    _supply_chains(ctx, core_ids)
    _scale(ctx)
    _names_codes(ctx)


def _supply_chains(ctx: Ctx, core_ids: I64) -> None:
    rng, params, n = ctx.rng, ctx.params, ctx.n
    ctx.chain_role = np.full(n, CHAIN_NONE, dtype=np.int64)
    ctx.chain_role[core_ids] = CHAIN_CORE
    ctx.core_of = np.full(n, -1, dtype=np.int64)
    ctx.parent_of = np.full(n, -1, dtype=np.int64)
    eligible = ~ctx.is_core & ~ctx.shell
    sec = np.array([ind.section for ind in INDUSTRIES])[ctx.industry]
    if len(core_ids):
        u = rng.random(n)
        tier1_pool = eligible & np.isin(sec, ["C", "G", "I", "M"])
        p1 = min(1.0, params.tier1_share * eligible.sum() / max(1, tier1_pool.sum()))
        tier1 = tier1_pool & (u < p1)
        dealer_pool = eligible & (sec == "F")
        pd_ = min(1.0, params.dealer_share * eligible.sum() / max(1, dealer_pool.sum()))
        dealer = dealer_pool & (u < pd_)
        tier2_pool = eligible & ~tier1 & ~dealer & np.isin(sec, ["C", "A", "G", "F"])
        p2 = min(1.0, params.tier2_share * eligible.sum() / max(1, tier2_pool.sum()))
        tier2 = tier2_pool & (rng.random(n) < p2)
        ctx.chain_role[tier1] = CHAIN_TIER1
        ctx.chain_role[dealer] = CHAIN_DEALER
        ctx.core_of[tier1] = core_ids[rng.integers(0, len(core_ids), size=int(tier1.sum()))]
        ctx.core_of[dealer] = core_ids[rng.integers(0, len(core_ids), size=int(dealer.sum()))]
        tier1_ids = np.flatnonzero(tier1)
        if len(tier1_ids):
            parents = tier1_ids[rng.integers(0, len(tier1_ids), size=int(tier2.sum()))]
            ctx.chain_role[tier2] = CHAIN_TIER2
            ctx.parent_of[tier2] = parents
            ctx.core_of[tier2] = ctx.core_of[parents]
    # Groups: pairs of SMEs with the same actual controller.
    ctx.group_id = np.full(n, -1, dtype=np.int64)
    n_pairs = round(n * params.group_share / 2)
    pool = np.flatnonzero(eligible & (ctx.burst_ring < 0))
    n_pairs = min(n_pairs, len(pool) // 2)
    if n_pairs:
        members = rng.choice(pool, size=2 * n_pairs, replace=False)
        ctx.group_id[members] = np.repeat(np.arange(n_pairs), 2)


def _scale(ctx: Ctx) -> None:
    """Annual base revenue, headcount, capital, prices (stable per-firm scale attributes)."""
    rng, n = ctx.rng, ctx.n
    sections = np.array([ind.section for ind in INDUSTRIES])
    sec = sections[ctx.industry]
    median = np.array([_REVENUE_MEDIAN_YUAN[s] for s in range(4)])[ctx.size]
    log_sd = np.array([_REVENUE_LOG_SD[s] for s in range(4)])[ctx.size]
    ind_factor = np.array([_INDUSTRY_REVENUE_FACTOR[s] for s in sections])[ctx.industry]
    age = ctx.attrs["age_years"]
    young = np.sqrt(np.clip(age / 3.0, 0.25, 1.0))
    revenue = median * ind_factor * young * np.exp(rng.normal(0.0, 1.0, size=n) * log_sd)
    ctx.revenue_yuan = revenue

    per_employee = np.array([_REVENUE_PER_EMPLOYEE_YUAN[s] for s in sections])[ctx.industry]
    raw_hc = revenue / per_employee * np.exp(rng.normal(0.0, 0.35, size=n))
    lo = np.array([_HEADCOUNT_BOUNDS[s][0] for s in range(4)])[ctx.size]
    hi = np.array([_HEADCOUNT_BOUNDS[s][1] for s in range(4)])[ctx.size]
    headcount = np.clip(raw_hc, lo, hi)
    headcount = np.where(ctx.shell, rng.uniform(0.0, 1.6, size=n), headcount)
    ctx.headcount_base = headcount

    # Registered (subscribed) capital, round 万元 amounts.
    cap = np.empty(n, dtype=np.int64)
    for s, choices in _CAPITAL_WAN.items():
        mask = ctx.size == s
        cap[mask] = rng.choice(choices, size=int(mask.sum()))
    cap = np.where(ctx.shell, rng.choice(_SHELL_CAPITAL_WAN, size=n), cap)
    ctx.attrs["registered_capital_fen"] = cap * FEN_PER_WAN

    tier = np.array([r.tier for r in REGIONS])[ctx.region]
    ctx.attrs["electricity_price_fen_per_kwh"] = np.where(
        sec == "C", rng.integers(58, 72, size=n), rng.integers(66, 92, size=n)
    ).astype(np.int64) + np.where(tier == 1, 6, 0)
    ctx.attrs["water_price_fen_per_m3"] = rng.integers(380, 620, size=n).astype(np.int64) + (
        np.where(tier == 1, 120, 0)
    )
    ctx.attrs["sector"] = sec


def _names_codes(ctx: Ctx) -> None:
    """Company names (region + 字号 + industry word + 有限公司), USCCs and addresses (in this
    order: the order of the draws from the world's one generator)."""
    region_codes = np.array([r.code for r in REGIONS], dtype=np.int64)[ctx.region]
    ctx.attrs["uscc"] = _usccs(ctx, region_codes)
    ctx.attrs["name"], ctx.attrs["trade_name"] = _company_names(ctx)
    region_full = pl.Series([r.full_name for r in REGIONS]).gather(ctx.region)
    ctx.attrs["address"] = _addresses(ctx, region_full)
    ctx.attrs["region_code"] = region_codes
    ctx.attrs["region_name"] = region_full.to_numpy().astype(str)


def _usccs(ctx: Ctx, region_codes: I64) -> Str:
    """USCC: unique by construction check (collisions are astronomically rare; still checked)."""
    rng, n = ctx.rng, ctx.n
    uscc = uscc_batch(rng, region_codes)
    while True:
        _, first = np.unique(uscc, return_index=True)
        dup = np.setdiff1d(np.arange(n), first)
        if len(dup) == 0:
            return uscc
        uscc[dup] = uscc_batch(rng, region_codes[dup])


def _company_names(ctx: Ctx) -> tuple[Str, Str]:
    """Unique full names and their 字号 (two characters, up to four where names collide)."""
    rng, n = ctx.rng, ctx.n
    cities = pl.Series([r.city for r in REGIONS])
    chars = pl.Series(list(TRADE_NAME_CHARS))
    word_lists = [ind.words for ind in INDUSTRIES]
    flat_words = pl.Series([w for words in word_lists for w in words])
    word_offset = np.cumsum([0] + [len(w) for w in word_lists])[:-1]
    word_count = np.array([len(w) for w in word_lists])

    def trade_names(idx: I64, n_chars: int) -> pl.Series:
        parts = [chars.gather(rng.integers(0, len(chars), size=len(idx))) for _ in range(n_chars)]
        return pl.select(pl.concat_str(parts)).to_series()

    def full_names(idx: I64, n_chars: int) -> tuple[Str, Str]:
        ind = ctx.industry[idx]
        word_idx = word_offset[ind] + (rng.random(len(idx)) * word_count[ind]).astype(np.int64)
        suffix = np.where(ctx.is_core[idx], "集团股份有限公司", "有限公司")
        frame = pl.DataFrame(
            {
                "city": cities.gather(ctx.region[idx]),
                "trade": trade_names(idx, n_chars),
                "word": flat_words.gather(word_idx),
                "suffix": suffix,
            }
        )
        out = frame.select(pl.concat_str(["city", "trade", "word", "suffix"])).to_series()
        return out.to_numpy().astype(str), frame["trade"].to_numpy().astype(str)

    names, trades = full_names(np.arange(n, dtype=np.int64), 2)
    names = names.astype(object)
    trades = trades.astype(object)
    n_chars = 2
    while True:
        _, first = np.unique(names.astype(str), return_index=True)
        dup = np.setdiff1d(np.arange(n), first)
        if len(dup) == 0:
            break
        n_chars = min(n_chars + 1, 4)
        names[dup], trades[dup] = full_names(dup, n_chars)
    return names.astype(str), trades.astype(str)


def _addresses(ctx: Ctx, region_full: pl.Series) -> Str:
    """Region + road + number (half of them with a room); a shell ring shares one address."""
    rng, n = ctx.rng, ctx.n
    roads = pl.Series(ROADS)
    addr = pl.DataFrame(
        {
            "region": region_full,
            "road": roads.gather(rng.integers(0, len(ROADS), size=n)),
            "no": pl.Series(rng.integers(1, 999, size=n)).cast(pl.String),
            "room": pl.Series(rng.integers(101, 2999, size=n)).cast(pl.String),
            "has_room": rng.random(n) < 0.5,
        }
    ).select(
        pl.concat_str(
            [
                "region",
                "road",
                "no",
                pl.lit("号"),
                pl.when(pl.col("has_room"))
                .then(pl.concat_str([pl.col("room"), pl.lit("室")]))
                .otherwise(pl.lit("")),
            ]
        )
    )
    address = addr.to_series().to_numpy().astype(str)
    # Shell rings register at one address.
    ring = ctx.shell_ring
    if (ring >= 0).any():
        shells = np.flatnonzero(ring >= 0)
        first_of_ring = shells[np.unique(ring[shells], return_index=True)[1]]
        ring_addr = dict(zip(ring[first_of_ring].tolist(), address[first_of_ring], strict=True))
        address[shells] = np.array([ring_addr[r] for r in ring[shells].tolist()])
    return address
