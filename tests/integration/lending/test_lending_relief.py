"""Relief: 延期还本付息 (deferral), 无还本续贷 (renewal), 自动授信增额 (auto limit increase)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from tests.integration.lending.lending_factories import (
    START,
    assert_books,
    at,
    draw,
    fund,
    make_enterprise,
    make_line,
    run_days,
    spend_all,
)
from tests.integration.lending.servicing_factories import decision_for

from puhui.core.clock import FixedClock
from puhui.core.errors import InvalidInput
from puhui.core.models import Role
from puhui.ledger import service as ledger_service
from puhui.lending import loans as lending_loans
from puhui.lending import service as lending
from puhui.lending.errors import ReliefNotAllowed, SettlementInsufficient
from puhui.lending.models import CreditLineEvent, Loan, LoanEvent, Relief
from puhui.lending.products import JINGYINGDAI, XIANXIHOUBEN
from puhui.lending.schedules import RepaymentMethod, add_months
from puhui.lending.schemas import LimitIncreaseRules
from puhui.lending.servicing.errors import RenewalDecisionRequired


def _balance(session: Session, code: str, loan: Loan) -> int:
    return ledger_service.balance_fen(session, ledger_service.owned(code, "loan", loan.id))


def test_deferral_moves_the_unpaid_schedule_and_waives_the_penalty(
    session: Session, clock: FixedClock
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(
        session,
        clock,
        ent.id,
        product_code=JINGYINGDAI,
        term_months=12,
        method=RepaymentMethod.EQUAL_INSTALMENT,
    )
    loan = draw(session, clock, line.id, 12_000_000)
    first_row = lending_loans.rows_of(session, loan.id)[0]
    spend_all(session, clock, ent.id)
    run_days(session, clock, START, date(2027, 1, 2))
    assert loan.dpd == 10 and loan.penalty_accrued_fen > 0
    penalty = loan.penalty_accrued_fen + loan.compound_accrued_fen
    assert _balance(session, "penalty_receivable", loan) == penalty
    overdue_interest = loan.overdue_interest_fen
    assert_books(session)

    at(clock, date(2027, 1, 3))
    relief = lending.defer(session, clock, loan.id, 3, "疫情影响，延期三个月")
    assert relief.kind == "deferral" and relief.months == 3
    assert relief.penalty_waived_fen == penalty
    assert relief.old_maturity_date == date(2027, 11, 23)
    assert relief.new_maturity_date == date(2028, 2, 23) == loan.maturity_date
    assert _balance(session, "penalty_receivable", loan) == 0
    assert (loan.dpd, loan.overdue_principal_fen, loan.overdue_interest_fen) == (0, 0, 0)
    rows = lending_loans.rows_of(session, loan.id, live=False)
    assert rows[0].id == first_row.id and rows[0].status == "superseded"
    live = [r for r in rows if r.status != "superseded"]
    assert [r.seq for r in live] == list(range(2, 13))
    assert live[0].start_date == date(2027, 3, 23) and live[0].due_date == date(2027, 4, 23)
    assert sum(r.principal_fen for r in live) == 12_000_000 == loan.principal_outstanding_fen
    window = relief.deferred_interest_fen  # 3 months of interest on the whole balance
    assert window == 12_000_000 * 435 * 3 // 120_000
    assert sum(r.deferred_interest_fen for r in live) == window + overdue_interest
    assert loan.interest_accrued_through == date(2027, 3, 23)
    events = session.scalars(select(LoanEvent.kind).where(LoanEvent.loan_id == loan.id)).all()
    assert "deferral" in events
    assert_books(session)

    # nothing accrues in the window; a payoff inside it pays the deferred interest and principal
    run_days(session, clock, date(2027, 1, 3), date(2027, 1, 10))
    assert loan.interest_accrued_fen == 0 and loan.penalty_accrued_fen == 0
    at(clock, date(2027, 1, 11))
    owed = loan.principal_outstanding_fen + window + overdue_interest
    fund(session, clock, ent.id, owed)
    out = lending.repay(session, clock, loan.id, owed, idempotency_key="payoff", kind="prepayment")
    assert out.accrued_interest_fen == window + overdue_interest and out.unapplied_fen == 0
    assert loan.status == "paid_off"
    assert _balance(session, "interest_receivable", loan) == 0
    assert_books(session)


def test_deferral_refusals(session: Session, clock: FixedClock) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id)
    loan = draw(session, clock, line.id, 1_000_000, term_months=1)
    with pytest.raises(InvalidInput):
        lending.defer(session, clock, loan.id, 13, "太长")
    at(clock, date(2026, 12, 24))  # the only instalment is due: nothing left to move
    with pytest.raises(ReliefNotAllowed) as info:
        lending.defer(session, clock, loan.id, 1, "到期后")
    assert "无还本续贷" in info.value.message("zh")


def _interest_first_loan(session: Session, clock: FixedClock) -> tuple[Any, Any, Loan]:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id, product_code=XIANXIHOUBEN, term_months=6)
    loan = draw(session, clock, line.id, 3_600_000, term_months=3)
    return ent, line, loan


def test_renewal_at_maturity_refinances_the_principal_without_cash(
    session: Session, clock: FixedClock
) -> None:
    ent, line, loan = _interest_first_loan(session, clock)
    for due in (date(2026, 12, 23), date(2027, 1, 23)):
        at(clock, due)
        lending.auto_debit_due(session, clock, due, [loan.id])
    spend_all(session, clock, ent.id)
    maturity = date(2027, 2, 23)
    assert loan.maturity_date == maturity
    at(clock, maturity)
    decision = decision_for(session, clock, ent.id, age=timedelta(days=3))
    with pytest.raises(SettlementInsufficient):
        lending.renew_without_principal(session, clock, loan.id, decision_id=decision)
    fund(session, clock, ent.id, 13_050)  # this month's interest must be paid
    relief = lending.renew_without_principal(
        session, clock, loan.id, decision_id=decision, term_months=6
    )
    assert relief.kind == "renewal" and relief.decision_id == decision
    new = session.get(Loan, relief.new_loan_id)
    assert new is not None and new.renewed_from_loan_id == loan.id
    assert (new.principal_fen, new.start_date, new.term_months) == (3_600_000, maturity, 6)
    assert loan.status == "renewed" and new.status == "active"
    assert _balance(session, "loan_principal", loan) == 0
    assert _balance(session, "loan_principal", new) == 3_600_000
    assert lending.settlement_balance(session, ent.id) == 0
    assert line.used_fen == 3_600_000  # an instalment line: refinancing uses nothing new
    detail = lending.loan_detail(session, new)
    assert any(p.kind == "renewal" and p.owner_key == str(new.id) for p in detail.postings)
    assert_books(session)


def test_renewal_before_maturity_pays_the_accrued_interest(
    session: Session, clock: FixedClock
) -> None:
    ent, _, loan = _interest_first_loan(session, clock)
    for due in (date(2026, 12, 23), date(2027, 1, 23)):
        at(clock, due)
        lending.auto_debit_due(session, clock, due, [loan.id])
    at(clock, date(2027, 2, 10))
    before = lending.settlement_balance(session, ent.id)
    fresh = decision_for(session, clock, ent.id)
    relief = lending.renew_without_principal(session, clock, loan.id, decision_id=fresh)
    paid = before - lending.settlement_balance(session, ent.id)
    assert paid == 3_600_000 * 435 * 18 // 3_600_000  # 18 days since 23 January, ACT/360
    assert relief.new_loan_id is not None
    assert_books(session)


def test_renewal_refusals(session: Session, clock: FixedClock) -> None:
    ent, line, loan = _interest_first_loan(session, clock)
    at(clock, date(2027, 1, 20))  # 34 days before maturity
    fresh = decision_for(session, clock, ent.id)
    with pytest.raises(ReliefNotAllowed) as early:
        lending.renew_without_principal(session, clock, loan.id, decision_id=fresh)
    assert "到期日前 30 天" in early.value.message("zh")
    spend_all(session, clock, ent.id)
    run_days(session, clock, date(2027, 1, 20), date(2027, 1, 25))  # January unpaid: overdue
    at(clock, date(2027, 2, 1))
    with pytest.raises(ReliefNotAllowed) as overdue:
        lending.renew_without_principal(session, clock, loan.id, decision_id=fresh)
    assert "逾期" in overdue.value.message("zh")
    fund(session, clock, ent.id, 1_000_000)
    lending.repay(session, clock, loan.id, 1_000_000, idempotency_key="catch-up")
    lending.freeze(session, clock, line.id, "预警")
    with pytest.raises(ReliefNotAllowed) as frozen:
        lending.renew_without_principal(session, clock, loan.id, decision_id=fresh)
    assert "冻结" in frozen.value.message("zh")
    assert loan.status == "active"
    assert_books(session)


def test_renewal_without_a_fresh_approval_of_the_enterprise_is_refused(
    session: Session, clock: FixedClock
) -> None:
    """Fails on the code before issue 17: any decision id, even an invented one, was accepted."""
    ent, _, loan = _interest_first_loan(session, clock)
    other = make_enterprise(session, clock, name="宁波别家贸易有限公司")
    for due in (date(2026, 12, 23), date(2027, 1, 23)):
        at(clock, due)
        lending.auto_debit_due(session, clock, due, [loan.id])
    at(clock, date(2027, 2, 10))
    refused = {
        "invented": uuid.uuid4(),
        "declined": decision_for(session, clock, ent.id, outcome="decline"),
        "too old": decision_for(session, clock, ent.id, age=timedelta(days=31)),
        "another enterprise": decision_for(session, clock, other.id),
    }
    for why, decision in refused.items():
        with pytest.raises(RenewalDecisionRequired) as exc:
            lending.renew_without_principal(session, clock, loan.id, decision_id=decision)
        assert "30 天内" in exc.value.message("zh"), why
    assert loan.status == "active"
    old = decision_for(session, clock, ent.id, age=timedelta(days=31))
    relief = lending.renew_without_principal(
        session, clock, loan.id, decision_id=old, decision_valid_days=45
    )
    assert relief.decision_id == old and loan.status == "renewed"
    assert_books(session)


def test_auto_limit_increase_rewards_clean_busy_lines_once(
    session: Session, clock: FixedClock
) -> None:
    ent = make_enterprise(session, clock)
    busy = make_line(session, clock, ent.id, limit_fen=100_000_000)
    dirty = make_line(session, clock, ent.id, limit_fen=100_000_000)
    idle = make_line(session, clock, ent.id, limit_fen=100_000_000)
    near_cap = make_line(session, clock, ent.id, limit_fen=280_000_000)
    draw(session, clock, busy.id, 80_000_000, term_months=12)
    late = draw(session, clock, dirty.id, 80_000_000, term_months=12)
    draw(session, clock, idle.id, 10_000_000, term_months=12)
    draw(session, clock, near_cap.id, 260_000_000, term_months=12)
    day = add_months(START, 4)
    at(clock, day)
    late.last_overdue_date = day - timedelta(days=20)
    rules = LimitIncreaseRules(name="2027Q1", clean_months=6, min_utilisation_bp=7_000)
    mine = {busy.id, dirty.id, idle.id, near_cap.id}
    done = [d for d in lending.auto_limit_increase(session, clock, day, rules) if d.line_id in mine]
    assert {(d.line_id, d.old_limit_fen, d.new_limit_fen) for d in done} == {
        (busy.id, 100_000_000, 120_000_000),
        (near_cap.id, 280_000_000, 300_000_000),  # capped by the product's maximum
    }
    assert busy.limit_fen == 120_000_000 and dirty.limit_fen == 100_000_000
    again = lending.auto_limit_increase(session, clock, day, rules)
    assert [d for d in again if d.line_id in mine] == []  # a re-run of the date does nothing
    event = session.scalars(
        select(CreditLineEvent).where(
            CreditLineEvent.line_id == busy.id, CreditLineEvent.kind == "limit_increase"
        )
    ).one()
    assert "自动增额（2027Q1）" in event.reason and "80.00%" in event.reason
    assert event.detail is not None and event.detail["rules"]["increase_bp"] == 2_000
    # too young a line is not raised
    young = make_line(session, clock, ent.id, limit_fen=100_000_000)
    draw(session, clock, young.id, 90_000_000, term_months=12)
    later = lending.auto_limit_increase(session, clock, day + timedelta(days=1), rules)
    assert young.id not in {d.line_id for d in later}


def test_relief_over_http_and_append_only_loan_history(
    session: Session, clock: FixedClock, client: TestClient, headers_for: Any
) -> None:
    _, _, loan = _interest_first_loan(session, clock)
    session.commit()
    officer = headers_for(Role.CREDIT_OFFICER)
    r = client.post(
        f"/api/v1/loans/{loan.id}/deferrals",
        json={"months": 2, "reason": "受灾延期"},
        headers=officer,
    )
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "deferral"
    bad = client.post(
        f"/api/v1/loans/{loan.id}/deferrals", json={"months": 0, "reason": "x"}, headers=officer
    )
    assert bad.status_code == 422
    invented = client.post(
        f"/api/v1/loans/{loan.id}/renewals",
        json={"decision_id": str(uuid.uuid4())},
        headers=officer,
    )
    assert invented.status_code == 409
    assert invented.json()["code"] == "renewal_decision_required"
    fresh = decision_for(session, clock, loan.enterprise_id)
    session.commit()
    early = client.post(
        f"/api/v1/loans/{loan.id}/renewals", json={"decision_id": str(fresh)}, headers=officer
    )
    assert early.status_code == 409 and early.json()["code"] == "relief_not_allowed"
    session.expire_all()
    assert session.scalars(select(Relief.kind).where(Relief.loan_id == loan.id)).all() == [
        "deferral"
    ]
    for sql in ("UPDATE lending_loan_event SET kind = 'x'", "DELETE FROM lending_loan_event"):
        with pytest.raises(DBAPIError), session.begin_nested():
            session.execute(text(sql))
