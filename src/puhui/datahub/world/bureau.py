"""Stage 5: credit-bureau records for enterprises and their legal representatives.

Each account runs a delinquency state machine over the last 24 observed months, driven by
the owner's health two months earlier (cash trouble follows falling sales):

    d = 0      -> 1 with P = sigmoid(a_in - b_in * h[t-2])
    d >= 1     -> 0 with P = sigmoid(a_cure + b_cure * h[t-2]), else min(d + 1, 7)

The 24-month repayment record is written as in PBoC reports: ``N`` current, ``1``..``7``
months overdue, ``C`` closed/settled, ``/`` not yet opened (oldest month first).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from puhui.datahub.world.context import (
    F64,
    I64,
    Ctx,
    ragged_ranges,
    sigmoid,
)
from puhui.datahub.world.vocab import (
    ENTERPRISE_ACCOUNT_TYPE_WEIGHTS,
    ENTERPRISE_ACCOUNT_TYPES,
    LENDERS,
    PERSON_ACCOUNT_TYPES,
)

WINDOW = 24
_STATUS_CHARS = np.frombuffer(b"N1234567", dtype=np.uint8)


def _month_day(ctx: Ctx, month_index: I64, day: I64) -> np.ndarray:
    return (ctx.month0 + month_index).astype("datetime64[D]") + day.astype("timedelta64[D]")


def build_bureau(ctx: Ctx) -> tuple[pl.DataFrame, pl.DataFrame]:
    # One long function on purpose: a straight recipe of column definitions (enterprise accounts,
    # person accounts, one state machine), cyclomatic 5, drawing from the world's one generator in
    # a fixed order. The sections share their intermediate arrays and the order of the draws is the
    # world itself (one seed, one world byte for byte), so cutting it up would scatter one recipe,
    # not reveal a seam.
    rng, p, T = ctx.rng, ctx.params, ctx.months
    h_now = ctx.health[:, T - 1]
    lender_w = np.array([w for _, w in LENDERS])
    lender_names = np.array([name for name, _ in LENDERS])

    # ---- enterprise accounts ---------------------------------------------------------
    age = ctx.attrs["age_years"]
    lam = np.array([0.7, 1.6, 3.0, 6.0])[ctx.size] * np.clip(age / 1.5, 0.15, 1.0)
    lam *= np.exp(-0.25 * (h_now - ctx.quality))
    lam *= ctx.attrs["leverage"]  # the firm's appetite for debt (latent.py)
    lam = np.where(ctx.shell, 0.05, lam)
    count_e = rng.poisson(lam).astype(np.int64)
    owner_e, _ = ragged_ranges(count_e)
    m_e = len(owner_e)
    type_e = rng.choice(len(ENTERPRISE_ACCOUNT_TYPES), size=m_e, p=ENTERPRISE_ACCOUNT_TYPE_WEIGHTS)
    term_choices = {
        0: ([12, 24, 36], [0.6, 0.2, 0.2]),
        1: ([36, 60], [0.6, 0.4]),
        2: ([6, 12], [0.7, 0.3]),
        3: ([6], [1.0]),
    }
    term_e = np.zeros(m_e, dtype=np.int64)
    for ty, (terms, probs) in term_choices.items():
        mask = type_e == ty
        term_e[mask] = rng.choice(terms, size=int(mask.sum()), p=probs)
    span = np.clip(T - ctx.est_t[owner_e], 1, 48)
    open_e = T - 1 - np.floor(rng.random(m_e) * span).astype(np.int64)
    principal_e = ctx.revenue_yuan[owner_e] * rng.uniform(0.05, 0.35, size=m_e)
    principal_e *= ctx.attrs["leverage"][owner_e]
    principal_e = np.maximum(np.rint(principal_e / 10_000.0), 10) * 10_000 * 100  # whole 万元
    bullet_e = rng.random(m_e) < np.where(type_e == 1, 0.1, 0.7)

    # ---- person accounts (legal representatives) -------------------------------------
    rep = ctx.attrs["legal_rep_person_id"]
    rep_persons, main_firm = np.unique(rep, return_index=True)  # first firm per person
    k = len(rep_persons)
    cards = rng.poisson(1.3, size=k)
    mortgage = (rng.random(k) < 0.4).astype(np.int64)
    business = (rng.random(k) < 0.25).astype(np.int64)
    consumer = (rng.random(k) < 0.15).astype(np.int64)
    counts_by_type = np.stack([cards, business, mortgage, consumer], axis=1)
    per_person = counts_by_type.sum(axis=1)
    owner_slot, pos = ragged_ranges(per_person)
    cum = np.cumsum(counts_by_type, axis=1)
    type_p = (pos[:, None] >= cum[owner_slot]).sum(axis=1)  # 0 card, 1 biz, 2 mortgage, 3 consumer
    m_p = len(owner_slot)
    firm_p = main_firm[owner_slot]
    term_p = np.choose(type_p, [np.full(m_p, 10_000), np.full(m_p, 36), np.full(m_p, 240),
                                np.full(m_p, 24)])  # fmt: skip
    open_p = (
        T - 1 - np.floor(rng.random(m_p) * np.choose(type_p, [120, 48, 120, 36])).astype(np.int64)
    )
    principal_yuan = np.choose(
        type_p,
        [
            rng.choice([20_000, 30_000, 50_000, 80_000, 100_000, 200_000], size=m_p),
            np.rint(rng.uniform(10, 100, size=m_p)) * 10_000,
            np.rint(rng.uniform(50, 300, size=m_p)) * 10_000,
            np.rint(rng.uniform(2, 30, size=m_p)) * 10_000,
        ],
    )
    principal_p = (principal_yuan * 100).astype(np.int64)
    bullet_p = type_p == 1

    # ---- combined state machine ------------------------------------------------------
    firm = np.concatenate([owner_e, firm_p])
    person_offset = rng.normal(0.0, 0.4, size=k)  # personal financial discipline
    offset = np.concatenate([np.zeros(m_e), person_offset[owner_slot]])
    is_person = np.concatenate([np.zeros(m_e, bool), np.ones(m_p, bool)])
    open_t = np.concatenate([open_e, open_p])
    term = np.concatenate([term_e, term_p])
    principal = np.concatenate([principal_e.astype(np.int64), principal_p])
    bullet = np.concatenate([bullet_e, bullet_p])
    card = np.concatenate([np.zeros(m_e, bool), type_p == 0])
    m = len(firm)
    a_in, b_in = p.overdue_entry_logit
    a_in_vec = np.where(is_person, a_in - 0.4, a_in)
    a_cure, b_cure = p.overdue_cure_logit

    d = np.zeros(m, dtype=np.int64)
    status = np.empty((m, WINDOW), dtype=np.uint8)
    first_t = T - WINDOW
    for w in range(WINDOW):
        t = first_t + w
        hh = ctx.health[firm, max(t - 2, 0)] + offset
        opened = t >= open_t
        active = opened & ((t < open_t + term) | (d > 0))
        u = rng.random(m)
        enter = active & (d == 0) & (u < sigmoid(a_in_vec - b_in * hh))
        cure = (d > 0) & (u < sigmoid(a_cure + b_cure * hh))
        d = np.where(enter, 1, np.where(cure, 0, np.where(d > 0, np.minimum(d + 1, 7), 0)))
        d = np.where(active, d, 0)
        active = opened & ((t < open_t + term) | (d > 0))
        code = _STATUS_CHARS[np.minimum(d, 7)]
        status[:, w] = np.where(~opened, ord("/"), np.where(active, code, ord("C")))

    last = T - 1
    still_open = (last < open_t + term) | (d > 0)
    elapsed = np.clip(last - open_t + 1, 0, None)
    remaining = np.clip(term - elapsed, 0, None)
    util = sigmoid(-0.8 - 1.0 * ctx.health[firm, last] + rng.normal(0.0, 0.8, size=m))
    amort_left = principal * remaining // np.maximum(term, 1)
    outstanding = np.where(card, np.rint(principal * util).astype(np.int64),
                           np.where(bullet, principal, amort_left))  # fmt: skip
    instalment = principal // np.maximum(term, 1)
    overdue_amt = np.where(
        card,
        np.minimum(outstanding, outstanding // 10 * d),
        np.where(bullet, np.where(remaining == 0, principal, principal * 5 * d // 1000),
                 instalment * d),
    )  # fmt: skip
    overdue_amt = np.where(d > 0, overdue_amt, 0)
    outstanding = np.where(still_open, np.maximum(outstanding, overdue_amt), 0)
    account_status = np.where(~still_open, "closed", np.where(d > 0, "overdue", "normal"))
    digits = np.where((status >= ord("1")) & (status <= ord("7")), status - ord("0"), 0)
    max_overdue = digits.max(axis=1)
    status_str = status.view(f"S{WINDOW}").ravel().astype(f"U{WINDOW}")

    day = rng.integers(0, 28, size=m)
    opened_date = _month_day(ctx, open_t, day)
    maturity = np.where(card, np.datetime64("NaT"), _month_day(ctx, open_t + term, day))
    lender = np.concatenate([
        lender_names[rng.choice(len(LENDERS), size=m_e, p=lender_w / lender_w.sum())],
        lender_names[rng.choice(len(LENDERS) - 2, size=m_p, p=lender_w[:-2] / lender_w[:-2].sum())],
    ])  # fmt: skip
    acc_type = np.concatenate(
        [np.array(ENTERPRISE_ACCOUNT_TYPES)[type_e], np.array(PERSON_ACCOUNT_TYPES)[type_p]]
    )
    subject_id = np.concatenate([owner_e, rep_persons[owner_slot]])
    accounts = pl.DataFrame(
        {
            "account_id": pl.Series(np.arange(m), dtype=pl.Int32),
            "subject_kind": np.where(is_person, "person", "enterprise"),
            "subject_id": pl.Series(subject_id, dtype=pl.Int32),
            "lender": lender,
            "account_type": acc_type,
            "opened_date": pl.Series(opened_date, dtype=pl.Date),
            "maturity_date": pl.Series(maturity.astype("datetime64[D]"), dtype=pl.Date),
            "principal_fen": pl.Series(principal, dtype=pl.Int64),
            "outstanding_fen": pl.Series(outstanding, dtype=pl.Int64),
            "overdue_amount_fen": pl.Series(overdue_amt, dtype=pl.Int64),
            "overdue_periods": pl.Series(d, dtype=pl.Int8),
            "max_overdue_periods_24m": pl.Series(max_overdue, dtype=pl.Int8),
            "repayment_status_24m": status_str,
            "account_status": account_status,
        }
    ).sort(["subject_kind", "subject_id", "opened_date", "account_id"], maintain_order=True)

    inquiries = _inquiries(ctx, rep_persons, main_firm, lender_names, lender_w)
    ctx.attrs["rep_persons"] = rep_persons
    ctx.attrs["rep_main_firm"] = main_firm
    return accounts, inquiries


def _inquiries(
    ctx: Ctx, rep_persons: I64, main_firm: I64, lender_names: np.ndarray, lender_w: F64
) -> pl.DataFrame:
    """Bureau inquiries over the last 12 months, busier for distressed and fraud-ring firms."""
    rng, n, T = ctx.rng, ctx.n, ctx.months
    ids = np.arange(n, dtype=np.int64)
    subjects = np.concatenate([ids, rep_persons])
    firm = np.concatenate([ids, main_firm])
    is_person = np.concatenate([np.zeros(n, bool), np.ones(len(rep_persons), bool)])
    base = np.where(is_person, 0.18, 0.10)
    size_mult = np.concatenate(
        [np.array([0.8, 1.0, 1.3, 1.8])[ctx.size], np.ones(len(rep_persons))]
    )
    ring = np.concatenate([(ctx.burst_ring >= 0) | ctx.shell, np.zeros(len(rep_persons), bool)])
    frames = []
    for lo_m, hi_m, ref in ((0, 3, 2), (3, 6, 5), (6, 12, 9)):
        hh = ctx.health[firm, T - 1 - ref]
        lam = base * size_mult * (hi_m - lo_m) * np.exp(-0.7 * hh)
        lam = lam + np.where(ring & (lo_m == 0), 3.0, 0.0)
        cnt = rng.poisson(lam)
        owner, _ = ragged_ranges(cnt)
        days_back = rng.integers(lo_m * 30 + 1, hi_m * 30 + 1, size=len(owner))
        frames.append((owner, days_back))
    owner = np.concatenate([f[0] for f in frames])
    days_back = np.concatenate([f[1] for f in frames])
    q = len(owner)
    person_q = is_person[owner]
    reason_e = np.array(["loan_approval", "guarantee_review", "post_loan_management"])[
        rng.choice(3, size=q, p=[0.72, 0.08, 0.2])
    ]
    reason_p = np.array(["loan_approval", "credit_card_approval", "post_loan_management"])[
        rng.choice(3, size=q, p=[0.5, 0.3, 0.2])
    ]
    reason = np.where(person_q, reason_p, reason_e)
    inquiry_date = np.datetime64(ctx.as_of, "D") - days_back.astype("timedelta64[D]")
    institution = lender_names[rng.choice(len(lender_names), size=q, p=lender_w / lender_w.sum())]
    return pl.DataFrame(
        {
            "subject_kind": np.where(person_q, "person", "enterprise"),
            "subject_id": pl.Series(subjects[owner], dtype=pl.Int32),
            "inquiry_date": pl.Series(inquiry_date, dtype=pl.Date),
            "institution": institution,
            "reason": reason,
        }
    ).sort(
        ["subject_kind", "subject_id", "inquiry_date", "institution"],
        descending=[False, False, True, False],
        maintain_order=True,
    )
