"""Issue 22 acceptance: each model's reported CV AUC is within 0.02 of a true hold-out, on
German Credit and on a synthetic-world sample.

German Credit has 300 test rows, so one split's test AUC alone wanders by +-0.027 (its standard
error): the CV estimate is compared with the test AUC averaged over five splits (per split, the
gap was -0.014 to +0.030 for the scorecard; see docs/models.md). Before the leak-free binning
the scorecard's reported CV reused WOE fitted on all training rows.
"""

from __future__ import annotations

import numpy as np
import pytest

from puhui.scorecards.evaluation import evaluate_table, fit_both
from puhui.scorecards.german import TARGET, german_features, german_split, load_german

pytestmark = pytest.mark.slow


def test_cv_auc_is_honest_on_german_credit() -> None:
    data = load_german()
    features, categorical = german_features(data)
    gaps: dict[str, list[float]] = {"scorecard": [], "challenger": []}
    for seed in (42, 0, 1, 2, 3):
        train, test = german_split(data, seed)
        scorecard, challenger = fit_both(train, test, TARGET, features, categorical, seed)
        gaps["scorecard"].append(scorecard.cv_auc - scorecard.auc)
        gaps["challenger"].append(challenger.cv_auc - challenger.auc)
    for name, g in gaps.items():
        print(f"\n{name}: CV - test per split {np.round(g, 4).tolist()}, mean {np.mean(g):+.4f}")
        assert abs(float(np.mean(g))) <= 0.02, (name, g)


def test_cv_auc_is_honest_on_a_synthetic_world() -> None:
    from puhui.datahub.world import generate_world
    from puhui.decisioning.world_training import (
        TARGET as WORLD_TARGET,
    )
    from puhui.decisioning.world_training import (
        WORLD_MONOTONE,
        world_feature_frame,
    )

    frame = world_feature_frame(generate_world(8_000, 5))
    result = evaluate_table(
        frame,
        WORLD_TARGET,
        dataset="world 8000 seed 5",
        seed=42,
        exclude=["enterprise_index"],
        monotone=WORLD_MONOTONE,
    )
    print("\n", result.summary())
    for m in (result.scorecard, result.challenger):
        assert abs(m.cv_auc - m.auc) <= 0.02, (m.name, m.cv_auc, m.auc)
    assert result.scorecard.auc >= 0.80
