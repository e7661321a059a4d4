"""Champion/challenger in the policy: which model decides, which shadows; both recorded; replay
decides with the model the replaying document names."""

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
from puhui.decisioning.errors import ModelUnavailable
from puhui.decisioning.features import CATEGORICAL_MODEL_FEATURES, MODEL_FEATURES
from puhui.decisioning.lifecycle import seed_document
from puhui.decisioning.model_choice import ModelChoice
from puhui.decisioning.policy import (
    DecisionInputs,
    PolicyDocument,
    ScoreInputs,
    case_inputs,
    compile_policy,
    decide,
    validate_document,
)
from puhui.decisioning.scoring import CHALLENGER_MODEL_ID, store_for
from puhui.decisioning.world_training import TARGET, WORLD_MONOTONE, train_world_challenger
from puhui.scorecards.gbm import GbmArtifact, GbmParams
from puhui.scorecards.registry import FileModelRegistry

AT = datetime(2026, 12, 6, tzinfo=UTC)


@pytest.fixture(scope="module")
def seed() -> dict[str, Any]:
    return seed_document()


def _inputs(
    doc: PolicyDocument, scorecard_pd: float, challenger_pd: float | None
) -> DecisionInputs:
    base = next(t for t in doc.tests if t.name.startswith("干净企业"))
    inputs = case_inputs(doc, base.model_copy(update={"pd": scorecard_pd}))
    scores = {"scorecard": inputs.score}
    if challenger_pd is not None:
        scores["challenger"] = ScoreInputs(points=450, pd=challenger_pd, model_id="c")
    return inputs.model_copy(update={"scores": scores})


def test_the_choice_is_validated(seed: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ModelChoice(decides="challenger", shadow="challenger")
    with pytest.raises(ValidationError):
        ModelChoice.model_validate({"decides": "lightgbm"})
    bad = validate_document({**seed, "models": {"decides": "scorecard", "shadow": "scorecard"}})
    assert not bad.ok and any(i.where.startswith("models") for i in bad.issues)
    good = validate_document({**seed, "models": {"decides": "scorecard", "shadow": "challenger"}})
    assert good.ok, good.to_dict()


def test_a_document_without_the_field_keeps_its_hash(seed: dict[str, Any]) -> None:
    doc = PolicyDocument.model_validate(seed)
    old = hashlib.sha256(canonical_json(doc.model_dump(mode="json", exclude={"models"})))
    assert doc.sha256() == old.hexdigest()
    named = PolicyDocument.model_validate({**seed, "models": {"decides": "scorecard"}})
    assert named.sha256() != doc.sha256()


def test_the_deciding_model_is_the_one_the_document_names(seed: dict[str, Any]) -> None:
    scorecard_decides = PolicyDocument.model_validate(
        {**seed, "models": {"decides": "scorecard", "shadow": "challenger"}}
    )
    challenger_decides = PolicyDocument.model_validate(
        {**seed, "models": {"decides": "challenger", "shadow": "scorecard"}}
    )
    inputs = _inputs(scorecard_decides, scorecard_pd=0.01, challenger_pd=0.6)
    a = decide(compile_policy(scorecard_decides), inputs)
    b = decide(compile_policy(challenger_decides), inputs)
    assert a.outcome == "approve"
    assert b.outcome != "approve" and b.grade != a.grade
    # replay of a decision stored before the challenger existed: the stored score
    old = _inputs(scorecard_decides, scorecard_pd=0.01, challenger_pd=None)
    assert decide(compile_policy(challenger_decides), old).outcome == "approve"
    # stored and read back: the same outcome
    again = DecisionInputs.model_validate(inputs.model_dump(mode="json"))
    assert decide(compile_policy(challenger_decides), again) == b


def _world_like(n: int = 600, seed: int = 3) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    data: dict[str, Any] = {}
    for name in MODEL_FEATURES:
        if name in CATEGORICAL_MODEL_FEATURES:
            data[name] = [str(v) for v in rng.choice(["A", "B", "C"], n)]
        else:
            data[name] = rng.normal(size=n)
    data[TARGET] = (rng.random(n) < 0.2 + 0.1 * (data[MODEL_FEATURES[0]] > 0)).astype(np.int64)
    return pl.DataFrame(data)


@pytest.fixture(scope="module")
def challenger() -> GbmArtifact:
    params = GbmParams(max_rounds=20, cv_folds=2, monotone=WORLD_MONOTONE)
    return train_world_challenger(_world_like(), seed=1, created_at=AT, version="t1", params=params)


def test_both_models_are_scored_and_recorded(tmp_path: Path, challenger: GbmArtifact) -> None:
    reg = FileModelRegistry(tmp_path / "models")
    reg.save(challenger)
    reg.promote(CHALLENGER_MODEL_ID, "t1", at=AT)
    models = store_for(tmp_path / "models")
    features: dict[str, Any] = {name: None for name in MODEL_FEATURES}
    shadowed = pipeline.score_for(ModelChoice(shadow="challenger"), models, features)
    assert set(shadowed.scores) == {"scorecard", "challenger"}
    assert shadowed.model.source == "baseline" and shadowed.inputs == shadowed.scores["scorecard"]
    assert shadowed.scores["challenger"].model_id == CHALLENGER_MODEL_ID
    assert shadowed.scores["challenger"].model_version == "t1"
    led = pipeline.score_for(ModelChoice(decides="challenger"), models, features)
    assert led.model.model_id == CHALLENGER_MODEL_ID and set(led.scores) == {"challenger"}
    assert 0 < led.inputs.pd < 1


def test_a_missing_shadow_is_skipped_a_missing_decider_refused(tmp_path: Path) -> None:
    models = store_for(tmp_path / "empty")
    features: dict[str, Any] = {name: None for name in MODEL_FEATURES}
    scored = pipeline.score_for(ModelChoice(shadow="challenger"), models, features)
    assert set(scored.scores) == {"scorecard"}
    with pytest.raises(ModelUnavailable):
        pipeline.score_for(ModelChoice(decides="challenger"), models, features)


def test_a_challenger_reason_reads_without_a_bin() -> None:
    from puhui.decisioning.policy import score_reason

    reason = score_reason({"feature": "enforcement_open", "bin": "", "points_lost": 12})
    assert reason.en == "Open enforcement cases lowered the score by 12 points"
    assert reason.zh == "未结被执行案件使评分降低 12 分"
