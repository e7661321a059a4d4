"""The LightGBM challenger: deterministic, calibrated, monotone where asked, reasons in the
scorecard's structure, saved and loaded by the registry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from puhui.scorecards.errors import InvalidArtifact, MissingFeatures
from puhui.scorecards.gbm import FittedGbm, GbmArtifact, GbmParams, fit_gbm
from puhui.scorecards.registry import FileModelRegistry
from puhui.scorecards.scorecard import TrainingParams, fit_scorecard
from puhui.scorecards.validation import auc

SyntheticFactory = Callable[..., pd.DataFrame]
CREATED_AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
FEATURES = ["sales_growth", "overdue_days", "grade", "noise"]
FAST = GbmParams(max_rounds=150, cv_folds=3, monotone={"overdue_days": 1})


def _fit(df: pd.DataFrame, params: GbmParams = FAST) -> FittedGbm:
    return fit_gbm(
        df,
        "bad",
        FEATURES,
        categorical=["grade"],
        seed=11,
        created_at=CREATED_AT,
        model_id="challenger",
        version="t1",
        params=params,
    )


@pytest.fixture(scope="module")
def fitted(synthetic: SyntheticFactory) -> FittedGbm:
    return _fit(synthetic(4000, seed=1))


def test_honest_cv_and_calibration(fitted: FittedGbm, synthetic: SyntheticFactory) -> None:
    test = synthetic(3000, seed=2)
    pd_ = fitted.artifact.predict_pd(test)
    test_auc = auc(test["bad"].to_numpy(), pd_)
    assert abs(fitted.cv_auc - test_auc) <= 0.03, (fitted.cv_auc, test_auc)
    assert abs(float(pd_.mean()) - float(test["bad"].mean())) < 0.02
    assert fitted.artifact.training["rounds"] <= 150


def test_shuffled_rows_give_an_identical_artifact(synthetic: SyntheticFactory) -> None:
    df = synthetic(2000, seed=3)
    shuffled = df.sample(frac=1.0, random_state=5).reset_index(drop=True)
    a, b = _fit(df).artifact, _fit(shuffled).artifact
    assert a.to_json() == b.to_json()


def test_score_agrees_with_the_batch_and_gives_reasons_like_the_scorecard(
    fitted: FittedGbm, synthetic: SyntheticFactory
) -> None:
    test = synthetic(50, seed=4)
    art = fitted.artifact
    batch = art.predict_pd(test)
    rows = test.drop(columns="bad").to_dict("records")
    for i, row in enumerate(rows[:10]):
        r = art.score(row)
        assert r.pd == pytest.approx(batch[i], abs=1e-12)
        assert [x.points_lost for x in r.reasons] == sorted(
            (x.points_lost for x in r.reasons), reverse=True
        )
        assert all(x.points_lost > 0 for x in r.reasons)
    worst = rows[int(np.argmax(batch))]
    reasons = art.score(worst).reasons
    assert reasons
    scorecard = fit_scorecard(
        synthetic(2000, seed=1), "bad", FEATURES, categorical=["grade"], seed=1,
        created_at=CREATED_AT, params=TrainingParams(c=0.3, cv_folds=3),
    ).artifact  # fmt: skip
    sc_reason = scorecard.score({**worst, "overdue_days": 30.0}).reasons[0]
    assert set(reasons[0].to_dict()) == set(sc_reason.to_dict())
    assert reasons[0].to_dict()["value"] == worst[reasons[0].feature]


def test_monotone_constraint_holds(fitted: FittedGbm) -> None:
    base = {"sales_growth": 0.0, "grade": "B", "noise": 0.1}
    pds = [fitted.artifact.score({**base, "overdue_days": float(d)}).pd for d in range(0, 15)]
    assert all(b >= a - 1e-12 for a, b in pairwise(pds))
    assert pds[-1] > pds[0]


def test_absent_features_refused_and_infinity_is_missing(fitted: FittedGbm) -> None:
    art = fitted.artifact
    with pytest.raises(MissingFeatures, match="grade"):
        art.score({"sales_growth": 0.1, "overdue_days": 1.0, "noise": 0.0})
    with pytest.raises(MissingFeatures, match="noise"):
        art.predict_pd({"sales_growth": [0.1], "overdue_days": [1.0], "grade": ["A"]})
    row = {"sales_growth": 0.1, "overdue_days": 1.0, "grade": "A", "noise": 0.0}
    assert (
        art.score({**row, "sales_growth": float("inf")}).pd
        == art.score({**row, "sales_growth": None}).pd
    )


def test_registry_round_trip(fitted: FittedGbm, tmp_path: Path) -> None:
    reg = FileModelRegistry(tmp_path)
    reg.save(fitted.artifact)
    reg.promote("challenger", "t1", at=CREATED_AT)
    loaded = reg.load_champion("challenger")
    assert isinstance(loaded, GbmArtifact)
    assert loaded.to_json() == fitted.artifact.to_json()
    row = {"sales_growth": -0.2, "overdue_days": 6.0, "grade": "D", "noise": 0.0}
    assert loaded.score(row) == fitted.artifact.score(row)
    doc = fitted.artifact.to_dict()
    doc["booster"] = "not trees"
    with pytest.raises(InvalidArtifact):
        GbmArtifact.from_dict(doc)
