"""Shared pieces of the engagement tests: the seed policy, the baseline scorecard, lists."""

from __future__ import annotations

import numpy as np
import polars as pl

from puhui.decisioning.lifecycle import seed_document
from puhui.decisioning.policy import PolicyDocument
from puhui.decisioning.scoring import baseline_artifact
from puhui.engagement.green import catalogue
from puhui.engagement.prescreen import ListKind, PrescreenSpec


def make_spec(kind: ListKind = ListKind.DEALER_LIST, **kw: object) -> PrescreenSpec:
    return PrescreenSpec(
        kind=kind,
        policy=PolicyDocument.model_validate(seed_document()),
        artifact=baseline_artifact(),
        product_code="weiyedai",
        green=catalogue(),
        **kw,  # type: ignore[arg-type]
    )


def dealer_list(n: int, seed: int = 1) -> pl.DataFrame:
    """A core enterprise's dealers: public data, the feed's trends, a purchase basis."""
    rng = np.random.default_rng(seed)
    yoy = pl.Series(np.round(rng.normal(0, 0.3, n), 4)).set(pl.Series(rng.random(n) < 0.2), None)
    status = rng.choice(["active", "revoked", "liquidating"], n, p=[0.96, 0.02, 0.02])
    return pl.DataFrame(
        {
            "enterprise_key": [f"D{i:07d}" for i in range(n)],
            "name": [f"经销商{i}" for i in range(n)],
            "industry_code": rng.choice(["4416", "C", "3841", "5191", "7722", "0212"], n),
            "enterprise_age_months": rng.integers(1, 300, n),
            "enforcement_open": rng.integers(0, 3, n),
            "dishonest_debtor": rng.random(n) < 0.01,
            "abnormal_operation": rng.random(n) < 0.02,
            "registry_status": status,
            "sales_trend_6m": np.round(rng.normal(0, 0.3, n), 4),
            "sales_yoy": yoy,
            "basis_monthly_fen": pl.Series(rng.integers(0, 400_000_000, n)).set(
                pl.Series(rng.random(n) < 0.05), None
            ),
        }
    )
