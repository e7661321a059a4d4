"""Provision rates and arithmetic (pure): rate × balance per class, half up to the fen, the
change to post, the rates parsed from the setting."""

from __future__ import annotations

import pytest

from puhui.lending.provision_rules import (
    DEFAULT_RATES,
    ProvisionRates,
    provision_moves,
    required_reserve_fen,
)


def test_required_reserve_rounds_half_up_to_the_fen() -> None:
    assert required_reserve_fen(1_234_567, 100) == 12_346  # 12,345.67
    assert required_reserve_fen(3_333_333, 2500) == 833_333  # 833,333.25
    assert required_reserve_fen(1_000_001, 5000) == 500_001  # 500,000.5
    assert required_reserve_fen(0, 10000) == 0


def test_the_moves_are_required_minus_held_for_every_class() -> None:
    moves = provision_moves(
        {"normal": 1_000_000, "substandard": 400_000},
        {"normal": 12_000, "doubtful": 5_000},
        DEFAULT_RATES,
    )
    assert moves == {
        "normal": 10_000 - 12_000,
        "special_mention": 0,
        "substandard": 100_000,
        "doubtful": -5_000,
        "loss": 0,
    }


def test_rates_from_the_setting_and_their_checks() -> None:
    assert ProvisionRates.parse("100, 200,2500,5000,10000") == DEFAULT_RATES
    assert ProvisionRates.parse("150,300,3000,6000,10000").rate_bp("substandard") == 3000
    with pytest.raises(ValueError):
        ProvisionRates.parse("100,200,2500,5000")
    with pytest.raises(ValueError):
        ProvisionRates(normal_bp=300, special_mention_bp=200)  # a worse class never lower
