"""The vectorized end-of-day accrual equals the Decimal version, fen for fen and carry for carry."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from puhui.lending.batch import accrue_batch, accrue_overdue_batch
from puhui.lending.interest import DayCountBasis, accrual_units_per_fen, accrue
from puhui.lending.overdue import accrue_overdue

N = 2_000


def _random_loans(rng: np.random.Generator, n: int = N) -> dict[str, np.ndarray]:
    balance = rng.integers(0, 1_000_000_000, n, dtype=np.int64)
    balance[rng.random(n) < 0.1] = 0
    # include exact-half cases: 36 000 fen at 50 bp is 0.5 fen a day
    balance[:10] = 36_000
    rate = rng.integers(0, 3601, n, dtype=np.int64)
    rate[:10] = 50
    return {"balance": balance, "rate": rate}


@pytest.mark.parametrize("basis", list(DayCountBasis))
def test_batch_accrual_matches_scalar_over_many_days(basis: DayCountBasis) -> None:
    rng = np.random.default_rng(20240601)
    loans = _random_loans(rng)
    carry = np.zeros(N, dtype=np.int64)
    scalar_carry = [Decimal(0)] * N
    balance = loans["balance"]
    for day in range(15):
        days = 3 if day == 7 else 1  # a catch-up run
        posted, carry = accrue_batch(balance, loans["rate"], carry, days=days, basis=basis)
        for i in range(0, N, 7):
            step = accrue(
                int(balance[i]), int(loans["rate"][i]), scalar_carry[i], days=days, basis=basis
            )
            assert posted[i] == step.interest_fen
            assert carry[i] == step.carry
            scalar_carry[i] = step.carry
        for i in range(N):
            if i % 7:
                scalar_carry[i] = Decimal(int(carry[i]))
        # the balance moves (drawdowns and repayments) between days
        balance = np.maximum(0, balance + rng.integers(-5_000_000, 5_000_000, N))
    units = accrual_units_per_fen(basis)
    assert np.all(2 * np.abs(carry) <= units)
    assert posted.dtype == np.int64


def test_batch_overdue_matches_scalar() -> None:
    rng = np.random.default_rng(7)
    loans = _random_loans(rng)
    principal = loans["balance"]
    interest = rng.integers(0, 50_000_000, N, dtype=np.int64)
    markup = rng.choice(np.array([5000, 3000, 0], dtype=np.int64), N)
    compound = rng.random(N) < 0.5
    pc = np.zeros(N, dtype=np.int64)
    cc = np.zeros(N, dtype=np.int64)
    for _ in range(5):
        result = accrue_overdue_batch(
            principal, interest, loans["rate"], pc, cc, markup_bp=markup, compound=compound
        )
        for i in range(0, N, 3):
            expected = accrue_overdue(
                int(principal[i]),
                int(interest[i]),
                int(loans["rate"][i]),
                penalty_carry=int(pc[i]),
                compound_carry=int(cc[i]),
                markup_bp=int(markup[i]),
                compound=bool(compound[i]),
            )
            assert result.penalty_fen[i] == expected.penalty_fen
            assert result.compound_fen[i] == expected.compound_fen
            assert result.penalty_carry[i] == expected.penalty_carry
            assert result.compound_carry[i] == expected.compound_carry
        pc, cc = result.penalty_carry, result.compound_carry


def test_batch_scalar_arguments_and_compound_markup() -> None:
    result = accrue_overdue_batch(
        [0, 3_600_000], [3_600_000, 0], [1000, 1000], 0, 0, compound_markup_bp=0
    )
    assert result.compound_fen.tolist() == [1000, 0]
    assert result.penalty_fen.tolist() == [0, 1500]


def test_batch_refuses_floats_negatives_and_overflow() -> None:
    with pytest.raises(TypeError):
        accrue_batch(np.array([1.0]), [435], [0])
    with pytest.raises(ValueError):
        accrue_batch([-1], [435], [0])
    with pytest.raises(ValueError):
        accrue_batch([1], [435], [accrual_units_per_fen()])
    with pytest.raises(OverflowError):
        accrue_batch([10**12], [3600], [0], multiplier_bp=15_000, days=365)


def test_batch_handles_a_million_loans() -> None:
    rng = np.random.default_rng(1)
    n = 1_000_000
    balance = rng.integers(0, 1_000_000_000, n, dtype=np.int64)
    rate = rng.integers(200, 2400, n, dtype=np.int64)
    posted, carry = accrue_batch(balance, rate, np.zeros(n, dtype=np.int64))
    assert posted.shape == carry.shape == (n,)
    exact_total = int((balance * rate).sum())  # in 1/(10 000 × 360) fen
    # cumulative rounding: total posted is within half a fen per loan of the exact total
    assert abs(int(posted.sum()) * 10_000 * 360 - exact_total) <= n * 10_000 * 180
