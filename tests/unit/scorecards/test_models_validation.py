"""Validation metrics against hand-computed examples and scikit-learn."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.metrics import roc_curve as sk_roc_curve

from puhui.scorecards.validation import (
    auc,
    average_ranks,
    calibration_table,
    gini,
    hosmer_lemeshow,
    ks,
    ks_curve,
    psi,
    psi_from_counts,
    roc_curve,
    score_histogram,
)


def test_average_ranks() -> None:
    assert average_ranks([10, 20, 20, 5]).tolist() == [2.0, 3.5, 3.5, 1.0]


def test_auc_by_hand() -> None:
    # bads at risk 0.8 and 0.4, goods at 0.6, 0.2, 0.4: pairs (bad > good) 1+1+1 / 2 ties...
    y = [1, 1, 0, 0, 0]
    risk = [0.8, 0.4, 0.6, 0.2, 0.4]
    # bad 0.8 beats all 3 goods: 3; bad 0.4 beats 0.2 (1) and ties 0.4 (0.5): 1.5
    assert auc(y, risk) == pytest.approx(4.5 / 6)
    assert gini(y, risk) == pytest.approx(2 * 4.5 / 6 - 1)
    assert auc([1, 0], [1, 0]) == 1.0
    assert auc([1, 0], [0, 1]) == 0.0
    assert auc([1, 0, 1, 0], [3, 3, 3, 3]) == 0.5


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auc_equals_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 500)
    risk = np.round(rng.normal(size=500) + 0.7 * y, 1)  # rounding makes ties
    assert auc(y, risk) == pytest.approx(roc_auc_score(y, risk), abs=1e-12)


def test_auc_needs_both_classes() -> None:
    with pytest.raises(ValueError):
        auc([1, 1], [0.1, 0.2])
    with pytest.raises(ValueError):
        auc([1, 2], [0.1, 0.2])


def test_ks_by_hand() -> None:
    # scores ascending: bads at 1, 2; goods at 3, 4 -> perfect separation
    assert ks([1, 1, 0, 0], [1, 2, 3, 4]).ks == 1.0
    # bads at 1, 3; goods at 2, 4: F_bad(1)=.5 F_good(1)=0 -> .5
    res = ks([1, 0, 1, 0], [1, 2, 3, 4])
    assert res.ks == pytest.approx(0.5)
    assert res.threshold in (1.0, 3.0)
    assert ks([1, 0], [5, 5]).ks == 0.0


def test_ks_equals_max_tpr_minus_fpr() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 400)
    s = np.round(rng.normal(size=400) - 0.8 * y, 2)
    fpr, tpr, _ = sk_roc_curve(y, -s)
    assert ks(y, s).ks == pytest.approx(float(np.max(tpr - fpr)), abs=1e-12)
    curve = ks_curve(y, s)
    assert max(abs(p.cum_bad - p.cum_good) for p in curve) == pytest.approx(ks(y, s).ks)


def test_roc_curve_area_matches_auc() -> None:
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 300)
    risk = rng.normal(size=300) + y
    pts = roc_curve(y, risk, max_points=10_000)
    area = sum((b.x - a.x) * (a.y + b.y) / 2 for a, b in itertools.pairwise(pts))
    assert area == pytest.approx(auc(y, risk), abs=1e-12)
    assert (pts[0].x, pts[0].y, pts[-1].x, pts[-1].y) == (0.0, 0.0, 1.0, 1.0)
    assert len(roc_curve(y, risk, max_points=50)) <= 50


def test_psi_by_hand() -> None:
    res = psi_from_counts([50, 50], [25, 75])
    expected = (0.25 - 0.5) * math.log(0.25 / 0.5) + (0.75 - 0.5) * math.log(0.75 / 0.5)
    assert res.value == pytest.approx(expected)
    assert res.value == pytest.approx(0.2747, abs=1e-4)
    assert res.status == "shift"  # > 0.25
    assert psi_from_counts([50, 50], [40, 60]).status == "stable"
    assert psi_from_counts([10, 20, 30], [1, 2, 3]).value == pytest.approx(0.0, abs=1e-15)


def test_psi_floor_for_empty_bins() -> None:
    res = psi_from_counts([100, 0], [50, 50])
    a, e = 0.5, 1e-4
    assert res.value == pytest.approx((0.5 - 1.0) * math.log(0.5 / 1.0) + (a - e) * math.log(a / e))
    assert res.status == "shift"


def test_psi_of_scores() -> None:
    rng = np.random.default_rng(5)
    base = rng.normal(600, 50, 5000)
    same = rng.normal(600, 50, 5000)
    shifted = rng.normal(640, 50, 5000)
    assert psi(base, same).value < 0.02
    assert psi(base, shifted).value > 0.25
    explicit = psi([1, 2, 3, 4], [1, 1, 1, 4], bins=[2.5])
    assert [r.expected_n for r in explicit.rows] == [2, 2]
    assert [r.actual_n for r in explicit.rows] == [3, 1]
    assert explicit.rows[0].label == "[-inf, 2.5)"


def test_calibration_table() -> None:
    score = np.arange(100, dtype=float)
    y = (score < 30).astype(int)
    pd = np.where(score < 30, 0.9, 0.1)
    rows = calibration_table(y, pd, score, n_groups=10)
    assert len(rows) == 10
    assert [r.n for r in rows] == [10] * 10
    assert rows[0].score_min == 0 and rows[-1].score_max == 99
    assert [r.observed_bad_rate for r in rows[:3]] == [1.0, 1.0, 1.0]
    assert rows[5].observed_bad_rate == 0.0
    assert rows[0].predicted_pd == pytest.approx(0.9)
    assert hosmer_lemeshow(rows) == pytest.approx(30 * 0.1 / 0.9 + 70 * 0.1 / 0.9)


def test_calibration_keeps_ties_together() -> None:
    rows = calibration_table([0, 1, 0, 1], [0.5] * 4, [1, 1, 1, 1])
    assert len(rows) == 1 and rows[0].n == 4


def test_score_histogram() -> None:
    h = score_histogram([0, 1, 0, 1], [600, 605, 619, 620], width=20)
    assert [(b.lower, b.upper, b.goods, b.bads) for b in h] == [
        (600, 620, 2, 1),
        (620, 640, 0, 1),
    ]
