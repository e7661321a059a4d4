"""Relief requests (issue 17): a borrower asks, credit officers decide (maker-checker above a
threshold), the approval executes the relief and rebuilds the schedule."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session
from tests.conftest import make_user
from tests.integration.lending.lending_factories import (
    assert_books,
    at,
    draw,
    fund,
    make_enterprise,
    make_line,
)
from tests.integration.lending.servicing_factories import decision_for

from puhui.core.auth import Principal, principal_of
from puhui.core.clock import FixedClock
from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.lending import loans as lending_loans
from puhui.lending import service as lending
from puhui.lending.products import JINGYINGDAI, XIANXIHOUBEN
from puhui.lending.schedules import RepaymentMethod
from puhui.lending.servicing import service as servicing
from puhui.lending.servicing.errors import (
    ReliefRequestConflict,
    ReliefRequestNotFound,
    RenewalDecisionRequired,
    SameOfficer,
)

THRESHOLD = 10_000_000  # ¥100,000


def _people(session: Session, runtime: Runtime, enterprise_id) -> tuple[Principal, ...]:  # type: ignore[no-untyped-def]
    borrower = make_user(session, runtime, Role.BORROWER, enterprise_ids=[enterprise_id])
    maker = make_user(session, runtime, Role.CREDIT_OFFICER)
    checker = make_user(session, runtime, Role.CREDIT_OFFICER)
    return principal_of(borrower), principal_of(maker), principal_of(checker)


def test_a_deferral_request_through_approval_rebuilds_the_schedule(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(
        session, clock, ent.id, product_code=JINGYINGDAI, method=RepaymentMethod.EQUAL_INSTALMENT
    )
    loan = draw(session, clock, line.id, 12_000_000, term_months=12)
    borrower, maker, checker = _people(session, runtime, ent.id)
    first_due = lending_loans.rows_of(session, loan.id)[0].due_date
    assert loan.maturity_date == date(2027, 11, 23)
    stranger = Principal(maker.user_id, "x", "x", Role.BORROWER, frozenset())
    with pytest.raises(ReliefRequestNotFound):
        servicing.submit(
            session, clock, stranger, loan.id, kind=servicing.ReliefRequestKind.DEFERRAL,
            months=3, reason="受疫情影响",
        )  # fmt: skip
    req = servicing.submit(
        session, clock, borrower, loan.id, kind=servicing.ReliefRequestKind.DEFERRAL,
        months=3, reason="受疫情影响，订单延迟",
        documents=[servicing.Document("订单取消函.pdf", "ab" * 32, 1234)],
    )  # fmt: skip
    assert req.status == "submitted" and req.reference.startswith("RLF-")
    with pytest.raises(ReliefRequestConflict):
        servicing.submit(
            session, clock, borrower, loan.id, kind=servicing.ReliefRequestKind.DEFERRAL,
            months=2, reason="再次申请",
        )  # fmt: skip
    assert servicing.queue(session)[0].id == req.id
    out = servicing.decide(
        session, clock, maker, req.id, approve=True, note="核实属实", checker_above_fen=THRESHOLD
    )
    assert out.status == "awaiting_check" and out.relief is None  # ¥120,000 ≥ threshold
    with pytest.raises(SameOfficer):
        servicing.confirm(session, clock, maker, req.id, approve=True, note="")
    done = servicing.confirm(session, clock, checker, req.id, approve=True, note="同意")
    assert done.status == "approved" and done.relief is not None
    assert req.relief_id == done.relief.id and req.checker_name == checker.display_name
    live = [r for r in lending_loans.rows_of(session, loan.id) if r.status == "scheduled"]
    assert min(r.due_date for r in live) == date(2027, 3, 23) != first_due  # 3 months later
    assert loan.maturity_date == date(2028, 2, 23)
    steps = [(e.from_status, e.to_status) for e in servicing.history(session, req.id)]
    assert steps == [
        (None, "submitted"),
        ("submitted", "awaiting_check"),
        ("awaiting_check", "approved"),
    ]
    assert_books(session)


def test_a_renewal_request_is_executed_with_its_fresh_decision_only(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id, product_code=XIANXIHOUBEN, term_months=6)
    loan = draw(session, clock, line.id, 3_600_000, term_months=3)
    borrower, maker, _ = _people(session, runtime, ent.id)
    at(clock, date(2027, 2, 20))
    fund(session, clock, ent.id, 1_000_000)
    lending.auto_debit_due(session, clock, date(2027, 2, 20), [loan.id])
    req = servicing.submit(
        session, clock, borrower, loan.id, kind=servicing.ReliefRequestKind.RENEWAL,
        months=6, reason="订单周期长，申请续贷",
    )  # fmt: skip
    with pytest.raises(ReliefRequestConflict):  # no fresh decision yet
        servicing.decide(
            session, clock, maker, req.id, approve=True, note="", checker_above_fen=THRESHOLD
        )
    old = decision_for(session, clock, ent.id, age=timedelta(days=40))
    servicing.attach_decision(session, req, application_id=old, decision_id=old, outcome="approve")
    with pytest.raises(RenewalDecisionRequired):
        servicing.decide(
            session, clock, maker, req.id, approve=True, note="", checker_above_fen=THRESHOLD
        )
    fresh = decision_for(session, clock, ent.id)
    servicing.attach_decision(
        session, req, application_id=fresh, decision_id=fresh, outcome="approve"
    )
    out = servicing.decide(
        session, clock, maker, req.id, approve=True, note="新审批通过", checker_above_fen=THRESHOLD
    )
    assert out.status == "approved" and out.relief is not None
    assert out.relief.decision_id == fresh and loan.status == "renewed"
    assert_books(session)


def test_a_declined_request_changes_nothing(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id)
    loan = draw(session, clock, line.id, 1_000_000, term_months=6)
    borrower, maker, _ = _people(session, runtime, ent.id)
    maturity = loan.maturity_date
    req = servicing.submit(
        session, clock, borrower, loan.id, kind=servicing.ReliefRequestKind.DEFERRAL,
        months=2, reason="资金紧张",
    )  # fmt: skip
    out = servicing.decide(
        session, clock, maker, req.id, approve=False, note="经营正常，无需延期",
        checker_above_fen=THRESHOLD,
    )  # fmt: skip
    assert out.status == "declined" and loan.maturity_date == maturity
    assert (
        servicing.of_enterprises(session, frozenset({ent.id}))[0].officer_note
        == "经营正常，无需延期"
    )
    with pytest.raises(ReliefRequestConflict):
        servicing.withdraw(session, clock, borrower, req.id)
