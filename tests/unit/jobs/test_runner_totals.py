"""How the job runner adds a batch's totals to its step's stored totals."""

from __future__ import annotations

from puhui.jobs.runner import _merged_totals


def test_totals_add_key_by_key_into_a_new_dict() -> None:
    stored = {"interest_fen": 10, "loans": 2}
    merged = _merged_totals(stored, {"interest_fen": 5, "penalty_fen": 1})
    assert merged == {"interest_fen": 15, "loans": 2, "penalty_fen": 1}
    assert stored == {"interest_fen": 10, "loans": 2}  # the JSON column must see a new object
    assert merged is not stored


def test_totals_start_from_nothing_and_read_stored_numbers_as_ints() -> None:
    assert _merged_totals(None, {"items": 3}) == {"items": 3}
    assert _merged_totals({"items": 2.0}, {"items": 3}) == {"items": 5}
    assert type(_merged_totals({"items": 2.0}, {"items": 3})["items"]) is int
