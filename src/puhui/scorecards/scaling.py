"""Points scaling of a scorecard: log-odds <-> points <-> probability of default.

A scorecard states risk as points. The convention (Siddiqi, *Credit Risk Scorecards*):

    score = offset + factor * ln(odds_good)        odds_good = P(good) / P(bad)

with the two constants fixed by three policy numbers:

    factor = pdo / ln(2)                             "points to double the odds"
    offset = base_points - factor * ln(base_odds)    base_points at base_odds : 1

With the bank's defaults (pdo = 20, 600 points at 50:1 good:bad odds):
factor = 28.8539..., offset = 487.1229..., so 600 points means odds 50:1 (PD = 1/51),
620 points 100:1 and 580 points 25:1.

A logistic regression on WOE features gives ln(odds_good) = -(b0 + sum_j b_j * woe_j),
so score = (offset - factor * b0) + sum_j (-factor * b_j * woe_j): base points plus one
points value per bin of each feature. Pure math, no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PointsScaling:
    """The three policy numbers of the points scale and the constants they imply."""

    pdo: float = 20.0
    base_points: float = 600.0
    base_odds: float = 50.0

    def __post_init__(self) -> None:
        for name in ("pdo", "base_points", "base_odds"):
            object.__setattr__(self, name, float(getattr(self, name)))
        if not self.pdo > 0:
            raise ValueError("pdo must be positive")
        if not self.base_odds > 0:
            raise ValueError("base_odds must be positive")

    @property
    def factor(self) -> float:
        """Points per unit of ln(odds): pdo / ln 2."""
        return self.pdo / math.log(2.0)

    @property
    def offset(self) -> float:
        """The score at even odds (1:1): base_points - factor * ln(base_odds)."""
        return self.base_points - self.factor * math.log(self.base_odds)

    def score_from_log_odds(self, log_odds_good: float) -> float:
        """Points for ln(P(good)/P(bad))."""
        return self.offset + self.factor * log_odds_good

    def log_odds_from_score(self, score: float) -> float:
        """ln(P(good)/P(bad)) at a score."""
        return (score - self.offset) / self.factor

    def score_from_pd(self, pd: float) -> float:
        if not 0.0 < pd < 1.0:
            raise ValueError("pd must lie strictly between 0 and 1")
        return self.score_from_log_odds(math.log((1.0 - pd) / pd))

    def pd_from_score(self, score: float) -> float:
        """P(bad) at a score: 1 / (1 + exp((score - offset) / factor))."""
        return sigmoid(-self.log_odds_from_score(score))


def sigmoid(z: float) -> float:
    """1 / (1 + e^-z), without overflow for large |z|."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)
