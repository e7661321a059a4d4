"""Loan-loss provisions by five-category class (贷款损失准备), pure: the rates and the arithmetic.

The rule a finance reviewer should check
----------------------------------------
* The **required reserve** of a class is ``rate × the outstanding principal of the active loans
  in that class``, rounded half up to the fen, per class (not per loan): ``round(Σ principal ×
  rate_bp / 10 000)``. Defaults (``PUHUI_PROVISION_RATES_BP``, in basis points, in class order):
  正常 1 %, 关注 2 %, 次级 25 %, 可疑 50 %, 损失 100 % (the customary 专项准备 rates).
* The base is principal only; interest receivable of a non-accrual loan is already held in
  suspense (lending/nonaccrual.py) and needs no reserve.
* The end of day posts the **change**: ``required − reserve held`` per class, an expense when
  positive (Dr provision expense, Cr reserve), a release when negative (Dr reserve, Cr expense).
  A re-run of the same date finds nothing to post.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from puhui.lending.classification import LoanClass


@dataclass(frozen=True, slots=True)
class ProvisionRates:
    """Reserve rates per class, in basis points (10 000 = 100 %)."""

    normal_bp: int = 100
    special_mention_bp: int = 200
    substandard_bp: int = 2500
    doubtful_bp: int = 5000
    loss_bp: int = 10000

    def __post_init__(self) -> None:
        rates = self.as_tuple()
        if any(r < 0 or r > 10000 for r in rates) or list(rates) != sorted(rates):
            raise ValueError(f"rates must lie in 0..10000 bp, worse classes no lower: {rates}")

    def as_tuple(self) -> tuple[int, int, int, int, int]:
        return (
            self.normal_bp,
            self.special_mention_bp,
            self.substandard_bp,
            self.doubtful_bp,
            self.loss_bp,
        )

    def rate_bp(self, cls: LoanClass | str) -> int:
        return self.as_tuple()[LoanClass(cls).rank]

    @classmethod
    def parse(cls, text: str) -> ProvisionRates:
        """``"100,200,2500,5000,10000"`` (class order, best first)."""
        parts = [int(p) for p in text.replace(" ", "").split(",") if p]
        if len(parts) != 5:
            raise ValueError("five rates are needed, in class order: 正常,关注,次级,可疑,损失")
        return cls(*parts)


DEFAULT_RATES = ProvisionRates()


def required_reserve_fen(balance_fen: int, rate_bp: int) -> int:
    """``balance × rate``, rounded half up to the fen."""
    value = Decimal(balance_fen) * Decimal(rate_bp) / Decimal(10000)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def provision_moves(
    balances: dict[str, int], reserves: dict[str, int], rates: ProvisionRates = DEFAULT_RATES
) -> dict[str, int]:
    """Per class: required reserve − reserve held (positive: provide more; negative: release).
    Every class appears, with 0 when nothing moves."""
    return {
        c.value: required_reserve_fen(balances.get(c.value, 0), rates.rate_bp(c))
        - reserves.get(c.value, 0)
        for c in LoanClass
    }
