"""Leak-free binning of one feature: rare categories, rare-event flags, stable row order.

Three defects of plain optimal binning bite a bank that trains on its own data; each has a
remedy here (measured on the high-cardinality test set of ``tests/unit/scorecards``):

**Rare categories leak the target.** ``optbinning`` orders categories by their *training* bad
rate before grouping them, so thousands of levels seen a handful of times (a lender column with
5,000 levels) fall into the "no bad at all" end and form a bin that looks ten times safer than
it is: the feature's IV is large on the training rows and small on new rows. The remedy is
**grouping before ordering**: a level needs at least ``max(min_category_count,
min_category_share * n)`` training rows to keep its own identity; every rarer level joins one
pseudo-category, :data:`RARE_CATEGORY`, whose bad rate rests on all of them together and is
therefore honest. Categories never seen in training score like that rare group (the population
they resemble) instead of neutrally.

Why a minimum count rather than smoothing the bad rate towards the prior or out-of-fold WOE:
smoothing still gives each rare level its own (shrunk) rate, and the ordering that optbinning
does on those rates still selects the luckiest levels into the best bin; out-of-fold WOE fixes
the training WOE but leaves a level-by-level table that new levels (most levels of a
high-cardinality column in a new month) cannot use. The count rule is simple to explain to a
validator ("a lender with fewer than N loans is scored as a small lender"), deterministic,
keeps the artifact a short lookup table, and its residual optimism is measured honestly by the
cross-validation that refits the binning inside every fold
(:func:`puhui.scorecards.scorecard.cross_validate`).

**Strong rare signals cannot enter.** ``min_prebin_size`` (5 %) keeps a value held by 4.8 % of
firms (lawsuits as defendant, open enforcement) from ever forming a bin of its own, however
strong. The **flag path** offers each feature a second binning: "the dominant value" against
"anything else" (``x > mode`` for a count whose mode is its minimum, the minority categories of
a categorical with a dominant level). It is used instead of the optimal binning when the flag
holds at most ``flag_max_share`` of the rows and at least ``flag_min_count`` rows, its bad rate
differs from the rest by a two-proportion z of at least ``flag_min_z`` (3.29: p < 0.001, so
noise does not get in), and its IV is higher.

**Results depend on row order.** :func:`canonical_order` sorts the rows by their content (every
column, then the target) before anything is fitted, so a shuffled copy of the same data gives
the same bins, the same folds, the same C and the same artifact, byte for byte.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from puhui.scorecards.artifact import (
    MISSING_LABEL,
    UNKNOWN_LABEL,
    FeatureKind,
    FeatureScorecard,
    ScorecardBin,
    feature_slots,
    numeric_bin_label,
    numeric_bins_from_splits,
)

RARE_CATEGORY = "(rare)"
"""The pseudo-category of levels too rare to keep their own identity (and of unseen ones)."""


@dataclass(frozen=True)
class BinningParams:
    """Parameters of ``optbinning.OptimalBinning`` used for every feature, and of the rare
    category and flag rules (see the module docstring)."""

    max_n_prebins: int = 20
    min_prebin_size: float = 0.05
    max_n_bins: int | None = None
    min_bin_size: float | None = 0.05
    monotonic_trend: str | None = "auto_asc_desc"  # numeric features
    max_pvalue: float | None = None
    gamma: float = 0.0
    min_category_count: int = 50
    min_category_share: float = 0.002
    flag_max_share: float = 0.10
    flag_min_count: int = 30
    flag_min_z: float = 3.29


@dataclass
class FeatureBinning:
    """A feature's bins as fitted on training data (before the regression)."""

    name: str
    kind: FeatureKind
    splits: tuple[float, ...]
    groups: tuple[tuple[str, ...], ...]
    n: np.ndarray  # per slot: bins, missing, unknown
    n_bad: np.ndarray
    woe: np.ndarray
    iv: float
    optbinning: Any = None  # the fitted optbinning.OptimalBinning (None for a flag)
    method: str = "optimal"  # or "flag"

    def as_feature(self, coefficient: float = 0.0, factor: float = 0.0) -> FeatureScorecard:
        """The scorecard feature with points ``round(-factor * coefficient * woe)``."""
        labels: list[str]
        if self.kind == "numeric":
            edges = numeric_bins_from_splits(self.splits)
            labels = [numeric_bin_label(lo, hi) for lo, hi in edges]
        else:
            edges = [(None, None)] * len(self.groups)
            labels = [", ".join(g) for g in self.groups]
        pts = [points_of(-factor * coefficient * float(w)) for w in self.woe]
        k = len(labels)

        def slot_bin(i: int, label: str) -> ScorecardBin:
            return ScorecardBin(
                label=label,
                points=pts[i],
                woe=float(self.woe[i]),
                n=int(self.n[i]),
                n_bad=int(self.n_bad[i]),
            )

        bins = tuple(
            ScorecardBin(
                label=labels[i],
                points=pts[i],
                woe=float(self.woe[i]),
                n=int(self.n[i]),
                n_bad=int(self.n_bad[i]),
                lower=edges[i][0],
                upper=edges[i][1],
                categories=self.groups[i] if self.kind == "categorical" else (),
            )
            for i in range(k)
        )
        return FeatureScorecard(
            name=self.name,
            kind=self.kind,
            coefficient=coefficient,
            iv=self.iv,
            bins=bins,
            missing=slot_bin(k, MISSING_LABEL),
            unknown=slot_bin(k + 1, UNKNOWN_LABEL),
            splits=self.splits,
            reason_code=self.name,
        )

    def slots(self, column: Any, n: int) -> np.ndarray:
        return feature_slots(self.as_feature(), column, n)

    def woe_of(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.woe[self.slots(x, len(x))])


def points_of(x: float) -> int:
    """Round half away from zero (points are integers)."""
    return math.floor(abs(x) + 0.5) * (1 if x >= 0 else -1)


def woe_from_counts(
    n_good: np.ndarray, n_bad: np.ndarray, total_good: int, total_bad: int, smoothing: float
) -> np.ndarray:
    woe = np.log((n_good + smoothing) / total_good) - np.log((n_bad + smoothing) / total_bad)
    woe[(n_good + n_bad) == 0] = 0.0  # an empty bin (no missing in training, unknown) is neutral
    return np.asarray(woe)


# --------------------------------------------------------------------------- row order


def _order_key(x: np.ndarray) -> np.ndarray:
    """A sortable numeric key of a column: floats as they are (NaN last), text by its rank."""
    if x.dtype.kind == "f":
        return np.where(np.isnan(x), np.inf, x)
    text = np.array(["\x00" if v is None or v != v else str(v) for v in x.tolist()], dtype=object)
    _, codes = np.unique(text.astype(str), return_inverse=True)
    return codes.astype(np.float64)


def canonical_order(columns: Mapping[str, np.ndarray], y: np.ndarray) -> np.ndarray:
    """A row permutation that depends on the rows' content only (columns in name order, then
    the target; NaN flags break ties between NaN and +inf-free values)."""
    keys: list[np.ndarray] = [np.asarray(y, dtype=np.float64)]
    for name in sorted(columns):
        x = columns[name]
        keys.append(_order_key(x))
        if x.dtype.kind == "f":
            keys.append(np.isnan(x).astype(np.float64))
    # np.lexsort sorts by the last key first
    return np.lexsort(tuple(reversed(keys)))


# --------------------------------------------------------------------------- categories


def rare_levels(x: np.ndarray, params: BinningParams) -> set[str]:
    """Levels of a categorical column with fewer rows than the rare-category threshold."""
    present = [v for v in x.tolist() if isinstance(v, str)]
    if not present:
        return set()
    values, counts = np.unique(np.array(present, dtype=str), return_counts=True)
    floor = max(params.min_category_count, params.min_category_share * len(x))
    return {str(v) for v, c in zip(values.tolist(), counts.tolist(), strict=True) if c < floor}


def group_rare(x: np.ndarray, rare: set[str]) -> np.ndarray:
    if not rare:
        return x
    return np.array([RARE_CATEGORY if v in rare else v for v in x.tolist()], dtype=object)


# --------------------------------------------------------------------------- fitting


def _from_counts(
    name: str,
    kind: FeatureKind,
    splits: tuple[float, ...],
    groups: tuple[tuple[str, ...], ...],
    x: np.ndarray,
    y: np.ndarray,
    smoothing: float,
    ob: Any = None,
    method: str = "optimal",
) -> FeatureBinning:
    """Counts, WOE and IV of given bins on (``x``, ``y``); ``x`` with rare levels grouped."""
    k = (len(splits) + 1) if kind == "numeric" else len(groups)
    zeros = np.zeros(k + 2)
    fb = FeatureBinning(name, kind, splits, groups, zeros, zeros, zeros, 0.0, ob, method)
    slot = fb.slots(x, len(x))
    n = np.bincount(slot, minlength=k + 2).astype(np.int64)
    n_bad = np.bincount(slot, weights=y, minlength=k + 2).astype(np.int64)
    total_bad = int(y.sum())
    total_good = len(y) - total_bad
    n_good = n - n_bad
    woe = woe_from_counts(n_good, n_bad, total_good, total_bad, smoothing)
    iv = float(np.sum((n_good / total_good - n_bad / total_bad) * woe))
    rare_bin = next((i for i, g in enumerate(groups) if RARE_CATEGORY in g), None)
    if rare_bin is not None:
        woe[k + 1] = woe[rare_bin]  # unseen categories score like the rare group
    fb.n, fb.n_bad, fb.woe, fb.iv = n, n_bad, woe, iv
    return fb


def _optimal(
    name: str, x: np.ndarray, y: np.ndarray, kind: FeatureKind, params: BinningParams
) -> Any:
    from optbinning import OptimalBinning

    ob = OptimalBinning(
        name=name,
        dtype="numerical" if kind == "numeric" else "categorical",
        max_n_prebins=params.max_n_prebins,
        min_prebin_size=params.min_prebin_size,
        max_n_bins=params.max_n_bins,
        min_bin_size=params.min_bin_size,
        monotonic_trend=params.monotonic_trend if kind == "numeric" else "auto",
        max_pvalue=params.max_pvalue,
        gamma=params.gamma,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ob.fit(x, y)
    return ob


def _flag_candidate(
    x: np.ndarray, kind: FeatureKind, params: BinningParams
) -> tuple[tuple[float, ...], tuple[tuple[str, ...], ...]] | None:
    """Bins "dominant value" / "anything else" when the dominant value holds at least
    ``1 - flag_max_share`` of the non-missing rows (see the module docstring)."""
    if kind == "numeric":
        v = x[~np.isnan(x)]
        if len(v) == 0:
            return None
        values, counts = np.unique(v, return_counts=True)
        if len(values) < 2:
            return None
        top = int(np.argmax(counts))
        if counts[top] < (1 - params.flag_max_share) * len(v):
            return None
        if top == 0:  # counts: 0 for most, more for a few
            return ((float(values[0]) + float(values[1])) / 2,), ()
        if top == len(values) - 1:
            return ((float(values[-2]) + float(values[-1])) / 2,), ()
        return None
    present = [s for s in x.tolist() if isinstance(s, str)]
    if not present:
        return None
    levels, counts = np.unique(np.array(present, dtype=str), return_counts=True)
    if len(levels) < 2:
        return None
    top = int(np.argmax(counts))
    if counts[top] < (1 - params.flag_max_share) * len(present):
        return None
    others = tuple(str(c) for i, c in enumerate(levels.tolist()) if i != top)
    return (), ((str(levels[top]),), others)


def _flag_is_significant(fb: FeatureBinning, params: BinningParams) -> bool:
    """The minority bin is big enough and its bad rate differs from the dominant bin's by a
    two-proportion z of at least ``flag_min_z``."""
    n = fb.n[:-2].astype(np.float64)
    bad = fb.n_bad[:-2].astype(np.float64)
    if len(n) != 2 or n.min() < params.flag_min_count:
        return False
    p = bad / n
    pooled = bad.sum() / n.sum()
    se = math.sqrt(pooled * (1 - pooled) * (1 / n[0] + 1 / n[1]))
    return se > 0 and abs(p[0] - p[1]) / se >= params.flag_min_z


def fit_binning(
    name: str,
    x: np.ndarray,
    y: np.ndarray,
    kind: FeatureKind,
    params: BinningParams,
    smoothing: float = 0.5,
) -> FeatureBinning:
    """Optimal binning with rare categories grouped first; the flag binning instead when it
    is significant and carries more information (see the module docstring)."""
    if kind == "categorical":
        x = group_rare(x, rare_levels(x, params))
    ob = _optimal(name, x, y, kind, params)
    if kind == "numeric":
        splits = tuple(float(s) for s in ob.splits)
        groups: tuple[tuple[str, ...], ...] = ()
    else:
        splits = ()
        groups = tuple(tuple(sorted(str(c) for c in g)) for g in ob.splits)
    best = _from_counts(name, kind, splits, groups, x, y, smoothing, ob)
    candidate = _flag_candidate(x, kind, params)
    if candidate is not None:
        flag = _from_counts(name, kind, *candidate, x, y, smoothing, method="flag")
        if flag.iv > best.iv and _flag_is_significant(flag, params):
            return flag
    return best
