"""LPR repricing (issue 17): publications under maker-checker; a floating 等额本息 loan
repriced on its date equals an independent recomputation to the fen; the ledger stays
balanced; the borrower gets a notice."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import make_user
from tests.integration.lending.lending_factories import (
    assert_books,
    draw,
    make_enterprise,
    make_line,
)

from puhui.core.auth import principal_of
from puhui.core.clock import FixedClock
from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.lending import loans as lending_loans
from puhui.lending.products import JINGYINGDAI
from puhui.lending.schedules import RepaymentMethod
from puhui.lending.servicing import pricing
from puhui.lending.servicing.errors import SameOfficer
from puhui.lending.servicing.models import ServicingNotice


def _half_up(x: Fraction) -> int:
    return int((x + Fraction(1, 2)).__floor__())


def independent_annuity(balance: int, rate_bp: int, n: int) -> list[tuple[int, int]]:
    """(principal, interest) of each 等额本息 instalment, computed exactly with fractions."""
    r = Fraction(rate_bp, 10_000 * 12)
    payment = _half_up(balance * r / (1 - (1 + r) ** -n))
    out = []
    for k in range(n):
        interest = _half_up(balance * r)
        principal = balance if k == n - 1 else payment - interest
        out.append((principal, interest))
        balance -= principal
    return out


def test_lpr_repricing_of_an_equal_instalment_loan_equals_an_independent_recomputation(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    maker = principal_of(make_user(session, runtime, Role.RISK_OFFICER))
    checker = principal_of(make_user(session, runtime, Role.RISK_OFFICER))
    lpr = pricing.enter_lpr(
        session, clock, maker, published_date=date(2026, 12, 20), tenor="1y", rate_bp=300
    )
    assert pricing.lpr_on(session, "1y", date(2026, 12, 23)) is None  # not yet checked
    with pytest.raises(SameOfficer):
        pricing.decide_lpr(session, clock, maker, lpr.id, approve=True)
    pricing.decide_lpr(session, clock, checker, lpr.id, approve=True)
    assert pricing.lpr_on(session, "1y", date(2026, 12, 23)) == 300

    ent = make_enterprise(session, clock)
    line = make_line(
        session, clock, ent.id, product_code=JINGYINGDAI, method=RepaymentMethod.EQUAL_INSTALMENT
    )
    loan = draw(session, clock, line.id, 12_000_000, term_months=12)
    assert loan.rate_bp == 435
    pricing.make_floating(session, clock, loan.id, tenor="1y", spread_bp=50, frequency_months=1)
    first = lending_loans.rows_of(session, loan.id)[0]
    assert pricing.reprice_due(session, clock, date(2026, 12, 22)) == {"loans_repriced": 0}
    assert pricing.reprice_due(session, clock, date(2026, 12, 23)) == {"loans_repriced": 1}
    assert loan.rate_bp == 350
    rows = lending_loans.rows_of(session, loan.id)
    assert rows[0].id == first.id and rows[0].interest_fen == first.interest_fen  # billed as was
    later = rows[1:]
    expected = independent_annuity(first.closing_balance_fen, 350, 11)
    assert [(r.principal_fen, r.interest_fen) for r in later] == expected
    assert sum(r.principal_fen for r in rows) == 12_000_000
    # the next month: same LPR, same rate, nothing rebuilt
    assert pricing.reprice_due(session, clock, date(2027, 1, 23)) == {"loans_repriced": 0}
    notices = session.scalars(
        select(ServicingNotice).where(ServicingNotice.kind == "repricing")
    ).all()
    assert len(notices) == 1 and "3.50%" in notices[0].body
    assert_books(session)
