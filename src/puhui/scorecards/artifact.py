"""The scorecard artifact: a self-contained JSON document and its run-time scorer.

The artifact carries everything needed to score an application: for each feature its bins
(numeric split points, or groups of categories), a bin for missing values, the points of
every bin, the base points, the points scaling and the score -> PD calibration. Scoring is
pure Python (``bisect`` and dict look-ups): no optbinning, no scikit-learn, no pandas.
``score`` is on the hot path of a credit decision; ``score_frame`` (numpy) is for batches.

Bin semantics
-------------
* numeric: ``splits`` s_1 < ... < s_k make k + 1 right-open bins
  ``[-inf, s_1), [s_1, s_2), ..., [s_k, inf)``; a value ``x`` falls in bin
  ``bisect_right(splits, x)`` (the convention of optbinning and ``np.digitize``).
* categorical: each bin lists its categories; values are compared as text after
  :func:`category_key` (``3``, ``3.0`` and ``"3"`` are the same category).
* missing (``None``, NaN, ``+-inf``, blank text): the ``missing`` bin. When training saw
  no missing values for a feature its missing bin has WOE 0 and 0 points (neutral). A
  non-finite number is not a measurement: training reads it as missing too, so both sides
  agree (it used to raise in training and land in the top bin at scoring).
* an absent key (or an absent column of a batch) is refused with
  :class:`~puhui.scorecards.errors.MissingFeatures` naming every absent feature: a caller
  that forgot a column must not be scored as if each applicant had left it blank.
* a category never seen in training: the ``unknown`` bin. It is neutral (0 points) unless
  training grouped rare categories (see :mod:`puhui.scorecards.scorecard`): then unseen
  categories score like the rare group, the population they resemble.

PD
--
``pd = 1 / (1 + exp(-(calibration.intercept + calibration.slope * points)))``, from the
integer score, so the score and the PD shown to a person always agree. With the logistic
calibration of the fitted model (the default) intercept = offset / factor and
slope = -1 / factor. ``score_exact`` (the sum of unrounded bin points) is kept for diagnostics.

Reason codes
------------
Each feature's points lost against the best points it could have given
(``max_points - points``); the features that lost most come first.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import repeat
from typing import Any, Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from puhui.scorecards.errors import InvalidArtifact, InvalidFeatureValue, MissingFeatures
from puhui.scorecards.scaling import PointsScaling, sigmoid

FORMAT = "puhui.scorecard"
FORMAT_VERSION = 1
MISSING_LABEL = "Missing"
UNKNOWN_LABEL = "Unknown"

FeatureKind = Literal["numeric", "categorical"]
_ABSENT = object()


# --------------------------------------------------------------------------- values


def is_missing(value: object) -> bool:
    """None, NaN, pandas NA and blank text count as missing."""
    if value is None:
        return True
    if isinstance(value, float):
        return value != value
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, int):
        return False
    try:
        return bool(value != value)
    except (TypeError, ValueError):  # pandas.NA: its truth value is ambiguous
        return True


def category_key(value: object) -> str | None:
    """The text a categorical value is matched by; None when the value is missing.

    Integral floats lose their ``.0`` so that a category column read as float (because of a
    NaN) matches the same column read as int.
    """
    if is_missing(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, np.generic):
        return category_key(value.item())
    return str(value)


def numeric_value(value: object, feature: str = "") -> float | None:
    """A numeric feature value as float; None when missing."""
    if value is None:
        return None
    if isinstance(value, float):
        return None if value - value != 0.0 else value  # NaN and +-inf are missing
    if isinstance(value, int):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            x = float(text)
        except ValueError:
            raise InvalidFeatureValue(feature, value=value) from None
    else:
        try:
            x = float(value)  # type: ignore[arg-type]  # Decimal, numpy scalars
        except (TypeError, ValueError):
            if is_missing(value):
                return None
            raise InvalidFeatureValue(feature, value=value) from None
    return None if x - x != 0.0 else x


def format_number(x: float) -> str:
    return format(x, ".10g")


# --------------------------------------------------------------------------- document


@dataclass(frozen=True, slots=True)
class Calibration:
    """Score -> PD: logit(pd) = intercept + slope * points."""

    intercept: float
    slope: float
    method: Literal["logistic"] = "logistic"

    @classmethod
    def from_scaling(cls, scaling: PointsScaling) -> Calibration:
        """The calibration implied by the scaling of a fitted logistic model."""
        return cls(intercept=scaling.offset / scaling.factor, slope=-1.0 / scaling.factor)

    def pd(self, points: float) -> float:
        return sigmoid(self.intercept + self.slope * points)

    def pd_array(self, points: npt.ArrayLike) -> np.ndarray:
        z = self.intercept + self.slope * np.asarray(points, dtype=np.float64)
        out: np.ndarray = 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1/(1+e^-z), stable
        return out


@dataclass(frozen=True, slots=True)
class ScorecardBin:
    label: str
    points: int
    woe: float
    n: int = 0
    n_bad: int = 0
    lower: float | None = None  # numeric: inclusive lower edge (None = -inf)
    upper: float | None = None  # numeric: exclusive upper edge (None = +inf)
    categories: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "label": self.label,
            "points": self.points,
            "woe": self.woe,
            "n": self.n,
            "n_bad": self.n_bad,
        }
        if self.lower is not None or self.upper is not None:
            out["lower"] = self.lower
            out["upper"] = self.upper
        if self.categories:
            out["categories"] = list(self.categories)
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ScorecardBin:
        return cls(
            label=str(d["label"]),
            points=_as_int(d["points"], "points"),
            woe=float(d.get("woe", 0.0)),
            n=int(d.get("n", 0)),
            n_bad=int(d.get("n_bad", 0)),
            lower=None if d.get("lower") is None else float(d["lower"]),
            upper=None if d.get("upper") is None else float(d["upper"]),
            categories=tuple(str(c) for c in d.get("categories", ())),
        )


@dataclass(frozen=True, slots=True)
class FeatureScorecard:
    """One feature of the scorecard: its bins and their points."""

    name: str
    kind: FeatureKind
    coefficient: float
    iv: float
    bins: tuple[ScorecardBin, ...]
    missing: ScorecardBin
    unknown: ScorecardBin = field(
        default_factory=lambda: ScorecardBin(label=UNKNOWN_LABEL, points=0, woe=0.0)
    )
    splits: tuple[float, ...] = ()
    reason_code: str = ""  # defaults to the feature name

    def __post_init__(self) -> None:
        if not self.reason_code:
            object.__setattr__(self, "reason_code", self.name)

    @property
    def slots(self) -> tuple[ScorecardBin, ...]:
        """Bins in slot order: the regular bins, then missing, then unknown."""
        return (*self.bins, self.missing, self.unknown)

    @property
    def max_points(self) -> int:
        return max(b.points for b in self.slots)

    @property
    def min_points(self) -> int:
        return min(b.points for b in self.slots)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "reason_code": self.reason_code or self.name,
            "coefficient": self.coefficient,
            "iv": self.iv,
        }
        if self.kind == "numeric":
            out["splits"] = list(self.splits)
        out["bins"] = [b.to_dict() for b in self.bins]
        out["missing"] = self.missing.to_dict()
        out["unknown"] = self.unknown.to_dict()
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FeatureScorecard:
        kind = d.get("kind")
        if kind not in ("numeric", "categorical"):
            raise InvalidArtifact(reason=f"feature {d.get('name')!r}: unknown kind {kind!r}")
        unknown = d.get("unknown")
        return cls(
            name=str(d["name"]),
            kind=kind,
            coefficient=float(d.get("coefficient", 0.0)),
            iv=float(d.get("iv", 0.0)),
            bins=tuple(ScorecardBin.from_dict(b) for b in d["bins"]),
            missing=ScorecardBin.from_dict(d["missing"]),
            unknown=(
                ScorecardBin.from_dict(unknown)
                if unknown is not None
                else ScorecardBin(label=UNKNOWN_LABEL, points=0, woe=0.0)
            ),
            splits=tuple(float(s) for s in d.get("splits", ())),
            reason_code=str(d.get("reason_code") or d["name"]),
        )

    def validate(self) -> None:
        where = f"feature {self.name!r}"
        if not self.bins:
            raise InvalidArtifact(reason=f"{where} has no bins")
        if self.kind == "numeric":
            if len(self.bins) != len(self.splits) + 1:
                raise InvalidArtifact(
                    reason=f"{where}: {len(self.splits)} splits need {len(self.splits) + 1} bins"
                )
            if any(not math.isfinite(s) for s in self.splits) or any(
                a >= b for a, b in zip(self.splits, self.splits[1:], strict=False)
            ):
                raise InvalidArtifact(reason=f"{where}: splits must be finite and increasing")
        else:
            seen: set[str] = set()
            for b in self.bins:
                if not b.categories:
                    raise InvalidArtifact(reason=f"{where}: bin {b.label!r} has no categories")
                overlap = seen.intersection(b.categories)
                if overlap:
                    raise InvalidArtifact(
                        reason=f"{where}: categories {sorted(overlap)} appear in two bins"
                    )
                seen.update(b.categories)


# --------------------------------------------------------------------------- results


class FeatureContribution(NamedTuple):
    """One feature's share of a score (a tuple: cheap to build on the hot path)."""

    feature: str
    bin: str
    points: int
    max_points: int

    @property
    def points_lost(self) -> int:
        return self.max_points - self.points


class ReasonCode(NamedTuple):
    """Why a score is lower, one feature: the same structure for every model.

    ``points_lost``: the points the feature cost (scorecard: its best bin's points minus the
    applicant's; challenger: its TreeSHAP share in points). ``contribution``: the same in
    log-odds of bad. ``bin``: the scorecard bin the value fell in ("" for the challenger).
    ``threshold`` and ``better``: where meaningful, the edge the value would have to cross and
    the direction ("higher"/"lower") that would give more points; else None.
    """

    code: str
    feature: str
    bin: str
    points_lost: int
    value: object = None
    contribution: float = 0.0
    threshold: float | None = None
    better: Literal["higher", "lower"] | None = None

    def to_dict(self) -> dict[str, Any]:
        value = self.value
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float) and value - value != 0.0:
            value = None  # NaN / inf: not JSON
        elif value is not None and not isinstance(value, str | int | float):
            value = str(value)  # Decimal and the like
        return {
            "code": self.code,
            "feature": self.feature,
            "value": value,
            "bin": self.bin,
            "points_lost": self.points_lost,
            "contribution": self.contribution,
            "threshold": self.threshold,
            "better": self.better,
        }


@dataclass(frozen=True, slots=True)
class ScoreResult:
    points: int
    pd: float
    base_points: int
    contributions: tuple[FeatureContribution, ...]
    reasons: tuple[ReasonCode, ...]
    score_exact: float  # unrounded points: diagnostics only

    def to_dict(self) -> dict[str, Any]:
        return {
            "points": self.points,
            "pd": self.pd,
            "base_points": self.base_points,
            "contributions": [
                {"feature": c.feature, "bin": c.bin, "points": c.points, "max_points": c.max_points}
                for c in self.contributions
            ],
            "reasons": [r.to_dict() for r in self.reasons],
        }


@dataclass(frozen=True)
class FrameScores:
    """Scores of a batch: one entry per row."""

    points: np.ndarray  # int64
    pd: np.ndarray  # float64
    score_exact: np.ndarray  # float64
    feature_points: dict[str, np.ndarray]  # int64 per feature
    slots: dict[str, np.ndarray]  # bin slot per feature: bins, then missing, then unknown


# --------------------------------------------------------------------------- compiled


class _Compiled:
    """A feature prepared for fast scoring: slots are bins, then missing, then unknown."""

    __slots__ = (
        "categories",
        "exact",
        "hints",
        "is_numeric",
        "labels",
        "max_points",
        "missing_slot",
        "name",
        "points",
        "reason_code",
        "splits",
        "unknown_slot",
    )

    def __init__(self, f: FeatureScorecard, factor: float) -> None:
        slots = f.slots
        self.name = f.name
        self.reason_code = f.reason_code or f.name
        self.is_numeric = f.kind == "numeric"
        self.splits = list(f.splits)
        self.categories = {c: i for i, b in enumerate(f.bins) for c in b.categories}
        self.points = [b.points for b in slots]
        self.exact = [-factor * f.coefficient * b.woe for b in slots]
        self.labels = [b.label for b in slots]
        self.max_points = max(self.points)
        self.missing_slot = len(f.bins)
        self.unknown_slot = len(f.bins) + 1
        self.hints = _hints(f, factor)

    def locate(self, value: object) -> int:
        if self.is_numeric:
            # fast path for the common case; numeric_value handles everything else
            x = value if type(value) is float else numeric_value(value, self.name)
            if x is None or x - x != 0.0:  # None, NaN, +-inf
                return self.missing_slot
            return bisect.bisect_right(self.splits, x)
        key = value if type(value) is str and value.strip() else category_key(value)
        if key is None:
            return self.missing_slot
        return self.categories.get(key, self.unknown_slot)

    def locate_array(self, column: Any, n: int) -> np.ndarray:
        if column is None:
            return np.full(n, self.missing_slot, dtype=np.int64)
        if self.is_numeric:
            x = float_column(column, self.name)
            out = np.searchsorted(np.asarray(self.splits, dtype=np.float64), x, side="right")
            out[~np.isfinite(x)] = self.missing_slot
            return out.astype(np.int64, copy=False)
        values = object_column(column)
        cats = self.categories
        # fast path: text found as is; everything else (missing, unknown, numbers) goes
        # through locate()
        try:
            out = np.array(list(map(cats.get, values, repeat(-1))), dtype=np.int64)
        except TypeError:  # an unhashable value
            out = np.full(len(values), -1, dtype=np.int64)
        for i in np.flatnonzero(out < 0).tolist():
            out[i] = self.locate(values[i])
        return out


def _hints(
    f: FeatureScorecard, factor: float
) -> list[tuple[float, float | None, Literal["higher", "lower"] | None]]:
    """Per slot: log-odds lost against the best slot, and for a numeric bin the edge to cross
    towards the best regular bin and the direction ("higher"/"lower"); None elsewhere."""
    slots = f.slots
    best_points = max(b.points for b in slots)
    regular = [b.points for b in f.bins]
    best_bin = regular.index(max(regular)) if regular else 0
    out: list[tuple[float, float | None, Literal["higher", "lower"] | None]] = []
    for i, b in enumerate(slots):
        lost = (best_points - b.points) / factor if factor else 0.0
        if f.kind != "numeric" or i >= len(f.bins) or i == best_bin:
            out.append((lost, None, None))
        elif best_bin > i:
            out.append((lost, f.splits[i], "higher"))
        else:
            out.append((lost, f.splits[i - 1], "lower"))
    return out


def object_column(column: Any) -> list[Any]:
    if hasattr(column, "to_list"):
        return list(column.to_list())
    return list(np.asarray(column, dtype=object).tolist())


def float_column(column: Any, name: str) -> np.ndarray:
    if hasattr(column, "to_numpy"):
        try:
            arr = column.to_numpy(dtype=np.float64, na_value=np.nan)
        except TypeError:  # polars: no na_value; nulls become NaN for float dtypes
            arr = column.to_numpy()
        except (ValueError, AttributeError):
            arr = np.asarray(object_column(column), dtype=object)
    else:
        arr = np.asarray(column)
    if arr.dtype.kind in "fiub":
        out = arr.astype(np.float64, copy=True)
        out[~np.isfinite(out)] = np.nan  # +-inf is missing, as in numeric_value
        return out
    return np.array(
        [np.nan if (x := numeric_value(v, name)) is None else x for v in arr.tolist()],
        dtype=np.float64,
    )


def frame_len(data: Any) -> int:
    if hasattr(data, "shape"):
        return int(data.shape[0])
    for value in data.values():
        return len(value)
    return 0


def has_column(data: Any, name: str) -> bool:
    columns = getattr(data, "columns", None)
    if columns is not None:
        return name in list(columns)
    return name in data


# --------------------------------------------------------------------------- artifact


@dataclass(frozen=True)
class ScorecardArtifact:
    """A versioned, self-contained points scorecard."""

    model_id: str
    version: str
    created_at: datetime
    target: str
    scaling: PointsScaling
    intercept: float
    base_points: int
    calibration: Calibration
    features: tuple[FeatureScorecard, ...]
    training: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    _compiled: tuple[_Compiled, ...] = field(init=False, repr=False, compare=False)
    _base_exact: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.created_at.tzinfo is None:
            raise InvalidArtifact(reason="created_at must carry a time zone")
        names = [f.name for f in self.features]
        if len(set(names)) != len(names):
            raise InvalidArtifact(reason="duplicate feature names")
        for f in self.features:
            f.validate()
        factor = self.scaling.factor
        object.__setattr__(self, "_compiled", tuple(_Compiled(f, factor) for f in self.features))
        object.__setattr__(self, "_base_exact", self.scaling.offset - factor * self.intercept)

    # ----------------------------------------------------------------- scoring

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]

    @property
    def min_points(self) -> int:
        return self.base_points + sum(f.min_points for f in self.features)

    @property
    def max_points(self) -> int:
        return self.base_points + sum(f.max_points for f in self.features)

    def score(self, features: Mapping[str, object], *, max_reasons: int = 4) -> ScoreResult:
        """Score one application. A key with no value (None, NaN, blank) is a missing value;
        an absent key is refused (:class:`MissingFeatures`)."""
        total = self.base_points
        exact = self._base_exact
        contributions: list[FeatureContribution] = []
        lost: list[tuple[int, int, _Compiled, int]] = []
        get = features.get
        for i, f in enumerate(self._compiled):
            value = get(f.name, _ABSENT)
            if value is _ABSENT:
                raise MissingFeatures(self.absent_features(features))
            slot = f.locate(value)
            p = f.points[slot]
            total += p
            exact += f.exact[slot]
            contributions.append(FeatureContribution(f.name, f.labels[slot], p, f.max_points))
            if p < f.max_points:
                lost.append((p - f.max_points, i, f, slot))
        lost.sort()
        reasons = tuple(
            ReasonCode(f.reason_code, f.name, f.labels[slot], -neg, get(f.name), *f.hints[slot])
            for neg, _, f, slot in lost[:max_reasons]
        )
        return ScoreResult(
            points=total,
            pd=self.calibration.pd(total),
            base_points=self.base_points,
            contributions=tuple(contributions),
            reasons=reasons,
            score_exact=exact,
        )

    def absent_features(self, data: Any) -> list[str]:
        """The features of the model that ``data`` (a mapping or a frame) lacks."""
        return [f.name for f in self._compiled if not has_column(data, f.name)]

    def slot_indices(self, data: Any) -> dict[str, np.ndarray]:
        """Bin slot of every row per feature (bins, then missing, then unknown); an absent
        column is refused (:class:`MissingFeatures`)."""
        absent = self.absent_features(data)
        if absent:
            raise MissingFeatures(absent)
        n = frame_len(data)
        return {f.name: f.locate_array(data[f.name], n) for f in self._compiled}

    def score_frame(self, data: Any) -> FrameScores:
        """Score a batch: a pandas or polars DataFrame, or a mapping of column -> values."""
        slots = self.slot_indices(data)
        n = frame_len(data)
        points = np.full(n, self.base_points, dtype=np.int64)
        exact = np.full(n, self._base_exact, dtype=np.float64)
        feature_points: dict[str, np.ndarray] = {}
        for f in self._compiled:
            s = slots[f.name]
            p = np.asarray(f.points, dtype=np.int64)[s]
            feature_points[f.name] = p
            points += p
            exact += np.asarray(f.exact, dtype=np.float64)[s]
        return FrameScores(
            points=points,
            pd=self.calibration.pd_array(points),
            score_exact=exact,
            feature_points=feature_points,
            slots=slots,
        )

    # ----------------------------------------------------------------- JSON

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "model_id": self.model_id,
            "version": self.version,
            "created_at": self.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "description": self.description,
            "target": self.target,
            "scaling": {
                "pdo": self.scaling.pdo,
                "base_points": self.scaling.base_points,
                "base_odds": self.scaling.base_odds,
                "factor": self.scaling.factor,
                "offset": self.scaling.offset,
                "formula": "score = offset + factor * ln(odds_good); "
                "factor = pdo / ln 2; offset = base_points - factor * ln(base_odds)",
            },
            "intercept": self.intercept,
            "base_points": self.base_points,
            "calibration": {
                "method": self.calibration.method,
                "intercept": self.calibration.intercept,
                "slope": self.calibration.slope,
                "formula": "pd = 1 / (1 + exp(-(intercept + slope * points)))",
            },
            "features": [f.to_dict() for f in self.features],
            "training": dict(self.training),
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent, allow_nan=False)

    def content_hash(self) -> str:
        """sha256 of the canonical JSON form (sorted keys, no whitespace)."""
        canonical = json.dumps(
            self.to_dict(),
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
            allow_nan=False,
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ScorecardArtifact:
        if d.get("format") != FORMAT:
            raise InvalidArtifact(reason=f"format {d.get('format')!r} is not {FORMAT!r}")
        if d.get("format_version") != FORMAT_VERSION:
            raise InvalidArtifact(
                reason=f"format_version {d.get('format_version')!r} "
                f"is not supported (expected {FORMAT_VERSION})"
            )
        try:
            s = d["scaling"]
            c = d["calibration"]
            if c.get("method", "logistic") != "logistic":
                raise InvalidArtifact(reason=f"unknown calibration {c.get('method')!r}")
            created = datetime.fromisoformat(str(d["created_at"]).replace("Z", "+00:00"))
            return cls(
                model_id=str(d["model_id"]),
                version=str(d["version"]),
                created_at=created,
                description=str(d.get("description", "")),
                target=str(d["target"]),
                scaling=PointsScaling(
                    pdo=float(s["pdo"]),
                    base_points=float(s["base_points"]),
                    base_odds=float(s["base_odds"]),
                ),
                intercept=float(d["intercept"]),
                base_points=_as_int(d["base_points"], "base_points"),
                calibration=Calibration(intercept=float(c["intercept"]), slope=float(c["slope"])),
                features=tuple(FeatureScorecard.from_dict(f) for f in d["features"]),
                training=dict(d.get("training", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidArtifact(reason=f"{type(exc).__name__}: {exc}") from exc

    @classmethod
    def from_json(cls, text: str | bytes) -> ScorecardArtifact:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidArtifact(reason=f"not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise InvalidArtifact(reason="the document is not a JSON object")
        return cls.from_dict(data)


def _as_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise InvalidArtifact(reason=f"{name} must be an integer, got {value!r}")
    return int(value)


def numeric_bin_label(lower: float | None, upper: float | None) -> str:
    lo = "-inf" if lower is None else format_number(lower)
    hi = "inf" if upper is None else format_number(upper)
    return f"[{lo}, {hi})"


def numeric_bins_from_splits(splits: Sequence[float]) -> list[tuple[float | None, float | None]]:
    edges: list[float | None] = [None, *splits, None]
    return [(edges[i], edges[i + 1]) for i in range(len(splits) + 1)]


def feature_slots(feature: FeatureScorecard, column: Any, n: int) -> np.ndarray:
    """Bin slot (bins, then missing, then unknown) of each value of ``column``."""
    return _Compiled(feature, 1.0).locate_array(column, n)
