"""Model monitoring, month by month, against the training sample. Pure (numpy, no database).

For one model version and one calendar month of decisions it computes:

* **score PSI** against the training sample's score distribution, over the ten score bands
  (deciles of the training points) stored in the model's `ReferenceProfile`;
* **CSI** of every scorecard feature over the scorecard's own bins (the training counts are in
  the artifact's bins, so no training rows are kept); the LightGBM challenger has no bins and
  gets the score PSI only;
* **approval and override rates** (an override: a person decided otherwise than the model's
  automated outcome);
* **calibration by score band** once outcomes have matured: mean predicted PD against the
  observed bad rate of the decisions whose performance window is complete.

`Thresholds` turns the figures into alerts: PSI/CSI >= 0.1 "watch", >= 0.25 "alert" (the
industry's usual reading); a band whose observed bad rate is outside [0.5, 2] x predicted
with at least `min_matured` matured loans; an override rate above 10 %. Months with fewer than
`min_rows` decisions raise nothing (too few to tell drift from noise).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from puhui.scorecards.artifact import ScorecardArtifact
from puhui.scorecards.validation import psi_from_counts, quantile_edges

Severity = str  # "watch" | "alert"


@dataclass(frozen=True)
class ReferenceProfile:
    """The training sample's score distribution: ten bands (inner edges) and their counts."""

    model_id: str
    version: str
    edges: tuple[float, ...]
    counts: tuple[int, ...]
    mean_pd: float
    n: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ReferenceProfile:
        return cls(
            model_id=str(d["model_id"]),
            version=str(d["version"]),
            edges=tuple(float(x) for x in d["edges"]),
            counts=tuple(int(x) for x in d["counts"]),
            mean_pd=float(d["mean_pd"]),
            n=int(d["n"]),
        )


def reference_profile(
    model_id: str, version: str, points: Sequence[float], pd: Sequence[float]
) -> ReferenceProfile:
    """The profile of the training sample's points (and PDs)."""
    p = np.asarray(points, dtype=np.float64)
    edges = quantile_edges(p, 10)
    counts = np.bincount(np.searchsorted(edges, p, side="right"), minlength=len(edges) + 1)
    return ReferenceProfile(
        model_id, version, tuple(float(e) for e in edges), tuple(int(c) for c in counts),
        float(np.mean(pd)) if len(pd) else 0.0, len(p),
    )  # fmt: skip


@dataclass(frozen=True)
class Thresholds:
    psi_watch: float = 0.10
    psi_alert: float = 0.25
    calibration_low: float = 0.5
    calibration_high: float = 2.0
    min_matured: int = 30
    override_rate: float = 0.10
    min_rows: int = 30


@dataclass(frozen=True)
class Alert:
    metric: str  # score_psi | csi | calibration | override_rate
    subject: str  # the feature, the score band, or "" for the score
    value: float
    threshold: float
    severity: Severity

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class MonthRows:
    """One month of a model's decisions, one entry per decision."""

    points: Sequence[float]
    pd: Sequence[float]
    features: Sequence[Mapping[str, Any]] = ()
    approved: Sequence[bool] = ()
    overridden: Sequence[bool] = ()
    bad: Sequence[int | None] = ()  # 1 bad, 0 good, None not matured yet


@dataclass(frozen=True)
class CalibrationBand:
    band: str
    n: int
    matured: int
    predicted: float
    observed: float | None


@dataclass(frozen=True)
class MonthReport:
    model_id: str
    version: str
    month: str  # YYYY-MM
    n: int
    score_psi: float | None
    score_bands: list[dict[str, Any]]
    csi: dict[str, float]
    approval_rate: float | None
    override_rate: float | None
    calibration: list[CalibrationBand]
    alerts: list[Alert] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["alerts"] = [a.to_dict() for a in self.alerts]
        return d


def _level(value: float, t: Thresholds) -> Severity | None:
    return "alert" if value >= t.psi_alert else "watch" if value >= t.psi_watch else None


def _band_labels(edges: Sequence[float]) -> list[str]:
    bounds = ["", *[format(e, ".0f") for e in edges], ""]
    return [f"{bounds[i] or '…'}–{bounds[i + 1] or '…'}" for i in range(len(edges) + 1)]


def _score_psi(ref: ReferenceProfile, points: np.ndarray) -> tuple[float, list[dict[str, Any]]]:
    edges = np.asarray(ref.edges)
    actual = np.bincount(np.searchsorted(edges, points, side="right"), minlength=len(edges) + 1)
    result = psi_from_counts(ref.counts, actual, _band_labels(ref.edges))
    rows = [
        {"band": r.label, "expected": r.expected_share, "actual": r.actual_share}
        for r in result.rows
    ]
    return result.value, rows


def _csi(artifact: ScorecardArtifact, features: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    if not features:
        return {}
    slots = artifact.slot_indices({k: [f.get(k) for f in features] for k in artifact.feature_names})
    out: dict[str, float] = {}
    for f in artifact.features:
        expected = np.array([b.n for b in f.slots])
        actual = np.bincount(slots[f.name], minlength=len(expected))
        keep = (expected + actual) > 0
        if expected.sum() > 0:
            out[f.name] = round(psi_from_counts(expected[keep], actual[keep]).value, 4)
    return out


def _calibration(
    ref: ReferenceProfile, points: np.ndarray, pd: np.ndarray, bad: Sequence[int | None]
) -> list[CalibrationBand]:
    edges = np.asarray(ref.edges)
    band = np.searchsorted(edges, points, side="right")
    outcome = np.array([np.nan if b is None else float(b) for b in bad]) if bad else None
    out = []
    for i, label in enumerate(_band_labels(ref.edges)):
        sel = band == i
        if not sel.any():
            continue
        matured = 0 if outcome is None else int(np.isfinite(outcome[sel]).sum())
        observed = float(np.nanmean(outcome[sel])) if outcome is not None and matured else None
        out.append(CalibrationBand(label, int(sel.sum()), matured, float(pd[sel].mean()), observed))
    return out


def _rate(flags: Sequence[bool]) -> float | None:
    return float(np.mean(np.asarray(flags, dtype=np.float64))) if len(flags) else None


def _alerts(report: MonthReport, t: Thresholds) -> list[Alert]:
    if report.n < t.min_rows:
        return []
    out: list[Alert] = []
    if report.score_psi is not None and (level := _level(report.score_psi, t)):
        out.append(Alert("score_psi", "", report.score_psi, t.psi_watch, level))
    for name, value in report.csi.items():
        if level := _level(value, t):
            out.append(Alert("csi", name, value, t.psi_watch, level))
    for b in report.calibration:
        if b.observed is None or b.matured < t.min_matured or b.predicted <= 0:
            continue
        ratio = b.observed / b.predicted
        if not t.calibration_low <= ratio <= t.calibration_high:
            bound = t.calibration_low if ratio < t.calibration_low else t.calibration_high
            out.append(Alert("calibration", b.band, round(ratio, 3), bound, "alert"))
    if report.override_rate is not None and report.override_rate > t.override_rate:
        out.append(Alert("override_rate", "", report.override_rate, t.override_rate, "watch"))
    return out


def monitor_month(
    artifact: Any,
    reference: ReferenceProfile,
    month: str,
    rows: MonthRows,
    thresholds: Thresholds | None = None,
) -> MonthReport:
    """The month's report and its alerts (see the module docstring)."""
    t = thresholds or Thresholds()
    points = np.asarray(rows.points, dtype=np.float64)
    pd = np.asarray(rows.pd, dtype=np.float64)
    score_psi, bands = _score_psi(reference, points) if len(points) else (None, [])
    csi = _csi(artifact, rows.features) if isinstance(artifact, ScorecardArtifact) else {}
    report = MonthReport(
        model_id=reference.model_id,
        version=reference.version,
        month=month,
        n=len(points),
        score_psi=None if score_psi is None else round(score_psi, 4),
        score_bands=bands,
        csi=csi,
        approval_rate=_rate(rows.approved),
        override_rate=_rate(rows.overridden),
        calibration=_calibration(reference, points, pd, rows.bad) if len(points) else [],
    )
    return MonthReport(**{**report.__dict__, "alerts": _alerts(report, t)})
