"""The green label (绿色标签) of pre-screening. Pure.

An enterprise is green when its GB/T 4754-2017 industry code falls in a category of
《绿色产业指导目录（2019年版）》 as mapped in ``data/green_industries.json`` (the file names its
source and says what the mapping is and is not), matched on the longest prefix (a 4-digit
class, then its 3-digit group), AND its electricity use per 10,000 yuan of sales over 12 months
(utilities data, when the bank has it) does not exceed the file's ceiling. Without utilities
data the industry alone decides. A bare GB/T 4754 section letter (what the registry carries)
never makes an enterprise green: the catalogue is finer than a section.

The label is a column function over polars, so the embedded engine and Spark apply the same
code (see :mod:`puhui.engagement.prescreen`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

DATA_PATH = Path(__file__).parent / "data" / "green_industries.json"


@dataclass(frozen=True)
class GreenCatalogue:
    version: str
    source: dict[str, str]
    categories: dict[str, dict[str, str]]
    by_code: dict[str, str]  # industry code (3 or 4 digits) -> category number
    max_kwh_per_10k_yuan: float

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> GreenCatalogue:
        by_code = {str(row["code"]): str(row["category"]) for row in d["industries"]}
        unknown = {c for c in by_code.values() if c not in d["categories"]}
        if unknown:
            raise ValueError(f"green catalogue: unknown categories {sorted(unknown)}")
        return cls(
            version=str(d["version"]),
            source={k: str(v) for k, v in d["source"].items()},
            categories={k: dict(v) for k, v in d["categories"].items()},
            by_code=by_code,
            max_kwh_per_10k_yuan=float(d["energy_intensity"]["max_kwh_per_10k_yuan"]),
        )

    def category_of(self, industry_code: str | None) -> str | None:
        """The catalogue category of one industry code (longest prefix), or None."""
        if not industry_code:
            return None
        code = industry_code.strip()
        for n in (4, 3):
            if len(code) >= n and code[:n] in self.by_code:
                return self.by_code[code[:n]]
        return None

    def category_label(self, category: str | None, lang: str = "zh") -> str:
        if category is None:
            return ""
        return self.categories[category]["zh" if lang.startswith("zh") else "en"]


@cache
def catalogue() -> GreenCatalogue:
    """The shipped catalogue mapping (read once per process)."""
    return GreenCatalogue.from_dict(json.loads(DATA_PATH.read_text(encoding="utf-8")))


def green_columns(
    frame: pl.DataFrame, cat: GreenCatalogue, *, industry: str = "industry_code"
) -> pl.DataFrame:
    """``frame`` with ``green_category`` (the industry's catalogue category or null) and
    ``green`` (bool: a green industry and not energy-intensive).

    Reads ``industry`` (text) and, when present, ``kwh_per_10k_sales_12m`` (float).
    """
    codes = frame[industry].cast(pl.Utf8)
    distinct = [c for c in codes.unique().to_list() if c is not None]
    mapping = {c: cat.category_of(c) for c in distinct}
    category = (
        codes.replace_strict(mapping, default=None, return_dtype=pl.Utf8)
        if mapping
        else pl.Series([None] * frame.height, dtype=pl.Utf8)
    )
    out = frame.with_columns(category.alias("green_category"))
    if "kwh_per_10k_sales_12m" in frame.columns:
        kwh = pl.col("kwh_per_10k_sales_12m").cast(pl.Float64)
        efficient = kwh.is_null() | kwh.is_nan() | (kwh <= cat.max_kwh_per_10k_yuan)
    else:
        efficient = pl.lit(True)
    green = pl.col("green_category").is_not_null() & efficient
    return out.with_columns(green.fill_null(False).alias("green"))
