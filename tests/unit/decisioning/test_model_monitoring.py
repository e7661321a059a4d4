"""Model monitoring (issue 22, item 6): a drift scenario in the synthetic world raises PSI
alerts in the month it starts, not before; calibration and override alerts by threshold."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from puhui.datahub.world import generate_world
from puhui.datahub.world.params import WorldParams
from puhui.decisioning.features import MODEL_FEATURES
from puhui.decisioning.scoring import baseline_artifact
from puhui.decisioning.world_training import world_feature_frame
from puhui.scorecards.monitoring import (
    MonthRows,
    Thresholds,
    monitor_month,
    reference_profile,
)

# The regime shift of the world (issue 22, item 4) moved into the observed months: from six
# months before the data date, most sections lose 1.2 of health (a downturn the data shows).
DRIFT = WorldParams(
    regime_shift_month=-6, regime_shift_depth=1.2, regime_shift_sections=("C", "F", "E", "G", "H")
)


def _rows(frame: pl.DataFrame) -> MonthRows:
    artifact = baseline_artifact()
    scores = artifact.score_frame(frame)
    features = frame.select(list(MODEL_FEATURES)).to_dicts()
    return MonthRows(points=scores.points.tolist(), pd=scores.pd.tolist(), features=features)


@pytest.fixture(scope="module")
def months() -> tuple[Any, list[tuple[str, MonthRows]]]:
    """Reference = the first 1,000 of a world; months 1-3 the rest of it (no drift), months
    4-6 applicants of a world in the downturn."""
    calm = world_feature_frame(generate_world(2_200, 41))
    drifted = world_feature_frame(generate_world(1_200, 42, params=DRIFT))
    artifact = baseline_artifact()
    ref_rows = calm.head(1_000)
    ref_scores = artifact.score_frame(ref_rows)
    reference = reference_profile(
        artifact.model_id, artifact.version, ref_scores.points.tolist(), ref_scores.pd.tolist()
    )
    chunks = [calm.slice(1_000 + 400 * k, 400) for k in range(3)]
    chunks += [drifted.slice(400 * k, 400) for k in range(3)]
    months = [(f"2026-{k + 1:02d}", _rows(c)) for k, c in enumerate(chunks)]
    return reference, months


def test_a_drift_raises_psi_alerts_in_the_month_it_starts(months: Any) -> None:
    reference, by_month = months
    artifact = baseline_artifact()
    reports = [monitor_month(artifact, reference, m, rows) for m, rows in by_month]
    for r in reports:
        print(r.month, r.score_psi, sorted(r.csi.items(), key=lambda kv: -kv[1])[:3])
    alerting = [r.month for r in reports if any(a.severity == "alert" for a in r.alerts)]
    assert alerting[0] == "2026-04", alerting  # the month the drift starts, not before
    assert all(m >= "2026-04" for m in alerting)
    april = reports[3]
    assert april.score_psi is not None and april.score_psi >= 0.25
    assert any(a.metric == "csi" for a in april.alerts)  # and the features that moved
    assert reports[0].score_psi is not None and reports[0].score_psi < 0.1


def test_calibration_and_override_alerts() -> None:
    reference = reference_profile("m", "1", list(range(400, 700)), [0.05] * 300)
    rows = MonthRows(
        points=[450.0] * 40 + [650.0] * 40,
        pd=[0.05] * 80,
        approved=[True] * 60 + [False] * 20,
        overridden=[True] * 12 + [False] * 68,
        bad=[1] * 20 + [0] * 20 + [0] * 40,  # 50 % bad where 5 % was predicted
    )
    report = monitor_month(baseline_artifact(), reference, "2026-05", rows, Thresholds())
    metrics = {(a.metric, a.severity) for a in report.alerts}
    assert ("calibration", "alert") in metrics and ("override_rate", "watch") in metrics
    assert report.approval_rate == pytest.approx(0.75)
    too_few = monitor_month(baseline_artifact(), reference, "2026-06",
                            MonthRows(points=rows.points[:10], pd=rows.pd[:10]))  # fmt: skip
    assert too_few.alerts == []
