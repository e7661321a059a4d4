"""The end of day's rule steps on a batch of loans as columns (pure: numpy, no database, no I/O).

What :mod:`puhui.lending.eod` does to each active loan on business date ``D`` (docs/lending.md,
§ Overdue, penalty, dpd), computed on int64 columns so that a million loans take one pass:

3. contract interest for the days ``[interest_accrued_through, min(D + 1, next_due_date))`` on
   the normal principal (``principal_outstanding − overdue_principal``), exact with its carry
   (:func:`puhui.lending.batch.accrue_batch`);
4. past the grace days (``D − oldest_unpaid_due_date + 1 > grace_days``), one day of penalty on
   overdue principal and, when the product compounds, compound interest on overdue interest,
   both at the penalty rate (:func:`puhui.lending.overdue.penalty_multiplier_bp`, through
   :func:`puhui.lending.batch.accrue_overdue_batch`); ``penalty_accrued_through = D`` for every
   loan overdue today, charged or within its grace days;
5. ``dpd = D − oldest_unpaid_due_date`` (at least 0), the five-category class by dpd
   (:mod:`puhui.lending.classification`), ``last_overdue_date = D`` when dpd > 0;
6. non-accrual (非应计, :mod:`puhui.lending.nonaccrual`): a loan enters on the day its dpd
   reaches ``thresholds.non_accrual_from_dpd`` (``non_accrual_since = D``) and stays until it is
   cured, i.e. nothing is past due any more (dpd 0). What it accrues while in that state is the
   same; only where it is posted changes (suspense instead of income).

Dates travel as whole days since :data:`EPOCH` (−1 for none), so every column is int64. The
results equal the scalar functions loan by loan (``tests/unit/lending/test_lending_eod_rules.py``)
and a second run of the same date changes nothing: both accruals are bounded by their
``*_accrued_through`` dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from puhui.lending.batch import BoolArray, IntArray, accrue_batch, accrue_overdue_batch
from puhui.lending.classification import DEFAULT_THRESHOLDS, ClassificationThresholds, LoanClass
from puhui.lending.interest import MULTIPLIER_SCALE, DayCountBasis

EPOCH = date(2000, 1, 1)
"""Day 0 of the day numbers that carry dates in the columns."""

INT_COLUMNS = (
    "principal_outstanding_fen",
    "overdue_principal_fen",
    "overdue_interest_fen",
    "interest_accrued_fen",
    "interest_carry",
    "rate_bp",
    "grace_days",
    "penalty_markup_bp",
    "penalty_accrued_fen",
    "penalty_carry",
    "compound_accrued_fen",
    "compound_carry",
)
"""Integer columns of ``lending_loan`` read as they are."""

DATE_COLUMNS = (
    "interest_accrued_through",
    "next_due_date",
    "oldest_unpaid_due_date",
    "penalty_accrued_through",
    "last_overdue_date",
    "non_accrual_since",
)
"""Date columns of ``lending_loan``, read as day numbers (−1 for NULL)."""

INPUT_COLUMNS = (*INT_COLUMNS, "year_days", "compound", *DATE_COLUMNS)
"""What :func:`accrue_columns` reads, in this order: ``year_days`` is 360 or 365 (the loan's
day-count basis), ``compound`` 1 when the product compounds overdue interest, else 0."""

UPDATED_INTS = (
    "interest_accrued_fen",
    "interest_carry",
    "penalty_accrued_fen",
    "penalty_carry",
    "compound_accrued_fen",
    "compound_carry",
    "dpd",
)
UPDATED_DATES = (
    "interest_accrued_through",
    "penalty_accrued_through",
    "last_overdue_date",
    "non_accrual_since",
)
"""The loan columns :func:`accrue_columns` gives new values (and ``classification``)."""

CLASS_ORDER = (
    LoanClass.NORMAL.value,
    LoanClass.SPECIAL_MENTION.value,
    LoanClass.SUBSTANDARD.value,
    LoanClass.DOUBTFUL.value,
    LoanClass.LOSS.value,
)
"""The classes by index (:attr:`Accrued.classes`), best first."""


def day_number(day: date) -> int:
    """``day`` as whole days since :data:`EPOCH`."""
    return (day - EPOCH).days


def as_date(days: int) -> date | None:
    """A day number back to a date; −1 (or any negative) is none."""
    return None if days < 0 else EPOCH + timedelta(days=days)


def class_index(
    dpd: IntArray, thresholds: ClassificationThresholds = DEFAULT_THRESHOLDS
) -> IntArray:
    """:func:`classify_batch` as an index into :data:`CLASS_ORDER`."""
    return np.select(
        [
            dpd > thresholds.loss_after_dpd,
            dpd > thresholds.doubtful_after_dpd,
            dpd > thresholds.substandard_after_dpd,
            dpd > thresholds.special_mention_after_dpd,
        ],
        [4, 3, 2, 1],
        0,
    ).astype(np.int64)


def classify_batch(
    dpd: IntArray, thresholds: ClassificationThresholds = DEFAULT_THRESHOLDS
) -> np.ndarray[Any, np.dtype[np.object_]]:
    """Vectorized :func:`puhui.lending.classification.classify` (no ``at_least``)."""
    return np.array(CLASS_ORDER, dtype=object)[class_index(dpd, thresholds)]


@dataclass
class Accrued:
    """What one batch's accrual computes: the new loan columns and the day's postings."""

    columns: dict[str, IntArray]  # new values of UPDATED_INTS and (day numbers) UPDATED_DATES
    classes: IntArray  # index into CLASS_ORDER
    interest: IntArray  # contract interest posted today, fen
    penalty: IntArray  # penalty posted today, fen
    compound: IntArray  # compound interest posted today, fen
    non_accrual: BoolArray  # non-accrual after today: today's accrual goes to suspense
    entering: BoolArray  # entered non-accrual today
    cured: BoolArray  # left non-accrual today (cured)

    def totals(self) -> dict[str, int]:
        """The run totals of this batch (recorded on the job step)."""
        return {
            "interest_fen": int(self.interest.sum()),
            "penalty_fen": int(self.penalty.sum()),
            "compound_fen": int(self.compound.sum()),
        }


def _contract_interest(col: dict[str, IntArray], d: int) -> tuple[IntArray, IntArray, IntArray]:
    """Rule 3: (interest posted, new carry, new interest_accrued_through) per loan."""
    principal = col["principal_outstanding_fen"]
    normal = principal - col["overdue_principal_fen"]
    carry = col["interest_carry"].copy()
    iat = col["interest_accrued_through"].copy()
    ndd = col["next_due_date"]
    end = np.minimum(d + 1, ndd)
    days = np.where(ndd >= 0, end - iat, 0)
    interest = np.zeros(len(principal), dtype=np.int64)
    for basis in DayCountBasis:
        sel = (days > 0) & (col["year_days"] == basis.year_days)
        if sel.any():
            posted, new_carry = accrue_batch(
                normal[sel],
                col["rate_bp"][sel],
                carry[sel],
                multiplier_bp=MULTIPLIER_SCALE * days[sel],
                basis=basis,
            )
            interest[sel] = posted
            carry[sel] = new_carry
            iat[sel] = end[sel]
    return interest, carry, iat


@dataclass
class _Overdue:
    """Rule 4's results per loan."""

    due_today: BoolArray  # overdue today and not yet charged today (charged or in grace)
    penalty: IntArray
    compound: IntArray
    penalty_carry: IntArray
    compound_carry: IntArray


def _overdue_charges(col: dict[str, IntArray], d: int) -> _Overdue:
    """Rule 4: one day of penalty and compound interest for the loans past their grace days."""
    oldest = col["oldest_unpaid_due_date"]
    pen_carry = col["penalty_carry"].copy()
    comp_carry = col["compound_carry"].copy()
    due_today = (oldest >= 0) & (oldest <= d) & (col["penalty_accrued_through"] < d)
    charge = due_today & (d - oldest + 1 > col["grace_days"])
    n = len(oldest)
    penalty = np.zeros(n, dtype=np.int64)
    comp = np.zeros(n, dtype=np.int64)
    for basis in DayCountBasis:
        sel = charge & (col["year_days"] == basis.year_days)
        if sel.any():
            over = accrue_overdue_batch(
                col["overdue_principal_fen"][sel],
                col["overdue_interest_fen"][sel],
                col["rate_bp"][sel],
                pen_carry[sel],
                comp_carry[sel],
                markup_bp=col["penalty_markup_bp"][sel],
                compound=col["compound"][sel].astype(np.bool_),
                basis=basis,
            )
            penalty[sel] = over.penalty_fen
            comp[sel] = over.compound_fen
            pen_carry[sel] = over.penalty_carry
            comp_carry[sel] = over.compound_carry
    return _Overdue(due_today, penalty, comp, pen_carry, comp_carry)


def accrue_columns(
    col: dict[str, IntArray], day: date, thresholds: ClassificationThresholds = DEFAULT_THRESHOLDS
) -> Accrued:
    """Rules 3–5 of the end of day on a batch of loans given as int64 columns
    (:data:`INPUT_COLUMNS`). Exact: the arithmetic of :mod:`puhui.lending.batch`."""
    d = day_number(day)
    interest, carry, iat = _contract_interest(col, d)
    over = _overdue_charges(col, d)
    oldest = col["oldest_unpaid_due_date"]
    dpd = np.where(oldest >= 0, np.maximum(0, d - oldest), 0)
    was = col["non_accrual_since"] >= 0
    non_accrual = (dpd >= thresholds.non_accrual_from_dpd) | (was & (dpd > 0))
    return Accrued(
        columns={
            "interest_accrued_fen": col["interest_accrued_fen"] + interest,
            "interest_carry": carry,
            "penalty_accrued_fen": col["penalty_accrued_fen"] + over.penalty,
            "penalty_carry": over.penalty_carry,
            "compound_accrued_fen": col["compound_accrued_fen"] + over.compound,
            "compound_carry": over.compound_carry,
            "dpd": dpd,
            "interest_accrued_through": iat,
            "penalty_accrued_through": np.where(over.due_today, d, col["penalty_accrued_through"]),
            "last_overdue_date": np.where(dpd > 0, d, col["last_overdue_date"]),
            "non_accrual_since": np.where(
                non_accrual, np.where(was, col["non_accrual_since"], d), -1
            ),
        },
        classes=class_index(dpd, thresholds),
        interest=interest,
        penalty=over.penalty,
        compound=over.compound,
        non_accrual=non_accrual,
        entering=non_accrual & ~was,
        cured=was & ~non_accrual,
    )


def part_sizes(batch_size: int, parts: int) -> list[int]:
    """Sizes of a batch's parts when ``parts`` connections share it: each part starts once the
    one before it has read its loans (about a quarter of a part's time), so each is 3/4 of the
    one before it and all end at about the same time. Sums to `batch_size`, every part ≥ 1."""
    weights = [0.75**i for i in range(parts)]
    sizes = [max(1, int(batch_size * w / sum(weights))) for w in weights]
    sizes[0] += batch_size - sum(sizes)
    return sizes
