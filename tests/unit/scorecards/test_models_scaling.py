"""Points scaling: 600 points at 50:1 good:bad odds, 20 points to double the odds."""

from __future__ import annotations

import math

import pytest

from puhui.scorecards.scaling import PointsScaling, sigmoid


def test_constants() -> None:
    s = PointsScaling()
    assert s.factor == pytest.approx(20 / math.log(2), abs=1e-12)
    assert s.factor == pytest.approx(28.853900817779268, abs=1e-12)
    assert s.offset == pytest.approx(600 - 20 / math.log(2) * math.log(50), abs=1e-12)
    assert s.offset == pytest.approx(487.1228762045055, abs=1e-9)


def test_600_points_at_50_to_1() -> None:
    s = PointsScaling()
    assert s.score_from_log_odds(math.log(50)) == pytest.approx(600, abs=1e-9)
    assert s.pd_from_score(600) == pytest.approx(1 / 51, abs=1e-15)
    assert s.score_from_pd(1 / 51) == pytest.approx(600, abs=1e-9)


@pytest.mark.parametrize("k", [-3, -1, 1, 2, 5])
def test_every_20_points_doubles_the_odds(k: int) -> None:
    s = PointsScaling()
    odds = 50 * 2.0**k
    assert s.score_from_log_odds(math.log(odds)) == pytest.approx(600 + 20 * k, abs=1e-9)
    pd = s.pd_from_score(600 + 20 * k)
    assert (1 - pd) / pd == pytest.approx(odds, rel=1e-12)


def test_other_policy_numbers() -> None:
    s = PointsScaling(pdo=40, base_points=500, base_odds=20)
    assert s.score_from_log_odds(math.log(20)) == pytest.approx(500)
    assert s.score_from_log_odds(math.log(40)) == pytest.approx(540)


def test_invalid_scaling() -> None:
    with pytest.raises(ValueError):
        PointsScaling(pdo=0)
    with pytest.raises(ValueError):
        PointsScaling(base_odds=-1)
    with pytest.raises(ValueError):
        PointsScaling().score_from_pd(0.0)


def test_sigmoid_is_stable() -> None:
    assert sigmoid(0) == 0.5
    assert sigmoid(800) == 1.0
    assert sigmoid(-800) == 0.0
    assert sigmoid(2) + sigmoid(-2) == pytest.approx(1.0, abs=1e-15)
