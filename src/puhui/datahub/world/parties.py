"""Stage 4: people (legal representatives, controllers, shareholders, spouses) and the
relationship graph (legal_representative, shareholder, actual_controller, guarantor, supplier,
dealer)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

from puhui.datahub.validators import mobile_batch, resident_id_batch
from puhui.datahub.world.context import (
    CHAIN_DEALER,
    CHAIN_TIER1,
    CHAIN_TIER2,
    I64,
    Bool,
    Ctx,
    Str,
)
from puhui.datahub.world.vocab import (
    GIVEN_CHARS_FEMALE,
    GIVEN_CHARS_MALE,
    REGIONS,
    SURNAME_WEIGHTS,
    SURNAMES,
)

RELATIONS = (
    "legal_representative",
    "shareholder",
    "actual_controller",
    "guarantor",
    "supplier",
    "dealer",
)


class _PersonPool:
    """Collects person requests (origin enterprise, male probability, age) and assigns ids."""

    def __init__(self) -> None:
        self.origin: list[I64] = []
        self.male_p: list[npt.NDArray[np.float64]] = []
        self.age: list[npt.NDArray[np.float64]] = []
        self.count = 0

    def add(self, origin: I64, male_p: float, age: npt.NDArray[np.float64]) -> I64:
        ids = np.arange(self.count, self.count + len(origin), dtype=np.int64)
        self.origin.append(np.asarray(origin, dtype=np.int64))
        self.male_p.append(np.full(len(origin), male_p, dtype=np.float64))
        self.age.append(np.asarray(age, dtype=np.float64))
        self.count += len(origin)
        return ids


def _first_of_groups(keys: I64, mask: Bool) -> I64:
    """For each masked row, the smallest row index with the same key (others: itself)."""
    n = len(keys)
    leader = np.arange(n, dtype=np.int64)
    rows = np.flatnonzero(mask)
    if len(rows) == 0:
        return leader
    k = keys[rows]
    order = np.lexsort((rows, k))
    sorted_keys = k[order]
    starts = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    group_start_row = rows[order][np.maximum.accumulate(np.where(starts, np.arange(len(k)), 0))]
    leader[rows[order]] = group_start_row
    return leader


def _person_names(rng: np.random.Generator, male: Bool) -> Str:
    n = len(male)
    w = np.asarray(SURNAME_WEIGHTS)
    surname = pl.Series(list(SURNAMES)).gather(rng.choice(len(SURNAMES), size=n, p=w / w.sum()))
    male_chars = pl.Series(list(GIVEN_CHARS_MALE))
    female_chars = pl.Series(list(GIVEN_CHARS_FEMALE))

    def given() -> pl.Series:
        m = male_chars.gather(rng.integers(0, len(male_chars), size=n))
        f = female_chars.gather(rng.integers(0, len(female_chars), size=n))
        return pl.select(pl.when(pl.Series(male)).then(m).otherwise(f)).to_series()

    g1, g2 = given(), given()
    two = pl.Series(rng.random(n) < 0.7)
    frame = pl.DataFrame({"s": surname, "g1": g1, "g2": g2, "two": two})
    out = frame.select(
        pl.concat_str(["s", "g1", pl.when(pl.col("two")).then(pl.col("g2")).otherwise(pl.lit(""))])
    )
    return out.to_series().to_numpy().astype(str)


def build_parties(ctx: Ctx) -> tuple[pl.DataFrame, pl.DataFrame]:
    # One long function on purpose: a straight recipe of column definitions (people, their roles,
    # relationships), cyclomatic 6, drawing from the world's one generator in a fixed order. The
    # sections share their intermediate arrays and the order of the draws is the world itself (one
    # seed, one world byte for byte), so cutting it up would scatter one recipe, not reveal a seam.
    rng, n = ctx.rng, ctx.n
    ids = np.arange(n, dtype=np.int64)
    pool = _PersonPool()

    # Leaders: the firm whose controller a firm shares (groups, shell rings).
    in_group = ctx.group_id >= 0
    in_shell = ctx.shell_ring >= 0
    leader = ids.copy()
    g_lead = _first_of_groups(ctx.group_id, in_group)
    s_lead = _first_of_groups(ctx.shell_ring, in_shell)
    leader[in_group] = g_lead[in_group]
    leader[in_shell] = s_lead[in_shell]
    is_leader = leader == ids
    shell_rep_ring = in_shell & (ctx.shell_ring_kind == 0)
    shell_phone_ring = in_shell & (ctx.shell_ring_kind == 1)

    # Legal representatives.
    shares_rep = ~is_leader & ((in_group & (rng.random(n) < 0.7)) | shell_rep_ring)
    new_rep = ~shares_rep
    rep = np.full(n, -1, dtype=np.int64)
    rep_age = np.clip(rng.normal(44, 8, size=int(new_rep.sum())), 23, 66)
    rep[new_rep] = pool.add(ids[new_rep], 0.72, rep_age)
    rep[shares_rep] = rep[leader[shares_rep]]

    # Actual controllers: usually the legal representative; a hidden person behind shell rings
    # registered with nominee representatives (shared phone), someone else in 15% of firms.
    ctrl_is_rep = rng.random(n) < 0.85
    ctrl_is_rep[shell_rep_ring] = True
    ctrl_is_rep[shell_phone_ring] = False
    ctrl = np.full(n, -1, dtype=np.int64)
    lead_rep = is_leader & ctrl_is_rep
    lead_new = is_leader & ~ctrl_is_rep
    ctrl[lead_rep] = rep[lead_rep]
    ctrl[lead_new] = pool.add(
        ids[lead_new], 0.7, np.clip(rng.normal(47, 8, int(lead_new.sum())), 25, 70)
    )
    ctrl[~is_leader] = ctrl[leader[~is_leader]]

    # Further person shareholders.
    extra_p = np.array(
        [[0.5, 0.42, 0.08, 0.0], [0.25, 0.45, 0.3, 0.0], [0.0, 0.3, 0.4, 0.3], [0.0, 0.3, 0.4, 0.3]]
    )[ctx.size]
    u = rng.random(n)[:, None]
    n_extra = (u > np.cumsum(extra_p, axis=1)).sum(axis=1).astype(np.int64)
    n_extra = np.where(in_shell, np.minimum(n_extra, 1), np.minimum(n_extra, 3))
    owners_extra = np.repeat(ids, n_extra)
    extra_ids = pool.add(owners_extra, 0.6, np.clip(rng.normal(42, 10, len(owners_extra)), 22, 70))
    slot_persons = np.full((n, 4), -1, dtype=np.int64)
    slot_persons[:, 0] = ctrl
    pos = np.arange(len(owners_extra)) - np.repeat(np.cumsum(n_extra) - n_extra, n_extra)
    slot_persons[owners_extra, 1 + pos] = extra_ids

    # Enterprise shareholder (another firm holds 20-49%) for 3% of ordinary SMEs.
    corp_holder = np.full(n, -1, dtype=np.int64)
    has_corp = (~in_shell) & (~ctx.is_core) & (rng.random(n) < 0.03)
    cand = rng.integers(0, n, size=n)
    has_corp &= cand != ids
    corp_holder[has_corp] = cand[has_corp]
    corp_share = np.where(has_corp, rng.uniform(0.2, 0.49, size=n), 0.0)

    active = slot_persons >= 0
    raw = np.where(active, rng.gamma(2.0, 1.0, size=(n, 4)), 0.0)
    raw = -np.sort(-raw, axis=1)  # descending: slot 0 (the controller) holds the most
    person_frac = raw / raw.sum(axis=1, keepdims=True) * (1.0 - corp_share)[:, None]
    share_bp = np.floor(person_frac * 10_000).astype(np.int64)
    corp_bp = np.floor(corp_share * 10_000).astype(np.int64)
    share_bp[:, 0] += 10_000 - share_bp.sum(axis=1) - corp_bp  # remainder to the controller

    # Guarantors: personal guarantees by the controller or a spouse; enterprise guarantees.
    personal = (~in_shell) & (rng.random(n) < 0.25)
    by_spouse = personal & (rng.random(n) < 0.4)
    spouse = np.full(n, -1, dtype=np.int64)
    spouse[by_spouse] = pool.add(
        ids[by_spouse], 0.3, np.clip(rng.normal(42, 8, int(by_spouse.sum())), 22, 68)
    )
    person_guarantor = np.where(by_spouse, spouse, ctrl)
    ent_guar = (~in_shell) & (~ctx.is_core) & (rng.random(n) < 0.05)
    guar_firm = rng.integers(0, n, size=n)
    ent_guar &= guar_firm != ids
    mutual = ent_guar & (rng.random(n) < 0.4)

    people = _people_frame(ctx, pool)

    # Contact mobile of the enterprise: the representative's, a company line, or (shell rings
    # with nominee representatives) one phone shared by the whole ring.
    person_mobile = people["mobile"].to_numpy().astype(str)
    company_line = rng.random(n) < 0.3
    extra_mobiles = _unique_mobiles(rng, n, person_mobile)
    contact = np.where(company_line, extra_mobiles, person_mobile[rep])
    contact[shell_phone_ring] = person_mobile[ctrl[shell_phone_ring]]
    ctx.attrs["contact_mobile"] = contact
    ctx.attrs["legal_rep_person_id"] = rep
    ctx.attrs["controller_person_id"] = ctrl
    ctx.attrs["person_count"] = pool.count

    # ---------------------------------------------------------------- relationships
    frames: list[pl.DataFrame] = []

    def edges(
        kind: str, src: I64, dst: I64, relation: str, share: I64 | None = None,
        tier: I64 | None = None,
    ) -> None:  # fmt: skip
        m = len(src)
        frames.append(
            pl.DataFrame(
                {
                    "source_kind": pl.Series([kind] * m, dtype=pl.String),
                    "source_id": pl.Series(src, dtype=pl.Int32),
                    "target_id": pl.Series(dst, dtype=pl.Int32),
                    "relation": pl.Series([relation] * m, dtype=pl.String),
                    "share_bp": pl.Series(
                        share if share is not None else [None] * m, dtype=pl.Int32
                    ),
                    "tier": pl.Series(tier if tier is not None else [None] * m, dtype=pl.Int8),
                }
            )
        )

    edges("person", rep, ids, "legal_representative")
    rows, cols = np.nonzero(active)
    edges("person", slot_persons[rows, cols], rows.astype(np.int64), "shareholder",
          share=share_bp[rows, cols])  # fmt: skip
    edges(
        "enterprise", corp_holder[has_corp], ids[has_corp], "shareholder", share=corp_bp[has_corp]
    )
    edges("person", ctrl, ids, "actual_controller")
    edges("person", person_guarantor[personal], ids[personal], "guarantor")
    edges("enterprise", guar_firm[ent_guar], ids[ent_guar], "guarantor")
    edges("enterprise", ids[mutual], guar_firm[mutual], "guarantor")

    # Supply chains.
    for role, relation, tier in ((CHAIN_TIER1, "supplier", 1), (CHAIN_DEALER, "dealer", 1)):
        m = np.flatnonzero(ctx.chain_role == role)
        edges("enterprise", m, ctx.core_of[m], relation, tier=np.full(len(m), tier))
    m = np.flatnonzero(ctx.chain_role == CHAIN_TIER2)
    edges("enterprise", m, ctx.parent_of[m], "supplier", tier=np.full(len(m), 2))
    # Ordinary trade partners (source supplies target).
    ordinary = np.flatnonzero(~in_shell)
    k = rng.poisson(0.5, size=len(ordinary))
    targets = np.repeat(ordinary, k)
    sources = (
        ordinary[rng.integers(0, len(ordinary), size=len(targets))] if len(ordinary) else targets
    )
    keep = sources != targets
    edges("enterprise", sources[keep], targets[keep], "supplier")
    # Fake-invoicing shell rings trade in a circle (round-trip invoicing).
    ring_rows = np.flatnonzero(in_shell)
    if len(ring_rows):
        order = ring_rows[np.lexsort((ring_rows, ctx.shell_ring[ring_rows]))]
        ring_sorted = ctx.shell_ring[order]
        nxt = np.r_[order[1:], order[:1]]
        same = np.r_[ring_sorted[1:] == ring_sorted[:-1], False]
        first_in_ring = order[_first_of_groups(ring_sorted, np.ones(len(order), bool))]
        partner = np.where(same, nxt, first_in_ring)
        edges("enterprise", order, partner, "supplier")

    rel = pl.concat(frames, how="vertical")
    rel = rel.unique(subset=["source_kind", "source_id", "target_id", "relation"],
                     maintain_order=True)  # fmt: skip
    ctx.attrs["n_extra_shareholders"] = n_extra
    return people, rel


def _unique_mobiles(rng: np.random.Generator, n: int, taken: Str) -> Str:
    """``n`` mobiles distinct from each other and from ``taken``."""
    out = mobile_batch(rng, n)
    while True:
        combined = np.concatenate([taken, out])
        _, first = np.unique(combined, return_index=True)
        is_first = np.zeros(len(combined), dtype=np.bool_)
        is_first[first] = True
        bad = np.flatnonzero(~is_first[len(taken) :])
        if len(bad) == 0:
            return out
        out[bad] = mobile_batch(rng, len(bad))


def _people_frame(ctx: Ctx, pool: _PersonPool) -> pl.DataFrame:
    rng = ctx.rng
    origin = np.concatenate(pool.origin) if pool.origin else np.empty(0, np.int64)
    male_p = np.concatenate(pool.male_p) if pool.male_p else np.empty(0)
    age = np.concatenate(pool.age) if pool.age else np.empty(0)
    m = len(origin)
    male = rng.random(m) < male_p
    region_codes = np.array([r.code for r in REGIONS], dtype=np.int64)
    home = np.where(rng.random(m) < 0.75, ctx.region[origin], rng.integers(0, len(REGIONS), size=m))
    person_region = region_codes[home]
    birth = np.datetime64(ctx.as_of, "D") - np.rint(age * 365.25 + rng.uniform(0, 365, m)).astype(
        "timedelta64[D]"
    )
    rid = resident_id_batch(rng, person_region, birth, male)
    while True:
        _, first = np.unique(rid, return_index=True)
        dup = np.setdiff1d(np.arange(m), first)
        if len(dup) == 0:
            break
        rid[dup] = resident_id_batch(rng, person_region[dup], birth[dup], male[dup])
    mobiles = _unique_mobiles(rng, m, np.empty(0, dtype=str))
    return pl.DataFrame(
        {
            "person_id": pl.Series(np.arange(m), dtype=pl.Int32),
            "resident_id": rid,
            "name": _person_names(rng, male),
            "gender": np.where(male, "male", "female"),
            "birth_date": pl.Series(birth, dtype=pl.Date),
            "mobile": mobiles,
            "region_code": pl.Series(person_region, dtype=pl.Int32),
        }
    )
