"""Stage 6: judicial records (lawsuits, enforcement cases, the dishonest-debtor list).

    lawsuits as defendant in month t ~ Poisson(exp(a - b * h[t-3]) * size * industry factor)
    a lawsuit concluded in month c leads to enforcement with P = sigmoid(-3 - 1.5 * h[c])
    an enforcement case lists the firm as a dishonest debtor with P = sigmoid(-1.5 - 1.5 * h)
Plaintiff lawsuits (the firm collecting from its customers) arrive regardless of health.
Only events filed on or before the last observed month are recorded.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from puhui.datahub.world.context import I64, Ctx, sigmoid
from puhui.datahub.world.vocab import (
    INDUSTRY_INDEX,
    LAWSUIT_CAUSES_DEFENDANT,
    LAWSUIT_CAUSES_PLAINTIFF,
    REGIONS,
)

_SIZE_FACTOR = np.array([0.6, 1.0, 2.0, 6.0])


def _case_numbers(
    rng: np.random.Generator, year: I64, region: I64, kind_code: str, seq_hi: int
) -> np.ndarray:
    abbr = pl.Series([r.court_prefix for r in REGIONS]).gather(region)
    code = pl.Series([f"{r.code % 10000:04d}" for r in REGIONS]).gather(region)
    frame = pl.DataFrame(
        {
            "year": pl.Series(year).cast(pl.String),
            "abbr": abbr,
            "code": code,
            "seq": pl.Series(rng.integers(1, seq_hi, size=len(year))).cast(pl.String),
        }
    )
    out = frame.select(
        pl.concat_str(
            [
                pl.lit("("),
                "year",
                pl.lit(")"),
                "abbr",
                "code",
                pl.lit(kind_code),
                "seq",
                pl.lit("号"),
            ]
        )
    )
    return out.to_series().to_numpy().astype(str)


def build_judicial(ctx: Ctx) -> pl.DataFrame:
    # One long function on purpose: a straight recipe of column definitions (lawsuits,
    # enforcements, dishonest-debtor listings), cyclomatic 3, drawing from the world's one
    # generator in a fixed order. The sections share their intermediate arrays and the order of the
    # draws is the world itself (one seed, one world byte for byte), so cutting it up would scatter
    # one recipe, not reveal a seam.
    rng, p, n, T = ctx.rng, ctx.params, ctx.n, ctx.months
    h = ctx.health
    lag_idx = np.clip(np.arange(T) - 3, 0, None)
    h_lag = h[:, lag_idx]
    ind_factor = np.ones(n)
    ind_factor[ctx.industry == INDUSTRY_INDEX["E"]] = 2.0
    ind_factor[ctx.industry == INDUSTRY_INDEX["F"]] = 1.2
    a, b = p.lawsuit_log_rate
    alive = ctx.alive()
    rate = np.exp(a - b * h_lag) * (_SIZE_FACTOR[ctx.size] * ind_factor)[:, None]
    counts = np.where(alive, rng.poisson(rate), 0)
    firm_d, month_d = np.nonzero(counts)
    reps = counts[firm_d, month_d]
    firm_d = np.repeat(firm_d, reps)
    month_d = np.repeat(month_d, reps)

    plaintiff_rate = np.exp(-6.2) * _SIZE_FACTOR[ctx.size]
    counts_p = np.where(alive, rng.poisson(np.broadcast_to(plaintiff_rate[:, None], (n, T))), 0)
    firm_p, month_p = np.nonzero(counts_p)

    firm = np.concatenate([firm_d, firm_p]).astype(np.int64)
    month = np.concatenate([month_d, month_p]).astype(np.int64)
    defendant = np.concatenate([np.ones(len(firm_d), bool), np.zeros(len(firm_p), bool)])
    k = len(firm)
    revenue_fen = ctx.revenue_yuan[firm] * 100.0
    amount = np.rint(revenue_fen * np.exp(rng.normal(np.log(0.02), 0.9, size=k)) / 100) * 100
    amount = np.clip(amount, 500_000, None).astype(np.int64)  # at least 5,000 yuan
    duration = 3 + rng.poisson(4.0, size=k)
    concluded_m = month + duration
    concluded = concluded_m <= T - 1
    day = rng.integers(0, 28, size=k)
    filed_date = (ctx.month0 + month).astype("datetime64[D]") + day.astype("timedelta64[D]")
    concl_date = (ctx.month0 + concluded_m).astype("datetime64[D]") + rng.integers(
        0, 28, size=k
    ).astype("timedelta64[D]")
    year = filed_date.astype("datetime64[Y]").astype(np.int64) + 1970
    causes_d = np.array(LAWSUIT_CAUSES_DEFENDANT)
    cause_d = causes_d[rng.integers(0, len(causes_d), size=k)]
    construction = ctx.industry[firm] == INDUSTRY_INDEX["E"]
    cause_d = np.where(construction & (rng.random(k) < 0.5), "建设工程施工合同纠纷", cause_d)
    cause_p = np.array(LAWSUIT_CAUSES_PLAINTIFF)[
        rng.integers(0, len(LAWSUIT_CAUSES_PLAINTIFF), size=k)
    ]
    cause = np.where(defendant, cause_d, cause_p)
    region = ctx.region[firm]
    case_no = _case_numbers(rng, year, region, "民初", 40_000)

    # Enforcement after an adverse, unpaid judgment.
    h_concl = h[firm, np.minimum(concluded_m, T - 1)]
    enforce = defendant & concluded & (rng.random(k) < sigmoid(-3.0 - 1.5 * h_concl))
    enf_m = concluded_m + rng.integers(1, 4, size=k)
    enforce &= enf_m <= T - 1
    e_idx = np.flatnonzero(enforce)
    e_month = enf_m[e_idx]
    e_firm = firm[e_idx]
    e_amount = np.rint(amount[e_idx] * rng.uniform(0.6, 1.1, size=len(e_idx))).astype(np.int64)
    e_filed = (ctx.month0 + e_month).astype("datetime64[D]") + rng.integers(
        0, 28, size=len(e_idx)
    ).astype("timedelta64[D]")
    e_year = e_filed.astype("datetime64[Y]").astype(np.int64) + 1970
    e_case = _case_numbers(rng, e_year, ctx.region[e_firm], "执", 20_000)
    e_h = h[e_firm, e_month]
    e_closed_m = e_month + 2 + rng.poisson(4.0, size=len(e_idx))
    e_paid = (rng.random(len(e_idx)) < sigmoid(0.5 + 1.5 * e_h)) & (e_closed_m <= T - 1)
    e_closed = (ctx.month0 + e_closed_m).astype("datetime64[D]") + np.full(
        len(e_idx), 10, dtype="timedelta64[D]"
    )

    # Dishonest-debtor listing (失信被执行人) when an enforcement goes unperformed.
    dis = (~e_paid) & (rng.random(len(e_idx)) < sigmoid(-1.5 - 1.5 * e_h))
    dis_m = e_month + rng.integers(2, 6, size=len(e_idx))
    dis &= dis_m <= T - 1
    d_idx = np.flatnonzero(dis)
    d_date = (ctx.month0 + dis_m[d_idx]).astype("datetime64[D]") + rng.integers(
        0, 28, size=len(d_idx)
    ).astype("timedelta64[D]")

    courts = pl.Series([f"{r.local_name}人民法院" for r in REGIONS])

    def court(region_idx: I64) -> np.ndarray:
        return courts.gather(region_idx).to_numpy().astype(str)

    lawsuits = pl.DataFrame(
        {
            "enterprise_id": pl.Series(firm, dtype=pl.Int32),
            "kind": np.full(k, "lawsuit"),
            "role": np.where(defendant, "defendant", "plaintiff"),
            "case_number": case_no,
            "court": court(region),
            "cause": cause,
            "filed_date": pl.Series(filed_date, dtype=pl.Date),
            "amount_fen": pl.Series(amount, dtype=pl.Int64),
            "status": np.where(concluded, "concluded", "pending"),
            "concluded_date": pl.Series(
                np.where(concluded, concl_date, np.datetime64("NaT")), dtype=pl.Date
            ),
            "related_case_number": pl.Series([None] * k, dtype=pl.String),
        }
    )
    enforcements = pl.DataFrame(
        {
            "enterprise_id": pl.Series(e_firm, dtype=pl.Int32),
            "kind": np.full(len(e_idx), "enforcement"),
            "role": np.full(len(e_idx), "respondent"),
            "case_number": e_case,
            "court": court(ctx.region[e_firm]),
            "cause": cause[e_idx],
            "filed_date": pl.Series(e_filed, dtype=pl.Date),
            "amount_fen": pl.Series(e_amount, dtype=pl.Int64),
            "status": np.where(e_paid, "concluded", "pending"),
            "concluded_date": pl.Series(
                np.where(e_paid, e_closed, np.datetime64("NaT")), dtype=pl.Date
            ),
            "related_case_number": pl.Series(case_no[e_idx], dtype=pl.String),
        }
    )
    dishonest = pl.DataFrame(
        {
            "enterprise_id": pl.Series(e_firm[d_idx], dtype=pl.Int32),
            "kind": np.full(len(d_idx), "dishonest_debtor"),
            "role": np.full(len(d_idx), "respondent"),
            "case_number": e_case[d_idx] if len(d_idx) else np.empty(0, dtype=str),
            "court": court(ctx.region[e_firm[d_idx]]),
            "cause": np.where(
                rng.random(len(d_idx)) < 0.7,
                "有履行能力而拒不履行生效法律文书确定义务",
                "违反财产报告制度",
            ),
            "filed_date": pl.Series(d_date, dtype=pl.Date),
            "amount_fen": pl.Series(e_amount[d_idx], dtype=pl.Int64),
            "status": np.where(rng.random(len(d_idx)) < 0.8, "unperformed", "partially_performed"),
            "concluded_date": pl.Series([None] * len(d_idx), dtype=pl.Date),
            "related_case_number": pl.Series(e_case[d_idx], dtype=pl.String),
        }
    )
    frame = pl.concat([lawsuits, enforcements, dishonest], how="vertical")
    frame = frame.sort(["enterprise_id", "filed_date", "kind", "case_number"], maintain_order=True)
    frame = frame.with_row_index("event_id").with_columns(pl.col("event_id").cast(pl.Int32))
    ctx.attrs["dishonest_firms"] = np.unique(e_firm[d_idx])
    return frame
