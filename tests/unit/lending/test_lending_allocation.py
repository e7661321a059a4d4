"""Repayment allocation (puhui.lending.allocation)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from puhui.lending.allocation import DEFAULT_ORDER, Allocation, Bucket, allocate


def test_default_order() -> None:
    assert DEFAULT_ORDER == (
        "penalty",
        "compound",
        "overdue_interest",
        "overdue_principal",
        "current_interest",
        "current_principal",
    )
    assert Bucket.PENALTY.zh == "罚息"
    assert Bucket.CURRENT_PRINCIPAL.zh == "当期本金"


def test_partial_repayment_pays_lateness_and_oldest_debt_first() -> None:
    due = {
        Bucket.PENALTY: 300,
        Bucket.COMPOUND: 20,
        Bucket.OVERDUE_INTEREST: 5_000,
        Bucket.OVERDUE_PRINCIPAL: 100_000,
        Bucket.CURRENT_INTEREST: 4_000,
        Bucket.CURRENT_PRINCIPAL: 90_000,
    }
    result = allocate(50_000, due)
    assert result.by_bucket == {
        "penalty": 300,
        "compound": 20,
        "overdue_interest": 5_000,
        "overdue_principal": 44_680,
        "current_interest": 0,
        "current_principal": 0,
    }
    assert result.remainder_fen == 0
    assert result.allocated_fen == 50_000


def test_overpayment_is_returned_as_remainder() -> None:
    result = allocate(1_000, {"current_interest": 100, "current_principal": 800})
    assert result == Allocation(
        by_bucket={
            "penalty": 0,
            "compound": 0,
            "overdue_interest": 0,
            "overdue_principal": 0,
            "current_interest": 100,
            "current_principal": 800,
        },
        remainder_fen=100,
    )


def test_configured_order() -> None:
    result = allocate(
        150,
        {"fee": 50, "current_principal": 100, "current_interest": 100},
        order=["current_principal", "fee", "current_interest"],
    )
    assert list(result.by_bucket.items()) == [
        ("current_principal", 100),
        ("fee", 50),
        ("current_interest", 0),
    ]


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="not in the allocation order"):
        allocate(100, {"fee": 1})
    assert allocate(100, {"fee": 0}).remainder_fen == 100  # nothing owed there: fine
    with pytest.raises(ValueError):
        allocate(-1, {})
    with pytest.raises(ValueError):
        allocate(1, {"penalty": -1})
    with pytest.raises(ValueError):
        allocate(1, {}, order=["a", "a"])
    with pytest.raises(TypeError):
        allocate(1.5, {})  # type: ignore[arg-type]


names = [f"bucket{i}" for i in range(8)]


@given(
    st.integers(min_value=0, max_value=10**12),
    st.dictionaries(st.sampled_from(names), st.integers(0, 10**11)),
    st.permutations(names),
)
def test_allocation_properties(amount: int, due: dict[str, int], order: list[str]) -> None:
    result = allocate(amount, due, order)
    assert list(result.by_bucket) == order
    assert sum(result.by_bucket.values()) + result.remainder_fen == amount
    assert result.remainder_fen >= 0
    for name, paid in result.by_bucket.items():
        assert 0 <= paid <= due.get(name, 0)
    # order respected: once a bucket is short, nothing later is paid
    short = [n for n in order if result.by_bucket[n] < due.get(n, 0)]
    if short:
        first_short = order.index(short[0])
        assert all(result.by_bucket[n] == 0 for n in order[first_short + 1 :])
        assert result.remainder_fen == 0
    else:
        assert result.remainder_fen == amount - sum(due.values())
