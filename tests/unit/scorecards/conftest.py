"""Fixtures of the models tests: a synthetic credit dataset with a known signal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

CREATED_AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

SyntheticFactory = Callable[..., pd.DataFrame]


def _synthetic(n: int = 4000, seed: int = 7, shuffle_target: bool = False) -> pd.DataFrame:
    """Bad = 1 with log-odds driven by `sales_growth` (down), `overdue_days` (up), `grade`
    (A best .. D worst); `noise` carries nothing. About 5% missing in two columns."""
    rng = np.random.default_rng(seed)
    sales_growth = rng.normal(0.05, 0.2, n)
    overdue_days = rng.poisson(3, n).astype(float)
    grade = rng.choice(["A", "B", "C", "D"], size=n, p=[0.3, 0.35, 0.25, 0.1])
    noise = rng.normal(size=n)
    grade_effect = pd.Series(grade).map({"A": -0.8, "B": -0.2, "C": 0.3, "D": 1.0}).to_numpy()
    logit = -1.6 - 4.0 * sales_growth + 0.25 * (overdue_days - 3) + grade_effect
    bad = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    sales_growth[rng.random(n) < 0.05] = np.nan
    grade_obj = grade.astype(object)
    grade_obj[rng.random(n) < 0.05] = None
    if shuffle_target:
        bad = rng.permutation(bad)
    return pd.DataFrame(
        {
            "sales_growth": sales_growth,
            "overdue_days": overdue_days,
            "grade": grade_obj,
            "noise": noise,
            "bad": bad,
        }
    )


@pytest.fixture(scope="session")
def synthetic() -> SyntheticFactory:
    return _synthetic
