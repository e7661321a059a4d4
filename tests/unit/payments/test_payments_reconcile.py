"""Statement against ledger: matched, either side only, amount mismatches, duplicates."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from puhui.payments.reconcile import BreakKind, Line, match


def test_everything_matches() -> None:
    lines = [Line("A", False, -100), Line("A", True, 100), Line("B", False, 5)]
    result = match(lines, list(reversed(lines)))
    assert (result.matched, result.breaks) == (3, [])


def test_each_kind_of_break_is_found() -> None:
    statement = [Line("A", False, -100), Line("B", False, -7), Line("C", False, 9)]
    ledger = [Line("A", False, -100), Line("B", False, -8), Line("D", False, 3)]
    result = match(statement, ledger)
    kinds = sorted((b.kind, b.end_to_end_id) for b in result.breaks)
    assert result.matched == 1
    assert kinds == [
        (BreakKind.AMOUNT_MISMATCH, "B"),
        (BreakKind.ONLY_IN_LEDGER, "D"),
        (BreakKind.ONLY_ON_STATEMENT, "C"),
    ]
    assert result.break_fen == 1 + 3 + 9


def test_a_duplicated_statement_line_is_a_break() -> None:
    result = match([Line("A", False, 5), Line("A", False, 5)], [Line("A", False, 5)])
    assert result.matched == 1
    assert [b.kind for b in result.breaks] == [BreakKind.ONLY_ON_STATEMENT]


@given(st.lists(st.tuples(st.text(min_size=1, max_size=3), st.booleans(), st.integers(-50, 50))))
def test_identical_sides_always_match(raw: list[tuple[str, bool, int]]) -> None:
    lines = [Line(*r) for r in raw]
    result = match(lines, lines[::-1])
    assert result.matched == len(lines) and result.breaks == []
