"""The chain's money arithmetic (pure `pricing`): discount price, penalty, penalty shares,
amortization."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from puhui.receivables.pricing import allocate, amortized_fen, discount_price, penalty_fen


def test_penalty_is_face_times_daily_rate_times_days_half_up() -> None:
    assert penalty_fen(10_000_000, 5, 3) == 15_000
    assert penalty_fen(10_001, 5, 1) == 5  # 5.0005 → 5
    assert penalty_fen(10_010, 5, 1) == 5  # 5.005 → 5
    assert penalty_fen(10_100, 5, 1) == 5  # 5.05 → 5
    assert penalty_fen(11_000, 5, 1) == 6  # 5.5 → 6 (half up)
    assert penalty_fen(10_000_000, 5, 0) == 0 and penalty_fen(10_000_000, 0, 9) == 0


def test_discount_price_matches_the_documented_formula() -> None:
    # 300 000.00 yuan, 3.20 % a year, 90 days: discount 2 400.00
    assert discount_price(30_000_000, 320, 90) == 29_760_000
    # 1 fen steps round half up: 333 × 0.0320 × 1/360 = 0.0296 → 0
    assert discount_price(333, 320, 1) == 333


@given(
    st.integers(min_value=0, max_value=10**12),
    st.lists(st.integers(min_value=1, max_value=10**10), min_size=1, max_size=30),
)
def test_allocate_is_exact_and_proportional(total: int, weights: list[int]) -> None:
    keyed = [(f"p{i:02d}", w) for i, w in enumerate(weights)]
    shares = allocate(total, keyed)
    assert sum(shares.values()) == total
    weight_sum = sum(weights)
    for key, w in keyed:
        exact = total * w / weight_sum
        assert abs(shares[key] - exact) < 1 + 1e-6 * exact


def test_amortization_is_cumulative_straight_line() -> None:
    start = date(2026, 11, 23)
    assert amortized_fen(240_000, 90, start, start) == 0
    assert amortized_fen(240_000, 90, start, date(2026, 12, 23)) == 80_000
    assert amortized_fen(240_000, 90, start, date(2027, 6, 1)) == 240_000  # never beyond
    assert amortized_fen(240_000, 90, start, date(2026, 1, 1)) == 0
