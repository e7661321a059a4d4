"""The candidate table of `tune_scorecard`: every combination, in the table's order."""

from __future__ import annotations

from puhui.scorecards.scorecard import BinningParams, TrainingParams, TuningGrid, _tuning_candidates


def test_every_combination_over_the_base_binning_outermost() -> None:
    b1, b2 = BinningParams(), BinningParams(max_n_bins=3)
    grid = TuningGrid(binning=(b1, b2), iv_min=(0.02, 0.05), max_correlation=(0.8, None), c=(1.0,))
    base = TrainingParams(penalty="l1", woe_smoothing=0.25)
    got = _tuning_candidates(grid, base)
    assert [(p.binning, p.iv_min, p.max_correlation, p.c) for p in got] == [
        (b, iv, mc, 1.0) for b in (b1, b2) for iv in (0.02, 0.05) for mc in (0.8, None)
    ]
    assert {(p.penalty, p.woe_smoothing) for p in got} == {("l1", 0.25)}
