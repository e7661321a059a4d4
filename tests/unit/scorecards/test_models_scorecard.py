"""Training: the artifact reproduces optbinning + scikit-learn, and finds a known signal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import polars as pl
import pytest
from sklearn.metrics import roc_auc_score

from puhui.scorecards.artifact import ScorecardArtifact
from puhui.scorecards.errors import InvalidTrainingData
from puhui.scorecards.scorecard import (
    BinningParams,
    TrainingParams,
    TuningGrid,
    data_fingerprint,
    fit_scorecard,
    target_vector,
    train_scorecard,
    tune_scorecard,
)
from puhui.scorecards.validation import auc

SyntheticFactory = Callable[..., pd.DataFrame]
CREATED_AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
FEATURES = ["sales_growth", "overdue_days", "grade", "noise"]


FAST = TrainingParams(c=0.3)  # C fixed: cross-validating C is exercised by the German test


def _fit(df, params=FAST, **kw):  # type: ignore[no-untyped-def]
    return fit_scorecard(
        df,
        "bad",
        FEATURES,
        categorical=["grade"],
        seed=11,
        created_at=CREATED_AT,
        params=params,
        **kw,
    )


def test_artifact_reproduces_the_fitted_pipeline(synthetic: SyntheticFactory) -> None:
    train, test = synthetic(3000, seed=1), synthetic(2000, seed=2)
    fitted = _fit(train)
    art = fitted.artifact
    assert art.feature_names == fitted.selected
    # reference: optbinning locates the bins, sklearn applies the regression
    reference_pd = fitted.predict_proba(test)
    frame = art.score_frame(test)
    pd_exact = art.calibration.pd_array(frame.score_exact)
    assert np.max(np.abs(pd_exact - reference_pd)) < 1e-9
    # integer points = base + sum of the rounded points of the bins optbinning picked
    woe = fitted.woe_matrix(test)
    expected_points = np.full(len(test), art.base_points)
    for j, name in enumerate(fitted.selected):
        f = next(f for f in art.features if f.name == name)
        by_woe = {b.woe: b.points for b in f.slots}
        expected_points += np.array([by_woe[w] for w in woe[:, j]])
    assert frame.points.tolist() == expected_points.tolist()
    # one application at a time gives the same as the batch
    records = test[FEATURES].to_dict("records")
    for i in range(0, len(records), 97):
        r = art.score(records[i])
        assert r.points == frame.points[i]
        assert r.score_exact == pytest.approx(frame.score_exact[i], abs=1e-9)
        assert r.pd == pytest.approx(frame.pd[i], abs=1e-15)


def test_points_follow_the_scaling(synthetic: SyntheticFactory) -> None:
    art = _fit(synthetic(2000, seed=3)).artifact
    s = art.scaling
    assert art.base_points == round(s.offset - s.factor * art.intercept)
    for f in art.features:
        for b in f.slots:
            assert b.points == round(-s.factor * f.coefficient * b.woe)
            assert isinstance(b.points, int)
    # PD of a score is that of the odds the scaling promises
    assert art.calibration.pd(600) == pytest.approx(1 / 51)
    assert art.calibration.pd(620) == pytest.approx(1 / 101)


def test_round_trip_scores_identically(synthetic: SyntheticFactory) -> None:
    test = synthetic(1000, seed=5)
    art = _fit(synthetic(2000, seed=4)).artifact
    again = ScorecardArtifact.from_json(art.to_json())
    assert again.to_json() == art.to_json()
    a, b = art.score_frame(test), again.score_frame(test)
    assert a.points.tolist() == b.points.tolist()
    assert a.pd.tolist() == b.pd.tolist()
    rec = test[FEATURES].iloc[0].to_dict()
    assert again.score(rec) == art.score(rec)


def test_known_signal_is_found(synthetic: SyntheticFactory) -> None:
    fitted = _fit(synthetic(4000, seed=6))
    test = synthetic(4000, seed=8)
    points = fitted.artifact.score_frame(test).points
    holdout_auc = auc(test["bad"], -points.astype(float))
    assert holdout_auc > 0.72
    assert holdout_auc == pytest.approx(roc_auc_score(test["bad"], -points), abs=1e-12)
    assert "noise" not in fitted.selected
    assert {"sales_growth", "overdue_days", "grade"} <= set(fitted.selected)
    # monotonic: more overdue days never earns more points
    f = next(f for f in fitted.artifact.features if f.name == "overdue_days")
    pts = [b.points for b in f.bins]
    assert pts == sorted(pts, reverse=True)
    # grade A earns the most, D the least
    g = next(f for f in fitted.artifact.features if f.name == "grade")
    by_cat = {c: b.points for b in g.bins for c in b.categories}
    assert by_cat["A"] == max(by_cat.values()) and by_cat["D"] == min(by_cat.values())
    # the missing sales growth rows had their own bin
    sg = next(f for f in fitted.artifact.features if f.name == "sales_growth")
    assert sg.missing.n > 0


def test_shuffled_target_gives_chance(synthetic: SyntheticFactory) -> None:
    params = TrainingParams(iv_min=0.0, max_correlation=None, c=0.3)
    fitted = _fit(synthetic(4000, seed=9, shuffle_target=True), params=params)
    test = synthetic(4000, seed=10, shuffle_target=True)
    points = fitted.artifact.score_frame(test).points
    assert abs(auc(test["bad"], -points.astype(float)) - 0.5) < 0.04
    with pytest.raises(InvalidTrainingData):  # nothing reaches a real IV threshold
        _fit(synthetic(4000, seed=9, shuffle_target=True), params=TrainingParams(iv_min=0.1, c=0.3))


def test_iv_threshold_drops_weak_features(synthetic: SyntheticFactory) -> None:
    fitted = _fit(synthetic(3000, seed=12), params=TrainingParams(iv_min=0.02, c=0.3))
    assert fitted.dropped["noise"].startswith("IV")
    cand = fitted.artifact.training["candidates"]
    assert cand["noise"]["selected"] is False and cand["noise"]["iv"] < 0.02


def test_polars_input_gives_the_same_scorecard(synthetic: SyntheticFactory) -> None:
    df = synthetic(2000, seed=13)
    a = _fit(df).artifact
    columns = {c: df[c].tolist() for c in df}
    columns["grade"] = [None if isinstance(v, float) else v for v in columns["grade"]]
    b = _fit(pl.DataFrame(columns)).artifact
    assert a.to_dict()["features"] == b.to_dict()["features"]
    assert a.training["fingerprint"]["sha256"] == b.training["fingerprint"]["sha256"]


def test_fingerprint_changes_with_data(synthetic: SyntheticFactory) -> None:
    df = synthetic(500, seed=14)
    y = target_vector(df, "bad")
    fp = data_fingerprint(df, FEATURES, y)
    assert fp["n_rows"] == 500 and fp["n_bad"] == int(df["bad"].sum())
    df2 = df.copy()
    df2.loc[0, "overdue_days"] += 1
    assert data_fingerprint(df2, FEATURES, y)["sha256"] != fp["sha256"]


def test_labelled_target_and_errors(synthetic: SyntheticFactory) -> None:
    df = synthetic(1500, seed=15)
    df["status"] = np.where(df["bad"] == 1, "default", "performing")
    art = train_scorecard(
        df,
        "status",
        FEATURES,
        categorical=["grade"],
        seed=11,
        created_at=CREATED_AT,
        bad_value="default",
        params=FAST,
    )
    ref = _fit(df).artifact
    assert art.to_dict()["features"] == ref.to_dict()["features"]
    with pytest.raises(InvalidTrainingData):
        train_scorecard(
            df, "status", FEATURES, categorical=["grade"], seed=1, created_at=CREATED_AT
        )
    with pytest.raises(InvalidTrainingData):
        train_scorecard(df, "bad", FEATURES, categorical=["nope"], seed=1, created_at=CREATED_AT)
    with pytest.raises(InvalidTrainingData):
        train_scorecard(df, "bad", FEATURES, seed=1, created_at=CREATED_AT)  # grade: text
    with pytest.raises(InvalidTrainingData):
        train_scorecard(
            df, "bad", [*FEATURES, "nope"], categorical=["grade"], seed=1, created_at=CREATED_AT
        )


def test_tuning_picks_a_candidate_by_cv(synthetic: SyntheticFactory) -> None:
    grid = TuningGrid(
        binning=(BinningParams(), BinningParams(max_n_bins=3)), iv_min=(0.02,), c=(0.01, 1.0)
    )
    res = tune_scorecard(
        synthetic(1500, seed=16),
        "bad",
        FEATURES,
        categorical=["grade"],
        seed=3,
        grid=grid,
        folds=3,
    )
    assert len(res.candidates) == 4
    assert res.cv_auc == max(c.cv_auc for c in res.candidates)
    assert res.best.c in (0.01, 1.0)
    assert 0.65 < res.cv_auc < 0.9
    assert replace(res.best, c=None).c is None
