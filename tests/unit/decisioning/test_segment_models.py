"""Segment models (issue 22, item 5): the policy picks a model by the applicant's segment
(industry section x size class, new vs returning), first rule wins, with a fallback; each
segment's model is trained and validated on its own rows."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from pydantic import ValidationError

from puhui.core.canonical import canonical_json
from puhui.decisioning import pipeline
from puhui.decisioning.features import CATEGORICAL_MODEL_FEATURES, MODEL_FEATURES
from puhui.decisioning.lifecycle import seed_document
from puhui.decisioning.model_choice import (
    ModelChoice,
    Segment,
    SegmentRule,
    segment_of,
    size_class,
)
from puhui.decisioning.policy import PolicyDocument
from puhui.decisioning.scoring import store_for
from puhui.decisioning.world_training import TARGET, train_segment_models
from puhui.scorecards.registry import FileModelRegistry

AT = datetime(2026, 12, 7, tzinfo=UTC)
MANUFACTURING_MICRO = SegmentRule(
    name="c-micro", model_id="sme-pd-c-micro", industries=("C",), sizes=("micro",)
)
RETURNING = SegmentRule(name="returning", model_id="sme-pd-returning", returning=True)


def test_size_class_and_segment_of_an_application() -> None:
    assert size_class(5, 1_000_000_00) == "micro"
    assert size_class(50, 1_000_000_00) == "small"
    assert size_class(5, 2_500_000_000) == "medium"
    assert size_class(None, None) is None
    seg = segment_of(
        "C", {"headcount_now": 8, "sales_12m_fen": 5_000_000, "borrower_exposure_fen": 0}
    )
    assert seg == Segment("C", "micro", False)
    assert segment_of(None, {"borrower_exposure_fen": 100}).returning


def test_first_matching_rule_wins_and_unmatched_fall_back() -> None:
    choice = ModelChoice(segments=(MANUFACTURING_MICRO, RETURNING))
    assert [r.name for r in choice.rules_for(Segment("C", "micro", True))] == [
        "c-micro",
        "returning",
    ]
    assert choice.rules_for(Segment("F", "small", False)) == []
    assert choice.rules_for(None) == []
    with pytest.raises(ValidationError):
        ModelChoice(segments=(RETURNING, RETURNING))


def test_documents_without_segments_keep_their_hash() -> None:
    seed = seed_document()
    plain = PolicyDocument.model_validate({**seed, "models": {"decides": "scorecard"}})
    dumped = plain.model_dump(mode="json")
    assert "segments" not in dumped["models"]
    assert plain.sha256() == hashlib.sha256(canonical_json(dumped)).hexdigest()
    segmented = PolicyDocument.model_validate(
        {**seed, "models": {"decides": "scorecard", "segments": [RETURNING.model_dump()]}}
    )
    assert segmented.sha256() != plain.sha256()


def _frame(n: int = 1400, seed: int = 5) -> pl.DataFrame:
    """Two segments whose risk runs through different features."""
    rng = np.random.default_rng(seed)
    data: dict[str, Any] = {}
    for name in MODEL_FEATURES:
        if name in CATEGORICAL_MODEL_FEATURES:
            data[name] = [str(v) for v in rng.choice(["A", "B", "C"], n)]
        else:
            data[name] = rng.normal(size=n)
    manufacturing = rng.random(n) < 0.5
    signal = np.where(manufacturing, data[MODEL_FEATURES[0]], data[MODEL_FEATURES[1]])
    data[TARGET] = (rng.random(n) < 1 / (1 + np.exp(-(-2.0 + 1.5 * signal)))).astype(np.int64)
    data["segment_industry"] = np.where(manufacturing, "C", "F")
    data["segment_size"] = ["micro"] * n
    data["segment_returning"] = [False] * n
    return pl.DataFrame(data)


@pytest.fixture(scope="module")
def trained() -> list[Any]:
    tiny = SegmentRule(name="f-medium", model_id="sme-pd-f-medium", industries=("F",),
                       sizes=("medium",))  # fmt: skip
    return train_segment_models(
        _frame(), [MANUFACTURING_MICRO, tiny], seed=1, created_at=AT, version="s1"
    )


def test_each_segment_is_trained_and_validated_on_its_own_rows(trained: list[Any]) -> None:
    c_micro, f_medium = trained
    assert c_micro.artifact is not None and c_micro.artifact.model_id == "sme-pd-c-micro"
    assert 600 < c_micro.rows < 800  # only the manufacturing rows
    assert c_micro.cv_auc is not None and c_micro.cv_auc > 0.7  # its own signal, found
    assert MODEL_FEATURES[0] in c_micro.artifact.feature_names
    assert f_medium.artifact is None and "0 rows" in f_medium.skipped  # the fallback decides


def test_the_segment_model_decides_for_its_segment(tmp_path: Path, trained: list[Any]) -> None:
    reg = FileModelRegistry(tmp_path / "models")
    reg.save(trained[0].artifact)
    reg.promote("sme-pd-c-micro", "s1", at=AT)
    models = store_for(tmp_path / "models")
    features: dict[str, Any] = {name: None for name in MODEL_FEATURES}
    choice = ModelChoice(segments=(RETURNING, MANUFACTURING_MICRO))  # no returning model: passed
    hit = pipeline.score_for(choice, models, features, Segment("C", "micro", True))
    assert hit.model.model_id == "sme-pd-c-micro"
    assert hit.scores["scorecard"].model_id == "sme-pd-c-micro"
    assert hit.scores["fallback"].model_id == "sme-pd"
    missed = pipeline.score_for(choice, models, features, Segment("F", "micro", False))
    assert missed.model.model_id == "sme-pd" and set(missed.scores) == {"scorecard"}
