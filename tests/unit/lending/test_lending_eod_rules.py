"""The end of day's rule steps on columns (`lending.eod_rules`) equal the loan-by-loan rules of
docs/lending.md (§ Overdue, penalty, dpd) written with the scalar functions: contract interest
(`interest.accrue`), penalty and compound interest past the grace days
(`overdue.accrue_overdue`), days past due and the five categories (`classification`)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from puhui.lending.classification import (
    DEFAULT_THRESHOLDS,
    ClassificationThresholds,
    classify,
    days_past_due,
)
from puhui.lending.eod_rules import (
    CLASS_ORDER,
    DATE_COLUMNS,
    INPUT_COLUMNS,
    UPDATED_DATES,
    UPDATED_INTS,
    accrue_columns,
    as_date,
    classify_batch,
    day_number,
    part_sizes,
)
from puhui.lending.interest import DayCountBasis, accrue
from puhui.lending.overdue import accrue_overdue

DAY = date(2026, 12, 15)


def _loan(rng: np.random.Generator) -> dict[str, Any]:
    """One active loan as the end of day reads it, in every state the rules distinguish."""
    d = day_number(DAY)
    principal = int(rng.integers(0, 500_000_000))
    overdue = rng.random() < 0.4
    oldest = d - int(rng.integers(-3, 420)) if overdue else -1
    return {
        "principal_outstanding_fen": principal,
        "overdue_principal_fen": int(rng.integers(0, principal + 1)) if overdue else 0,
        "overdue_interest_fen": int(rng.integers(0, 3_000_000)) if overdue else 0,
        "interest_accrued_fen": int(rng.integers(0, 1_000_000)),
        "interest_carry": 0,
        "rate_bp": int(rng.integers(0, 2400)),
        "grace_days": int(rng.integers(0, 5)),
        "penalty_markup_bp": int(rng.choice([0, 3000, 5000])),
        "penalty_accrued_fen": int(rng.integers(0, 100_000)),
        "penalty_carry": 0,
        "compound_accrued_fen": int(rng.integers(0, 10_000)),
        "compound_carry": 0,
        "year_days": int(rng.choice([360, 365])),
        "compound": int(rng.random() < 0.5),
        # a catch-up of several days, today's day, a loan already accrued, one with no next due
        "interest_accrued_through": d - int(rng.integers(-1, 4)),
        "next_due_date": -1 if rng.random() < 0.05 else d + int(rng.integers(-2, 30)),
        "oldest_unpaid_due_date": oldest,
        "penalty_accrued_through": d - int(rng.integers(0, 3)) if overdue else -1,
        "last_overdue_date": d - 1 if overdue and rng.random() < 0.5 else -1,
        "non_accrual_since": d - int(rng.integers(1, 200))
        if overdue and rng.random() < 0.3
        else -1,
    }


def _expected(loan: dict[str, Any], day: date, th: ClassificationThresholds) -> dict[str, Any]:
    """The rules of docs/lending.md, loan by loan, with the Decimal scalar functions."""
    d = day_number(day)
    basis = DayCountBasis.ACT_365 if loan["year_days"] == 365 else DayCountBasis.ACT_360
    out = dict(loan)
    # 3. contract interest on normal principal over [accrued through, min(D + 1, next due))
    interest = 0
    if loan["next_due_date"] >= 0:
        end = min(d + 1, loan["next_due_date"])
        days = end - loan["interest_accrued_through"]
        if days > 0:
            normal = loan["principal_outstanding_fen"] - loan["overdue_principal_fen"]
            step = accrue(normal, loan["rate_bp"], loan["interest_carry"], days=days, basis=basis)
            interest = step.interest_fen
            out["interest_carry"] = int(step.carry)
            out["interest_accrued_through"] = end
    # 4. one day of penalty and compound once past the grace days, never twice a day
    oldest = as_date(loan["oldest_unpaid_due_date"])
    penalty = compound = 0
    pat = loan["penalty_accrued_through"]
    if oldest is not None and oldest <= day and pat < d:
        if (day - oldest).days + 1 > loan["grace_days"]:
            over = accrue_overdue(
                loan["overdue_principal_fen"],
                loan["overdue_interest_fen"],
                loan["rate_bp"],
                penalty_carry=loan["penalty_carry"],
                compound_carry=loan["compound_carry"],
                markup_bp=loan["penalty_markup_bp"],
                compound=bool(loan["compound"]),
                basis=basis,
            )
            penalty, compound = over.penalty_fen, over.compound_fen
            out["penalty_carry"] = int(over.penalty_carry)
            out["compound_carry"] = int(over.compound_carry)
        out["penalty_accrued_through"] = d
    # 5. days past due, class, last overdue date
    dpd = days_past_due(oldest, day)
    out["dpd"] = dpd
    out["classification"] = classify(dpd, th).value
    if dpd > 0:
        out["last_overdue_date"] = d
    # 6. non-accrual from th.non_accrual_from_dpd, until cured (dpd 0)
    was = loan["non_accrual_since"] >= 0
    if dpd >= th.non_accrual_from_dpd or (was and dpd > 0):
        out["non_accrual_since"] = loan["non_accrual_since"] if was else d
    else:
        out["non_accrual_since"] = -1
    out["interest_accrued_fen"] += interest
    out["penalty_accrued_fen"] += penalty
    out["compound_accrued_fen"] += compound
    out["posted"] = (interest, penalty, compound)
    return out


@pytest.mark.parametrize("th", [DEFAULT_THRESHOLDS, ClassificationThresholds(0, 60, 180, 360)])
def test_accrue_columns_equals_the_loan_by_loan_rules_day_after_day(
    th: ClassificationThresholds,
) -> None:
    rng = np.random.default_rng(13)
    loans = [_loan(rng) for _ in range(600)]
    for k in range(4):  # consecutive days: the carries and dates of one feed the next
        day = DAY + timedelta(days=k)
        cols = {c: np.array([ln[c] for ln in loans], dtype=np.int64) for c in INPUT_COLUMNS}
        acc = accrue_columns(cols, day, th)
        expected = [_expected(ln, day, th) for ln in loans]
        for i, want in enumerate(expected):
            got = {c: int(acc.columns[c][i]) for c in (*UPDATED_INTS, *UPDATED_DATES)}
            assert got == {c: want[c] for c in got}, (k, i, loans[i])
            assert CLASS_ORDER[int(acc.classes[i])] == want["classification"]
            posted = (int(acc.interest[i]), int(acc.penalty[i]), int(acc.compound[i]))
            assert posted == want["posted"], (k, i, loans[i])
        assert acc.totals() == {
            "interest_fen": sum(w["posted"][0] for w in expected),
            "penalty_fen": sum(w["posted"][1] for w in expected),
            "compound_fen": sum(w["posted"][2] for w in expected),
        }
        loans = [{c: w[c] for c in INPUT_COLUMNS} for w in expected]


def test_a_second_run_of_the_same_day_charges_nothing() -> None:
    rng = np.random.default_rng(5)
    loans = [_loan(rng) for _ in range(200)]
    cols = {c: np.array([ln[c] for ln in loans], dtype=np.int64) for c in INPUT_COLUMNS}
    first = accrue_columns(cols, DAY, DEFAULT_THRESHOLDS)
    again_cols = dict(cols) | {c: first.columns[c] for c in (*UPDATED_INTS, *UPDATED_DATES)}
    again = accrue_columns(again_cols, DAY, DEFAULT_THRESHOLDS)
    assert again.totals() == {"interest_fen": 0, "penalty_fen": 0, "compound_fen": 0}
    for c in (*UPDATED_INTS, *UPDATED_DATES):
        assert again.columns[c].tolist() == first.columns[c].tolist(), c


def test_classify_batch_matches_classify() -> None:
    dpd = np.arange(0, 800, dtype=np.int64)
    for th in (ClassificationThresholds(), ClassificationThresholds(0, 60, 180, 360)):
        assert classify_batch(dpd, th).tolist() == [classify(int(x), th).value for x in dpd]


def test_day_numbers_and_dates() -> None:
    assert as_date(day_number(DAY)) == DAY
    assert as_date(-1) is None
    assert set(DATE_COLUMNS) <= set(INPUT_COLUMNS)
    assert Decimal(day_number(date(2000, 1, 2))) == 1


@pytest.mark.parametrize(("size", "parts"), [(20_000, 2), (4, 2), (3, 3), (1, 1), (10, 4)])
def test_part_sizes_sum_to_the_batch_and_shrink(size: int, parts: int) -> None:
    sizes = part_sizes(size, parts)
    assert sum(sizes) == size and len(sizes) == parts and min(sizes) >= 1
    assert sizes == sorted(sizes, reverse=True)
