"""Lifecycle segments (客群): the rules over one frame of facts per enterprise. Pure.

The definitions are versioned data (``data/segments.json``; a change is a new version, like a
credit policy), and each rule is a polars expression over the facts the service gathers
through the owning domains' services (:func:`puhui.engagement.service.segment_facts`):

=================  ===========================================================================
``new_account``    新开户: onboarded, or first line activated, within ``days`` of the date
``near_upgrade``   临界提级: below the next size tier's sales or headcount threshold but at
                   least ``closeness`` of it (thresholds per the MIIT 2011 SME classification)
``grow_quality``   重点提质: active limit ≥ ``min_limit_fen``, utilisation ≤ ``max_utilisation``,
                   never past due now (``max_dpd``)
``dormant``        不动户: an unused limit, and no drawdown and no login for ``months`` months
``renewal_due``    到期续贷: an active line expiring within ``days`` days
``overdue_watch``  逾期关注: a loan ``min_dpd`` or more days past due (the lending service's dpd)
=================  ===========================================================================

Facts (one row per enterprise): ``enterprise_id``, ``onboarded_date``, ``first_line_date``,
``active_limit_fen``, ``used_fen``, ``last_drawdown_date``, ``last_login_date``,
``next_expiry_date``, ``max_dpd``, ``sales_12m_fen``, ``headcount_now``, ``size_class``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

DATA_PATH = Path(__file__).parent / "data" / "segments.json"


class Segment(StrEnum):
    NEW_ACCOUNT = "new_account"
    NEAR_UPGRADE = "near_upgrade"
    GROW_QUALITY = "grow_quality"
    DORMANT = "dormant"
    RENEWAL_DUE = "renewal_due"
    OVERDUE_WATCH = "overdue_watch"


FACT_SCHEMA: dict[str, Any] = {
    "enterprise_id": pl.Utf8,
    "onboarded_date": pl.Date,
    "first_line_date": pl.Date,
    "active_limit_fen": pl.Int64,
    "used_fen": pl.Int64,
    "last_drawdown_date": pl.Date,
    "last_login_date": pl.Date,
    "next_expiry_date": pl.Date,
    "max_dpd": pl.Int64,
    "sales_12m_fen": pl.Int64,
    "headcount_now": pl.Int64,
    "size_class": pl.Utf8,
}


@dataclass(frozen=True)
class Definitions:
    version: str
    segments: dict[str, dict[str, Any]]

    def label(self, segment: str, lang: str = "zh") -> str:
        return str(self.segments[segment]["zh" if lang.startswith("zh") else "en"])


@cache
def definitions() -> Definitions:
    d = json.loads(DATA_PATH.read_text(encoding="utf-8"))
    missing = [s.value for s in Segment if s.value not in d["segments"]]
    if missing:
        raise ValueError(f"segment definitions lack {missing}")
    return Definitions(version=str(d["version"]), segments=d["segments"])


def months_before(day: date, months: int) -> date:
    """The same day ``months`` months earlier (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    first_next = date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    return date(year, month + 1, min(day.day, (first_next - timedelta(days=1)).day))


def _near_upgrade(rule: dict[str, Any]) -> pl.Expr:
    close = float(rule["closeness"])
    parts = []
    for size, tier in rule["tiers"].items():
        sales, heads = int(tier["sales_fen"]), int(tier["headcount"])
        near_sales = pl.col("sales_12m_fen").is_between(int(sales * close), sales, closed="left")
        near_heads = pl.col("headcount_now").is_between(int(heads * close), heads, closed="left")
        parts.append((pl.col("size_class") == size) & (near_sales | near_heads))
    return pl.any_horizontal(parts)


def rules(day: date, defs: Definitions) -> dict[Segment, pl.Expr]:
    """Each segment's membership test on ``day`` (null facts never qualify)."""
    s = defs.segments
    recent = day - timedelta(days=int(s["new_account"]["days"]))
    quiet_since = months_before(day, int(s["dormant"]["months"]))
    renew_by = day + timedelta(days=int(s["renewal_due"]["days"]))
    grow = s["grow_quality"]
    limit, used = pl.col("active_limit_fen"), pl.col("used_fen")
    return {
        Segment.NEW_ACCOUNT: (pl.col("onboarded_date") > recent)
        | (pl.col("first_line_date") > recent),
        Segment.NEAR_UPGRADE: _near_upgrade(s["near_upgrade"]),
        Segment.GROW_QUALITY: (limit >= int(grow["min_limit_fen"]))
        & (used <= limit * float(grow["max_utilisation"]))
        & (pl.col("max_dpd") <= int(grow["max_dpd"])),
        Segment.DORMANT: (limit > used)
        & (pl.col("last_drawdown_date").is_null() | (pl.col("last_drawdown_date") <= quiet_since))
        & (pl.col("last_login_date").is_null() | (pl.col("last_login_date") <= quiet_since))
        & (pl.col("first_line_date") <= quiet_since),
        Segment.RENEWAL_DUE: pl.col("next_expiry_date").is_between(day, renew_by),
        Segment.OVERDUE_WATCH: pl.col("max_dpd") >= int(s["overdue_watch"]["min_dpd"]),
    }


def members(facts: pl.DataFrame, day: date, defs: Definitions | None = None) -> dict[str, set[str]]:
    """The enterprise ids in each segment on ``day``."""
    defs = defs or definitions()
    facts = facts.cast({k: v for k, v in FACT_SCHEMA.items() if k in facts.columns})
    for name, dtype in FACT_SCHEMA.items():
        if name not in facts.columns:
            facts = facts.with_columns(pl.lit(None, dtype=dtype).alias(name))
    flags = facts.select(
        "enterprise_id",
        *(expr.fill_null(False).alias(seg.value) for seg, expr in rules(day, defs).items()),
    )
    return {
        seg.value: set(flags.filter(pl.col(seg.value))["enterprise_id"].to_list())
        for seg in Segment
    }


@dataclass(frozen=True)
class Movement:
    """What a day's segmentation changes: who enters and who leaves each segment."""

    entered: dict[str, set[str]]
    left: dict[str, set[str]]


def movements(before: dict[str, set[str]], today: dict[str, set[str]]) -> Movement:
    names = set(before) | set(today)
    return Movement(
        entered={s: today.get(s, set()) - before.get(s, set()) for s in names},
        left={s: before.get(s, set()) - today.get(s, set()) for s in names},
    )
