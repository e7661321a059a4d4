"""World statistics, an observable feature table and a reference scorecard AUC.

Definitions (also in docs/synthetic-world.md):

* ``sales_electricity_corr_<group>``: for each enterprise with at least 24 observed months
  where both invoiced sales and electricity are positive, the Pearson correlation over those
  months of log(invoiced sales) and log(electricity kWh); averaged over the enterprises of the
  group (manufacturing = GB/T 4754 section C; other = every other section). Seasonality, trend
  and the health path all move both series, so levels (not differences) are correlated.
* ``sales_electricity_dlog_corr_manufacturing``: the same on month-over-month log changes.
* ``headcount_sales_corr``: across enterprises with positive sales, the correlation of
  log(1 + mean insured headcount) and log(invoiced sales), both over the last 12 months.
* ``headcount_sales_change_corr``: across enterprises with positive sales and headcount in
  both years, the correlation of the year-over-year log change of headcount and of sales.
* ``reference_auc``: held-out AUC (30 % test split) of a plain logistic regression on
  ``observed_features`` - what a simple scorecard can reach on this world.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from puhui.datahub.world.model import World

F64 = npt.NDArray[np.float64]

_GRADE_SCORE = {"A": 4, "B": 3, "M": 2, "C": 1, "D": 0}
_HARD_INQUIRIES = ("loan_approval", "guarantee_review", "credit_card_approval")


def dense_panel(world: World, column: str) -> F64:
    """(n_enterprises, months) float matrix of a panel column; NaN before establishment."""
    first = world.panel_months()[0]
    base = first.year * 12 + first.month - 1
    frame = world.panel.select(
        pl.col("enterprise_id"),
        (
            pl.col("month").dt.year().cast(pl.Int32) * 12 + pl.col("month").dt.month() - 1 - base
        ).alias("t"),
        pl.col(column).cast(pl.Float64),
    )
    out = np.full((world.n_enterprises, world.months), np.nan)
    out[frame["enterprise_id"].to_numpy(), frame["t"].to_numpy()] = frame[column].to_numpy()
    return out


def _nanmean_rows(m: F64) -> F64:
    """Row means ignoring NaN; NaN for rows with no values (without a warning)."""
    ok = np.isfinite(m)
    cnt = ok.sum(axis=1)
    total = np.where(ok, m, 0.0).sum(axis=1)
    return np.where(cnt > 0, total / np.maximum(cnt, 1), np.nan)


def _rowwise_corr(x: F64, y: F64, min_obs: int) -> F64:
    mask = np.isfinite(x) & np.isfinite(y)
    cnt = mask.sum(axis=1)
    xz = np.where(mask, x, 0.0)
    yz = np.where(mask, y, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = xz.sum(axis=1) / cnt
        my = yz.sum(axis=1) / cnt
        dx = np.where(mask, x - mx[:, None], 0.0)
        dy = np.where(mask, y - my[:, None], 0.0)
        corr = (dx * dy).sum(axis=1) / np.sqrt((dx * dx).sum(axis=1) * (dy * dy).sum(axis=1))
    corr[cnt < min_obs] = np.nan
    return corr


def _corr(x: F64, y: F64) -> float:
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3:
        return float("nan")
    return float(np.corrcoef(x[ok], y[ok])[0, 1])


def world_stats(world: World, include_auc: bool = True) -> dict[str, Any]:
    # Long on purpose: one flat list of named statistics over the same few dense panels, built
    # once here (cyclomatic 9); split, each part would rebuild or be handed the panels.
    ent = world.enterprises
    out = world.outcomes
    n = world.n_enterprises
    sections = ent["industry"].to_numpy().astype(str)
    manufacturing = sections == "C"

    sales = dense_panel(world, "invoiced_sales_fen")
    kwh = dense_panel(world, "electricity_kwh")
    headcount = dense_panel(world, "headcount")
    with np.errstate(divide="ignore", invalid="ignore"):
        log_sales = np.where(sales > 0, np.log(sales), np.nan)
        log_kwh = np.where(kwh > 0, np.log(kwh), np.nan)
    level_corr = _rowwise_corr(log_sales, log_kwh, 24)
    dlog_corr = _rowwise_corr(np.diff(log_sales, axis=1), np.diff(log_kwh, axis=1), 20)

    T = world.months
    last12 = slice(T - 12, T)
    prev12 = slice(T - 24, T - 12)
    s12 = np.nansum(sales[:, last12], axis=1)
    s_prev = np.nansum(sales[:, prev12], axis=1)
    hc12 = _nanmean_rows(headcount[:, last12])
    hc_prev = _nanmean_rows(headcount[:, prev12])
    with np.errstate(invalid="ignore", divide="ignore"):
        x_level = np.where(s12 > 0, np.log1p(hc12), np.nan)
        y_level = np.where(s12 > 0, np.log(s12), np.nan)
        ok = (s12 > 0) & (s_prev > 0) & (hc12 > 0) & (hc_prev > 0)
        x_change = np.where(ok, np.log(hc12 / hc_prev), np.nan)
        y_change = np.where(ok, np.log(s12 / s_prev), np.nan)

    fraud_types = out.filter(pl.col("is_fraud"))["fraud_type"].value_counts(sort=True)

    def mix(column: str) -> dict[str, float]:
        counts = ent[column].value_counts(sort=True)
        return {row[column]: row["count"] / n for row in counts.iter_rows(named=True)}

    declared = ent["declared_annual_revenue_fen"].to_numpy().astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = declared / np.where(s12 > 0, s12, np.nan)
    ftype = out["fraud_type"].fill_null("").to_numpy().astype(str)

    default = out["default_12m"].to_numpy()
    grades = ent["tax_credit_grade"].to_numpy().astype(str)
    stats: dict[str, Any] = {
        "seed": world.seed,
        "as_of": world.as_of.isoformat(),
        "n_enterprises": n,
        "n_people": world.people.height,
        "n_relationships": world.relationships.height,
        "n_panel_rows": world.panel.height,
        "months": T,
        "default_rate": float(default.mean()),
        "fraud_rate": float(np.mean(out["is_fraud"].to_numpy())),
        "fraud_by_type": {
            r["fraud_type"]: r["count"] / n for r in fraud_types.iter_rows(named=True)
        },
        "deteriorating_share": float(np.mean(out["deteriorating"].to_numpy())),
        "sales_electricity_corr_manufacturing": float(np.nanmean(level_corr[manufacturing])),
        "sales_electricity_corr_other": float(np.nanmean(level_corr[~manufacturing])),
        "sales_electricity_dlog_corr_manufacturing": float(np.nanmean(dlog_corr[manufacturing])),
        "headcount_sales_corr": _corr(x_level, y_level),
        "headcount_sales_change_corr": _corr(x_change, y_change),
        "declared_to_tax_ratio_median_honest": float(np.nanmedian(ratio[ftype == ""])),
        "declared_to_tax_ratio_median_inflation": float(
            np.nanmedian(ratio[ftype == "revenue_inflation"])
        )
        if (ftype == "revenue_inflation").any()
        else float("nan"),
        "default_rate_by_tax_grade": {
            g: float(default[grades == g].mean()) for g in "ABMCD" if (grades == g).any()
        },
        "industry_mix": mix("industry"),
        "size_mix": mix("size_class"),
        "tax_grade_mix": mix("tax_credit_grade"),
        "core_enterprises": int((ent["chain_role"] == "core").sum()),
        "chain_members": int(
            ent["chain_role"].is_in(["tier1_supplier", "tier2_supplier", "dealer"]).sum()
        ),
        "judicial_records": world.judicial.height,
        "bureau_accounts": world.bureau_accounts.height,
    }
    if include_auc:
        stats["reference_auc"] = reference_auc(world)
    return stats


# ---------------------------------------------------------------------------- features


def observed_features(world: World) -> pl.DataFrame:
    """One row per enterprise of features computed only from what the sources show.

    A deliberately plain feature set (the decisioning domain builds the real one); it is here
    to measure how much signal the world carries.
    """
    # Long on purpose: one flat list of features, one line each, over the same dense panels
    # (cyclomatic 2); split, each part would rebuild or be handed the panels.
    T = world.months
    n = world.n_enterprises
    as_of = world.as_of
    sales = dense_panel(world, "invoiced_sales_fen")
    filed = dense_panel(world, "filed")
    hc = dense_panel(world, "headcount")
    kwh = dense_panel(world, "electricity_kwh")
    paid = dense_panel(world, "utilities_paid_on_time")
    hf = dense_panel(world, "housing_fund_amount_fen")
    hfc = dense_panel(world, "housing_fund_contributors")

    def total(m: F64, lo: int, hi: int) -> F64:
        return np.nansum(m[:, T - hi : T - lo], axis=1)

    eps = 1e4
    feats: dict[str, Any] = {"enterprise_id": np.arange(n)}
    feats["log_sales_12m"] = np.log1p(total(sales, 0, 12))
    feats["sales_trend_3m"] = np.log((total(sales, 0, 3) + eps) / (total(sales, 3, 6) + eps))
    feats["sales_trend_6m"] = np.log((total(sales, 0, 6) + eps) / (total(sales, 6, 12) + eps))
    feats["sales_yoy"] = np.log((total(sales, 0, 12) + eps) / (total(sales, 12, 24) + eps))
    alive12 = np.isfinite(filed[:, T - 12 :]).sum(axis=1)
    feats["filing_gaps_12m"] = alive12 - total(filed, 0, 12)
    feats["zero_sales_12m"] = np.nansum(sales[:, T - 12 :] == 0, axis=1)
    hc_now = np.nan_to_num(_nanmean_rows(hc[:, T - 3 :]))
    hc_ago = np.nan_to_num(_nanmean_rows(hc[:, T - 15 : T - 12]))
    feats["log_headcount"] = np.log1p(hc_now)
    feats["headcount_change_12m"] = np.log1p(hc_now) - np.log1p(hc_ago)
    feats["electricity_trend_6m"] = np.log((total(kwh, 0, 6) + 1) / (total(kwh, 6, 12) + 1))
    feats["late_utility_12m"] = alive12 - total(paid, 0, 12)
    feats["housing_fund_unpaid_12m"] = np.nansum(
        (hfc[:, T - 12 :] > 0) & (hf[:, T - 12 :] == 0), axis=1
    )

    ent = world.enterprises
    feats["age_years"] = (np.datetime64(as_of, "D") - ent["established_date"].to_numpy()).astype(
        np.int64
    ) / 365.25
    feats["tax_grade_score"] = (
        ent["tax_credit_grade"].replace_strict(_GRADE_SCORE, return_dtype=pl.Int64).to_numpy()
    )
    feats["size_rank"] = (
        ent["size_class"]
        .replace_strict({"micro": 0, "small": 1, "medium": 2, "large": 3}, return_dtype=pl.Int64)
        .to_numpy()
    )
    feats["declared_to_tax"] = np.log(
        (ent["declared_annual_revenue_fen"].to_numpy() + 1e6) / (total(sales, 0, 12) + 1e6)
    )
    base = pl.DataFrame(feats).with_columns(pl.col("enterprise_id").cast(pl.Int32))

    acc = world.bureau_accounts
    ent_acc = (
        acc.filter(pl.col("subject_kind") == "enterprise")
        .group_by("subject_id")
        .agg(
            (pl.col("account_status") != "closed").sum().alias("open_accounts"),
            (pl.col("overdue_periods") > 0).any().alias("overdue_now"),
            pl.col("max_overdue_periods_24m").max().cast(pl.Int64).alias("max_overdue_24m"),
            pl.col("repayment_status_24m")
            .str.count_matches(r"[1-7]")
            .sum()
            .alias("overdue_months_24m"),
        )
        .rename({"subject_id": "enterprise_id"})
    )
    rep = ent.select("enterprise_id", pl.col("legal_rep_person_id").alias("subject_id"))
    rep_acc = (
        acc.filter(pl.col("subject_kind") == "person")
        .group_by("subject_id")
        .agg(
            pl.col("max_overdue_periods_24m").max().cast(pl.Int64).alias("rep_max_overdue_24m"),
            (pl.col("overdue_periods") > 0).any().alias("rep_overdue_now"),
        )
    )
    rep_acc = rep.join(rep_acc, on="subject_id", how="left").drop("subject_id")
    inq = world.bureau_inquiries.filter(pl.col("reason").is_in(_HARD_INQUIRIES))
    d3 = np.datetime64(as_of, "D") - np.timedelta64(90, "D")
    d6 = np.datetime64(as_of, "D") - np.timedelta64(182, "D")
    ent_inq = (
        inq.filter(pl.col("subject_kind") == "enterprise")
        .group_by("subject_id")
        .agg(
            (pl.col("inquiry_date") > pl.lit(d3.item())).sum().alias("inquiries_3m"),
            (pl.col("inquiry_date") > pl.lit(d6.item())).sum().alias("inquiries_6m"),
        )
        .rename({"subject_id": "enterprise_id"})
    )
    jud = world.judicial
    d12 = np.datetime64(as_of, "D") - np.timedelta64(365, "D")
    ent_jud = jud.group_by("enterprise_id").agg(
        ((pl.col("kind") == "lawsuit") & (pl.col("role") == "defendant")).sum().alias("lawsuits"),
        (
            (pl.col("kind") == "lawsuit")
            & (pl.col("role") == "defendant")
            & (pl.col("filed_date") > pl.lit(d12.item()))
        )
        .sum()
        .alias("lawsuits_12m"),
        (pl.col("kind") == "enforcement").sum().alias("enforcements"),
        (pl.col("kind") == "dishonest_debtor").any().alias("dishonest"),
    )
    ab = world.abnormal_operations.group_by("enterprise_id").agg(
        pl.col("removed_date").is_null().any().alias("abnormal_now")
    )
    ch = (
        world.registry_changes.filter(
            (pl.col("item") == "legal_representative")
            & (pl.col("change_date") > pl.lit(d12.item()))
        )
        .group_by("enterprise_id")
        .agg(pl.len().alias("rep_changes_12m"))
    )
    frame = base
    for other in (ent_acc, rep_acc, ent_inq, ent_jud, ab, ch):
        frame = frame.join(other.with_columns(pl.col("enterprise_id").cast(pl.Int32)),
                           on="enterprise_id", how="left")  # fmt: skip
    frame = frame.with_columns(
        pl.col(pl.Boolean).fill_null(False).cast(pl.Int64),
    ).fill_null(0)
    return frame.sort("enterprise_id")


def _auc(score: F64, label: npt.NDArray[np.bool_]) -> float:
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(len(score))
    ranks[order] = np.arange(1, len(score) + 1)
    # Average ranks of ties.
    sorted_scores = score[order]
    _, start, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    avg = start + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    pos = label.sum()
    neg = len(label) - pos
    if pos == 0 or neg == 0:
        return float("nan")
    return float((ranks[label].sum() - pos * (pos + 1) / 2.0) / (pos * neg))


def _logistic_fit(x: F64, y: F64, ridge: float = 1e-2, iterations: int = 30) -> F64:
    """Newton-Raphson (IRLS) logistic regression with a small L2 penalty; x has an intercept."""
    beta = np.zeros(x.shape[1])
    penalty = ridge * np.eye(x.shape[1])
    penalty[0, 0] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(x @ beta)))
        w = p * (1.0 - p)
        grad = x.T @ (y - p) - penalty @ beta
        hess = (x * w[:, None]).T @ x + penalty
        step = np.linalg.solve(hess, grad)
        beta += step
        if np.abs(step).max() < 1e-8:
            break
    return beta


def reference_auc(world: World, test_share: float = 0.3, seed: int = 0) -> float:
    """Held-out AUC of a logistic regression on ``observed_features`` (SMEs only)."""
    feats = observed_features(world)
    ent = world.enterprises
    keep = (ent["chain_role"] != "core").to_numpy()
    y = world.outcomes["default_12m"].to_numpy()[keep]
    cols = [c for c in feats.columns if c != "enterprise_id"]
    x = feats.select(cols).to_numpy().astype(np.float64)[keep]
    # Compress heavy tails of counts, then standardize.
    x = np.sign(x) * np.log1p(np.abs(x))
    mean, sd = x.mean(axis=0), x.std(axis=0)
    sd[sd == 0] = 1.0
    x = (x - mean) / sd
    x = np.column_stack([np.ones(len(x)), x])
    rng = np.random.Generator(np.random.PCG64(seed))
    test = rng.random(len(y)) < test_share
    beta = _logistic_fit(x[~test], y[~test].astype(np.float64))
    return _auc(x[test] @ beta, y[test])
