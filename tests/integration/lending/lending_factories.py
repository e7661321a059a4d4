"""Factories and invariant checks shared by the lending integration and simulation tests."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from puhui.core.clock import FixedClock, business_date, shanghai_midnight_utc
from puhui.core.codes import org_code_check_char, uscc_check_char
from puhui.ledger import service as ledger_service
from puhui.ledger.chart import CHART, Side
from puhui.ledger.models import Account, Balance
from puhui.ledger.service import Leg
from puhui.lending import loans as lending_loans
from puhui.lending import service as lending
from puhui.lending.charges_models import LoanCharge
from puhui.lending.models import CreditLine, Instalment, InstalmentStatus, Loan, LoanStatus
from puhui.lending.products import WEIYEDAI
from puhui.lending.schedules import RepaymentMethod
from puhui.parties import service as parties_service
from puhui.parties.models import Enterprise, SizeClass
from puhui.parties.schemas import EnterpriseCreate

FAR = date(2099, 12, 31)
START = date(2026, 11, 23)  # the business date of the `clock` fixture


def at(clock: FixedClock, day: date, hour: int = 10) -> None:
    """Move the clock to `hour` o'clock (Shanghai) on business date `day`."""
    clock.set(shanghai_midnight_utc(day) + timedelta(hours=hour))


def random_uscc(rng: random.Random | None = None) -> str:
    """A valid unified social credit code (GB 32100-2015, with a GB 11714 organization code)."""
    rng = rng or random.Random()
    head = "91" + "".join(rng.choice("0123456789") for _ in range(6))
    org = "".join(rng.choice("0123456789") for _ in range(8))
    first17 = head + org + org_code_check_char(org)
    return first17 + uscc_check_char(first17)


def make_enterprise(
    session: Session, clock: FixedClock, name: str = "杭州测试贸易有限公司"
) -> Enterprise:
    return parties_service.create_enterprise(
        session,
        clock,
        EnterpriseCreate(
            name=name,
            uscc=random_uscc(),
            industry_section="F",
            region_code="330100",
            region_name="浙江省杭州市",
            registered_capital_fen=100_000_000,
            established_date=date(2018, 3, 1),
            size_class=SizeClass.SMALL,
        ),
    )


def make_line(
    session: Session,
    clock: FixedClock,
    enterprise_id: uuid.UUID,
    *,
    product_code: str = WEIYEDAI,
    limit_fen: int = 50_000_000,
    rate_bp: int = 435,
    term_months: int = 12,
    method: RepaymentMethod = RepaymentMethod.INTEREST_FIRST,
    expiry_days: int = 365,
    activate: bool = True,
) -> CreditLine:
    line = lending.create_line_from_offer(
        session,
        clock,
        enterprise_id=enterprise_id,
        product_code=product_code,
        limit_fen=limit_fen,
        rate_bp=rate_bp,
        term_months=term_months,
        expiry_date=business_date(clock) + timedelta(days=expiry_days),
        decision_id=uuid.uuid4(),
        repayment_method=method,
    )
    if activate:
        lending.activate_after_signing(session, clock, line.id, uuid.uuid4())
    return line


def spend_all(session: Session, clock: FixedClock, enterprise_id: uuid.UUID) -> None:
    """The borrower pays its suppliers: its settlement account is emptied."""
    balance = lending.settlement_balance(session, enterprise_id)
    if balance:
        ledger_service.post(
            session,
            clock,
            kind="withdrawal",
            business_date=business_date(clock),
            legs=[
                Leg.debit(lending_loans.settlement_account(enterprise_id), balance),
                Leg.credit(ledger_service.bank("bank_clearing"), balance),
            ],
        )


def run_days(session: Session, clock: FixedClock, first: date, last: date) -> None:
    """Close every business day from `first` to `last` (the end-of-day hook), in the evening."""
    day = first
    while day <= last:
        at(clock, day, hour=20)
        lending.simulate_day(session, clock, day)
        day += timedelta(days=1)


def fund(session: Session, clock: FixedClock, enterprise_id: uuid.UUID, fen: int) -> None:
    lending.deposit(session, clock, enterprise_id, fen, idempotency_key=f"fund-{uuid.uuid4()}")


def draw(
    session: Session,
    clock: FixedClock,
    line_id: uuid.UUID,
    fen: int,
    *,
    term_months: int | None = None,
    repayment_method: RepaymentMethod | None = None,
) -> Loan:
    out = lending.draw(
        session,
        clock,
        line_id,
        fen,
        idempotency_key=str(uuid.uuid4()),
        term_months=term_months,
        repayment_method=repayment_method,
    )
    loan = session.get(Loan, out.loan_id)
    assert loan is not None
    return loan


def _normal_balance(code: str, debits: int, credits: int) -> int:
    return debits - credits if CHART[code].normal_side == Side.DEBIT else credits - debits


def assert_books(session: Session, *, full: bool = True) -> None:
    """Ledger and lending invariants over everything in the database (this test's data).

    Always: the cached balances balance, no no-overdraft account is negative, each loan's
    principal / interest / penalty receivable equals its schedule and accrued figures, each line's
    used + available = limit and (revolving) used = principal outstanding. With `full`: also the
    trial balance from the postings and the cached balances against the postings.
    """
    session.flush()
    if full:
        assert ledger_service.trial_balance(session, FAR).balanced
        assert ledger_service.verify_cached_balances(session) == []
    total_d = total_c = 0
    by_loan: dict[tuple[str, str], int] = {}
    for code, owner_type, owner, d, c in session.execute(
        select(
            Account.code,
            Account.owner_type,
            Account.owner_key,
            Balance.debits_fen,
            Balance.credits_fen,
        ).join(Balance, Balance.account_id == Account.id)
    ):
        total_d += d
        total_c += c
        balance = _normal_balance(code, d, c)
        if CHART[code].no_overdraft:
            assert balance >= 0, f"{code}:{owner} is negative: {balance}"
        if owner_type == "loan":
            by_loan[(code, owner)] = balance
    assert total_d == total_c, f"cached balances do not balance: {total_d} != {total_c}"
    unpaid: dict[uuid.UUID, int] = dict(
        session.execute(
            select(
                Instalment.loan_id,
                func.sum(Instalment.principal_fen - Instalment.principal_paid_fen),
            )
            .where(Instalment.status != InstalmentStatus.SUPERSEDED.value)
            .group_by(Instalment.loan_id)
        ).all()
    )
    used_by_line: dict[uuid.UUID, int] = {}
    for (
        loan_id,
        reference,
        line_id,
        status,
        revolving,
        outstanding,
        accrued,
        overdue_interest,
        deferred,
        penalty_fen,
        compound_fen,
    ) in session.execute(
        select(
            Loan.id,
            Loan.reference,
            Loan.line_id,
            Loan.status,
            Loan.revolving,
            Loan.principal_outstanding_fen,
            Loan.interest_accrued_fen,
            Loan.overdue_interest_fen,
            Loan.interest_deferred_fen,
            Loan.penalty_accrued_fen,
            Loan.compound_accrued_fen,
        )
    ):
        key = str(loan_id)
        principal = by_loan.get(("loan_principal", key), 0)
        if status == LoanStatus.WRITTEN_OFF:  # off the balance sheet: the claim is off-balance
            assert principal == by_loan.get(("interest_receivable", key), 0) == 0, reference
            assert by_loan.get(("penalty_receivable", key), 0) == 0, reference
            continue
        assert principal == int(unpaid.get(loan_id, 0)) == outstanding, (
            f"{reference}: ledger principal {principal}, schedule {unpaid.get(loan_id)}, "
            f"loan {outstanding}"
        )
        interest = by_loan.get(("interest_receivable", key), 0)
        assert interest == accrued + overdue_interest + deferred, (
            f"{reference}: interest receivable {interest} != accrued {accrued} + overdue "
            f"{overdue_interest} + deferred {deferred}"
        )
        penalty = by_loan.get(("penalty_receivable", key), 0)
        assert penalty == penalty_fen + compound_fen, f"{reference}: penalty receivable {penalty}"
        if status != LoanStatus.ACTIVE:
            assert principal == interest == penalty == 0, reference
        if revolving:
            used_by_line[line_id] = used_by_line.get(line_id, 0) + principal
    _assert_charges(session, by_loan)
    for line_id, reference, limit_fen, used_fen in session.execute(
        select(CreditLine.id, CreditLine.reference, CreditLine.limit_fen, CreditLine.used_fen)
    ):
        assert 0 <= used_fen <= limit_fen, reference
        if line_id in used_by_line:
            assert used_fen == used_by_line[line_id], f"{reference}: used {used_fen}"


def _assert_charges(session: Session, by_loan: dict[tuple[str, str], int]) -> None:
    """Each loan's charges receivable is what its charges still owe (lending/charges.py); a
    written-off loan's charges are owed off the balance sheet."""
    outstanding = LoanCharge.amount_fen - LoanCharge.paid_fen - LoanCharge.waived_fen
    owed = {
        str(loan_id): int(fen)
        for loan_id, fen in session.execute(
            select(LoanCharge.loan_id, func.sum(outstanding))
            .where(LoanCharge.status != "written_off")
            .group_by(LoanCharge.loan_id)
        )
    }
    held = {owner: fen for (code, owner), fen in by_loan.items() if code == "fee_receivable"}
    for owner in set(owed) | set(held):
        assert held.get(owner, 0) == owed.get(owner, 0), f"loan {owner}: charges receivable"


def loan_rows(session: Session, loan: Loan) -> list[Instalment]:
    return lending_loans.rows_of(session, loan.id)
