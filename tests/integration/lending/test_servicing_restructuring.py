"""Restructuring (issue 17): under maker-checker, interest capitalised or deferred, the schedule
rebuilt, the ledger balanced, the loan at least 关注 for the observation period."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session
from tests.conftest import make_user
from tests.integration.lending.lending_factories import (
    START,
    assert_books,
    at,
    draw,
    make_enterprise,
    make_line,
    run_days,
    spend_all,
)

from puhui.core.auth import principal_of
from puhui.core.clock import FixedClock
from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.lending import loans as lending_loans
from puhui.lending.products import JINGYINGDAI
from puhui.lending.schedules import RepaymentMethod
from puhui.lending.servicing import restructuring
from puhui.lending.servicing.errors import SameOfficer


@pytest.mark.parametrize("capitalise", [True, False])
def test_restructuring_keeps_the_ledger_balanced_and_sets_the_class(
    session: Session, clock: FixedClock, runtime: Runtime, capitalise: bool
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(
        session, clock, ent.id, product_code=JINGYINGDAI, method=RepaymentMethod.EQUAL_INSTALMENT
    )
    loan = draw(session, clock, line.id, 12_000_000, term_months=12)
    spend_all(session, clock, ent.id)
    run_days(session, clock, START, date(2026, 12, 30))  # the first instalment unpaid, 7 dpd
    assert loan.dpd > 0 and loan.overdue_interest_fen > 0
    maker = principal_of(make_user(session, runtime, Role.CREDIT_OFFICER))
    checker = principal_of(make_user(session, runtime, Role.CREDIT_OFFICER))
    at(clock, date(2026, 12, 31))
    proposal = restructuring.propose(
        session, clock, maker, loan.id, rate_bp=360, term_months=24,
        method=RepaymentMethod.EQUAL_PRINCIPAL, capitalise_interest=capitalise,
        reason="订单下滑，延长期限降低月供",
    )  # fmt: skip
    with pytest.raises(SameOfficer):
        restructuring.approve(session, clock, maker, proposal.id)
    receivable = loan.overdue_interest_fen + loan.interest_accrued_fen + loan.interest_deferred_fen
    principal = loan.principal_outstanding_fen
    done = restructuring.approve(session, clock, checker, proposal.id)
    assert done.status == "executed" and done.observation_until == date(2027, 6, 30)
    rows = [r for r in lending_loans.rows_of(session, loan.id) if r.status == "scheduled"]
    assert len(rows) == 24 and loan.rate_bp == 360 and loan.repayment_method == "equal_principal"
    assert rows[0].due_date == date(2027, 1, 31) and loan.maturity_date == date(2028, 12, 31)
    if capitalise:
        assert done.capitalised_fen == receivable > 0
        assert loan.principal_outstanding_fen == principal + receivable
        assert loan.interest_deferred_fen == 0
    else:
        assert loan.principal_outstanding_fen == principal
        assert loan.interest_deferred_fen == receivable
    assert loan.classification == "special_mention" and loan.dpd == 0
    assert_books(session)
    run_days(session, clock, date(2026, 12, 31), date(2027, 1, 2))
    assert loan.classification == "special_mention"  # the floor holds after the end of day
    assert_books(session)


def test_a_restructured_due_date_on_a_weekend_moves_under_the_product_rule(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    """Fails on the code before slice C: the rebuilt schedule kept 2027-01-31, a Sunday."""
    from sqlalchemy import select

    from puhui.lending.models import Product

    ent = make_enterprise(session, clock)
    line = make_line(
        session, clock, ent.id, product_code=JINGYINGDAI, method=RepaymentMethod.EQUAL_INSTALMENT
    )
    loan = draw(session, clock, line.id, 6_000_000, term_months=12)
    product = session.scalar(select(Product).where(Product.code == JINGYINGDAI))
    assert product is not None
    product.holiday_rule = "next_working_day"
    maker = principal_of(make_user(session, runtime, Role.CREDIT_OFFICER))
    checker = principal_of(make_user(session, runtime, Role.CREDIT_OFFICER))
    at(clock, date(2026, 12, 31))
    proposal = restructuring.propose(
        session, clock, maker, loan.id, rate_bp=400, term_months=12,
        method=RepaymentMethod.EQUAL_INSTALMENT, capitalise_interest=False, reason="调整期限",
    )  # fmt: skip
    restructuring.approve(session, clock, checker, proposal.id)
    rows = [r for r in lending_loans.rows_of(session, loan.id) if r.status == "scheduled"]
    assert rows[0].due_date == date(2027, 2, 1)  # Sunday 31 January → Monday
    assert rows[1].start_date == date(2027, 2, 1)
    assert all(r.due_date.weekday() < 5 for r in rows)
    assert_books(session)
