"""Model validation metrics (pure numpy) and the validation report.

Conventions: ``y`` is 1 for a bad, 0 for a good. Rank metrics take a *risk* ordering
(``risk``: higher = riskier, e.g. PD or minus the points). KS and PSI do not depend on the
direction.

* AUC: the Mann-Whitney statistic, P(risk of a random bad > risk of a random good), ties
  counted one half, computed from average ranks.
* Gini (accuracy ratio) = 2 AUC - 1.
* KS = max over thresholds |F_bad(t) - F_good(t)| of the two empirical distributions.
* PSI = sum_i (a_i - e_i) ln(a_i / e_i) over bins, e / a the expected / actual shares
  (a share of 0 is floored at 1e-4). Rule of thumb: < 0.1 stable, 0.1-0.25 watch, > 0.25 shift.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from puhui.scorecards.artifact import ScorecardArtifact

PSI_FLOOR = 1e-4


def _arrays(y: npt.ArrayLike, s: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    yy = np.asarray(y).astype(np.int64).ravel()
    ss = np.asarray(s, dtype=np.float64).ravel()
    if yy.shape != ss.shape:
        raise ValueError("y and scores must have the same length")
    if not np.isin(yy, (0, 1)).all():
        raise ValueError("y must be 0/1")
    if np.isnan(ss).any():
        raise ValueError("scores contain NaN")
    return yy, ss


def average_ranks(values: npt.ArrayLike) -> np.ndarray:
    """1-based ranks, ties sharing the average of their positions."""
    v = np.asarray(values, dtype=np.float64)
    _, inverse, counts = np.unique(v, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    starts = ends - counts
    return ((starts + 1 + ends) / 2.0)[inverse]


def auc(y: npt.ArrayLike, risk: npt.ArrayLike) -> float:
    """Area under the ROC curve by the Mann-Whitney U statistic."""
    yy, ss = _arrays(y, risk)
    n_bad = int(yy.sum())
    n_good = len(yy) - n_bad
    if n_bad == 0 or n_good == 0:
        raise ValueError("AUC needs both goods and bads")
    ranks = average_ranks(ss)
    u = float(ranks[yy == 1].sum()) - n_bad * (n_bad + 1) / 2.0
    return u / (n_bad * n_good)


def gini(y: npt.ArrayLike, risk: npt.ArrayLike) -> float:
    return 2.0 * auc(y, risk) - 1.0


def _cumulative(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct score values ascending, and the cumulative shares of bads and goods at or
    below each."""
    values, inverse = np.unique(s, return_inverse=True)
    bad = np.bincount(inverse, weights=y, minlength=len(values))
    total = np.bincount(inverse, minlength=len(values)).astype(np.float64)
    good = total - bad
    n_bad, n_good = bad.sum(), good.sum()
    if n_bad == 0 or n_good == 0:
        raise ValueError("needs both goods and bads")
    return values, np.cumsum(bad) / n_bad, np.cumsum(good) / n_good


@dataclass(frozen=True)
class KsResult:
    ks: float
    threshold: float  # the score at which the two distributions are furthest apart


def ks(y: npt.ArrayLike, score: npt.ArrayLike) -> KsResult:
    """Kolmogorov-Smirnov distance between the score distributions of bads and goods."""
    yy, ss = _arrays(y, score)
    values, cum_bad, cum_good = _cumulative(yy, ss)
    gap = np.abs(cum_bad - cum_good)
    i = int(np.argmax(gap))
    return KsResult(ks=float(gap[i]), threshold=float(values[i]))


@dataclass(frozen=True)
class CurvePoint:
    x: float
    y: float


def roc_curve(y: npt.ArrayLike, risk: npt.ArrayLike, max_points: int = 201) -> list[CurvePoint]:
    """ROC points (false positive rate, true positive rate), thresholds from high risk down."""
    yy, ss = _arrays(y, risk)
    _, cum_bad, cum_good = _cumulative(yy, -ss)  # ascending in -risk = descending risk
    fpr = np.concatenate([[0.0], cum_good])
    tpr = np.concatenate([[0.0], cum_bad])
    idx = _thin(len(fpr), max_points)
    return [CurvePoint(float(fpr[i]), float(tpr[i])) for i in idx]


@dataclass(frozen=True)
class KsPoint:
    score: float
    cum_bad: float
    cum_good: float


def ks_curve(y: npt.ArrayLike, score: npt.ArrayLike, max_points: int = 201) -> list[KsPoint]:
    """Cumulative shares of bads and goods with score at or below each score value."""
    yy, ss = _arrays(y, score)
    values, cum_bad, cum_good = _cumulative(yy, ss)
    idx = _thin(len(values), max_points)
    return [KsPoint(float(values[i]), float(cum_bad[i]), float(cum_good[i])) for i in idx]


def _thin(n: int, max_points: int) -> list[int]:
    if n <= max_points:
        return list(range(n))
    return sorted(set(np.linspace(0, n - 1, max_points).round().astype(int).tolist()))


@dataclass(frozen=True)
class CalibrationRow:
    group: int
    score_min: float
    score_max: float
    n: int
    n_bad: int
    observed_bad_rate: float
    predicted_pd: float  # mean predicted PD of the group


def calibration_table(
    y: npt.ArrayLike, pd: npt.ArrayLike, score: npt.ArrayLike, n_groups: int = 10
) -> list[CalibrationRow]:
    """Predicted vs observed bad rate by score group (deciles by default), lowest score first.

    Group edges are score quantiles; rows with equal scores stay in one group, so heavy ties
    may give fewer groups.
    """
    yy, ss = _arrays(y, score)
    pp = np.asarray(pd, dtype=np.float64).ravel()
    if pp.shape != ss.shape:
        raise ValueError("pd and score must have the same length")
    edges = np.unique(np.quantile(ss, np.linspace(0, 1, n_groups + 1)[1:-1]))
    group = np.searchsorted(edges, ss, side="right")
    rows: list[CalibrationRow] = []
    for g in range(len(edges) + 1):
        m = group == g
        if not m.any():
            continue
        n = int(m.sum())
        nb = int(yy[m].sum())
        rows.append(
            CalibrationRow(
                group=len(rows) + 1,
                score_min=float(ss[m].min()),
                score_max=float(ss[m].max()),
                n=n,
                n_bad=nb,
                observed_bad_rate=nb / n,
                predicted_pd=float(pp[m].mean()),
            )
        )
    return rows


def hosmer_lemeshow(rows: Sequence[CalibrationRow]) -> float:
    """Hosmer-Lemeshow statistic of a calibration table (chi-square, groups - 2 df)."""
    stat = 0.0
    for r in rows:
        expected = r.n * r.predicted_pd
        if 0.0 < r.predicted_pd < 1.0:
            stat += (r.n_bad - expected) ** 2 / (expected * (1.0 - r.predicted_pd))
    return stat


@dataclass(frozen=True)
class PsiRow:
    label: str
    expected_n: int
    actual_n: int
    expected_share: float
    actual_share: float
    contribution: float


@dataclass(frozen=True)
class PsiResult:
    value: float
    rows: list[PsiRow]

    @property
    def status(self) -> str:
        return "stable" if self.value < 0.1 else "watch" if self.value < 0.25 else "shift"


def psi_from_counts(
    expected: Sequence[int] | np.ndarray,
    actual: Sequence[int] | np.ndarray,
    labels: Sequence[str] | None = None,
    floor: float = PSI_FLOOR,
) -> PsiResult:
    """PSI between two histograms over the same bins."""
    e = np.asarray(expected, dtype=np.float64)
    a = np.asarray(actual, dtype=np.float64)
    if e.shape != a.shape or e.ndim != 1:
        raise ValueError("expected and actual need the same bins")
    if e.sum() <= 0 or a.sum() <= 0:
        raise ValueError("PSI needs non-empty distributions")
    es = e / e.sum()
    acs = a / a.sum()
    ef = np.maximum(es, floor)
    af = np.maximum(acs, floor)
    contrib = (af - ef) * np.log(af / ef)
    names = list(labels) if labels is not None else [str(i + 1) for i in range(len(e))]
    rows = [
        PsiRow(names[i], int(e[i]), int(a[i]), float(es[i]), float(acs[i]), float(contrib[i]))
        for i in range(len(e))
    ]
    return PsiResult(value=float(contrib.sum()), rows=rows)


def quantile_edges(values: npt.ArrayLike, n_bins: int = 10) -> np.ndarray:
    """Inner bin edges at the quantiles of ``values`` (duplicates removed)."""
    v = np.asarray(values, dtype=np.float64)
    return np.unique(np.quantile(v, np.linspace(0, 1, n_bins + 1)[1:-1]))


def psi(
    expected: npt.ArrayLike,
    actual: npt.ArrayLike,
    bins: int | Sequence[float] = 10,
    floor: float = PSI_FLOOR,
) -> PsiResult:
    """PSI between two score samples. ``bins``: a number of quantile bins of ``expected``,
    or the inner edges; bins are right-open ``[lo, hi)``."""
    e = np.asarray(expected, dtype=np.float64).ravel()
    a = np.asarray(actual, dtype=np.float64).ravel()
    edges = quantile_edges(e, bins) if isinstance(bins, int) else np.asarray(bins, dtype=float)
    k = len(edges) + 1
    ec = np.bincount(np.searchsorted(edges, e, side="right"), minlength=k)
    ac = np.bincount(np.searchsorted(edges, a, side="right"), minlength=k)
    bounds = ["-inf", *[format(x, ".6g") for x in edges], "inf"]
    labels = [f"[{bounds[i]}, {bounds[i + 1]})" for i in range(k)]
    return psi_from_counts(ec, ac, labels, floor)


def psi_per_feature(
    artifact: ScorecardArtifact, expected: Any, actual: Any, floor: float = PSI_FLOOR
) -> dict[str, PsiResult]:
    """PSI of each scorecard feature over its own bins (missing and unknown included)."""
    es = artifact.slot_indices(expected)
    acs = artifact.slot_indices(actual)
    out = {}
    for f in artifact.features:
        labels = [b.label for b in f.slots]
        k = len(labels)
        ec = np.bincount(es[f.name], minlength=k)
        ac = np.bincount(acs[f.name], minlength=k)
        keep = (ec + ac) > 0
        out[f.name] = psi_from_counts(
            ec[keep], ac[keep], [lab for lab, kp in zip(labels, keep, strict=True) if kp], floor
        )
    return out


# --------------------------------------------------------------------------- report


@dataclass(frozen=True)
class HistogramBin:
    lower: float
    upper: float
    goods: int
    bads: int


@dataclass(frozen=True)
class FeatureSummary:
    name: str
    kind: str
    iv: float
    coefficient: float
    n_bins: int
    min_points: int
    max_points: int
    psi: float | None = None


@dataclass(frozen=True)
class ValidationReport:
    model_id: str
    version: str
    dataset: str
    created_at: datetime
    n: int
    n_bad: int
    auc: float
    gini: float
    ks: float
    ks_threshold: float
    mean_pd: float
    hosmer_lemeshow: float
    roc: list[CurvePoint]
    ks_curve: list[KsPoint]
    calibration: list[CalibrationRow]
    score_histogram: list[HistogramBin]
    features: list[FeatureSummary]
    score_psi: PsiResult | None = None
    feature_psi: dict[str, PsiResult] = field(default_factory=dict)
    reference: str | None = None  # the sample PSI compares against
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def bad_rate(self) -> float:
        return self.n_bad / self.n if self.n else 0.0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["created_at"] = self.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
        d["bad_rate"] = self.bad_rate
        return d


def score_histogram(
    y: npt.ArrayLike, points: npt.ArrayLike, width: float = 20.0
) -> list[HistogramBin]:
    yy, ss = _arrays(y, points)
    lo = math.floor(float(ss.min()) / width) * width
    hi = math.floor(float(ss.max()) / width) * width + width
    n_bins = max(1, round((hi - lo) / width))
    idx = np.minimum(((ss - lo) // width).astype(np.int64), n_bins - 1)
    bads = np.bincount(idx, weights=yy, minlength=n_bins).astype(np.int64)
    total = np.bincount(idx, minlength=n_bins)
    return [
        HistogramBin(lo + i * width, lo + (i + 1) * width, int(total[i] - bads[i]), int(bads[i]))
        for i in range(n_bins)
    ]


def build_validation_report(
    artifact: ScorecardArtifact,
    data: Any,
    y: npt.ArrayLike,
    *,
    dataset: str,
    created_at: datetime,
    reference_data: Any = None,
    reference_name: str | None = None,
    extra: Mapping[str, Any] | None = None,
    n_groups: int = 10,
) -> ValidationReport:
    """Score ``data`` with the artifact and measure it against the outcomes ``y``.

    ``reference_data`` (usually the development sample) enables score and feature PSI.
    """
    scores = artifact.score_frame(data)
    yy = np.asarray(y).astype(np.int64)
    points = scores.points.astype(np.float64)
    risk = -points  # fewer points = riskier
    cal = calibration_table(yy, scores.pd, points, n_groups)
    ks_res = ks(yy, points)
    score_psi = None
    feature_psi: dict[str, PsiResult] = {}
    if reference_data is not None:
        ref_points = artifact.score_frame(reference_data).points.astype(np.float64)
        score_psi = psi(ref_points, points)
        feature_psi = psi_per_feature(artifact, reference_data, data)
    features = [
        FeatureSummary(
            name=f.name,
            kind=f.kind,
            iv=f.iv,
            coefficient=f.coefficient,
            n_bins=len(f.bins),
            min_points=f.min_points,
            max_points=f.max_points,
            psi=feature_psi[f.name].value if f.name in feature_psi else None,
        )
        for f in artifact.features
    ]
    a = auc(yy, risk)
    return ValidationReport(
        model_id=artifact.model_id,
        version=artifact.version,
        dataset=dataset,
        created_at=created_at,
        n=len(yy),
        n_bad=int(yy.sum()),
        auc=a,
        gini=2.0 * a - 1.0,
        ks=ks_res.ks,
        ks_threshold=ks_res.threshold,
        mean_pd=float(np.mean(scores.pd)),
        hosmer_lemeshow=hosmer_lemeshow(cal),
        roc=roc_curve(yy, risk),
        ks_curve=ks_curve(yy, points),
        calibration=cal,
        score_histogram=score_histogram(yy, points, width=float(artifact.scaling.pdo)),
        features=features,
        score_psi=score_psi,
        feature_psi=feature_psi,
        reference=reference_name if reference_data is not None else None,
        extra=dict(extra or {}),
    )
