"""Benchmark of artifact scoring: ``uv run python bench/scorecard.py`` prints its figures.

A 20-feature scorecard (10 numeric with 7 bins, 10 categorical with 5 groups of 3) scores
random applications one at a time (``score``, the decision hot path) and as a batch
(``score_frame``). No assertions: timings belong to benchmarks, not tests.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import numpy as np

from puhui.scorecards.artifact import (
    Calibration,
    FeatureScorecard,
    ScorecardArtifact,
    ScorecardBin,
    numeric_bin_label,
    numeric_bins_from_splits,
)
from puhui.scorecards.scaling import PointsScaling


def demo_artifact(n_numeric: int = 10, n_categorical: int = 10) -> ScorecardArtifact:
    rng = np.random.default_rng(0)
    scaling = PointsScaling()
    features = []
    for i in range(n_numeric):
        splits = tuple(float(s) for s in np.linspace(-1.5, 1.5, 6) + 0.01 * i)
        bins = tuple(
            ScorecardBin(
                numeric_bin_label(lo, hi),
                points=int(rng.integers(-30, 30)),
                woe=float(rng.normal()),
                lower=lo,
                upper=hi,
            )
            for lo, hi in numeric_bins_from_splits(splits)
        )
        features.append(
            FeatureScorecard(
                name=f"num_{i}",
                kind="numeric",
                coefficient=-0.7,
                iv=0.1,
                bins=bins,
                missing=ScorecardBin("Missing", points=-5, woe=-0.2),
                splits=splits,
            )
        )
    for i in range(n_categorical):
        groups = [tuple(f"c{g}{k}" for k in range(3)) for g in range(5)]
        bins = tuple(
            ScorecardBin(
                ", ".join(g),
                points=int(rng.integers(-30, 30)),
                woe=float(rng.normal()),
                categories=g,
            )
            for g in groups
        )
        features.append(
            FeatureScorecard(
                name=f"cat_{i}",
                kind="categorical",
                coefficient=-0.7,
                iv=0.1,
                bins=bins,
                missing=ScorecardBin("Missing", points=0, woe=0.0),
            )
        )
    return ScorecardArtifact(
        model_id="bench",
        version="1",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        target="bad",
        scaling=scaling,
        intercept=-1.0,
        base_points=516,
        calibration=Calibration.from_scaling(scaling),
        features=tuple(features),
    )


def main(n: int = 20_000) -> None:
    art = demo_artifact()
    rng = np.random.default_rng(1)
    apps = []
    for _ in range(n):
        app: dict[str, object] = {f"num_{i}": float(rng.normal()) for i in range(10)}
        app.update({f"cat_{i}": f"c{rng.integers(0, 5)}{rng.integers(0, 3)}" for i in range(10)})
        apps.append(app)
    for app in apps[:1000]:  # warm up
        art.score(app)
    samples = []
    for app in apps:
        t0 = time.perf_counter_ns()
        art.score(app)
        samples.append(time.perf_counter_ns() - t0)
    us = np.asarray(samples) / 1000.0
    print(
        f"score(): 20 features, {n} applications: mean {us.mean():.1f} us, "
        f"p50 {np.percentile(us, 50):.1f} us, p99 {np.percentile(us, 99):.1f} us"
    )
    columns = {k: [a[k] for a in apps] for k in apps[0]}
    start = time.perf_counter()
    art.score_frame(columns)
    elapsed = time.perf_counter() - start
    print(
        f"score_frame(): {n} rows in {elapsed * 1000:.1f} ms ({elapsed / n * 1e6:.2f} us per row)"
    )
    print(
        json.dumps(
            {
                "bench": "scorecard",
                "applications": n,
                "features": 20,
                "score_us_mean": round(float(us.mean()), 2),
                "score_us_p50": round(float(np.percentile(us, 50)), 2),
                "score_us_p99": round(float(np.percentile(us, 99)), 2),
                "score_frame_us_per_row": round(elapsed / n * 1e6, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
