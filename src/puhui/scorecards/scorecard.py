"""Scorecard training: leak-free binning, WOE, feature selection, logistic regression, points.

The pipeline (fit on the training data only; rows first put in their canonical order, so the
input's row order changes nothing - :func:`~puhui.scorecards.binning.canonical_order`):

1. **Binning** (:mod:`puhui.scorecards.binning`). Each feature is binned by
   ``optbinning.OptimalBinning`` (CART pre-binning, then a constraint-programming optimum of
   IV). Numeric features get a monotonic event-rate trend (``auto_asc_desc``), categorical
   features are grouped by event rate *after* rare levels are pooled into one group (the leak
   of high-cardinality columns); a strong low-frequency signal below the 5 % minimum pre-bin
   gets a two-bin flag instead when that is significant and carries more IV. Missing values
   (NaN and +-inf alike) get their own bin.
2. **WOE.** ``woe = ln((good_i + a) / G) - ln((bad_i + a) / B)`` with a small smoothing ``a``
   so that a bin without goods or bads keeps a finite WOE. Positive WOE = safer than average.
3. **Selection.** Features with information value below ``iv_min`` are dropped; of two
   features whose WOE columns correlate above ``max_correlation`` the weaker (lower IV) goes.
4. **Logistic regression** (scikit-learn) of ``bad`` on the WOE columns. The inverse
   regularization strength ``C`` and the reported ``cv_auc`` come from
   :func:`cross_validate`: stratified K-fold with the *whole* pipeline (binning included)
   refitted on each fold's training rows. Features whose coefficient has the wrong sign (a
   safer bin raising the risk) are dropped one at a time and the model refitted.
5. **Points** (see :mod:`puhui.scorecards.scaling`): base points
   ``round(offset - factor * intercept)`` and per bin ``round(-factor * coef * woe)``.

The result is a :class:`~puhui.scorecards.artifact.ScorecardArtifact` that scores without this
module. :func:`tune_scorecard` searches training parameters by cross-validation (the whole
pipeline, binning included, is refitted in every fold) on the training data only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

import numpy as np

from puhui.scorecards.artifact import (
    Calibration,
    FeatureKind,
    ScorecardArtifact,
    category_key,
    float_column,
    frame_len,
    object_column,
)
from puhui.scorecards.binning import (
    BinningParams,
    FeatureBinning,
    canonical_order,
    fit_binning,
    points_of,
)
from puhui.scorecards.errors import InvalidFeatureValue, InvalidTrainingData
from puhui.scorecards.scaling import PointsScaling
from puhui.scorecards.validation import auc as auc_score


@dataclass(frozen=True)
class TrainingParams:
    binning: BinningParams = field(default_factory=BinningParams)
    iv_min: float = 0.02
    max_correlation: float | None = 0.8
    penalty: Literal["l1", "l2"] = "l2"
    c: float | None = None  # None: chosen by cross-validation from c_grid
    c_grid: tuple[float, ...] = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
    cv_folds: int = 5
    woe_smoothing: float = 0.5
    enforce_sign: bool = True

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["c_grid"] = list(self.c_grid)
        return d


@dataclass
class FittedScorecard:
    """The training result: the artifact plus the fitted optbinning and sklearn objects."""

    artifact: ScorecardArtifact
    binnings: dict[str, FeatureBinning]  # every candidate feature
    selected: list[str]
    model: Any  # sklearn LogisticRegression on the WOE columns of ``selected``
    c: float
    cv_auc: float
    dropped: dict[str, str]

    def woe_matrix(self, data: Any) -> np.ndarray:
        """WOE columns of ``selected``, bins located by optbinning itself (not the artifact)."""
        n = frame_len(data)
        cols = []
        for name in self.selected:
            fb = self.binnings[name]
            k = len(fb.woe) - 2
            x = _training_column(data, name, fb.kind)
            if fb.optbinning is None:  # a flag: bins of our own
                cols.append(fb.woe_of(x))
                continue
            idx = np.asarray(
                fb.optbinning.transform(
                    x, metric="indices", metric_missing="empirical", metric_special="empirical"
                ),
                dtype=np.int64,
            )
            slot = np.where(idx == -1, k + 1, np.where(idx == k + 1, k, idx))
            cols.append(fb.woe[slot])
        return np.column_stack(cols) if cols else np.zeros((n, 0))

    def predict_proba(self, data: Any) -> np.ndarray:
        """P(bad) by optbinning + sklearn: the reference the artifact must reproduce."""
        return np.asarray(self.model.predict_proba(self.woe_matrix(data))[:, 1])


# --------------------------------------------------------------------------- data access


def _get(data: Any, name: str) -> Any:
    columns = getattr(data, "columns", None)
    present = name in list(columns) if columns is not None else name in data
    if not present:
        raise InvalidTrainingData(reason=f"column {name!r} is missing")
    return data[name]


def _training_column(data: Any, name: str, kind: FeatureKind) -> np.ndarray:
    column = _get(data, name)
    if kind == "numeric":
        try:
            return float_column(column, name)
        except InvalidFeatureValue as exc:
            raise InvalidTrainingData(
                reason=f"column {name!r} is not numeric (found {exc.params.get('value')!r}); "
                "declare it categorical"
            ) from exc
    keys = [category_key(v) for v in object_column(column)]
    return np.array([np.nan if k is None else k for k in keys], dtype=object)


def target_vector(data: Any, target: str, bad_value: object = None) -> np.ndarray:
    """The target as 0/1 (1 = bad). ``bad_value`` marks bad rows when the column is a label."""
    values = object_column(_get(data, target))
    if bad_value is not None:
        return np.array([1 if v == bad_value else 0 for v in values], dtype=np.int64)
    out = np.empty(len(values), dtype=np.int64)
    for i, v in enumerate(values):
        if isinstance(v, bool | np.bool_) or v in (0, 1):
            out[i] = int(v)
        else:
            raise InvalidTrainingData(
                reason=f"target {target!r} must be 0/1 (1 = bad), found {v!r}; "
                "pass bad_value for a labelled target"
            )
    return out


def data_fingerprint(data: Any, columns: Sequence[str], y: np.ndarray) -> dict[str, Any]:
    """A sha256 over the training columns (names and values) and the target, rows in their
    canonical order (:func:`~puhui.scorecards.binning.canonical_order`): the same rows in
    another order give the same fingerprint."""
    n = frame_len(data)
    arrays: dict[str, np.ndarray] = {}
    for name in columns:
        values = object_column(_get(data, name))
        try:
            arr = np.asarray(values, dtype=np.float64)
            arrays[name] = np.where(np.isnan(arr), np.nan, arr)  # canonical NaN
        except (TypeError, ValueError):
            keys = [category_key(v) for v in values]
            arrays[name] = np.array(["\x00" if k is None else k for k in keys], dtype=object)
    yy = np.asarray(y, dtype=np.int64)
    order = canonical_order(arrays, yy)
    h = hashlib.sha256()
    h.update(f"rows={n}\n".encode())
    for name in columns:
        h.update(f"column={name}\n".encode())
        arr = arrays[name][order]
        if arr.dtype.kind == "f":
            h.update(b"f8:" + arr.tobytes())
        else:
            h.update(b"s:" + "\x1f".join(arr.tolist()).encode())
    h.update(b"target:" + yy[order].tobytes())
    return {"sha256": h.hexdigest(), "n_rows": n, "n_bad": int(np.sum(y)), "columns": list(columns)}


# --------------------------------------------------------------------------- binning


# --------------------------------------------------------------------------- regression


def _logistic(c: float, penalty: str, seed: int) -> Any:
    from sklearn.linear_model import LogisticRegression

    if penalty == "l1":
        return LogisticRegression(C=c, l1_ratio=1.0, solver="liblinear", random_state=seed)
    return LogisticRegression(C=c, solver="lbfgs", max_iter=1000)


def _select_by_correlation(
    names: list[str],
    woe: Mapping[str, np.ndarray],
    iv: Mapping[str, float],
    max_corr: float,
    dropped: dict[str, str],
) -> list[str]:
    kept: list[str] = []
    for name in sorted(names, key=lambda n: -iv[n]):
        col = woe[name]
        clash = None
        if np.std(col) > 0:
            for other in kept:
                r = float(np.corrcoef(col, woe[other])[0, 1])
                if abs(r) > max_corr:
                    clash = (other, r)
                    break
        if clash:
            dropped[name] = f"correlation {clash[1]:.2f} with {clash[0]}"
        else:
            kept.append(name)
    return [n for n in names if n in kept]


def select_features(
    binnings: Mapping[str, FeatureBinning],
    woe: Mapping[str, np.ndarray],
    p: TrainingParams,
    dropped: dict[str, str],
) -> list[str]:
    """IV threshold, then the correlation filter (the higher IV wins)."""
    names = list(binnings)
    selected = [f for f in names if binnings[f].iv >= p.iv_min]
    for f in names:
        if f not in selected:
            dropped[f] = f"IV {binnings[f].iv:.4f} < {p.iv_min}"
    if p.max_correlation is not None:
        selected = _select_by_correlation(
            selected, woe, {f: binnings[f].iv for f in selected}, p.max_correlation, dropped
        )
    return selected


def fit_regression(
    woe: Mapping[str, np.ndarray],
    y: np.ndarray,
    selected: list[str],
    c: float,
    p: TrainingParams,
    seed: int,
    dropped: dict[str, str],
) -> tuple[list[str], Any]:
    """Logistic regression of bad on the WOE columns; wrong-sign and zero coefficients out."""
    selected = list(selected)

    def fit(names: list[str]) -> Any:
        return _logistic(c, p.penalty, seed).fit(np.column_stack([woe[f] for f in names]), y)

    model = fit(selected)
    while True:
        coefs = dict(zip(selected, (float(v) for v in model.coef_[0]), strict=True))
        # positive coefficient: a safer bin (higher WOE) would raise the risk
        wrong = [f for f in selected if coefs[f] > 0] if p.enforce_sign else []
        zero = [f for f in selected if coefs[f] == 0.0]  # L1 may zero a coefficient
        if not wrong and not zero:
            return selected, model
        for f in zero:
            dropped[f] = "coefficient 0 (L1)"
        if wrong:
            worst = max(wrong, key=lambda f: coefs[f])
            dropped[worst] = f"coefficient sign (+{coefs[worst]:.4f})"
            zero.append(worst)
        selected = [f for f in selected if f not in zero]
        if not selected:
            raise InvalidTrainingData(reason="the regression kept no feature")
        model = fit(selected)


def _kinds(features: Sequence[str], categorical: Sequence[str]) -> dict[str, FeatureKind]:
    unknown = set(categorical) - set(features)
    if unknown:
        raise InvalidTrainingData(reason=f"categorical {sorted(unknown)} not among features")
    cats = set(categorical)
    return {f: "categorical" if f in cats else "numeric" for f in features}


def _check_target(y: np.ndarray) -> None:
    n_bad = int(y.sum())
    if n_bad == 0 or n_bad == len(y):
        raise InvalidTrainingData(reason="the target needs both goods and bads")


def bin_features(
    columns: Mapping[str, np.ndarray],
    y: np.ndarray,
    kinds: Mapping[str, FeatureKind],
    params: BinningParams,
    smoothing: float,
) -> tuple[dict[str, FeatureBinning], dict[str, np.ndarray]]:
    """Fit the binning of every feature; return the binnings and the WOE columns."""
    binnings: dict[str, FeatureBinning] = {}
    woe: dict[str, np.ndarray] = {}
    for name, x in columns.items():
        fb = fit_binning(name, x, y, kinds[name], params, smoothing)
        binnings[name] = fb
        woe[name] = fb.woe_of(x)
    return binnings, woe


@dataclass(frozen=True)
class CrossValidation:
    """The honest estimate: the whole pipeline refitted in every fold (see cross_validate)."""

    c: float
    cv_auc: float
    cv_auc_std: float
    by_c: dict[float, float]
    folds: int


def cross_validate(
    columns: Mapping[str, np.ndarray],
    y: np.ndarray,
    kinds: Mapping[str, FeatureKind],
    p: TrainingParams,
    seed: int,
) -> CrossValidation:
    """Stratified K-fold AUC of the whole pipeline: in every fold the binning (rare
    categories and flags included), the WOE, the selection and the regression are fitted on
    the fold's training rows only and scored on its held-out rows. ``C`` is the grid value
    with the best mean (ties: the smaller); with ``p.c`` set, the grid is that one value.

    Before this, ``cv_auc`` reused WOE fitted on all training rows, so the held-out rows of
    each fold had helped draw their own bins: 0.795 reported against 0.773 on a test set.
    """
    from sklearn.model_selection import StratifiedKFold

    grid = (p.c,) if p.c is not None else p.c_grid
    skf = StratifiedKFold(n_splits=p.cv_folds, shuffle=True, random_state=seed)
    results: dict[float, list[float]] = {c: [] for c in grid}
    for tr, va in skf.split(np.zeros(len(y)), y):
        binnings, woe_tr = bin_features(
            {f: x[tr] for f, x in columns.items()}, y[tr], kinds, p.binning, p.woe_smoothing
        )
        woe_va = {f: binnings[f].woe_of(columns[f][va]) for f in columns}
        for c in grid:
            cand = replace(p, c=c)
            results[c].append(_held_out_auc(binnings, woe_tr, woe_va, y[tr], y[va], cand, seed))
    by_c = {c: float(np.mean(v)) for c, v in results.items()}
    best = max(grid, key=lambda c: (by_c[c], -c))
    return CrossValidation(best, by_c[best], float(np.std(results[best])), by_c, p.cv_folds)


def training_columns(
    df: Any,
    target: str,
    features: Sequence[str],
    kinds: Mapping[str, FeatureKind],
    bad_value: object = None,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The feature columns (numeric: float with +-inf as NaN; categorical: text keys) and the
    0/1 target, rows in their canonical order (independent of the input's row order)."""
    y = target_vector(df, target, bad_value)
    _check_target(y)
    columns = {f: _training_column(df, f, kinds[f]) for f in features}
    order = canonical_order(columns, y)
    return {f: x[order] for f, x in columns.items()}, y[order]


def fit_scorecard(
    df: Any,
    target: str,
    features: Sequence[str],
    *,
    categorical: Sequence[str] = (),
    seed: int,
    created_at: datetime,
    model_id: str = "scorecard",
    version: str = "1",
    pdo: float = 20,
    base_points: float = 600,
    base_odds: float = 50,
    params: TrainingParams | None = None,
    bad_value: object = None,
    description: str = "",
) -> FittedScorecard:
    """Fit the whole pipeline (see the module docstring); 1 (or ``bad_value``) = bad."""
    p = params or TrainingParams()
    if target in features:
        raise InvalidTrainingData(reason="the target cannot be a feature")
    kinds = _kinds(features, categorical)
    columns, y = training_columns(df, target, features, kinds, bad_value)

    binnings, woe = bin_features(columns, y, kinds, p.binning, p.woe_smoothing)
    dropped: dict[str, str] = {}
    selected = select_features(binnings, woe, p, dropped)
    if not selected:
        raise InvalidTrainingData(reason=f"no feature reaches IV {p.iv_min}")
    cv = cross_validate(columns, y, kinds, p, seed)
    c, cv_auc = cv.c, cv.cv_auc
    selected, model = fit_regression(woe, y, selected, c, p, seed, dropped)
    coefs = dict(zip(selected, (float(v) for v in model.coef_[0]), strict=True))

    scaling = PointsScaling(pdo=pdo, base_points=base_points, base_odds=base_odds)
    intercept = float(model.intercept_[0])
    scored = tuple(binnings[f].as_feature(coefs[f], scaling.factor) for f in selected)
    train_auc = auc_score(y, model.decision_function(np.column_stack([woe[f] for f in selected])))
    training = {
        "fingerprint": data_fingerprint(df, list(features), target_vector(df, target, bad_value)),
        "seed": seed,
        "params": p.to_dict(),
        "c": c,
        "cv_auc": cv_auc,
        "cv_auc_std": cv.cv_auc_std,
        "cv": f"whole pipeline (binning included) refitted in each of {cv.folds} stratified folds",
        "train_auc": train_auc,
        "candidates": {
            f: {
                "kind": kinds[f],
                "iv": binnings[f].iv,
                "binning": binnings[f].method,
                "selected": f in selected,
                "dropped": dropped.get(f),
            }
            for f in features
        },
        "library": _library_versions(),
    }
    artifact = ScorecardArtifact(
        model_id=model_id,
        version=version,
        created_at=created_at,
        target=target,
        scaling=scaling,
        intercept=intercept,
        base_points=points_of(scaling.offset - scaling.factor * intercept),
        calibration=Calibration.from_scaling(scaling),
        features=scored,
        training=training,
        description=description,
    )
    return FittedScorecard(
        artifact=artifact,
        binnings=binnings,
        selected=selected,
        model=model,
        c=c,
        cv_auc=cv_auc,
        dropped=dropped,
    )


# --------------------------------------------------------------------------- tuning


@dataclass(frozen=True)
class TuningGrid:
    """Candidate values; every combination is cross-validated."""

    binning: tuple[BinningParams, ...] = (
        BinningParams(min_bin_size=0.05, monotonic_trend="auto_asc_desc"),
        BinningParams(min_bin_size=0.05, monotonic_trend="auto"),
        BinningParams(min_bin_size=0.1, monotonic_trend="auto_asc_desc"),
        BinningParams(min_bin_size=0.1, max_n_bins=4, monotonic_trend="auto_asc_desc"),
    )
    iv_min: tuple[float, ...] = (0.02, 0.05)
    max_correlation: tuple[float | None, ...] = (0.8,)
    c: tuple[float, ...] = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)


@dataclass(frozen=True)
class TuningCandidate:
    params: TrainingParams
    cv_auc: float
    cv_auc_std: float


@dataclass(frozen=True)
class TuningResult:
    best: TrainingParams
    cv_auc: float
    candidates: list[TuningCandidate]


def tune_scorecard(
    df: Any,
    target: str,
    features: Sequence[str],
    *,
    categorical: Sequence[str] = (),
    seed: int,
    grid: TuningGrid | None = None,
    base: TrainingParams | None = None,
    folds: int = 5,
    repeats: int = 1,
    bad_value: object = None,
) -> TuningResult:
    """Choose training parameters by stratified K-fold AUC of the whole pipeline.

    In every fold the binning, the selection and the regression are fitted on the fold's
    training rows only and the AUC is measured on its held-out rows, so the estimate is
    honest; ``df`` must be the training data alone. The winner has ``c`` fixed.
    """
    from sklearn.model_selection import RepeatedStratifiedKFold

    g = grid or TuningGrid()
    b = base or TrainingParams()
    kinds = _kinds(features, categorical)
    columns, y = training_columns(df, target, features, kinds, bad_value)
    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
    candidates = _tuning_candidates(g, b)
    results: list[list[float]] = [[] for _ in candidates]
    for tr, va in splitter.split(np.zeros(len(y)), y):
        y_tr, y_va = y[tr], y[va]
        for bp in g.binning:
            binnings, woe_tr = bin_features(
                {f: x[tr] for f, x in columns.items()}, y_tr, kinds, bp, b.woe_smoothing
            )
            woe_va = {f: binnings[f].woe_of(columns[f][va]) for f in features}
            for i, cand in enumerate(candidates):
                if cand.binning == bp:
                    results[i].append(
                        _held_out_auc(binnings, woe_tr, woe_va, y_tr, y_va, cand, seed)
                    )
    table = [
        TuningCandidate(cand, float(np.mean(results[i])), float(np.std(results[i])))
        for i, cand in enumerate(candidates)
    ]
    best = max(table, key=lambda t: t.cv_auc)
    return TuningResult(best=best.params, cv_auc=best.cv_auc, candidates=table)


def _tuning_candidates(grid: TuningGrid, base: TrainingParams) -> list[TrainingParams]:
    """Every combination of the grid's values over ``base``: binning, then ``iv_min``, then
    ``max_correlation``, then ``c`` (the order of the tuning table)."""
    return [
        replace(base, binning=bp, iv_min=iv_min, max_correlation=mc, c=c)
        for bp in grid.binning
        for iv_min in grid.iv_min
        for mc in grid.max_correlation
        for c in grid.c
    ]


def _held_out_auc(
    binnings: Mapping[str, FeatureBinning],
    woe_tr: Mapping[str, np.ndarray],
    woe_va: Mapping[str, np.ndarray],
    y_tr: np.ndarray,
    y_va: np.ndarray,
    cand: TrainingParams,
    seed: int,
) -> float:
    """One candidate on one fold: selection and regression on the training rows, AUC on the
    held-out ones (0.5 when no feature survives the selection)."""
    dropped: dict[str, str] = {}
    selected = select_features(binnings, woe_tr, cand, dropped)
    if not selected:
        return 0.5
    assert cand.c is not None
    selected, model = fit_regression(woe_tr, y_tr, selected, cand.c, cand, seed, dropped)
    x_va = np.column_stack([woe_va[f] for f in selected])
    return auc_score(y_va, model.decision_function(x_va))


def train_scorecard(
    df: Any,
    target: str,
    features: Sequence[str],
    *,
    categorical: Sequence[str] = (),
    seed: int,
    created_at: datetime,
    model_id: str = "scorecard",
    version: str = "1",
    pdo: float = 20,
    base_points: float = 600,
    base_odds: float = 50,
    params: TrainingParams | None = None,
    bad_value: object = None,
    description: str = "",
) -> ScorecardArtifact:
    """Train a points scorecard; ``df`` is a pandas or polars DataFrame (or column mapping)."""
    return fit_scorecard(
        df,
        target,
        features,
        categorical=categorical,
        seed=seed,
        created_at=created_at,
        model_id=model_id,
        version=version,
        pdo=pdo,
        base_points=base_points,
        base_odds=base_odds,
        params=params,
        bad_value=bad_value,
        description=description,
    ).artifact


def _library_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for lib in ("optbinning", "scikit-learn", "numpy"):
        try:
            out[lib] = version(lib)
        except PackageNotFoundError:  # pragma: no cover
            out[lib] = "unknown"
    return out
