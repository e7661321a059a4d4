"""A realistic credit table with a high-cardinality categorical that leaks through naive binning.

Shaped like the small-business loans of issue 22 (application-time columns only, about 18 %
bad, mixed numeric and categorical columns): ``lender`` has 5,000 levels drawn from a Zipf-like
law, so a few hundred lenders carry most loans and thousands appear a handful of times; each
lender has a modest true effect. Grouping categories by their *training* bad rate puts the
thousands of rare lenders that happened to have no bad into one "safe" bin that does not hold
on new rows; that is the leak the tests measure.

The other columns: ``term_months`` (a threshold effect), ``amount`` (log-normal), ``jobs``
(counts, many zeros), ``sector`` (20 levels), ``state`` (40 levels), ``urban`` (0/1/missing),
``guarantee_share`` (with an interaction with sector), ``lawsuit`` (4 % of rows, strong), and
some missing values. Pure numpy; the same seed always gives the same table.

    uv run python -m tests.support.highcard var/highcard.csv --rows 30000 --seed 1
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import polars as pl

TARGET = "bad"
N_LENDERS = 5_000


def generate(rows: int = 30_000, seed: int = 1) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    world = np.random.default_rng(10_000 + seed // 1_000)  # lender effects: same per family
    weights = 1.0 / np.arange(1, N_LENDERS + 1) ** 1.05
    lender = rng.choice(N_LENDERS, size=rows, p=weights / weights.sum())
    lender_effect = world.normal(0.0, 0.55, N_LENDERS)
    sector = rng.integers(0, 20, rows)
    sector_effect = world.normal(0.0, 0.35, 20)
    state = rng.integers(0, 40, rows)
    state_effect = world.normal(0.0, 0.2, 40)
    term = rng.choice([12, 24, 36, 60, 84, 120, 180, 240], size=rows,
                      p=[0.08, 0.1, 0.12, 0.2, 0.2, 0.15, 0.1, 0.05])  # fmt: skip
    amount = np.exp(rng.normal(11.0, 1.0, rows))
    jobs = rng.negative_binomial(1, 0.15, rows).astype(float)
    urban = rng.choice([0.0, 1.0, np.nan], size=rows, p=[0.35, 0.5, 0.15])
    guarantee = np.clip(rng.beta(3, 2, rows), 0, 1)
    lawsuit = (rng.random(rows) < 0.04).astype(float)
    logit = (
        -1.8
        + lender_effect[lender]
        + sector_effect[sector]
        + state_effect[state]
        + np.where(term < 60, 1.1, np.where(term < 120, 0.2, -0.9))  # short terms are riskier
        + 0.25 * (np.log(amount) - 11.0)
        - 0.35 * np.log1p(jobs)
        + np.where(np.isnan(urban), 0.3, 0.25 * np.nan_to_num(urban))
        - 1.2 * (guarantee - 0.6) * (1 + (sector < 5))  # interaction: sector x guarantee
        + 1.6 * lawsuit
    )
    bad = (rng.random(rows) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int64)
    amount[rng.random(rows) < 0.02] = np.nan
    return pl.DataFrame(
        {
            "lender": [f"L{v:04d}" for v in lender],
            "sector": [f"S{v:02d}" for v in sector],
            "state": [f"ST{v:02d}" for v in state],
            "term_months": term.astype(np.int64),
            "amount": amount,
            "jobs": jobs,
            "urban": urban,
            "guarantee_share": guarantee,
            "lawsuit": lawsuit.astype(np.int64),
            TARGET: bad,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    generate(args.rows, args.seed).write_csv(args.out)
    print(args.out)


if __name__ == "__main__":
    main()
