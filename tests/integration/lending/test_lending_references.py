"""Human references `PREFIX-YYYY-NNNNNN` (SQLite: a counter row; PostgreSQL: a sequence per
prefix and year): increasing per year, continuing after numbers made another way before."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from puhui.lending import loans


def test_numbers_increase_per_prefix_and_year(session: Session) -> None:
    assert loans.next_reference(session, "TSTA", 2031) == "TSTA-2031-000001"
    assert loans.next_reference(session, "TSTA", 2031) == "TSTA-2031-000002"
    assert loans.next_reference(session, "TSTA", 2032) == "TSTA-2032-000001"
    assert loans.next_reference(session, "TSTB", 2031) == "TSTB-2031-000001"


def test_a_year_numbered_before_is_continued_after(session: Session) -> None:
    asked: list[int] = []

    def numbered() -> int:  # e.g. contracts once numbered by counting them
        asked.append(1)
        return 7

    assert loans.next_reference(session, "TSTC", 2031, numbered=numbered) == "TSTC-2031-000008"
    assert loans.next_reference(session, "TSTC", 2031, numbered=numbered) == "TSTC-2031-000009"
    assert asked == [1]  # read once, when the year's counter or sequence is made


@pytest.mark.parametrize(("prefix", "year"), [("drw", 2026), ("DRW;--", 2026), ("DRW", 99)])
def test_a_prefix_or_year_that_is_not_one_is_refused(
    session: Session, prefix: str, year: int
) -> None:
    with pytest.raises(ValueError):
        loans.next_reference(session, prefix, year)
