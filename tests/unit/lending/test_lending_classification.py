"""Days past due and the five-category classification (puhui.lending.classification)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from puhui.lending.classification import (
    ClassificationThresholds,
    LoanClass,
    classify,
    days_past_due,
    worst,
)


def test_labels_and_values() -> None:
    assert [c.zh for c in LoanClass] == ["正常", "关注", "次级", "可疑", "损失"]
    assert LoanClass("special_mention") is LoanClass.SPECIAL_MENTION
    assert [c.is_non_performing for c in LoanClass] == [False, False, True, True, True]
    assert worst() is LoanClass.NORMAL
    assert worst(LoanClass.DOUBTFUL, LoanClass.SUBSTANDARD) is LoanClass.DOUBTFUL


@pytest.mark.parametrize(
    ("dpd", "expected"),
    [
        (0, LoanClass.NORMAL),
        (1, LoanClass.SPECIAL_MENTION),
        (90, LoanClass.SPECIAL_MENTION),
        (91, LoanClass.SUBSTANDARD),
        (270, LoanClass.SUBSTANDARD),
        (271, LoanClass.DOUBTFUL),
        (360, LoanClass.DOUBTFUL),
        (361, LoanClass.LOSS),
        (5000, LoanClass.LOSS),
    ],
)
def test_default_thresholds(dpd: int, expected: LoanClass) -> None:
    assert classify(dpd) is expected


def test_at_least_and_custom_thresholds() -> None:
    assert classify(0, at_least=LoanClass.SUBSTANDARD) is LoanClass.SUBSTANDARD
    assert classify(400, at_least=LoanClass.SUBSTANDARD) is LoanClass.LOSS
    strict = ClassificationThresholds(substandard_after_dpd=60, doubtful_after_dpd=180)
    assert classify(61, strict) is LoanClass.SUBSTANDARD
    assert classify(181, strict) is LoanClass.DOUBTFUL
    with pytest.raises(ValueError):
        ClassificationThresholds(substandard_after_dpd=300)
    with pytest.raises(ValueError):
        classify(-1)


def test_days_past_due() -> None:
    due = date(2024, 3, 10)
    assert days_past_due(None, date(2024, 3, 20)) == 0
    assert days_past_due(due, date(2024, 3, 9)) == 0
    assert days_past_due(due, due) == 0  # payable until the end of the due date
    assert days_past_due(due, date(2024, 3, 11)) == 1
    assert days_past_due(due, date(2024, 6, 8)) == 90
    assert classify(days_past_due(due, date(2024, 6, 9))) is LoanClass.SUBSTANDARD


@given(st.integers(0, 2000), st.integers(0, 2000))
def test_classification_is_monotone(a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    assert classify(lo).rank <= classify(hi).rank
    assert (classify(a) is LoanClass.NORMAL) == (a == 0)
