"""Days past due and the five-category loan classification (贷款五级分类).

Conventions a finance reviewer should check
------------------------------------------
* **Days past due (逾期天数)** count from the *oldest unpaid due date*: ``business date − due
  date`` in calendar days, never negative. On the due date itself a loan is not yet overdue
  (dpd 0: the borrower may pay until the end of that day); the next day it is 1 day past due.
  A loan with nothing unpaid and past due has dpd 0.
* **Classification by dpd** follows 《商业银行金融资产风险分类办法》(2023) as a floor:

  =====  ==========================  =======================
  dpd    at least                    default threshold
  =====  ==========================  =======================
  ≥ 1    关注 SPECIAL_MENTION        any overdue
  > 90   次级 SUBSTANDARD            ``substandard_after_dpd = 90``
  > 270  可疑 DOUBTFUL               ``doubtful_after_dpd = 270``
  > 360  损失 LOSS                   ``loss_after_dpd = 360``
  =====  ==========================  =======================

  Thresholds are configurable (a bank may be stricter). Other facts (restructuring, the
  borrower's condition, a credit officer's judgement) can only make the category worse:
  pass them as ``at_least``; the result is the worse of that and the dpd category.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class LoanClass(StrEnum):
    """The five categories, from best to worst."""

    NORMAL = "normal"
    SPECIAL_MENTION = "special_mention"
    SUBSTANDARD = "substandard"
    DOUBTFUL = "doubtful"
    LOSS = "loss"

    @property
    def zh(self) -> str:
        return _ZH[self]

    @property
    def rank(self) -> int:
        """0 (正常) … 4 (损失): higher is worse."""
        return _ORDER.index(self)

    @property
    def is_non_performing(self) -> bool:
        """次级, 可疑 and 损失 are non-performing loans (不良贷款)."""
        return self.rank >= LoanClass.SUBSTANDARD.rank


_ORDER = list(LoanClass)
_ZH = {
    LoanClass.NORMAL: "正常",
    LoanClass.SPECIAL_MENTION: "关注",
    LoanClass.SUBSTANDARD: "次级",
    LoanClass.DOUBTFUL: "可疑",
    LoanClass.LOSS: "损失",
}


def worst(*classes: LoanClass) -> LoanClass:
    """The worst of the given categories (NORMAL if none)."""
    return max(classes, key=lambda c: c.rank, default=LoanClass.NORMAL)


@dataclass(frozen=True, slots=True)
class ClassificationThresholds:
    """dpd thresholds; a loan is at least the category once dpd is *greater than* the value."""

    special_mention_after_dpd: int = 0
    substandard_after_dpd: int = 90
    doubtful_after_dpd: int = 270
    loss_after_dpd: int = 360
    # 非应计: from this many days past due interest and penalty stop going to income
    # (lending/nonaccrual.py); not a class threshold, kept here because every dpd rule travels
    # with this object through the end of day
    non_accrual_from_dpd: int = 90

    def __post_init__(self) -> None:
        if self.non_accrual_from_dpd < 1:
            raise ValueError("non_accrual_from_dpd must be at least 1")
        values = (
            self.special_mention_after_dpd,
            self.substandard_after_dpd,
            self.doubtful_after_dpd,
            self.loss_after_dpd,
        )
        if values[0] < 0 or list(values) != sorted(values):
            raise ValueError(f"thresholds must be non-negative and non-decreasing: {values}")


DEFAULT_THRESHOLDS = ClassificationThresholds()


def days_past_due(oldest_unpaid_due_date: date | None, business_date: date) -> int:
    """Calendar days from the oldest unpaid due date to the business date, at least 0."""
    if oldest_unpaid_due_date is None:
        return 0
    return max(0, (business_date - oldest_unpaid_due_date).days)


def classify(
    dpd: int,
    thresholds: ClassificationThresholds = DEFAULT_THRESHOLDS,
    *,
    at_least: LoanClass = LoanClass.NORMAL,
) -> LoanClass:
    """The category for ``dpd`` days past due, never better than ``at_least``."""
    if dpd < 0:
        raise ValueError("days past due must not be negative")
    if dpd > thresholds.loss_after_dpd:
        by_dpd = LoanClass.LOSS
    elif dpd > thresholds.doubtful_after_dpd:
        by_dpd = LoanClass.DOUBTFUL
    elif dpd > thresholds.substandard_after_dpd:
        by_dpd = LoanClass.SUBSTANDARD
    elif dpd > thresholds.special_mention_after_dpd:
        by_dpd = LoanClass.SPECIAL_MENTION
    else:
        by_dpd = LoanClass.NORMAL
    return worst(by_dpd, at_least)
