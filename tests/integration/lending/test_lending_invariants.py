"""The invariant checks the simulation relies on do catch a broken book (they can fail)."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session
from tests.integration.lending.lending_factories import (
    START,
    assert_books,
    draw,
    make_enterprise,
    make_line,
    run_days,
)

from puhui.core.clock import FixedClock
from puhui.lending.models import CreditLine, Instalment, Loan


@pytest.mark.parametrize(
    ("table", "column", "delta"),
    [
        (Loan, "interest_accrued_fen", 1),
        (Loan, "penalty_accrued_fen", 1),
        (Loan, "principal_outstanding_fen", -1),
        (Instalment, "principal_fen", 1),
        (CreditLine, "used_fen", -1),
    ],
)
def test_a_figure_out_of_line_with_the_ledger_is_caught(
    session: Session, clock: FixedClock, table: type, column: str, delta: int
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id)
    loan = draw(session, clock, line.id, 2_000_000, term_months=3)
    run_days(session, clock, START, START)
    assert_books(session)
    key = table.loan_id if table is Instalment else table.id  # type: ignore[attr-defined]
    target = loan.id if table is not CreditLine else line.id
    session.execute(
        update(table)
        .where(key == target)
        .values({column: getattr(table, column) + delta})
        .execution_options(synchronize_session=False)
    )
    with pytest.raises(AssertionError):
        assert_books(session, full=False)
