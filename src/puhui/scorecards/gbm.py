"""The challenger: gradient-boosted trees (LightGBM), calibrated, with per-decision reasons.

Training (:func:`fit_gbm`), on the same columns and target as the scorecard:

1. **Rows in canonical order** (:func:`~puhui.scorecards.binning.canonical_order`) and
   LightGBM's ``deterministic`` mode with a fixed seed and 2 threads, row-wise histograms: the
   same rows in any order give the same artifact, byte for byte.
2. **Encoding.** Numeric columns as they are (NaN and +-inf are missing; LightGBM learns where
   missing values go). Categorical columns as LightGBM categories after the scorecard's rare
   rule (:func:`~puhui.scorecards.binning.rare_levels`): a level with too few training rows, and
   any level unseen in training, is one code, the rare group. Native categorical splits on
   thousands of rare levels would leak exactly as the scorecard's binning did.
3. **Monotone constraints** where the business requires them (``GbmParams.monotone``:
   ``+1`` = a higher value may only raise the risk, ``-1`` = only lower it), e.g. more days
   overdue never makes an applicant safer.
4. **Honest validation and calibration together.** Stratified K-fold: in every fold the
   encoding and the trees are fitted on the fold's training rows; the held-out rows give the
   fold's AUC (``cv_auc`` is their mean) and their out-of-fold raw scores. Platt scaling (a
   logistic regression of bad on the out-of-fold raw score, two numbers) is fitted on those
   held-out scores, and the final trees on all rows. Platt, not isotonic: it keeps the ranking
   (no ties, so the AUC is the trees'), and two numbers are easy to audit.

The artifact (:class:`GbmArtifact`, format ``puhui.gbm``) is JSON like the scorecard's: the
encoding, the calibration, the LightGBM model text and the training record; it is saved and
loaded by the same registry. Scoring needs LightGBM (not scikit-learn).

**Reasons.** LightGBM's ``pred_contrib=True`` splits each raw score into one additive share per
feature (TreeSHAP) plus a bias. A share is in the trees' log-odds of bad; times the calibration
slope it is in calibrated log-odds, and times the points factor (``pdo / ln 2``) it is points:
"this feature cost the applicant N points". The features that cost most come first, in the same
:class:`~puhui.scorecards.artifact.ReasonCode` structure as the scorecard's.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np

from puhui.scorecards.artifact import (
    FeatureContribution,
    FeatureKind,
    ReasonCode,
    ScoreResult,
    category_key,
    float_column,
    frame_len,
    has_column,
    numeric_value,
    object_column,
)
from puhui.scorecards.binning import BinningParams, rare_levels
from puhui.scorecards.errors import InvalidArtifact, InvalidTrainingData, MissingFeatures
from puhui.scorecards.scaling import PointsScaling, sigmoid
from puhui.scorecards.validation import auc as auc_score

FORMAT = "puhui.gbm"
FORMAT_VERSION = 1
_ABSENT = object()


@dataclass(frozen=True)
class GbmParams:
    """LightGBM settings (modest trees, shrinkage, row and column sampling) and the rules."""

    max_rounds: int = 1000  # the number of trees is chosen by cross-validation, up to this
    learning_rate: float = 0.05
    num_leaves: int = 31
    min_child_samples: int = 40
    subsample: float = 0.8
    colsample_bytree: float = 0.8
    reg_lambda: float = 1.0
    cat_smooth: float = 10.0
    min_data_per_group: int = 50
    # 1 thread: measured on the 2-core build machine under load (8 parallel jobs), 300 trees
    # on 21,000 rows took 1.3 s with 1 thread and 34.6 s with 2 (OpenMP threads spin when
    # the cores are busy). Results are deterministic for a given thread count.
    threads: int = 1
    cv_folds: int = 5
    monotone: Mapping[str, int] = field(default_factory=dict)
    rare: BinningParams = field(default_factory=BinningParams)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["monotone"] = dict(sorted(self.monotone.items()))
        d["rare"] = {
            "min_category_count": self.rare.min_category_count,
            "min_category_share": self.rare.min_category_share,
        }
        return d

    def lightgbm(self, seed: int) -> dict[str, Any]:
        return {
            "objective": "binary",
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_data_in_leaf": self.min_child_samples,
            "bagging_fraction": self.subsample,
            "bagging_freq": 1,
            "feature_fraction": self.colsample_bytree,
            "lambda_l2": self.reg_lambda,
            "cat_smooth": self.cat_smooth,
            "min_data_per_group": self.min_data_per_group,
            "num_threads": self.threads,
            "deterministic": True,
            "force_row_wise": True,
            "seed": seed,
            "verbosity": -1,
        }


@dataclass(frozen=True)
class GbmFeature:
    """A column of the challenger: numeric, or categorical with its kept levels (code = index;
    the rare group, and any unseen level, is code ``len(levels)``)."""

    name: str
    kind: FeatureKind
    levels: tuple[str, ...] = ()
    monotone: int = 0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "monotone": self.monotone}
        if self.kind == "categorical":
            out["levels"] = list(self.levels)
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GbmFeature:
        kind = d.get("kind")
        if kind not in ("numeric", "categorical"):
            raise InvalidArtifact(reason=f"feature {d.get('name')!r}: unknown kind {kind!r}")
        return cls(
            name=str(d["name"]),
            kind=kind,
            levels=tuple(str(v) for v in d.get("levels", ())),
            monotone=int(d.get("monotone", 0)),
        )


class _Encoder:
    """Values -> the float matrix LightGBM reads (categorical codes as floats, NaN missing)."""

    def __init__(self, features: Sequence[GbmFeature]) -> None:
        self.features = tuple(features)
        self.codes = [{v: float(i) for i, v in enumerate(f.levels)} for f in self.features]

    def row(self, values: Mapping[str, object]) -> np.ndarray:
        out = np.empty((1, len(self.features)), dtype=np.float64)
        get = values.get
        for j, f in enumerate(self.features):
            v = get(f.name, _ABSENT)
            if v is _ABSENT:
                raise MissingFeatures([g.name for g in self.features if g.name not in values])
            out[0, j] = self._one(j, f, v)
        return out

    def _one(self, j: int, f: GbmFeature, v: object) -> float:
        if f.kind == "numeric":
            x = numeric_value(v, f.name)
            return math.nan if x is None else x
        key = category_key(v)
        if key is None:
            return math.nan
        return self.codes[j].get(key, float(len(f.levels)))

    def frame(self, data: Any) -> np.ndarray:
        absent = [f.name for f in self.features if not has_column(data, f.name)]
        if absent:
            raise MissingFeatures(absent)
        n = frame_len(data)
        out = np.empty((n, len(self.features)), dtype=np.float64)
        for j, f in enumerate(self.features):
            if f.kind == "numeric":
                out[:, j] = float_column(data[f.name], f.name)
            else:
                out[:, j] = [self._one(j, f, v) for v in object_column(data[f.name])]
        return out


@dataclass(frozen=True)
class GbmArtifact:
    """A versioned, self-contained challenger: encoding, trees (LightGBM text), calibration."""

    model_id: str
    version: str
    created_at: datetime
    target: str
    features: tuple[GbmFeature, ...]
    booster: str  # LightGBM model_to_string()
    calibration_intercept: float  # Platt: logit(pd) = a + b * raw score
    calibration_slope: float
    scaling: PointsScaling = field(default_factory=PointsScaling)
    training: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    _model: Any = field(init=False, repr=False, compare=False)
    _encoder: _Encoder = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.created_at.tzinfo is None:
            raise InvalidArtifact(reason="created_at must carry a time zone")
        import lightgbm

        try:
            model = lightgbm.Booster(model_str=self.booster)
        except Exception as exc:  # LightGBM raises its own LightGBMError
            raise InvalidArtifact(reason=f"the trees do not load: {exc}") from exc
        if model.num_feature() != len(self.features):
            raise InvalidArtifact(reason="the trees and the feature list disagree")
        object.__setattr__(self, "_model", model)
        object.__setattr__(self, "_encoder", _Encoder(self.features))

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]

    def pd_from_raw(self, raw: np.ndarray) -> np.ndarray:
        z = self.calibration_intercept + self.calibration_slope * raw
        return np.asarray(0.5 * (1.0 + np.tanh(0.5 * z)))

    def points_from_pd(self, pd: float) -> int:
        pd = min(max(pd, 1e-12), 1 - 1e-12)
        return math.floor(self.scaling.score_from_pd(pd) + 0.5)

    def predict_pd(self, data: Any) -> np.ndarray:
        """PD of every row of a batch (a pandas or polars frame, or a column mapping)."""
        raw = self._model.predict(self._encoder.frame(data), raw_score=True, num_threads=1)
        return self.pd_from_raw(np.asarray(raw, dtype=np.float64))

    def score(self, features: Mapping[str, object], *, max_reasons: int = 4) -> ScoreResult:
        """Score one application: PD, points on the scorecard's scale, and the features that
        cost most (their TreeSHAP share in points); an absent feature is refused."""
        x = self._encoder.row(features)
        contrib = np.asarray(
            self._model.predict(x, pred_contrib=True, num_threads=1), dtype=np.float64
        )[0]
        raw = float(contrib.sum())
        pd = sigmoid(self.calibration_intercept + self.calibration_slope * raw)
        factor = self.scaling.factor * self.calibration_slope
        lost = [round(factor * float(c)) for c in contrib[:-1]]  # points this feature cost
        contributions = tuple(
            FeatureContribution(f.name, "", -lost[j], 0) for j, f in enumerate(self.features)
        )
        order = sorted(
            (j for j in range(len(self.features)) if lost[j] > 0), key=lambda j: (-lost[j], j)
        )
        reasons = tuple(
            ReasonCode(
                self.features[j].name,
                self.features[j].name,
                "",
                lost[j],
                value=features.get(self.features[j].name),
                contribution=float(contrib[j]) * self.calibration_slope,
                better=_better(self.features[j].monotone),
            )
            for j in order[:max_reasons]
        )
        points = self.points_from_pd(pd)
        return ScoreResult(
            points=points,
            pd=pd,
            base_points=self.points_from_pd(
                sigmoid(self.calibration_intercept + self.calibration_slope * float(contrib[-1]))
            ),
            contributions=contributions,
            reasons=reasons,
            score_exact=self.scaling.score_from_pd(min(max(pd, 1e-12), 1 - 1e-12)),
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
            "features": [f.to_dict() for f in self.features],
            "calibration": {
                "method": "platt",
                "intercept": self.calibration_intercept,
                "slope": self.calibration_slope,
                "formula": "pd = 1 / (1 + exp(-(intercept + slope * raw_score)))",
            },
            "scaling": {
                "pdo": self.scaling.pdo,
                "base_points": self.scaling.base_points,
                "base_odds": self.scaling.base_odds,
            },
            "training": dict(self.training),
            "booster": self.booster,
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent, allow_nan=False)

    def content_hash(self) -> str:
        canonical = json.dumps(
            self.to_dict(), ensure_ascii=False, sort_keys=True, separators=(",", ":")
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GbmArtifact:
        if d.get("format") != FORMAT or d.get("format_version") != FORMAT_VERSION:
            raise InvalidArtifact(reason=f"not a {FORMAT} v{FORMAT_VERSION} document")
        try:
            c = d["calibration"]
            s = d.get("scaling") or {}
            return cls(
                model_id=str(d["model_id"]),
                version=str(d["version"]),
                created_at=datetime.fromisoformat(str(d["created_at"]).replace("Z", "+00:00")),
                description=str(d.get("description", "")),
                target=str(d["target"]),
                features=tuple(GbmFeature.from_dict(f) for f in d["features"]),
                booster=str(d["booster"]),
                calibration_intercept=float(c["intercept"]),
                calibration_slope=float(c["slope"]),
                scaling=PointsScaling(**{k: float(v) for k, v in s.items()}),
                training=dict(d.get("training", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidArtifact(reason=f"{type(exc).__name__}: {exc}") from exc

    @classmethod
    def from_json(cls, text: str | bytes) -> GbmArtifact:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidArtifact(reason=f"not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise InvalidArtifact(reason="the document is not a JSON object")
        return cls.from_dict(data)


def _better(monotone: int) -> Literal["higher", "lower"] | None:
    """Which way the value would have to move to lower the risk (monotone features only)."""
    return "lower" if monotone > 0 else "higher" if monotone < 0 else None


# --------------------------------------------------------------------------- training


def encode_features(
    columns: Mapping[str, np.ndarray],
    kinds: Mapping[str, FeatureKind],
    params: GbmParams,
) -> tuple[GbmFeature, ...]:
    """The encoding fitted on training columns: kept levels (sorted) per categorical."""
    out = []
    for name, x in columns.items():
        if kinds[name] == "numeric":
            out.append(GbmFeature(name, "numeric", monotone=int(params.monotone.get(name, 0))))
            continue
        rare = rare_levels(x, params.rare)
        kept = sorted({v for v in x.tolist() if isinstance(v, str)} - rare)
        out.append(GbmFeature(name, "categorical", tuple(kept)))
    return tuple(out)


def _train_trees(
    columns: Mapping[str, np.ndarray],
    y: np.ndarray,
    kinds: Mapping[str, FeatureKind],
    params: GbmParams,
    seed: int,
    rounds: int,
    held_out: tuple[Mapping[str, np.ndarray], np.ndarray] | None = None,
) -> tuple[tuple[GbmFeature, ...], Any, list[float]]:
    """Encoding and trees fitted on ``columns``; with ``held_out`` rows, also their AUC after
    every round (LightGBM computes it incrementally)."""
    import lightgbm

    feats = encode_features(columns, kinds, params)
    encoder = _Encoder(feats)
    cats = [j for j, f in enumerate(feats) if f.kind == "categorical"]
    lp = params.lightgbm(seed)
    lp["monotone_constraints"] = [f.monotone for f in feats]
    lp["metric"] = "auc"
    dataset_params = {"verbosity": -1, "max_bin": 255, "min_data_in_bin": 3}
    data = lightgbm.Dataset(
        encoder.frame(columns),
        label=y,
        feature_name=[f.name for f in feats],
        categorical_feature=cats,
        params=dataset_params,
        free_raw_data=True,
    )
    record: dict[str, Any] = {}
    valid = []
    if held_out is not None:
        valid = [
            lightgbm.Dataset(
                encoder.frame(held_out[0]),
                label=held_out[1],
                reference=data,
                params=dataset_params,
            )
        ]
    booster = lightgbm.train(
        lp,
        data,
        num_boost_round=rounds,
        valid_sets=valid,
        valid_names=["held_out"] if valid else None,
        callbacks=[lightgbm.record_evaluation(record)] if valid else None,
    )
    curve = [float(v) for v in record.get("held_out", {}).get("auc", [])]
    return feats, booster, curve


def _raw(
    features: tuple[GbmFeature, ...],
    booster: Any,
    columns: Mapping[str, Any],
    rounds: int | None = None,
) -> np.ndarray:
    x = _Encoder(features).frame(columns)
    return np.asarray(booster.predict(x, raw_score=True, num_iteration=rounds), dtype=np.float64)


def _best_rounds(curves: list[list[float]]) -> int:
    """The fewest rounds whose mean held-out AUC is within 0.0005 of the best mean."""
    mean = np.mean(np.array(curves), axis=0)
    return int(np.flatnonzero(mean >= mean.max() - 0.0005)[0]) + 1


def _platt(raw: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e6, solver="lbfgs", max_iter=1000)
    lr.fit(raw.reshape(-1, 1), y)
    return float(lr.intercept_[0]), float(lr.coef_[0][0])


@dataclass(frozen=True)
class FittedGbm:
    artifact: GbmArtifact
    cv_auc: float
    cv_auc_std: float
    train_auc: float


def fit_gbm(
    df: Any,
    target: str,
    features: Sequence[str],
    *,
    categorical: Sequence[str] = (),
    seed: int,
    created_at: datetime,
    model_id: str = "challenger",
    version: str = "1",
    params: GbmParams | None = None,
    bad_value: object = None,
    description: str = "",
) -> FittedGbm:
    """Fit the challenger (see the module docstring); 1 (or ``bad_value``) = bad."""
    from sklearn.model_selection import StratifiedKFold

    from puhui.scorecards.scorecard import (
        _kinds,
        _library_versions,
        data_fingerprint,
        target_vector,
        training_columns,
    )

    p = params or GbmParams()
    if target in features:
        raise InvalidTrainingData(reason="the target cannot be a feature")
    kinds = _kinds(features, categorical)
    bad = [f for f, m in p.monotone.items() if f in kinds and kinds[f] != "numeric" and m]
    if bad:
        raise InvalidTrainingData(reason=f"monotone constraints on categorical {sorted(bad)}")
    columns, y = training_columns(df, target, features, kinds, bad_value)
    skf = StratifiedKFold(n_splits=p.cv_folds, shuffle=True, random_state=seed)
    folds = []
    for tr, va in skf.split(np.zeros(len(y)), y):
        part = {f: x[tr] for f, x in columns.items()}
        held = {f: x[va] for f, x in columns.items()}
        feats, booster, curve = _train_trees(part, y[tr], kinds, p, seed, p.max_rounds,
                                             (held, y[va]))  # fmt: skip
        folds.append((va, held, feats, booster, curve))
    rounds = _best_rounds([f[4] for f in folds])
    oof = np.zeros(len(y))
    aucs = []
    for va, held, feats, booster, _ in folds:
        oof[va] = _raw(feats, booster, held, rounds)
        aucs.append(auc_score(y[va], oof[va]))
    intercept, slope = _platt(oof, y)
    feats, booster, _ = _train_trees(columns, y, kinds, p, seed, rounds)
    train_auc = auc_score(y, _raw(feats, booster, columns))
    training = {
        "fingerprint": data_fingerprint(df, list(features), target_vector(df, target, bad_value)),
        "seed": seed,
        "params": p.to_dict(),
        "cv_auc": float(np.mean(aucs)),
        "cv_auc_std": float(np.std(aucs)),
        "rounds": rounds,
        "cv": f"encoding and trees refitted in each of {p.cv_folds} stratified folds; the "
        "number of trees by the folds' mean held-out AUC; Platt calibration on the "
        "out-of-fold raw scores",
        "train_auc": train_auc,
        "library": {**_library_versions(), "lightgbm": _version("lightgbm")},
    }
    artifact = GbmArtifact(
        model_id=model_id,
        version=version,
        created_at=created_at,
        target=target,
        features=feats,
        booster=booster.model_to_string(),
        calibration_intercept=intercept,
        calibration_slope=slope,
        training=training,
        description=description,
    )
    return FittedGbm(artifact, float(np.mean(aucs)), float(np.std(aucs)), train_auc)


def _version(lib: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(lib)
    except PackageNotFoundError:  # pragma: no cover
        return "unknown"
