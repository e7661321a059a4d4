"""Overdue math: penalty interest (罚息) and compound interest (复利), per day, without drift.

Conventions a finance reviewer should check
------------------------------------------
* **Penalty interest (罚息)** accrues every day on *overdue principal* at the penalty rate.
  Default penalty rate = contract rate × (1 + 50 %), i.e. a markup of 5 000 bp of the rate
  (PBOC practice: 逾期贷款罚息利率为在借款合同载明的贷款利率水平上加收 30 %–50 %). A product may
  set another markup (``markup_bp``: 3 000 = +30 %). 435 bp × 1.5 = 652.5 bp exactly: the
  penalty rate is kept exact (``Decimal``), never rounded to a whole basis point.
* **Compound interest (复利)** accrues, when the product enables it, on *overdue interest*
  (contractual interest that fell due and is unpaid) — not on penalty or compound interest
  already charged. Its rate defaults to the penalty rate (PBOC 《人民币利率管理规定》: after a
  loan is overdue, unpaid interest compounds at the penalty rate); ``compound_markup_bp=0``
  compounds at the contract rate instead (the rule for interest unpaid within the loan term).
* Both use the loan's day-count basis (ACT/360 by default) and the drift-free accrual of
  :func:`puhui.lending.interest.accrue`: each keeps its own carry in accrual units, so the sum
  of the daily postings equals the exact total rounded half up once.
* This module prices the overdue buckets only; whether contractual interest stops on overdue
  principal once penalty interest starts is the product's accrual rule, applied by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import overload

import numpy as np
import numpy.typing as npt

from puhui.lending.interest import (
    EXACT,
    MULTIPLIER_SCALE,
    Accrual,
    DayCountBasis,
    Rate,
    accrue,
    interest_fen,
)

DEFAULT_PENALTY_MARKUP_BP = 5_000
"""Penalty rate = contract rate × (10 000 + 5 000) / 10 000, i.e. contract rate + 50 %."""


@overload
def penalty_multiplier_bp(markup_bp: int) -> int: ...
@overload
def penalty_multiplier_bp(markup_bp: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]: ...
def penalty_multiplier_bp(markup_bp: int | npt.NDArray[np.int64]) -> int | npt.NDArray[np.int64]:
    """THE penalty rule: the penalty rate as a multiple of the contract rate, in units of
    1/10 000 (``10 000 + markup_bp``: 15 000 = × 1.5 for the default +50 %). An int, or an int64
    array of per-loan markups.

    Everything that states or charges a penalty rate goes through here: :func:`penalty_rate_bp`
    (the contract's 罚息利率, the loan-by-loan accrual) and
    :func:`puhui.lending.batch.accrue_overdue_batch` (the end of day), so the rate the contract
    states is the rate charged (tests/unit/lending/test_penalty_rate_contract_equals_accrual.py).
    """
    return MULTIPLIER_SCALE + markup_bp


def penalty_rate_bp(contract_rate_bp: Rate, markup_bp: int = DEFAULT_PENALTY_MARKUP_BP) -> Decimal:
    """The exact penalty rate in basis points: ``contract_rate_bp × (1 + markup_bp / 10 000)``.

    >>> penalty_rate_bp(435)
    Decimal('652.5')
    """
    if contract_rate_bp < 0 or markup_bp < 0:
        raise ValueError("rates and markups must not be negative")
    with localcontext(EXACT):
        return Decimal(contract_rate_bp) * penalty_multiplier_bp(markup_bp) / MULTIPLIER_SCALE


def penalty_interest_fen(
    overdue_principal_fen: int,
    contract_rate_bp: Rate,
    days: int,
    *,
    markup_bp: int = DEFAULT_PENALTY_MARKUP_BP,
    basis: DayCountBasis = DayCountBasis.ACT_360,
) -> int:
    """Penalty interest on a constant overdue principal over ``days`` days, rounded once."""
    return interest_fen(
        overdue_principal_fen, penalty_rate_bp(contract_rate_bp, markup_bp), days, basis
    )


def compound_interest_fen(
    overdue_interest_fen: int,
    contract_rate_bp: Rate,
    days: int,
    *,
    markup_bp: int = DEFAULT_PENALTY_MARKUP_BP,
    basis: DayCountBasis = DayCountBasis.ACT_360,
) -> int:
    """Compound interest on a constant overdue interest over ``days`` days, rounded once.

    ``markup_bp`` defaults to the penalty markup (compounding at the penalty rate); pass 0 to
    compound at the contract rate.
    """
    return interest_fen(
        overdue_interest_fen, penalty_rate_bp(contract_rate_bp, markup_bp), days, basis
    )


@dataclass(frozen=True, slots=True)
class OverdueAccrual:
    """One day's (or ``days`` days') overdue accrual and the carries to store for the next."""

    penalty_fen: int
    compound_fen: int
    penalty_carry: Decimal
    compound_carry: Decimal


def accrue_overdue(
    overdue_principal_fen: int,
    overdue_interest_fen: int,
    contract_rate_bp: Rate,
    *,
    penalty_carry: int | Decimal = 0,
    compound_carry: int | Decimal = 0,
    markup_bp: int = DEFAULT_PENALTY_MARKUP_BP,
    compound: bool = True,
    compound_markup_bp: int | None = None,
    days: int = 1,
    basis: DayCountBasis = DayCountBasis.ACT_360,
) -> OverdueAccrual:
    """Accrue penalty on overdue principal and (if ``compound``) compound on overdue interest.

    The scalar twin of :func:`puhui.lending.batch.accrue_overdue_batch`; carries are in accrual
    units and interchangeable with the batch version's.
    """
    penalty: Accrual = accrue(
        overdue_principal_fen,
        penalty_rate_bp(contract_rate_bp, markup_bp),
        penalty_carry,
        days=days,
        basis=basis,
    )
    if compound:
        c_markup = markup_bp if compound_markup_bp is None else compound_markup_bp
        comp = accrue(
            overdue_interest_fen,
            penalty_rate_bp(contract_rate_bp, c_markup),
            compound_carry,
            days=days,
            basis=basis,
        )
        compound_fen, new_compound_carry = comp.interest_fen, comp.carry
    else:
        compound_fen, new_compound_carry = 0, Decimal(compound_carry)
    return OverdueAccrual(
        penalty_fen=penalty.interest_fen,
        compound_fen=compound_fen,
        penalty_carry=penalty.carry,
        compound_carry=new_compound_carry,
    )
