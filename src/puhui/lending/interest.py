"""Interest conventions: day count, exact rounding, and drift-free daily accrual.

Pure functions: no database, no I/O, no clock. Money is integer fen; rates are annual rates in
basis points (``rate_bp``: 435 means 4.35 % a year), given as ``int`` or, when a rate is not a
whole number of basis points (a penalty rate of 435 × 1.5 = 652.5 bp), as ``Decimal``.
Floats are never accepted.

Conventions a finance reviewer should check
------------------------------------------
* **Day count.** ``ACT/360`` is the default (the PBOC convention for RMB loans: daily rate =
  annual rate / 360). ``ACT/365`` (ACT/365 *Fixed*: always 365, also in leap years) is an option.
  The number of days is the actual calendar days between two dates, **first day counted, last
  day not** (算头不算尾): a drawdown on 1 March repaid on 2 March bears one day of interest.
* **One rounding rule.** Every amount is computed exactly (integers and ``Decimal``; the one
  division is done on exact rationals) and rounded **once**, half up (ROUND_HALF_UP) to the
  whole fen, at the boundary where it becomes an amount in fen.
* **Daily accrual without drift.** A revolving line accrues every day on its outstanding balance.
  Rounding each day's interest separately would let the posted total drift away from the true
  interest of the period (up to half a fen a day). Instead the accrual keeps a *carry*: the
  exact, not yet posted remainder, in *accrual units*. Each day posts
  ``round_half_up(cumulative exact interest) - already posted``. Consequently, over any run of
  days starting from carry 0, **the sum of the daily postings equals the whole period's exact
  interest rounded half up once**, and the carry always stays within ± half a fen.
* **Accrual units.** One fen = ``10_000 × 10_000 × year_days`` accrual units
  (``accrual_units_per_fen``): one 10 000 for basis points, one 10 000 for a rate multiplier in
  basis points (a penalty rate of contract rate + 50 % is ``rate_bp × 15_000 / 10_000``), and
  the year's days. With integer ``rate_bp`` every quantity is then an integer; the vectorized
  end-of-day version (:mod:`puhui.lending.batch`) uses the same units in int64, so a carry stored
  by either is valid for the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Context, Decimal, Inexact, InvalidOperation, Overflow, localcontext
from enum import StrEnum

Rate = int | Decimal
"""An annual rate in basis points: ``int`` (435) or ``Decimal`` (``Decimal("652.5")``)."""

BP_PER_UNIT = 10_000
"""Basis points in 1 (100 %)."""

MULTIPLIER_SCALE = 10_000
"""Scale of rate multipliers in accrual units (10 000 = × 1)."""


class DayCountBasis(StrEnum):
    """How many days a year has for interest: 360 (default) or 365 (fixed, also in leap years)."""

    ACT_360 = "ACT/360"
    ACT_365 = "ACT/365"

    @property
    def year_days(self) -> int:
        return 360 if self is DayCountBasis.ACT_360 else 365


def accrual_units_per_fen(basis: DayCountBasis = DayCountBasis.ACT_360) -> int:
    """Accrual units in one fen: ``10_000 × 10_000 × year_days`` (3.6e10 on ACT/360)."""
    return BP_PER_UNIT * MULTIPLIER_SCALE * basis.year_days


# --- exact rounding ------------------------------------------------------------------------

EXACT = Context(prec=120, traps=[Inexact, InvalidOperation, Overflow])
"""Decimal context for the intermediate products: wide enough that they are exact, and
trapping ``Inexact`` so a silent rounding can never happen before the one at the boundary."""


def _as_ratio(value: int | Decimal) -> tuple[int, int]:
    if isinstance(value, bool):
        raise TypeError("a boolean is not an amount or a rate")
    if isinstance(value, int):
        return value, 1
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a finite number: {value}")
        return value.as_integer_ratio()
    raise TypeError(f"expected int or Decimal, got {type(value).__name__}")


def div_round_half_up(numerator: int | Decimal, denominator: int | Decimal) -> int:
    """``numerator / denominator`` rounded half up (ROUND_HALF_UP: halves away from zero), exactly.

    Both operands are turned into exact integer ratios, so no precision is lost in the
    division: 1/360 has no finite decimal expansion, yet the result is the exact rounding.
    """
    n_num, n_den = _as_ratio(numerator)
    d_num, d_den = _as_ratio(denominator)
    if d_num == 0:
        raise ZeroDivisionError("denominator is zero")
    num = n_num * d_den
    den = n_den * d_num
    if den < 0:
        num, den = -num, -den
    magnitude = (2 * abs(num) + den) // (2 * den)
    return magnitude if num >= 0 else -magnitude


def _div_round_half_ceiling(numerator: int | Decimal, denominator: int) -> int:
    """``floor(numerator / denominator + 1/2)``: half up on the cumulative (non-negative) total.

    Used on ``carry + today's exact interest`` where the carry may be slightly negative; since
    the cumulative interest it stands for is never negative, rounding halves towards +infinity
    here is ROUND_HALF_UP of the cumulative amount.
    """
    n_num, n_den = _as_ratio(numerator)
    return (2 * n_num + n_den * denominator) // (2 * n_den * denominator)


def _check_non_negative(name: str, value: int | Decimal) -> None:
    _as_ratio(value)  # type check: int or finite Decimal, never float
    if value < 0:
        raise ValueError(f"{name} must not be negative: {value}")


def _check_count(name: str, value: int) -> None:
    """Amounts in fen and numbers of days are whole numbers: ``int`` only."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must not be negative: {value}")


# --- simple interest -----------------------------------------------------------------------


def days_between(start: date, end: date) -> int:
    """Actual days from ``start`` (counted) to ``end`` (not counted); ``end`` must not precede."""
    days = (end - start).days
    if days < 0:
        raise ValueError(f"end {end} is before start {start}")
    return days


def interest_fen(
    principal_fen: int,
    rate_bp: Rate,
    days: int,
    basis: DayCountBasis = DayCountBasis.ACT_360,
) -> int:
    """Simple interest on a constant principal for ``days`` days, rounded half up once.

    ``principal_fen × rate_bp / 10_000 × days / year_days``.
    """
    _check_count("principal_fen", principal_fen)
    _check_non_negative("rate_bp", rate_bp)
    _check_count("days", days)
    with localcontext(EXACT):
        exact = Decimal(principal_fen) * Decimal(rate_bp) * days
    return div_round_half_up(exact, BP_PER_UNIT * basis.year_days)


def daily_interest_fen(
    principal_fen: int, rate_bp: Rate, basis: DayCountBasis = DayCountBasis.ACT_360
) -> int:
    """One day's interest on ``principal_fen``, rounded half up to the fen.

    This is the amount a statement shows as "daily interest" (日利息). For posting a run of days
    use :func:`accrue` (or :func:`accrue_series`), which does not drift.
    """
    return interest_fen(principal_fen, rate_bp, 1, basis)


def interest_between(
    principal_fen: int,
    rate_bp: Rate,
    start: date,
    end: date,
    basis: DayCountBasis = DayCountBasis.ACT_360,
) -> int:
    """Interest on a constant principal from ``start`` (counted) to ``end`` (not counted)."""
    return interest_fen(principal_fen, rate_bp, days_between(start, end), basis)


# --- drift-free accrual --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Accrual:
    """One accrual step: the fen to post now, and the exact remainder carried to the next step.

    ``carry`` is in accrual units (see :func:`accrual_units_per_fen`) and lies in
    ``[-units/2, units/2)``. It is an integral ``Decimal`` whenever the rate is a whole number of
    basis points (store it as a BigInteger); a fractional rate may leave a fractional carry.
    """

    interest_fen: int
    carry: Decimal


def accrual_units(
    balance_fen: int, rate_bp: Rate, days: int = 1, multiplier_bp: int = MULTIPLIER_SCALE
) -> Decimal:
    """Exact interest of ``balance_fen`` at ``rate_bp`` × ``multiplier_bp``/10 000 over ``days``
    days, in accrual units (independent of the basis: the basis only fixes the units per fen)."""
    _check_count("balance_fen", balance_fen)
    _check_non_negative("rate_bp", rate_bp)
    _check_count("days", days)
    _check_count("multiplier_bp", multiplier_bp)
    with localcontext(EXACT):
        return Decimal(balance_fen) * Decimal(rate_bp) * multiplier_bp * days


def accrue(
    balance_fen: int,
    rate_bp: Rate,
    carry: int | Decimal = 0,
    *,
    days: int = 1,
    basis: DayCountBasis = DayCountBasis.ACT_360,
) -> Accrual:
    """Accrue ``days`` day(s) of interest on ``balance_fen`` without rounding drift.

    ``posted = floor((carry + exact) / units + 1/2)`` and ``carry' = carry + exact - posted ×
    units``, where ``exact`` is the day's exact interest in accrual units. Starting from carry 0,
    the postings are the differences of the rounded (half up) cumulative interest, so their sum
    over the period equals the period's exact interest rounded once. ``days > 1`` catches up
    several days on an unchanged balance in one step (same result as one step per day).
    """
    units = accrual_units_per_fen(basis)
    _as_ratio(carry)  # int or finite Decimal; a float carry is refused, not converted
    carry_dec = Decimal(carry)
    if not -units <= 2 * carry_dec < units:
        raise ValueError(f"carry {carry} outside [-{units}/2, {units}/2): wrong units or basis?")
    with localcontext(EXACT):
        total = carry_dec + accrual_units(balance_fen, rate_bp, days)
        posted = _div_round_half_ceiling(total, units)
        return Accrual(interest_fen=posted, carry=total - posted * units)


def accrue_series(
    balances_fen: list[int] | tuple[int, ...],
    rate_bp: Rate,
    carry: int | Decimal = 0,
    basis: DayCountBasis = DayCountBasis.ACT_360,
) -> tuple[list[int], Decimal]:
    """Accrue one day per end-of-day balance; returns the daily postings and the final carry."""
    postings: list[int] = []
    current = Decimal(carry)
    for balance in balances_fen:
        step = accrue(balance, rate_bp, current, basis=basis)
        postings.append(step.interest_fen)
        current = step.carry
    return postings, current


def period_interest_fen(
    balances_fen: list[int] | tuple[int, ...],
    rate_bp: Rate,
    basis: DayCountBasis = DayCountBasis.ACT_360,
) -> int:
    """Exact interest of a run of daily balances rounded half up once (积数计息: balance-days
    product × daily rate). Equals ``sum(accrue_series(...)[0])`` from a zero carry."""
    with localcontext(EXACT):
        exact = sum((accrual_units(b, rate_bp) for b in balances_fen), Decimal(0))
    return div_round_half_up(exact, accrual_units_per_fen(basis))
