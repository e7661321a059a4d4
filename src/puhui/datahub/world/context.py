"""Internal state shared by the generator's stages (numpy arrays, one row per enterprise)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from puhui.datahub.world.params import WorldParams

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
Bool = npt.NDArray[np.bool_]
Str = npt.NDArray[np.str_]

SIZE_CLASSES = ("micro", "small", "medium", "large")
MICRO, SMALL, MEDIUM, LARGE = 0, 1, 2, 3

CHAIN_ROLES = ("none", "tier1_supplier", "tier2_supplier", "dealer", "core")
CHAIN_NONE, CHAIN_TIER1, CHAIN_TIER2, CHAIN_DEALER, CHAIN_CORE = 0, 1, 2, 3, 4

FEN_PER_YUAN = 100
FEN_PER_WAN = 1_000_000  # 万元


def sigmoid(x: F64) -> F64:
    return 1.0 / (1.0 + np.exp(-x))


def last_observed_month(as_of: date) -> np.datetime64:
    """The last complete calendar month on or before ``as_of``."""
    month = np.datetime64(as_of, "M")
    next_day = np.datetime64(as_of, "D") + 1
    if next_day.astype("datetime64[M]") != month:
        return month
    return month - 1


def gumbel_top_k(rng: np.random.Generator, weights: F64, k: int) -> I64:
    """Indices of ``k`` draws without replacement, probability proportional to ``weights``."""
    k = int(min(k, int((weights > 0).sum())))
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    with np.errstate(divide="ignore"):
        keys = np.log(weights) + rng.gumbel(size=len(weights))
    keys[weights <= 0] = -np.inf
    top = np.argpartition(-keys, k - 1)[:k]
    return np.sort(top).astype(np.int64)


def ragged_ranges(counts: I64) -> tuple[I64, I64]:
    """For counts [2, 0, 3] -> owners [0, 0, 2, 2, 2] and positions [0, 1, 0, 1, 2]."""
    counts = np.asarray(counts, dtype=np.int64)
    owners = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    positions = np.arange(len(owners), dtype=np.int64) - np.repeat(starts, counts)
    return owners, positions


@dataclass
class Ctx:
    """Everything the stages pass along. Arrays indexed by enterprise id unless noted."""

    rng: np.random.Generator
    params: WorldParams
    n: int
    months: int  # observed months T
    horizon: int  # H
    as_of: date
    month0: np.datetime64  # first observed month (datetime64[M])

    industry: I64 = field(default_factory=lambda: np.empty(0, np.int64))
    size: I64 = field(default_factory=lambda: np.empty(0, np.int64))
    region: I64 = field(default_factory=lambda: np.empty(0, np.int64))
    established: npt.NDArray[np.datetime64] = field(
        default_factory=lambda: np.empty(0, "datetime64[D]")
    )
    est_t: I64 = field(default_factory=lambda: np.empty(0, np.int64))  # month index, may be < 0
    is_core: Bool = field(default_factory=lambda: np.empty(0, np.bool_))
    chain_role: I64 = field(default_factory=lambda: np.empty(0, np.int64))
    core_of: I64 = field(default_factory=lambda: np.empty(0, np.int64))  # -1 when none
    parent_of: I64 = field(default_factory=lambda: np.empty(0, np.int64))  # tier-2 -> tier-1
    group_id: I64 = field(default_factory=lambda: np.empty(0, np.int64))  # -1 when none
    shell: Bool = field(default_factory=lambda: np.empty(0, np.bool_))
    shell_ring: I64 = field(default_factory=lambda: np.empty(0, np.int64))
    shell_ring_kind: I64 = field(default_factory=lambda: np.empty(0, np.int64))  # 0 rep, 1 phone
    shell_fake_invoicing: Bool = field(default_factory=lambda: np.empty(0, np.bool_))
    burst_ring: I64 = field(default_factory=lambda: np.empty(0, np.int64))
    inflator: Bool = field(default_factory=lambda: np.empty(0, np.bool_))

    revenue_yuan: F64 = field(default_factory=lambda: np.empty(0))  # annual base revenue
    headcount_base: F64 = field(default_factory=lambda: np.empty(0))
    quality: F64 = field(default_factory=lambda: np.empty(0))  # mu_i
    health: F64 = field(default_factory=lambda: np.empty((0, 0)))  # (n, T + H)
    onset: I64 = field(default_factory=lambda: np.empty(0, np.int64))  # deterioration onset
    onset_observed: Bool = field(default_factory=lambda: np.empty(0, np.bool_))

    # Dense observed panels (n, T); filled by the observation stage.
    dense: dict[str, Any] = field(default_factory=dict)
    # Per-enterprise scalars produced by stages (names, codes, prices ...).
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def total_months(self) -> int:
        return self.months + self.horizon

    def month_starts(self, count: int | None = None) -> npt.NDArray[np.datetime64]:
        """First day of each month index 0..count-1 as datetime64[D]."""
        count = self.total_months if count is None else count
        return (self.month0 + np.arange(count)).astype("datetime64[D]")

    def calendar_month(self, count: int | None = None) -> I64:
        """0..11 calendar month of each month index."""
        count = self.total_months if count is None else count
        return ((self.month0 + np.arange(count)).astype(np.int64) % 12).astype(np.int64)

    def alive(self) -> Bool:
        """(n, T) mask: the enterprise existed in observed month t."""
        t = np.arange(self.months)
        return t[None, :] >= self.est_t[:, None]
