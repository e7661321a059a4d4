"""Loans: booking with their schedule, billing of instalments that fall due, the loan's flat
aggregates, row locks, human references, and the ledger accounts a loan owns.

Interest recognition (see docs/lending.md): interest is accrued daily into the loan's
`interest_receivable` (`interest_accrued_fen`); when an instalment falls due it is *billed*: a
true-up entry makes the receivable hold exactly the instalment's contractual interest (the
schedule is the contract; daily accrual at ACT/360 differs from a monthly rate by a few fen), and
the accrual of the next period starts from a zero carry.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.clock import Clock
from puhui.core.db import table_insert
from puhui.core.ids import new_id
from puhui.ledger import service as ledger_service
from puhui.ledger.service import AccountRef, Leg
from puhui.lending import nonaccrual, schedules
from puhui.lending.classification import days_past_due
from puhui.lending.errors import (
    CreditLineNotFound,
    InvalidLineTransition,
    LoanNotActive,
    LoanNotFound,
)
from puhui.lending.interest import DayCountBasis
from puhui.lending.models import (
    LINE_TRANSITIONS,
    LOAN_TRANSITIONS,
    CreditLine,
    CreditLineEvent,
    Instalment,
    InstalmentStatus,
    LineStatus,
    Loan,
    LoanEvent,
    LoanStatus,
    Product,
    ProductKind,
    ReferenceCounter,
)
from puhui.lending.schedules import PeriodInterest, RepaymentMethod
from puhui.lending.servicing import calendar_store

# --- ledger accounts ----------------------------------------------------------------------------


def principal_account(loan_id: uuid.UUID) -> AccountRef:
    return ledger_service.owned("loan_principal", "loan", loan_id)


def interest_account(loan_id: uuid.UUID) -> AccountRef:
    return ledger_service.owned("interest_receivable", "loan", loan_id)


def penalty_account(loan_id: uuid.UUID) -> AccountRef:
    return ledger_service.owned("penalty_receivable", "loan", loan_id)


def settlement_account(enterprise_id: uuid.UUID) -> AccountRef:
    return ledger_service.owned("settlement", "enterprise", enterprise_id)


INTEREST_INCOME = ledger_service.bank("interest_income")
PENALTY_INCOME = ledger_service.bank("penalty_income")
FEE_INCOME = ledger_service.bank("fee_income")  # the prepayment fee (a fee, not interest)
BANK_CLEARING = ledger_service.bank("bank_clearing")


# --- references and locks -----------------------------------------------------------------------


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


@cache
def _counter_upsert() -> Any:
    """SQLite's numbering: the counter row's upsert returning the new value (built once)."""
    stmt = sqlite_insert(ReferenceCounter).values(
        prefix=bindparam("b_prefix", type_=ReferenceCounter.prefix.type),
        year=bindparam("b_year", type_=ReferenceCounter.year.type),
        last_value=1,
    )
    return stmt.on_conflict_do_update(
        index_elements=["prefix", "year"],
        set_={"last_value": ReferenceCounter.last_value + 1},
    ).returning(ReferenceCounter.last_value)


_PREFIX = re.compile(r"[A-Z]{1,8}")
_SEQUENCE_LOCK_ID = 0x5055_4855_5345_51  # pg_advisory_xact_lock key: creating a year's sequence


def next_reference(
    session: Session, prefix: str, year: int, *, numbered: Callable[[], int] | None = None
) -> str:
    """`PREFIX-YYYY-000042`: numbered per prefix and year, increasing.

    PostgreSQL: a sequence per prefix and year (`lending_ref_drw_2026`, made on the year's first
    use, continuing from the counter table if that already numbered the year), so concurrent
    drawdowns or repayments on different lines never wait on each other for a number; a
    transaction that rolls back leaves a gap. SQLite (one writer at a time): a counter row,
    gap-free, taken in one upsert.

    `numbered`: for a prefix once numbered another way, how many numbers the year already has;
    read once, when the year's sequence or counter row is made, to continue after them."""
    if not _PREFIX.fullmatch(prefix) or not 2000 <= year <= 9999:
        raise ValueError(f"not a reference prefix and year: {prefix!r} {year!r}")
    if _dialect(session) == "postgresql":
        value = _next_from_sequence(session, prefix, year, numbered)
    else:
        if numbered is not None and _counted(session, prefix, year) is None:
            session.add(ReferenceCounter(prefix=prefix, year=year, last_value=numbered()))
            session.flush()
        params = {"b_prefix": prefix, "b_year": year}
        value = session.execute(_counter_upsert(), params).scalar_one()
    return f"{prefix}-{year}-{value:06d}"


def _counted(session: Session, prefix: str, year: int) -> int | None:
    return session.scalar(
        select(ReferenceCounter.last_value).where(
            ReferenceCounter.prefix == prefix, ReferenceCounter.year == year
        )
    )


def _next_from_sequence(
    session: Session, prefix: str, year: int, numbered: Callable[[], int] | None
) -> int:
    name = f"lending_ref_{prefix.lower()}_{year}"  # only [a-z0-9_]: checked by the caller
    if not session.execute(text("SELECT to_regclass(:n) IS NOT NULL"), {"n": name}).scalar_one():
        # the year's first number: one creator at a time (the lock is held until commit, so a
        # second creator finds the sequence made and committed)
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SEQUENCE_LOCK_ID})
        before = max(_counted(session, prefix, year) or 0, numbered() if numbered else 0)
        session.execute(text(f"CREATE SEQUENCE IF NOT EXISTS {name} START WITH {before + 1}"))
    return int(session.execute(text("SELECT nextval(:n)"), {"n": name}).scalar_one())


def _write_lock_sqlite(session: Session, model: Any, row_id: uuid.UUID) -> None:
    """SQLite has no row locks: take the database write lock now (BEGIN IMMEDIATE semantics),
    so the row read next cannot change before this transaction commits. (A no-op write of a
    non-key column: writing the key would make SQLite check every referencing table.)"""
    if _dialect(session) == "sqlite":
        session.execute(
            update(model)
            .where(model.id == row_id)
            .values(updated_at=model.updated_at)
            .execution_options(synchronize_session=False)
        )


def lock_line(session: Session, line_id: uuid.UUID) -> CreditLine:
    """The line, read fresh and locked until commit (SELECT … FOR UPDATE on PostgreSQL)."""
    _write_lock_sqlite(session, CreditLine, line_id)
    line = session.scalar(
        select(CreditLine)
        .where(CreditLine.id == line_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if line is None:
        raise CreditLineNotFound()
    return line


def lock_loan(session: Session, loan_id: uuid.UUID) -> Loan:
    _write_lock_sqlite(session, Loan, loan_id)
    loan = session.scalar(
        select(Loan)
        .where(Loan.id == loan_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if loan is None:
        raise LoanNotFound()
    return loan


def ensure_active(loan: Loan) -> Loan:
    if loan.status != LoanStatus.ACTIVE:
        status = LoanStatus(loan.status)
        raise LoanNotActive(status=status.value, status_zh=status.zh)
    return loan


def lock_active_loan(session: Session, loan_id: uuid.UUID) -> Loan:
    return ensure_active(lock_loan(session, loan_id))


# --- history ------------------------------------------------------------------------------------


def actor_name(session: Session) -> str:
    return audit.current_actor(session).name


def line_event(
    session: Session,
    clock: Clock,
    line: CreditLine,
    business_date: date,
    *,
    kind: str,
    from_status: str | None = None,
    to_status: str | None = None,
    old_limit_fen: int | None = None,
    new_limit_fen: int | None = None,
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    session.execute(  # Core: an append-only history row, not needed as an object
        table_insert(CreditLineEvent),
        {
            "id": new_id(),
            "line_id": line.id,
            "kind": kind,
            "from_status": from_status,
            "to_status": to_status,
            "old_limit_fen": old_limit_fen,
            "new_limit_fen": new_limit_fen,
            "reason": reason,
            "detail": detail,
            "actor": actor_name(session),
            "business_date": business_date,
            "occurred_at": clock.now(),
        },
    )


def refuse_transition(current: LineStatus, to: LineStatus) -> InvalidLineTransition:
    return InvalidLineTransition(
        from_status=current.value, to_status=to.value, from_zh=current.zh, to_zh=to.zh
    )


def transition_line(
    session: Session,
    clock: Clock,
    line: CreditLine,
    to: LineStatus,
    business_date: date,
    reason: str = "",
) -> None:
    """Move a line along the transition table, with a history row and an audit event."""
    current = LineStatus(line.status)
    if to not in LINE_TRANSITIONS[current]:
        raise refuse_transition(current, to)
    line.status = to.value
    line.updated_at = clock.now()
    line_event(
        session,
        clock,
        line,
        business_date,
        kind="status",
        from_status=current.value,
        to_status=to.value,
        reason=reason,
    )
    audit.record(
        session,
        f"credit_line.{to.value}",
        "credit_line",
        line.id,
        before={"status": current.value},
        after={"status": to.value, "reason": reason},
    )


def loan_event(
    session: Session,
    clock: Clock,
    loan: Loan,
    business_date: date,
    kind: str,
    detail: dict[str, Any] | None = None,
    *,
    from_status: str | None = None,
    to_status: str | None = None,
) -> None:
    session.add(
        LoanEvent(
            loan_id=loan.id,
            kind=kind,
            from_status=from_status,
            to_status=to_status,
            detail=detail,
            actor=actor_name(session),
            business_date=business_date,
            occurred_at=clock.now(),
        )
    )


def transition_loan(
    session: Session, clock: Clock, loan: Loan, to: LoanStatus, business_date: date
) -> None:
    current = LoanStatus(loan.status)
    if to not in LOAN_TRANSITIONS[current]:
        raise LoanNotActive(status=current.value, status_zh=current.zh)
    loan.status = to.value
    loan.updated_at = clock.now()
    loan_event(
        session, clock, loan, business_date, "status", from_status=current.value, to_status=to
    )
    audit.record(
        session,
        f"loan.{to.value}",
        "loan",
        loan.id,
        before={"status": current.value},
        after={"status": to.value},
    )


# --- schedule rows ------------------------------------------------------------------------------


def rows_of(session: Session, loan_id: uuid.UUID, *, live: bool = True) -> list[Instalment]:
    query = select(Instalment).where(Instalment.loan_id == loan_id)
    if live:
        query = query.where(Instalment.status != InstalmentStatus.SUPERSEDED)
    return list(session.scalars(query.order_by(Instalment.seq)))


def new_rows(loan_id: uuid.UUID, instalments: Sequence[schedules.Instalment]) -> list[Instalment]:
    return [
        Instalment(
            loan_id=loan_id,
            seq=inst.seq,
            start_date=inst.start_date,
            due_date=inst.due_date,
            principal_fen=inst.principal_fen,
            interest_fen=inst.interest_fen,
            deferred_interest_fen=inst.deferred_interest_fen,
            opening_balance_fen=inst.opening_balance_fen,
            closing_balance_fen=inst.closing_balance_fen,
            principal_paid_fen=0,
            interest_paid_fen=0,
            status=InstalmentStatus.SCHEDULED.value,
            billed_date=None,
            paid_date=None,
        )
        for inst in instalments
    ]


def as_pure(rows: Sequence[Instalment]) -> list[schedules.Instalment]:
    return [
        schedules.Instalment(
            seq=r.seq,
            due_date=r.due_date,
            principal_fen=r.principal_fen,
            interest_fen=r.interest_fen,
            total_fen=r.principal_fen + r.interest_fen,
            opening_balance_fen=r.opening_balance_fen,
            closing_balance_fen=r.closing_balance_fen,
            start_date=r.start_date,
            deferred_interest_fen=r.deferred_interest_fen,
        )
        for r in rows
    ]


def unpaid_principal(row: Instalment) -> int:
    return row.principal_fen - row.principal_paid_fen


def unpaid_interest(row: Instalment) -> int:
    return row.interest_fen - row.interest_paid_fen


def mark_paid_if_settled(row: Instalment, business_date: date) -> None:
    if (
        row.status == InstalmentStatus.BILLED
        and not unpaid_principal(row)
        and not unpaid_interest(row)
    ):
        row.status = InstalmentStatus.PAID.value
        row.paid_date = business_date


def refresh(loan: Loan, rows: Sequence[Instalment], business_date: date) -> None:
    """Recompute the loan's schedule-derived aggregates from its live instalment rows."""
    live = [r for r in rows if r.status != InstalmentStatus.SUPERSEDED]
    billed = [r for r in live if r.status == InstalmentStatus.BILLED]
    scheduled = [r for r in live if r.status == InstalmentStatus.SCHEDULED]
    loan.principal_outstanding_fen = sum(unpaid_principal(r) for r in live)
    loan.overdue_principal_fen = sum(unpaid_principal(r) for r in billed)
    loan.overdue_interest_fen = sum(unpaid_interest(r) for r in billed)
    loan.oldest_unpaid_due_date = min((r.due_date for r in billed), default=None)
    loan.next_due_date = min((r.due_date for r in scheduled), default=None)
    loan.maturity_date = max((r.due_date for r in live), default=loan.maturity_date)
    loan.dpd = days_past_due(loan.oldest_unpaid_due_date, business_date)


def owes_nothing(loan: Loan) -> bool:
    return not (
        loan.principal_outstanding_fen
        or loan.overdue_interest_fen
        or loan.interest_accrued_fen
        or loan.interest_deferred_fen
        or loan.penalty_accrued_fen
        or loan.compound_accrued_fen
    )


# --- booking ------------------------------------------------------------------------------------


def holiday_rule_of(session: Session, product: Product) -> Callable[[date], date] | None:
    """The product's rule for due dates on a holiday (docs/servicing.md § Calendar)."""
    if product.holiday_rule != "next_working_day":
        return None
    return calendar_store.calendar_for(session).next_working


def book_loan(
    session: Session,
    clock: Clock,
    *,
    line: CreditLine,
    product: Product,
    principal_fen: int,
    rate_bp: int,
    term_months: int,
    method: RepaymentMethod,
    start_date: date,
    drawdown_id: uuid.UUID | None = None,
    renewed_from_loan_id: uuid.UUID | None = None,
) -> Loan:
    """Create a loan with its schedule (`build_schedule`). The caller posts the principal."""
    # Long only because a new loan states each of its 38 columns (no server default is
    # relied on): one straight recipe (cyclomatic 2); split, it would only scatter that list.
    basis = DayCountBasis(product.day_count)
    mode = PeriodInterest(product.interest_mode)
    plan = schedules.build_schedule(
        principal_fen, rate_bp, term_months, start_date, method, interest_mode=mode, basis=basis,
        next_working=holiday_rule_of(session, product),
    )  # fmt: skip
    now = clock.now()
    loan = Loan(
        reference=next_reference(session, "LN", start_date.year),
        line_id=line.id,
        enterprise_id=line.enterprise_id,
        product_code=product.code,
        drawdown_id=drawdown_id,
        renewed_from_loan_id=renewed_from_loan_id,
        status=LoanStatus.ACTIVE.value,
        revolving=product.kind == ProductKind.REVOLVING,
        repayment_method=method.value,
        principal_fen=principal_fen,
        rate_bp=rate_bp,
        term_months=term_months,
        day_count=basis.value,
        interest_mode=mode.value,
        grace_days=product.grace_days,
        penalty_markup_bp=product.penalty_markup_bp,
        compound_interest=product.compound_interest,
        start_date=start_date,
        maturity_date=plan[-1].due_date,
        principal_outstanding_fen=principal_fen,
        overdue_principal_fen=0,
        overdue_interest_fen=0,
        interest_accrued_fen=0,
        interest_carry=0,
        interest_accrued_through=start_date,
        interest_deferred_fen=0,
        penalty_accrued_fen=0,
        penalty_carry=0,
        compound_accrued_fen=0,
        compound_carry=0,
        penalty_accrued_through=None,
        next_due_date=plan[0].due_date,
        oldest_unpaid_due_date=None,
        dpd=0,
        classification="normal",
        last_overdue_date=None,
        created_at=now,
        updated_at=now,
    )
    session.add(loan)
    session.flush()
    session.add_all(new_rows(loan.id, plan))
    loan_event(
        session,
        clock,
        loan,
        start_date,
        "booked",
        {
            "principal_fen": principal_fen,
            "rate_bp": rate_bp,
            "term_months": term_months,
            "method": method.value,
            "instalments": len(plan),
            "interest_fen": sum(i.interest_fen for i in plan),
        },
        to_status=LoanStatus.ACTIVE.value,
    )
    session.flush()
    return loan


# --- billing ------------------------------------------------------------------------------------


def suspense_if_non_accrual(session: Session, loan: Loan) -> int | None:
    """The loan's interest in suspense when it is non-accrual, else None (accruing)."""
    if loan.non_accrual_since is None:
        return None
    return nonaccrual.suspense_fen(session, loan.id)


def interest_true_up_legs(
    loan_id: uuid.UUID, amount_fen: int, *, suspense_fen: int | None = None
) -> list[Leg]:
    """Recognise (`amount > 0`) or take back (`< 0`) interest in the loan's receivable; the
    other side is income, or for a non-accrual loan (`suspense_fen` given) its suspense."""
    if suspense_fen is not None:
        return nonaccrual.true_up_legs(loan_id, interest_account(loan_id), amount_fen, suspense_fen)
    if amount_fen > 0:
        return [
            Leg.debit(interest_account(loan_id), amount_fen),
            Leg.credit(INTEREST_INCOME, amount_fen),
        ]
    if amount_fen < 0:
        return [
            Leg.debit(INTEREST_INCOME, -amount_fen),
            Leg.credit(interest_account(loan_id), -amount_fen),
        ]
    return []


def bill_due(
    session: Session,
    clock: Clock,
    loan: Loan,
    rows: list[Instalment],
    business_date: date,
) -> int:
    """Bill every scheduled instalment due on or before `business_date` (oldest first).

    Billing makes the instalment's whole contractual interest receivable: the interest accrued
    for its period (`interest_accrued_fen`) and its share of interest recognised earlier and
    deferred (`interest_deferred_fen`) are already there; the difference is posted as a true-up
    (either sign) and the next period's accrual starts from a zero carry. Returns the number of
    instalments billed.
    """
    due = [
        r for r in rows if r.status == InstalmentStatus.SCHEDULED and r.due_date <= business_date
    ]
    if not due:
        return 0
    scheduled = [r for r in rows if r.status == InstalmentStatus.SCHEDULED]
    last_seq = max(r.seq for r in scheduled)
    true_up = 0
    for row in sorted(due, key=lambda r: r.seq):
        taken = (
            loan.interest_deferred_fen
            if row.seq == last_seq
            else min(loan.interest_deferred_fen, row.deferred_interest_fen)
        )
        adjustment = row.interest_fen - loan.interest_accrued_fen - taken
        true_up += adjustment
        loan.interest_deferred_fen -= taken
        loan.interest_accrued_fen = 0
        loan.interest_carry = 0
        loan.interest_accrued_through = max(loan.interest_accrued_through, row.due_date)
        row.status = InstalmentStatus.BILLED.value
        row.billed_date = business_date
        mark_paid_if_settled(row, business_date)
    legs = interest_true_up_legs(
        loan.id, true_up, suspense_fen=suspense_if_non_accrual(session, loan)
    )
    if legs:
        ledger_service.post(
            session,
            clock,
            kind="interest_billing",
            business_date=business_date,
            legs=legs,
            memo=f"到期利息确认 {loan.reference}",
            source_type="loan",
            source_id=loan.id,
        )
    refresh(loan, rows, business_date)
    loan.updated_at = clock.now()
    return len(due)


def restore_line(session: Session, loan: Loan, principal_repaid_fen: int) -> None:
    """A revolving line's used amount goes down by the principal repaid (line locked first)."""
    if not loan.revolving or principal_repaid_fen <= 0:
        return
    line = lock_line(session, loan.line_id)
    line.used_fen -= principal_repaid_fen
