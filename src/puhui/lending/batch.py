"""Vectorized daily accrual and overdue accrual for the end-of-day job (numpy int64, exact).

The end-of-day job accrues interest on up to millions of loans at once. These functions do the
same arithmetic as :func:`puhui.lending.interest.accrue` and
:func:`puhui.lending.overdue.accrue_overdue`, loan by loan, with integer arrays only:

* every amount is in *accrual units*, ``10_000 × 10_000 × year_days`` per fen
  (:func:`puhui.lending.interest.accrual_units_per_fen`), so one day's exact interest is the
  integer ``balance_fen × rate_bp × multiplier_bp`` (``multiplier_bp`` = 10 000 for the
  contract rate, 15 000 for a penalty rate of contract + 50 %);
* rounding half up is integer floor division: ``posted = (carry + exact + units // 2) // units``
  (``units`` is even), and ``carry' = carry + exact - posted × units``.

The results are therefore identical, fen for fen and carry for carry, to the Decimal version;
the unit tests check this on random inputs. Inputs must be integer arrays (rates in whole basis
points); the functions check up front that nothing can overflow int64 and raise
``OverflowError`` otherwise (10 million CNY at 36 % × 1.5 for 30 days is far below the limit).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from puhui.lending.interest import MULTIPLIER_SCALE, DayCountBasis, accrual_units_per_fen
from puhui.lending.overdue import DEFAULT_PENALTY_MARKUP_BP, penalty_multiplier_bp

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_INT64_MAX = int(np.iinfo(np.int64).max)


def _as_int64(name: str, values: npt.ArrayLike) -> IntArray:
    arr = np.asarray(values)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must be an integer array, got dtype {arr.dtype}")
    out = arr.astype(np.int64, copy=False)
    if out.size and int(out.min()) < 0 and name != "carry":
        raise ValueError(f"{name} must not be negative")
    return out


def _max_abs(arr: IntArray) -> int:
    return int(np.abs(arr).max()) if arr.size else 0


def accrue_batch(
    balance_fen: npt.ArrayLike,
    rate_bp: npt.ArrayLike,
    carry: npt.ArrayLike,
    *,
    multiplier_bp: npt.ArrayLike = MULTIPLIER_SCALE,
    days: int = 1,
    basis: DayCountBasis = DayCountBasis.ACT_360,
) -> tuple[IntArray, IntArray]:
    """Accrue ``days`` day(s) on every loan; returns ``(interest_fen, new_carry)`` int64 arrays.

    ``rate_bp`` is the annual contract rate in whole basis points; ``multiplier_bp`` scales it
    (10 000 = × 1; pass ``10_000 + markup_bp`` for a penalty rate). ``carry`` is in accrual units
    and must come from a previous call (or the scalar :func:`~puhui.lending.interest.accrue`)
    with the same basis; start new loans at 0.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    b = _as_int64("balance_fen", balance_fen)
    r = _as_int64("rate_bp", rate_bp)
    m = _as_int64("multiplier_bp", multiplier_bp)
    c = _as_int64("carry", carry)
    units = accrual_units_per_fen(basis)
    if _max_abs(c) * 2 > units:
        raise ValueError("carry outside ±half a fen: wrong units or basis?")
    bound = _max_abs(b) * _max_abs(r) * _max_abs(m) * days + units
    if bound > _INT64_MAX:
        raise OverflowError(f"balance × rate × multiplier × days = {bound} overflows int64")
    total = c + b * r * m * days
    posted = (total + units // 2) // units
    return posted, total - posted * units


@dataclass(frozen=True, slots=True)
class OverdueBatch:
    """Per-loan penalty and compound postings, and the carries to store for the next run."""

    penalty_fen: IntArray
    compound_fen: IntArray
    penalty_carry: IntArray
    compound_carry: IntArray


def accrue_overdue_batch(
    overdue_principal_fen: npt.ArrayLike,
    overdue_interest_fen: npt.ArrayLike,
    contract_rate_bp: npt.ArrayLike,
    penalty_carry: npt.ArrayLike,
    compound_carry: npt.ArrayLike,
    *,
    markup_bp: npt.ArrayLike = DEFAULT_PENALTY_MARKUP_BP,
    compound: npt.ArrayLike = True,
    compound_markup_bp: npt.ArrayLike | None = None,
    days: int = 1,
    basis: DayCountBasis = DayCountBasis.ACT_360,
) -> OverdueBatch:
    """Vectorized :func:`puhui.lending.overdue.accrue_overdue`.

    Penalty on overdue principal at ``rate × (10 000 + markup_bp) / 10 000``
    (:func:`~puhui.lending.overdue.penalty_multiplier_bp`); compound interest
    on overdue interest where ``compound`` is true (a bool or a per-loan bool array), at the
    penalty rate unless ``compound_markup_bp`` says otherwise. Where compounding is off the
    compound carry is returned unchanged.
    """
    markup = _as_int64("markup_bp", markup_bp)
    c_markup = markup if compound_markup_bp is None else _as_int64("markup", compound_markup_bp)
    penalty_fen, new_penalty_carry = accrue_batch(
        overdue_principal_fen,
        contract_rate_bp,
        penalty_carry,
        multiplier_bp=penalty_multiplier_bp(markup),
        days=days,
        basis=basis,
    )
    compound_fen, new_compound_carry = accrue_batch(
        overdue_interest_fen,
        contract_rate_bp,
        compound_carry,
        multiplier_bp=penalty_multiplier_bp(c_markup),
        days=days,
        basis=basis,
    )
    enabled: BoolArray = np.broadcast_to(np.asarray(compound, dtype=np.bool_), compound_fen.shape)
    return OverdueBatch(
        penalty_fen=penalty_fen,
        compound_fen=np.where(enabled, compound_fen, 0),
        penalty_carry=new_penalty_carry,
        compound_carry=np.where(enabled, new_compound_carry, _as_int64("carry", compound_carry)),
    )
