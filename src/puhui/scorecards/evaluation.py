"""`puhui model evaluate --csv`: both models on any table, fitted as production training does.

:func:`evaluate_table` splits the rows (stratified, ``test_size`` held out, ``random_state =
seed``), fits the scorecard (:func:`~puhui.scorecards.scorecard.fit_scorecard`, default
parameters) and the challenger (:func:`~puhui.scorecards.gbm.fit_gbm`) on the training part
only, and measures both on the held-out part: AUC, KS, Brier score and a calibration table
(predicted PD against the observed bad rate by PD decile). Each model's ``cv_auc`` is the one
its training reported (the whole pipeline refitted in every fold), so the figures show how
honest that estimate is. Text columns are categorical, numbers numeric; the target is 1 = bad.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from puhui.scorecards.gbm import GbmParams, fit_gbm
from puhui.scorecards.scorecard import fit_scorecard, target_vector
from puhui.scorecards.validation import CalibrationRow, auc, calibration_table, ks

CREATED_AT = datetime(2026, 1, 1, tzinfo=UTC)  # a fixed stamp: the evaluation is reproducible


@dataclass(frozen=True)
class ModelMetrics:
    name: str
    auc: float
    cv_auc: float
    ks: float
    brier: float
    mean_pd: float
    features: int
    calibration: list[CalibrationRow] = field(repr=False)

    def summary(self, prefix: str) -> dict[str, Any]:
        return {
            f"{prefix}_auc": round(self.auc, 4),
            f"{prefix}_cv_auc": round(self.cv_auc, 4),
            f"{prefix}_ks": round(self.ks, 4),
            f"{prefix}_brier": round(self.brier, 4),
        }


def model_metrics(
    name: str, y: np.ndarray, pd: np.ndarray, cv_auc: float, features: int
) -> ModelMetrics:
    """Held-out metrics of one model from its PDs (higher = riskier)."""
    yy = np.asarray(y, dtype=np.int64)
    p = np.asarray(pd, dtype=np.float64)
    return ModelMetrics(
        name=name,
        auc=auc(yy, p),
        cv_auc=float(cv_auc),
        ks=ks(yy, p).ks,
        brier=float(np.mean((p - yy) ** 2)),
        mean_pd=float(p.mean()),
        features=features,
        calibration=calibration_table(yy, p, p, 10),
    )


@dataclass
class TableEvaluation:
    dataset: str
    seed: int
    n_train: int
    n_test: int
    bad_rate: float
    scorecard: ModelMetrics
    challenger: ModelMetrics
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            **self.scorecard.summary("scorecard"),
            **self.challenger.summary("challenger"),
            "n_train": self.n_train,
            "n_test": self.n_test,
            "bad_rate": round(self.bad_rate, 4),
            "seed": self.seed,
            **self.extra,
        }


def table_columns(df: Any, target: str, exclude: Sequence[str] = ()) -> tuple[list[str], list[str]]:
    """Every column but the target and ``exclude``; the non-numeric ones are categorical."""
    import polars as pl

    if isinstance(df, pl.DataFrame):
        feats = [c for c in df.columns if c != target and c not in exclude]
        return feats, [c for c in feats if not df.schema[c].is_numeric()]
    import pandas as pd

    feats = [c for c in df.columns if c != target and c not in exclude]
    return feats, [c for c in feats if not pd.api.types.is_numeric_dtype(df[c])]


def split(df: Any, y: np.ndarray, test_size: float, seed: int) -> tuple[Any, Any]:
    """Stratified (train, test) in the table's row order."""
    from sklearn.model_selection import train_test_split

    idx_train, idx_test = train_test_split(
        np.arange(len(y)), test_size=test_size, stratify=y, random_state=seed
    )
    tr, te = np.sort(idx_train), np.sort(idx_test)
    if hasattr(df, "iloc"):
        return df.iloc[tr], df.iloc[te]
    return df[tr], df[te]


def fit_both(
    train: Any,
    test: Any,
    target: str,
    features: Sequence[str],
    categorical: Sequence[str],
    seed: int,
    *,
    monotone: Mapping[str, int] | None = None,
) -> tuple[ModelMetrics, ModelMetrics]:
    """Fit the scorecard and the challenger on ``train``; their metrics on ``test``."""
    y_test = target_vector(test, target)
    sc = fit_scorecard(
        train, target, features, categorical=categorical, seed=seed, created_at=CREATED_AT
    )
    sc_pd = sc.artifact.score_frame(test).pd
    ch = fit_gbm(
        train,
        target,
        features,
        categorical=categorical,
        seed=seed,
        created_at=CREATED_AT,
        params=GbmParams(monotone=dict(monotone or {})),
    )
    ch_pd = ch.artifact.predict_pd(test)
    return (
        model_metrics("scorecard", y_test, sc_pd, sc.cv_auc, len(sc.selected)),
        model_metrics("challenger (LightGBM)", y_test, ch_pd, ch.cv_auc, len(features)),
    )


def evaluate_table(
    df: Any,
    target: str,
    *,
    dataset: str,
    seed: int = 42,
    test_size: float = 0.3,
    exclude: Sequence[str] = (),
    monotone: Mapping[str, int] | None = None,
) -> TableEvaluation:
    """Both models on one stratified split of ``df`` (see the module docstring)."""
    features, categorical = table_columns(df, target, exclude)
    y = target_vector(df, target)
    train, test = split(df, y, test_size, seed)
    scorecard, challenger = fit_both(
        train, test, target, features, categorical, seed, monotone=monotone
    )
    return TableEvaluation(
        dataset=dataset,
        seed=seed,
        n_train=len(train),
        n_test=len(test),
        bad_rate=float(y.mean()),
        scorecard=scorecard,
        challenger=challenger,
    )
