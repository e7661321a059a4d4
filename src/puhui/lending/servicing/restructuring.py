"""Restructuring (贷款重组): a new rate, term or instalment method for a loan.

One credit officer proposes it under a credit decision (`propose`), a second approves
(`approve`, maker-checker) and it is executed in the same unit of work:

* what is billed and unpaid is taken back: its principal into the balance re-amortized;
* the interest due so far (billed and unpaid, accrued in the current period, deferred) is
  either **capitalised** — one entry, Dr loan principal / Cr interest receivable, so the books
  stay balanced and the income already recognised stays — (instalment products only: a
  revolving line's used amount is its principal) or spread over the new instalments as
  deferred interest, without interest on it;
* the schedule is rebuilt from today at the new rate over the new term with the new method;
* the loan is classified at least 关注 (special mention) until the observation period ends
  (`observation_months`, default `OBSERVATION_MONTHS`): the end of day's `restructured_floor`
  keeps the floor after each day's classification.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.auth import Principal
from puhui.core.clock import Clock, business_date
from puhui.core.errors import InvalidInput
from puhui.ledger import service as ledger_service
from puhui.ledger.service import Leg
from puhui.lending import loans, schedules
from puhui.lending.classification import LoanClass
from puhui.lending.errors import LoanNotFound
from puhui.lending.interest import DayCountBasis
from puhui.lending.models import Instalment, InstalmentStatus, Loan
from puhui.lending.products import get_product
from puhui.lending.relief import _check_terms
from puhui.lending.schedules import PeriodInterest, RepaymentMethod, add_months
from puhui.lending.servicing.errors import ReliefRequestConflict, SameOfficer
from puhui.lending.servicing.models import Restructuring

OBSERVATION_MONTHS = 6
PROPOSED, EXECUTED, REJECTED = "proposed", "executed", "rejected"


def propose(
    session: Session,
    clock: Clock,
    principal: Principal,
    loan_id: uuid.UUID,
    *,
    rate_bp: int,
    term_months: int,
    method: RepaymentMethod,
    capitalise_interest: bool,
    reason: str,
    decision_id: uuid.UUID | None = None,
    observation_months: int = OBSERVATION_MONTHS,
) -> Restructuring:
    """The maker: the new terms, checked against the product, waiting for a second officer."""
    loan = loans.lock_active_loan(session, loan_id)
    _check_terms(get_product(session, loan.product_code), term_months, rate_bp, method)
    if capitalise_interest and loan.revolving:
        raise InvalidInput(field="capitalise_interest")
    if not 0 <= observation_months <= 24 or len(reason.strip()) < 2:
        raise InvalidInput(field="reason" if len(reason.strip()) < 2 else "observation_months")
    row = Restructuring(
        loan_id=loan.id, status=PROPOSED, decision_id=decision_id, new_rate_bp=rate_bp,
        new_term_months=term_months, new_method=method.value,
        capitalise_interest=capitalise_interest, capitalised_fen=0,
        observation_months=observation_months, reason=reason.strip()[:500],
        proposed_by_id=principal.user_id, proposed_by_name=principal.display_name,
        created_at=clock.now(),
    )  # fmt: skip
    session.add(row)
    session.flush()
    audit.record(
        session, "loan.restructuring_proposed", "loan", loan.id,
        after={"restructuring_id": row.id, "rate_bp": rate_bp, "term_months": term_months,
               "method": method.value, "capitalise": capitalise_interest},
    )  # fmt: skip
    return row


def approve(
    session: Session, clock: Clock, principal: Principal, restructuring_id: uuid.UUID
) -> Restructuring:
    """The checker (not the maker): executes the restructuring now."""
    row = _pending(session, restructuring_id)
    if row.proposed_by_id == principal.user_id:
        raise SameOfficer()
    row.approved_by_id, row.approved_by_name = principal.user_id, principal.display_name
    row.decided_at = clock.now()
    _execute(session, clock, row)
    row.status = EXECUTED
    return row


def reject(
    session: Session, clock: Clock, principal: Principal, restructuring_id: uuid.UUID
) -> Restructuring:
    row = _pending(session, restructuring_id)
    if row.proposed_by_id == principal.user_id:
        raise SameOfficer()
    row.status, row.decided_at = REJECTED, clock.now()
    row.approved_by_id, row.approved_by_name = principal.user_id, principal.display_name
    return row


def _pending(session: Session, restructuring_id: uuid.UUID) -> Restructuring:
    row = session.get(Restructuring, restructuring_id)
    if row is None or row.status != PROPOSED:
        raise ReliefRequestConflict(
            status=row.status if row else "missing",
            status_zh="非待复核",
            action_zh="复核",
            action_en="checked",
        )
    return row


def _execute(session: Session, clock: Clock, row: Restructuring) -> None:
    day = business_date(clock)
    loan = loans.lock_active_loan(session, row.loan_id)
    rows = loans.rows_of(session, loan.id)
    loans.bill_due(session, clock, loan, rows, day)
    open_rows = _open_rows(rows)
    interest_due = _interest_due(loan)
    method = RepaymentMethod(row.new_method)
    plan, capitalised = rebuilt_plan(
        session, loan, rows, rate_bp=row.new_rate_bp, term_months=row.new_term_months,
        method=method, capitalise_interest=row.capitalise_interest, day=day,
    )  # fmt: skip
    if row.capitalise_interest:
        _capitalise(session, clock, loan, capitalised, day, row.id)
        loan.interest_deferred_fen = 0
    else:
        loan.interest_deferred_fen = interest_due
    loan.interest_accrued_fen = 0
    loan.interest_carry = 0
    loan.interest_accrued_through = day
    for r in open_rows:
        if r.status == InstalmentStatus.BILLED:
            r.status = InstalmentStatus.SUPERSEDED.value
        else:
            session.delete(r)
    session.flush()
    new_rows = loans.new_rows(loan.id, _renumbered(plan, rows))
    session.add_all(new_rows)
    paid = [r for r in rows if r.status == InstalmentStatus.PAID]
    before = {"rate_bp": loan.rate_bp, "method": loan.repayment_method,
              "maturity_date": loan.maturity_date.isoformat()}  # fmt: skip
    loan.rate_bp, loan.repayment_method = row.new_rate_bp, method.value
    loan.term_months = row.new_term_months
    loans.refresh(loan, paid + new_rows, day)
    row.capitalised_fen = capitalised
    row.observation_until = add_months(day, row.observation_months)
    _floor(loan)
    after = {"rate_bp": loan.rate_bp, "method": loan.repayment_method,
             "maturity_date": loan.maturity_date.isoformat(), "capitalised_fen": capitalised,
             "observation_until": row.observation_until.isoformat()}  # fmt: skip
    loans.loan_event(session, clock, loan, day, "restructuring", {"before": before, **after})
    audit.record(session, "loan.restructured", "loan", loan.id, before=before, after=after)


def _open_rows(rows: list[Instalment]) -> list[Instalment]:
    return [r for r in rows if r.status in (InstalmentStatus.BILLED, InstalmentStatus.SCHEDULED)]


def _interest_due(loan: Loan) -> int:
    """The whole interest receivable: billed and unpaid, accrued, deferred."""
    return loan.overdue_interest_fen + loan.interest_accrued_fen + loan.interest_deferred_fen


def rebuilt_plan(
    session: Session,
    loan: Loan,
    rows: list[Instalment],
    *,
    rate_bp: int,
    term_months: int,
    method: RepaymentMethod,
    capitalise_interest: bool,
    day: date,
) -> tuple[list[schedules.Instalment], int]:
    """The schedule a restructuring builds from `day` (under the product's holiday rule) and
    the interest it capitalises; reads only (the console's before/after shows it)."""
    balance = sum(loans.unpaid_principal(r) for r in _open_rows(rows))
    interest_due = _interest_due(loan)
    periods = schedules.loan_periods(day, term_months, method)
    next_working = loans.holiday_rule_of(session, get_product(session, loan.product_code))
    if next_working is not None:  # the product's rule, like a new loan's schedule
        periods = schedules.move_to_working_days(periods, next_working)
    capitalised = interest_due if capitalise_interest else 0
    plan = schedules.amortize(
        balance + capitalised, rate_bp, periods, method,
        interest_mode=PeriodInterest(loan.interest_mode), basis=DayCountBasis(loan.day_count),
    )  # fmt: skip
    if not capitalise_interest:
        plan = schedules.spread_deferred_interest(plan, interest_due)
    return plan, capitalised


def preview(
    session: Session, clock: Clock, row: Restructuring
) -> tuple[list[Instalment], list[schedules.Instalment], int]:
    """A proposal's schedule before (the loan's open instalments) and after (as it would be
    rebuilt today), and the interest it would capitalise. Nothing changes."""
    loan = session.get(Loan, row.loan_id)
    assert loan is not None
    rows = loans.rows_of(session, loan.id)
    plan, capitalised = rebuilt_plan(
        session, loan, rows, rate_bp=row.new_rate_bp, term_months=row.new_term_months,
        method=RepaymentMethod(row.new_method), capitalise_interest=row.capitalise_interest,
        day=business_date(clock),
    )  # fmt: skip
    return _open_rows(rows), plan, capitalised


def proposals(session: Session, limit: int = 50) -> list[Restructuring]:
    """The latest restructurings, those awaiting a second officer first."""
    pending_first = case((Restructuring.status == PROPOSED, 0), else_=1)
    return list(
        session.scalars(
            select(Restructuring)
            .order_by(pending_first, Restructuring.created_at.desc())
            .limit(limit)
        )
    )


def get(session: Session, restructuring_id: uuid.UUID) -> Restructuring:
    row = session.get(Restructuring, restructuring_id)
    if row is None:
        raise ReliefRequestConflict(
            status="missing", status_zh="不存在", action_zh="查看", action_en="shown"
        )
    return row


def _renumbered(
    plan: list[schedules.Instalment], rows: list[Instalment]
) -> list[schedules.Instalment]:
    """The new instalments numbered after every existing row (superseded ones keep theirs)."""
    first = max((r.seq for r in rows), default=0) + 1
    return [replace(inst, seq=first + k) for k, inst in enumerate(plan)]


def _capitalise(
    session: Session,
    clock: Clock,
    loan: Loan,
    amount_fen: int,
    day: date,
    restructuring_id: uuid.UUID,
) -> None:
    if amount_fen <= 0:
        return
    ledger_service.post(
        session,
        clock,
        kind="restructuring",
        business_date=day,
        legs=[
            Leg.debit(loans.principal_account(loan.id), amount_fen),
            Leg.credit(loans.interest_account(loan.id), amount_fen),
        ],
        memo=f"重组利息资本化 {loan.reference}",
        source_type="restructuring",
        source_id=restructuring_id,
    )


_ORDER = [c.value for c in LoanClass]


def _floor(loan: Loan) -> None:
    if _ORDER.index(loan.classification) < _ORDER.index(LoanClass.SPECIAL_MENTION.value):
        loan.classification = LoanClass.SPECIAL_MENTION.value


def restructured_floor(session: Session, day: date) -> dict[str, int]:
    """Loans in their observation period classified better than 关注 are set to 关注 (an
    end-of-day step, after the day's classification)."""
    observed = select(Restructuring.loan_id).where(
        Restructuring.status == EXECUTED, Restructuring.observation_until >= day
    )
    result = session.execute(
        update(Loan)
        .where(Loan.id.in_(observed), Loan.classification == LoanClass.NORMAL.value)
        .values(classification=LoanClass.SPECIAL_MENTION.value)
        .execution_options(synchronize_session="fetch")
    )
    return {"restructured_floored": int(result.rowcount or 0)}  # type: ignore[attr-defined]


def loan_by_reference(session: Session, reference: str) -> Loan:
    """The loan with this reference (`LN-2026-000042`), for the console's forms."""
    loan = session.scalar(select(Loan).where(Loan.reference == reference.strip().upper()))
    if loan is None:
        raise LoanNotFound(field="loan_reference")
    return loan
