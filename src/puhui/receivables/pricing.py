"""The chain's money arithmetic, pure (no database, no I/O): integer fen in, integer fen out,
ROUND_HALF_UP to the fen (``core.money.round_fen``, the project's one rounding rule).

* :func:`discount_price` — what the bank pays for a part: face − face × rate × days / 360. It
  lives in :mod:`puhui.receivables.state` (the verifier replays it) and is re-exported here.
* :func:`penalty_fen` — the core enterprise's penalty once past maturity.
* :func:`allocate` — the penalty split between the live parts, exactly.
* :func:`amortized_fen` — the discount recognized as income by a business date.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from puhui.core.money import round_fen
from puhui.receivables.state import discount_price

__all__ = ["allocate", "amortized_fen", "discount_price", "penalty_fen"]


def penalty_fen(face_fen: int, penalty_daily_bp: int, days_overdue: int) -> int:
    """face × daily rate × days, ROUND_HALF_UP to the fen (0 when not overdue)."""
    if days_overdue <= 0 or penalty_daily_bp <= 0:
        return 0
    return round_fen(Decimal(face_fen) * penalty_daily_bp * days_overdue / Decimal(10_000))


def allocate(total_fen: int, weights: Sequence[tuple[str, int]]) -> dict[str, int]:
    """Split ``total_fen`` in proportion to the weights exactly (largest remainder, ties by key)."""
    weight_sum = sum(w for _, w in weights)
    if total_fen == 0 or weight_sum == 0:
        return {k: 0 for k, _ in weights}
    shares = {k: total_fen * w // weight_sum for k, w in weights}
    rest = total_fen - sum(shares.values())
    order = sorted(weights, key=lambda kw: (-(total_fen * kw[1] % weight_sum), kw[0]))
    for k, _ in order[:rest]:
        shares[k] += 1
    return shares


def amortized_fen(discount_fen: int, days: int, financed: date, day: date) -> int:
    """Discount recognized by the end of ``day`` (straight line over the financing's days)."""
    elapsed = min(max((day - financed).days, 0), days)
    if days <= 0:
        return discount_fen
    return round_fen(Decimal(discount_fen) * elapsed / days)
