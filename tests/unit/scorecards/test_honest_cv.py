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

from puhui.scorecards.evaluation import fit_both
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


# Issue 22, item 4: the world is non-additive (docs/models.md "A world that rewards better
# models"), so the boosted trees must beat the purely additive scorecard by this much on a
# world whose seeds were not used to tune it (5 and 11 were; 23 and 24 were not), while the
# scorecard keeps its >= 0.80. Before the non-additive outcome the two tied on the world (0.8482
# vs 0.8320 on seed 5: the challenger was behind), so the margin assertion fails there.
BOOSTED_MARGIN = 0.02


def test_cv_auc_is_honest_on_a_synthetic_world() -> None:
    """Trained on one world, tested on another (fresh seed, 10,000 enterprises): a true
    hold-out, large enough (~800 bads) that one test AUC moves by about +-0.01, not the +-0.02
    of a 30 % split of the training world."""
    from puhui.datahub.world import generate_world
    from puhui.decisioning.features import CATEGORICAL_MODEL_FEATURES, MODEL_FEATURES
    from puhui.decisioning.world_training import TARGET as WORLD_TARGET
    from puhui.decisioning.world_training import WORLD_MONOTONE, world_feature_frame

    train = world_feature_frame(generate_world(6_000, 23))
    test = world_feature_frame(generate_world(10_000, 24))
    scorecard, challenger = fit_both(
        train, test, WORLD_TARGET, list(MODEL_FEATURES), list(CATEGORICAL_MODEL_FEATURES), 42,
        monotone=WORLD_MONOTONE,
    )  # fmt: skip
    print(f"\n{scorecard}\n{challenger}")
    for m in (scorecard, challenger):
        assert abs(m.cv_auc - m.auc) <= 0.02, (m.name, m.cv_auc, m.auc)
    assert scorecard.auc >= 0.80
    assert challenger.auc - scorecard.auc >= BOOSTED_MARGIN, (scorecard.auc, challenger.auc)
