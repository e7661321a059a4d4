"""Stage 7: business-registration facts (status, change history, abnormal-operation list) and
the tax credit grade (A/B/M/C/D) of the last evaluation year."""

from __future__ import annotations

import numpy as np
import polars as pl

from puhui.datahub.world.context import FEN_PER_WAN, I64, Ctx, sigmoid
from puhui.datahub.world.parties import _person_names
from puhui.datahub.world.vocab import ABNORMAL_REASONS, REGIONS, ROADS

_SCOPE_ITEMS = (
    "技术开发、技术咨询、技术服务", "货物进出口、技术进出口", "供应链管理服务", "道路货物运输",
    "销售：建筑材料、五金交电", "食品经营", "机械设备租赁", "软件开发", "广告设计、制作",
    "日用百货销售", "企业管理咨询", "仓储服务（不含危险化学品）",
)  # fmt: skip


def _event_dates(ctx: Ctx, rows: I64, recent: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    as_of = np.datetime64(ctx.as_of, "D")
    est = ctx.established[rows]
    life = np.maximum((as_of - est).astype(np.int64) - 30, 1)
    any_time = est + (30 + np.floor(rng.random(len(rows)) * life)).astype("timedelta64[D]")
    recent_back = np.minimum(rng.integers(5, 180, size=len(rows)), life)
    recent_date = as_of - recent_back.astype("timedelta64[D]")
    return np.where(recent, recent_date, any_time)


def _wan_text(fen: I64) -> np.ndarray:
    return (pl.Series(fen // FEN_PER_WAN).cast(pl.String) + "万元人民币").to_numpy().astype(str)


def build_registry(ctx: Ctx, people: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    # One long function on purpose: a straight recipe of column definitions (capital,
    # representatives, names, abnormal list, status), cyclomatic 4, drawing from the world's one
    # generator in a fixed order. The sections share their intermediate arrays and the order of the
    # draws is the world itself (one seed, one world byte for byte), so cutting it up would scatter
    # one recipe, not reveal a seam.
    rng, n, T = ctx.rng, ctx.n, ctx.months
    ids = np.arange(n, dtype=np.int64)
    h_now = ctx.health[:, T - 1]
    distressed = (h_now - ctx.quality) < -1.0
    age = ctx.attrs["age_years"]
    names = people["name"].to_numpy().astype(str)
    rep_name = names[ctx.attrs["legal_rep_person_id"]]
    ctrl_name = names[ctx.attrs["controller_person_id"]]
    capital = ctx.attrs["registered_capital_fen"]
    grown = np.clip(age / 3.0, 0.2, 1.0)

    parts: list[pl.DataFrame] = []

    def add(
        rows: I64, item: str, recent: np.ndarray, before: np.ndarray, after: np.ndarray
    ) -> None:
        parts.append(
            pl.DataFrame(
                {
                    "enterprise_id": pl.Series(rows, dtype=pl.Int32),
                    "change_date": pl.Series(_event_dates(ctx, rows, recent, rng), dtype=pl.Date),
                    "item": np.full(len(rows), item),
                    "before": pl.Series(before, dtype=pl.String),
                    "after": pl.Series(after, dtype=pl.String),
                }
            )
        )

    # Registered capital: mostly increases; distressed firms sometimes cut capital (减资).
    cap = rng.random(n) < 0.2 * grown
    rows = ids[cap]
    cut = distressed[rows] & (rng.random(len(rows)) < 0.5)
    ratio = rng.choice([0.1, 0.2, 0.5], size=len(rows))
    before = np.where(cut, capital[rows] * 2, (capital[rows] * ratio).astype(np.int64))
    before = np.maximum(before // FEN_PER_WAN, 1) * FEN_PER_WAN
    add(rows, "registered_capital", cut, _wan_text(before), _wan_text(capital[rows]))

    # Legal representative: recent changes flag distress and shells (nominee swaps).
    p_rep = 0.12 * grown + np.where(distressed, 0.25, 0.0) + np.where(ctx.shell, 0.5, 0.0)
    lr = rng.random(n) < p_rep
    rows = ids[lr]
    recent = (distressed | ctx.shell)[rows] & (rng.random(len(rows)) < 0.8)
    male = rng.random(len(rows)) < 0.7
    add(rows, "legal_representative", recent, _person_names(rng, male), rep_name[rows])

    sh = rng.random(n) < 0.15 * grown + np.where(distressed, 0.15, 0.0)
    rows = ids[sh]
    recent = distressed[rows] & (rng.random(len(rows)) < 0.6)
    before_names = _person_names(rng, rng.random(len(rows)) < 0.6)
    add(rows, "shareholder", recent, before_names, ctrl_name[rows])

    ad = rng.random(n) < 0.25 * grown + np.where(ctx.shell, 0.2, 0.0)
    rows = ids[ad]
    roads = np.array(ROADS)
    old_addr = (
        (
            pl.Series([r.full_name for r in REGIONS]).gather(ctx.region[rows])
            + pl.Series(roads[rng.integers(0, len(roads), size=len(rows))])
            + pl.Series(rng.integers(1, 999, size=len(rows))).cast(pl.String)
            + "号"
        )
        .to_numpy()
        .astype(str)
    )
    add(rows, "address", np.zeros(len(rows), bool), old_addr, ctx.attrs["address"][rows])

    bs = rng.random(n) < 0.3 * grown
    rows = ids[bs]
    scope = np.array(_SCOPE_ITEMS)
    a_item = scope[rng.integers(0, len(scope), size=len(rows))]
    b_item = scope[rng.integers(0, len(scope), size=len(rows))]
    after = (pl.Series(a_item) + "；" + pl.Series(b_item)).to_numpy().astype(str)
    add(rows, "business_scope", np.zeros(len(rows), bool), a_item, after)

    nm = rng.random(n) < 0.04 * grown
    rows = ids[nm]
    current = ctx.attrs["name"][rows]
    # Former name: same city and suffix, another trade name.
    chars = np.array(list("华信恒达鑫源盛泰丰裕永通宏昌兴隆瑞祥"))
    old_trade = (pl.Series(chars[rng.integers(0, len(chars), len(rows))])
                 + pl.Series(chars[rng.integers(0, len(chars), len(rows))]))  # fmt: skip
    trade = ctx.attrs["trade_name"][rows]
    prefix_len = pl.Series([len(r.city) for r in REGIONS]).gather(ctx.region[rows]).to_numpy()
    former = (
        pl.DataFrame(
            {
                "current": current,
                "old": old_trade,
                "cut": prefix_len + pl.Series(trade).str.len_chars().to_numpy(),
                "plen": prefix_len,
            }
        )
        .select(
            pl.concat_str(
                [
                    pl.col("current").str.slice(0, pl.col("plen")),
                    pl.col("old"),
                    pl.col("current").str.slice(pl.col("cut")),
                ]
            )
        )
        .to_series()
        .to_numpy()
        .astype(str)
    )
    add(rows, "name", np.zeros(len(rows), bool), former, current)

    changes = pl.concat(parts, how="vertical").sort(
        ["enterprise_id", "change_date", "item"], maintain_order=True
    )

    # Abnormal-operation list (经营异常名录).
    young = age < 1.0
    p_ab = sigmoid(-5.0 - 1.4 * h_now) * np.where(young, 0.3, 1.0)
    p_ab = np.where(ctx.shell, 0.35, p_ab)
    listed = rng.random(n) < p_ab
    rows = ids[listed]
    as_of = np.datetime64(ctx.as_of, "D")
    life = np.maximum((as_of - ctx.established[rows]).astype(np.int64) - 60, 1)
    back = np.minimum(rng.integers(10, 700, size=len(rows)), life)
    listed_date = as_of - back.astype("timedelta64[D]")
    shell_rows = ctx.shell[rows]
    reason_idx = np.where(
        shell_rows,
        np.where(rng.random(len(rows)) < 0.7, 1, 0),
        rng.choice(4, size=len(rows), p=[0.7, 0.2, 0.05, 0.05]),
    )
    removed = (~shell_rows) & (rng.random(len(rows)) < 0.35)
    removed_date = listed_date + rng.integers(30, 180, size=len(rows)).astype("timedelta64[D]")
    removed &= removed_date <= as_of
    abnormal = pl.DataFrame(
        {
            "enterprise_id": pl.Series(rows, dtype=pl.Int32),
            "listed_date": pl.Series(listed_date, dtype=pl.Date),
            "reason": np.array(ABNORMAL_REASONS)[reason_idx],
            "listing_authority": pl.Series([r.city + "市市场监督管理局" for r in REGIONS]).gather(
                ctx.region[rows]
            ),
            "removed_date": pl.Series(
                np.where(removed, removed_date, np.datetime64("NaT")), dtype=pl.Date
            ),
        }
    )

    # Status: long-standing abnormal firms that stopped filing are revoked (吊销).
    status = np.full(n, "active", dtype=object)
    filed = ctx.dense["filed"]
    silent = filed[:, T - 6 :].sum(axis=1) == 0
    old_listing = np.zeros(n, bool)
    old_listing[rows] = (~removed) & (back > 365)
    revoked = old_listing & silent & (rng.random(n) < 0.5)
    status[revoked] = "revoked"
    ctx.attrs["status"] = status.astype(str)
    ctx.attrs["abnormal_now"] = np.zeros(n, bool)
    ctx.attrs["abnormal_now"][rows] = ~removed
    return changes, abnormal


def build_tax_grades(ctx: Ctx) -> None:
    """Tax credit grade for the last published evaluation year (grades appear each April)."""
    rng, n, T = ctx.rng, ctx.n, ctx.months
    year = ctx.as_of.year - 1 if ctx.as_of.month >= 4 else ctx.as_of.year - 2
    month_year = (ctx.month0 + np.arange(T)).astype("datetime64[Y]").astype(np.int64) + 1970
    cols = np.flatnonzero(month_year == year)
    if len(cols) == 0:
        cols = np.arange(max(0, T - 12), T)
    filed = ctx.dense["filed"][:, cols]
    alive = ctx.dense["alive"][:, cols]
    sales = ctx.dense["invoiced_sales_fen"][:, cols]
    filing_rate = filed.sum(axis=1) / np.maximum(alive.sum(axis=1), 1)
    mean_h = ctx.health[:, cols].mean(axis=1)
    score = mean_h + 1.5 * (filing_rate - 1.0) + rng.normal(0.0, 0.35, size=n)
    grade = np.where(
        score < -2.2, "D", np.where(score < -1.2, "C", np.where(score < 0.3, "B", "A"))
    )
    year_start = np.datetime64(f"{year}-01-01", "D")
    new = ctx.established >= year_start
    no_income = sales.sum(axis=1) == 0
    grade = np.where(new | (no_income & (grade != "D")), "M", grade)
    dishonest = np.zeros(n, bool)
    dishonest[ctx.attrs.get("dishonest_firms", np.empty(0, np.int64))] = True
    detected = ctx.shell_fake_invoicing & (rng.random(n) < 0.2)
    grade = np.where(dishonest | detected, "D", grade)
    ctx.attrs["tax_credit_grade"] = grade.astype(str)
    ctx.attrs["tax_credit_grade_year"] = year
