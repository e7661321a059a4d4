"""The scorecard trained on the synthetic world with the decision's features: held-out AUC on a
world whose seed was not used for training (acceptance: >= 0.80)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from puhui.cli import app
from puhui.decisioning.features import MODEL_FEATURES
from puhui.decisioning.scoring import ModelStore
from puhui.scorecards.registry import FileModelRegistry


def test_world_scorecard_reaches_auc_080_on_an_unseen_world(tmp_path: Path) -> None:
    registry = tmp_path / "models"
    result = CliRunner().invoke(
        app,
        [
            "model", "train", "--world-enterprises", "4000", "--seed", "11",
            "--registry", str(registry), "--version", "t1", "--champion",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert summary["train_seed"] == 11 and summary["holdout_seed"] == 12
    assert summary["holdout_enterprises"] >= 1_900
    assert summary["auc"] >= 0.80, summary
    assert set(summary["features"]) <= set(MODEL_FEATURES)
    # registered with its validation report, and the decision's store picks the champion
    reg = FileModelRegistry(registry)
    assert reg.load_report("sme-pd", "t1") is not None
    assert reg.report_html_path("sme-pd", "t1") is not None
    loaded = ModelStore(registry).champion()
    assert loaded.source == "registry" and loaded.version == "t1"


def test_without_a_registry_champion_the_baseline_is_used(tmp_path: Path) -> None:
    loaded = ModelStore(tmp_path / "empty").champion()
    assert loaded.source == "baseline"
    assert set(loaded.artifact.feature_names) <= set(MODEL_FEATURES)


def test_a_champion_of_another_feature_set_is_refused(tmp_path: Path) -> None:
    from dataclasses import replace
    from datetime import UTC, datetime

    import pytest

    from puhui.decisioning.errors import ModelUnavailable
    from puhui.decisioning.scoring import baseline_artifact

    base = baseline_artifact()
    old = replace(base, version="old", training={**base.training, "feature_set_version": "1999.1"})
    reg = FileModelRegistry(tmp_path / "models")
    reg.save(old)
    reg.promote("sme-pd", "old", at=datetime(2026, 11, 23, tzinfo=UTC))
    with pytest.raises(ModelUnavailable):
        ModelStore(tmp_path / "models").champion()
