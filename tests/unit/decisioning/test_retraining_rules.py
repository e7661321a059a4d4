"""Retraining's labels (issue 22, item 7): bad = 90+ dpd, substandard or worse, or written off;
an immature loan is not a good one; reject inference only when asked."""

from __future__ import annotations

from datetime import date

from puhui.decisioning.features import MODEL_FEATURES
from puhui.decisioning.retraining import BookRow, Performance, add_months, label, training_frame

AS_OF = date(2026, 12, 7)
OLD = date(2025, 11, 30)  # window complete
NEW = date(2026, 6, 1)  # window not complete
CLEAN = Performance(max_dpd=0, classification="normal", written_off=False)


def _row(day: date, perf: Performance | None, approved: bool = True, pd: float = 0.05) -> BookRow:
    return BookRow(day, {MODEL_FEATURES[0]: 1.0}, approved, pd, perf)


def test_bad_good_and_left_out() -> None:
    assert label(_row(OLD, CLEAN), AS_OF) == 0
    assert label(_row(NEW, CLEAN), AS_OF) is None  # immature: not counted good
    assert label(_row(NEW, Performance(95, "special_mention", False)), AS_OF) == 1
    assert label(_row(NEW, Performance(30, "substandard", False)), AS_OF) == 1
    assert label(_row(NEW, Performance(0, "normal", True)), AS_OF) == 1  # written off
    assert label(_row(OLD, Performance(89, "special_mention", False)), AS_OF) == 0
    assert label(_row(OLD, None), AS_OF) is None  # never drawn: no outcome
    assert label(_row(OLD, CLEAN), AS_OF, window_months=24) is None


def test_reject_inference_is_optional() -> None:
    declined = _row(OLD, None, approved=False, pd=0.3)
    assert label(declined, AS_OF) is None
    assert label(declined, AS_OF, reject_inference="hard_cutoff") == 1
    low = _row(OLD, None, approved=False, pd=0.05)
    assert label(low, AS_OF, reject_inference="hard_cutoff") is None


def test_sandbox_outcomes_label_every_decision() -> None:
    row = BookRow(NEW, {}, False, None, None, sandbox_bad=True)
    assert label(row, AS_OF, outcomes="sandbox") == 1
    assert label(row, AS_OF) is None


def test_training_frame_counts() -> None:
    rows = [_row(OLD, CLEAN), _row(NEW, CLEAN), _row(NEW, Performance(120, "loss", False))]
    frame, counts = training_frame(rows, AS_OF)
    assert counts == {"decisions": 3, "rows": 2, "bads": 1, "left_out": 1}
    assert frame["bad"].to_list() == [0, 1] and set(MODEL_FEATURES) <= set(frame.columns)


def test_add_months_clips_to_the_month_end() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2025, 12, 7), 12) == date(2026, 12, 7)
