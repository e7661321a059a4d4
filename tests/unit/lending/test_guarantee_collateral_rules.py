"""The pure arithmetic of collateral (cover, LTV, shortfall) and guarantees (transitions, the
call's amount and trigger)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from puhui.lending.collateral_rules import (
    check_cover,
    cover_fen,
    ltv_bp,
    required_cover_fen,
    within_ltv,
)
from puhui.lending.guarantees_rules import (
    GUARANTEE_TRANSITIONS,
    CallTrigger,
    GuaranteeStatus,
    call_amount_fen,
    call_trigger,
    can_move,
)

FEN = st.integers(min_value=0, max_value=10**13)
BPS = st.integers(min_value=1, max_value=10_000)


def test_cover_is_the_valuation_less_the_haircut_rounded_down() -> None:
    assert cover_fen(10_000_000, 3_000) == 7_000_000
    assert cover_fen(999, 3_333) == 666  # 666.33 → 666: never more than the valuation gives
    assert cover_fen(5, 10_000) == 0
    with pytest.raises(ValueError):
        cover_fen(100, 10_001)


def test_ltv_and_shortfall_by_hand() -> None:
    assert ltv_bp(4_900_000, 7_000_000) == 7_000
    assert ltv_bp(1, 3) == 3_334  # rounded up: never reported lower than it is
    assert ltv_bp(1, 0) is None and ltv_bp(0, 0) == 0
    assert within_ltv(4_900_000, 7_000_000, 7_000)
    assert not within_ltv(4_900_001, 7_000_000, 7_000)
    check = check_cover(4_900_000, 6_300_000, 7_000)
    assert (check.required_fen, check.shortfall_fen, check.short) == (7_000_000, 700_000, True)
    assert not check_cover(4_900_000, 7_000_000, 7_000).short


@given(exposure=FEN, cover=FEN, max_ltv=BPS)
def test_within_ltv_exactly_when_the_cover_reaches_the_required(
    exposure: int, cover: int, max_ltv: int
) -> None:
    required = required_cover_fen(exposure, max_ltv)
    assert within_ltv(exposure, cover, max_ltv) == (cover >= required)
    assert check_cover(exposure, cover, max_ltv).shortfall_fen == max(0, required - cover)
    assert within_ltv(exposure, required, max_ltv)
    if required > 0:
        assert not within_ltv(exposure, required - 1, max_ltv)


@given(guaranteed=FEN, called=FEN, claim=FEN)
def test_a_call_never_exceeds_what_is_still_guaranteed_nor_the_claim(
    guaranteed: int, called: int, claim: int
) -> None:
    amount = call_amount_fen(guaranteed, called, claim)
    assert 0 <= amount <= claim
    assert amount <= max(0, guaranteed - called)


def test_call_triggers() -> None:
    assert call_trigger("written_off", 0) == CallTrigger.WRITTEN_OFF
    assert call_trigger("active", 90) == CallTrigger.DAYS_PAST_DUE
    assert call_trigger("active", 89) is None
    assert call_trigger("paid_off", 120) is None


def test_transitions_follow_the_table() -> None:
    assert can_move(GuaranteeStatus.SENT_FOR_SIGNATURE, GuaranteeStatus.SIGNED)
    assert not can_move(GuaranteeStatus.PROPOSED, GuaranteeStatus.SIGNED)  # consent first
    assert not can_move(GuaranteeStatus.CANCELLED, GuaranteeStatus.CHECKED)
    assert set(GUARANTEE_TRANSITIONS) == set(GuaranteeStatus)
