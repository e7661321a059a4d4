"""Repayments (还款), prepayments (提前还款), auto-debit, and deposits to settlement accounts.

A repayment debits the borrower's settlement account and pays the loan's buckets in the
product's allocation order (`allocation.allocate`): penalty → compound → overdue interest →
overdue principal → current interest → current principal by default. Only what is due is taken;
a manual repayment larger than the amount due leaves the rest in the settlement account
(`unapplied_fen`). A prepayment then pays the interest accrued in the current period and
principal (plus the product's fee), and the unpaid schedule is rebuilt with
`reschedule_after_prepayment` (keep the term or keep the instalment). Accounting: docs/lending.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from puhui.core import audit, idempotency
from puhui.core.clock import Clock, business_date
from puhui.core.ids import new_id
from puhui.core.money import apply_rate_bp, format_fen
from puhui.ledger import service as ledger_service
from puhui.ledger.errors import InsufficientFunds
from puhui.ledger.service import Leg
from puhui.lending import charges, loans, nonaccrual
from puhui.lending.allocation import Bucket, allocate
from puhui.lending.charges_rules import FEE_BUCKET, ChargeTerms, allocation_order
from puhui.lending.drawdowns import check_amount
from puhui.lending.errors import (
    NothingDue,
    PrepaymentNotAllowed,
    PrepaymentOptionInvalid,
    PrepaymentTooSmall,
    SettlementInsufficient,
)
from puhui.lending.interest import DayCountBasis, interest_between
from puhui.lending.models import (
    Instalment,
    InstalmentStatus,
    Loan,
    LoanStatus,
    Product,
    Repayment,
    RepaymentKind,
)
from puhui.lending.products import get_product
from puhui.lending.rescheduling import PrepaymentOption, reschedule_after_prepayment
from puhui.lending.schedules import PeriodInterest, RepaymentMethod
from puhui.lending.schemas import DepositOut, RepaymentOut
from puhui.parties import service as parties_service

PRINCIPAL_BUCKETS = (Bucket.OVERDUE_PRINCIPAL.value, Bucket.CURRENT_PRINCIPAL.value)
INTEREST_BUCKETS = (Bucket.OVERDUE_INTEREST.value, Bucket.CURRENT_INTEREST.value)
PENALTY_BUCKETS = (Bucket.PENALTY.value, Bucket.COMPOUND.value)


# --- settlement accounts ------------------------------------------------------------------------


def settlement_balance(session: Session, enterprise_id: uuid.UUID) -> int:
    return ledger_service.balance_fen(session, loans.settlement_account(enterprise_id))


def deposit(
    session: Session,
    clock: Clock,
    enterprise_id: uuid.UUID,
    amount_fen: int,
    *,
    idempotency_key: str | None,
    memo: str = "",
) -> DepositOut:
    """The borrower's own money arrives: Dr bank_clearing / Cr settlement(enterprise)."""
    key = idempotency.require_idempotency_key(idempotency_key)
    amount_fen = check_amount(amount_fen)
    scope = f"deposit:{enterprise_id}"
    payload = {"enterprise_id": str(enterprise_id), "amount_fen": amount_fen, "memo": memo}
    stored = idempotency.begin(session, scope, key, payload)
    if stored is not None:
        return DepositOut.model_validate(stored | {"replayed": True})
    parties_service.get_enterprise(session, enterprise_id)
    today = business_date(clock)
    account = loans.settlement_account(enterprise_id)
    entry = ledger_service.post(
        session,
        clock,
        kind="deposit",
        business_date=today,
        legs=[Leg.debit(loans.BANK_CLEARING, amount_fen), Leg.credit(account, amount_fen)],
        memo=memo or "结算账户入账",
        source_type="deposit",
        source_id=enterprise_id,
    )
    out = DepositOut(
        entry_id=entry.id,
        enterprise_id=enterprise_id,
        amount_fen=amount_fen,
        balance_fen=ledger_service.balance_fen(session, account),
        business_date=today,
    )
    idempotency.remember(session, clock, scope, key, payload, out.model_dump(mode="json"))
    audit.record(
        session, "settlement.deposit", "enterprise", enterprise_id, after={"amount_fen": amount_fen}
    )
    return out


# --- what is due ----------------------------------------------------------------------------------


def due_buckets(loan: Loan, rows: list[Instalment], day: date) -> dict[str, int]:
    """Fen owed per bucket on `day` (after billing): billed instalments due before `day` are
    overdue, those due on `day` current; penalty and compound interest from the loan."""
    billed = [r for r in rows if r.status == InstalmentStatus.BILLED]
    overdue = [r for r in billed if r.due_date < day]
    current = [r for r in billed if r.due_date >= day]
    return {
        Bucket.PENALTY.value: loan.penalty_accrued_fen,
        Bucket.COMPOUND.value: loan.compound_accrued_fen,
        Bucket.OVERDUE_INTEREST.value: sum(loans.unpaid_interest(r) for r in overdue),
        Bucket.OVERDUE_PRINCIPAL.value: sum(loans.unpaid_principal(r) for r in overdue),
        Bucket.CURRENT_INTEREST.value: sum(loans.unpaid_interest(r) for r in current),
        Bucket.CURRENT_PRINCIPAL.value: sum(loans.unpaid_principal(r) for r in current),
    }


def _pay_rows(rows: list[Instalment], by_bucket: dict[str, int], day: date) -> None:
    billed = sorted((r for r in rows if r.status == InstalmentStatus.BILLED), key=lambda r: r.seq)
    groups = {
        "overdue": [r for r in billed if r.due_date < day],
        "current": [r for r in billed if r.due_date >= day],
    }
    for bucket, amount in by_bucket.items():
        if not amount or bucket in PENALTY_BUCKETS or bucket == FEE_BUCKET:
            continue
        group, part = bucket.split("_", 1)
        for row in groups[group]:
            if part == "interest":
                pay = min(amount, loans.unpaid_interest(row))
                row.interest_paid_fen += pay
            else:
                pay = min(amount, loans.unpaid_principal(row))
                row.principal_paid_fen += pay
            amount -= pay
            if not amount:
                break
        assert amount == 0, f"bucket {bucket} over-allocated"
    for row in billed:
        loans.mark_paid_if_settled(row, day)


# --- prepayment plan ----------------------------------------------------------------------------


@dataclass
class _Prepayment:
    interest_now_fen: int = 0  # stub interest (+ outstanding deferred interest when paid off)
    principal_fen: int = 0
    fee_fen: int = 0
    when: date | None = None
    option: PrepaymentOption = PrepaymentOption.KEEP_TERM
    rebuilt: list[Instalment] = field(default_factory=list)

    @property
    def total_fen(self) -> int:
        return self.interest_now_fen + self.principal_fen + self.fee_fen


def _fee(product: Product, principal_fen: int, extra: Sequence[ChargeTerms] = ()) -> int:
    """The fee on `principal_fen` prepaid: the product's prepayment fee and the catalogue's
    prepayment charges (`extra`)."""
    if not principal_fen:
        return 0
    fee = apply_rate_bp(principal_fen, product.prepayment_fee_bp)
    return fee + sum(terms.amount(principal_fen) for terms in extra)


def _largest_principal(
    product: Product, extra: Sequence[ChargeTerms], balance: int, room: int
) -> int:
    """The most principal below `balance` whose fee still fits in `room` (0 if none). The fee
    grows with the principal, so a binary search finds it."""
    if not extra:  # the product's fee alone: the closed form, then down to the fen
        principal = min(balance - 1, room * 10_000 // (10_000 + product.prepayment_fee_bp))
        while principal > 0 and principal + _fee(product, principal) > room:
            principal -= 1
        return principal
    low, high = 0, balance - 1
    while low < high:
        mid = (low + high + 1) // 2
        if mid + _fee(product, mid, extra) <= room:
            low = mid
        else:
            high = mid - 1
    return low


def _plan_prepayment(
    loan: Loan,
    product: Product,
    rows: list[Instalment],
    budget_fen: int,
    due_total_fen: int,
    option: PrepaymentOption,
    day: date,
    extra: Sequence[ChargeTerms] = (),
) -> _Prepayment:
    """How much of `budget_fen` (what is left once everything due is paid) goes to accrued
    interest, principal and fee (`extra`: the catalogue's prepayment charges), and the rebuilt
    schedule."""
    if not product.prepayment_allowed:
        raise PrepaymentNotAllowed()
    method = RepaymentMethod(loan.repayment_method)
    if option is PrepaymentOption.KEEP_INSTALMENT and method in (
        RepaymentMethod.INTEREST_FIRST,
        RepaymentMethod.BULLET,
    ):
        raise PrepaymentOptionInvalid(
            field="prepayment_option", method=method.value, method_zh=method.zh
        )
    unbilled = sorted(
        (r for r in rows if r.status == InstalmentStatus.SCHEDULED), key=lambda r: r.seq
    )
    if not unbilled:
        return _Prepayment()  # everything is billed already: a prepayment is a repayment
    current = unbilled[0]
    basis = DayCountBasis(loan.day_count)
    balance = sum(loans.unpaid_principal(r) for r in unbilled)
    # during a deferral window the current period starts later: no stub interest
    when = max(day, current.start_date)
    stub = interest_between(balance, loan.rate_bp, current.start_date, when, basis)
    deferred = sum(r.deferred_interest_fen for r in unbilled)
    full = stub + deferred + balance + _fee(product, balance, extra)
    if budget_fen >= full:
        principal = balance
    else:
        principal = _largest_principal(product, extra, balance, budget_fen - stub)
    if principal <= 0:
        minimum = due_total_fen + stub + 1 + _fee(product, 1, extra)
        raise PrepaymentTooSmall(field="amount_fen", minimum=format_fen(minimum))
    result = reschedule_after_prepayment(
        loans.as_pure(unbilled),
        paid_through_seq=current.seq - 1,
        prepaid_principal_fen=principal,
        rate_bp=loan.rate_bp,
        method=method,
        anchor_date=loan.start_date,
        option=option,
        prepayment_date=when,
        interest_mode=PeriodInterest(loan.interest_mode),
        basis=basis,
    )
    return _Prepayment(
        interest_now_fen=result.interest_due_now_fen,
        principal_fen=principal,
        fee_fen=_fee(product, principal, extra),
        when=when,
        option=option,
        rebuilt=loans.new_rows(loan.id, result.instalments),
    )


# --- repay --------------------------------------------------------------------------------------


def repay(
    session: Session,
    clock: Clock,
    loan_id: uuid.UUID,
    amount_fen: int,
    *,
    idempotency_key: str | None,
    kind: RepaymentKind | str = RepaymentKind.MANUAL,
    prepayment_option: PrepaymentOption | str | None = None,
) -> RepaymentOut:
    """Repay a loan from the borrower's settlement account, today (the clock's business date).

    `kind`: manual (what is due; any surplus stays in the settlement account), prepayment
    (what is due, then accrued interest and principal; schedule rebuilt), auto_debit.
    A replay of the same key returns the first result; another payload under it is a 409.
    """
    return repay_on(
        session,
        clock,
        loan_id,
        amount_fen,
        idempotency_key=idempotency_key,
        kind=RepaymentKind(kind),
        prepayment_option=PrepaymentOption(prepayment_option) if prepayment_option else None,
        day=business_date(clock),
    )


def repay_on(
    session: Session,
    clock: Clock,
    loan_id: uuid.UUID,
    amount_fen: int,
    *,
    idempotency_key: str | None,
    kind: RepaymentKind,
    prepayment_option: PrepaymentOption | None,
    day: date,
) -> RepaymentOut:
    """`repay` on an explicit business date (the end-of-day job's auto-debit)."""
    key = idempotency.require_idempotency_key(idempotency_key)
    amount_fen = check_amount(amount_fen)
    scope = f"repayment:{loan_id}"
    payload = {
        "loan_id": str(loan_id),
        "amount_fen": amount_fen,
        "kind": kind.value,
        "prepayment_option": prepayment_option.value if prepayment_option else None,
    }
    stored = idempotency.begin(session, scope, key, payload)
    if stored is None:
        loan = loans.lock_loan(session, loan_id)
        stored = idempotency.begin(session, scope, key, payload)  # a duplicate that won the lock
    if stored is not None:
        return RepaymentOut.model_validate(stored | {"replayed": True})
    loans.ensure_active(loan)
    product = get_product(session, loan.product_code)
    rows = loans.rows_of(session, loan.id)
    loans.bill_due(session, clock, loan, rows, day)
    due = due_buckets(loan, rows, day)
    due[FEE_BUCKET] = charges.due_fen(session, loan.id, day)
    alloc = allocate(amount_fen, due, allocation_order(product.allocation_order))
    prepayment = _Prepayment()
    extra: list[ChargeTerms] = []
    if kind is RepaymentKind.PREPAYMENT:
        option = prepayment_option or PrepaymentOption(product.prepayment_option)
        extra = charges.prepayment_terms(session, product.code)
        prepayment = _plan_prepayment(
            loan, product, rows, alloc.remainder_fen, sum(due.values()), option, day, extra
        )
    applied = alloc.allocated_fen + prepayment.total_fen
    if applied == 0:
        raise NothingDue()
    available = settlement_balance(session, loan.enterprise_id)
    if available < applied:
        raise SettlementInsufficient(needed=format_fen(applied), available=format_fen(available))

    repayment = _new_repayment(
        session, clock, loan, kind, amount_fen, applied, alloc.by_bucket, prepayment, key, day
    )
    if prepayment.principal_fen:
        _recognise_prepayment_interest(session, clock, loan, prepayment, day)
    repayment.entry_id = _post_repayment(session, clock, loan, repayment, day)
    session.add(repayment)
    charges.apply_paid(session, clock, loan.id, repayment.charges_fen, day)
    if extra and prepayment.principal_fen:
        charges.record_prepayment_charges(
            session, clock, loan, prepayment.principal_fen, repayment.reference,
            repayment.entry_id, day,
        )  # fmt: skip
    _apply_to_loan(session, clock, loan, rows, repayment, alloc.by_bucket, prepayment, day)
    if loan.non_accrual_since is not None:  # cash received on a non-accrual loan is income
        nonaccrual.settle(session, clock, loan.id, day)
    session.flush()
    out = RepaymentOut.model_validate(repayment).model_copy(update={"loan_status": loan.status})
    idempotency.remember(session, clock, scope, key, payload, out.model_dump(mode="json"))
    audit.record(
        session,
        f"repayment.{kind.value}",
        "loan",
        loan.id,
        after=out.model_dump(mode="json", exclude={"id", "created_at", "replayed"}),
    )
    return out


def _new_repayment(
    session: Session,
    clock: Clock,
    loan: Loan,
    kind: RepaymentKind,
    amount_fen: int,
    applied_fen: int,
    by_bucket: dict[str, int],
    prepayment: _Prepayment,
    key: str,
    day: date,
) -> Repayment:
    """The repayment row (not yet added): what was asked, what each bucket got, the prepayment."""
    reference = loans.next_reference(session, "RPY", day.year)
    return Repayment(
        id=new_id(),
        reference=reference,
        loan_id=loan.id,
        kind=kind.value,
        amount_requested_fen=amount_fen,
        amount_applied_fen=applied_fen,
        unapplied_fen=amount_fen - applied_fen,
        penalty_fen=by_bucket.get(Bucket.PENALTY.value, 0),
        compound_fen=by_bucket.get(Bucket.COMPOUND.value, 0),
        overdue_interest_fen=by_bucket.get(Bucket.OVERDUE_INTEREST.value, 0),
        overdue_principal_fen=by_bucket.get(Bucket.OVERDUE_PRINCIPAL.value, 0),
        current_interest_fen=by_bucket.get(Bucket.CURRENT_INTEREST.value, 0),
        current_principal_fen=by_bucket.get(Bucket.CURRENT_PRINCIPAL.value, 0),
        accrued_interest_fen=prepayment.interest_now_fen,
        prepaid_principal_fen=prepayment.principal_fen,
        fee_fen=prepayment.fee_fen,
        charges_fen=by_bucket.get(FEE_BUCKET, 0),
        prepayment_option=prepayment.option.value if prepayment.principal_fen else None,
        idempotency_key=key,
        business_date=day,
        created_at=clock.now(),
    )


def _apply_to_loan(
    session: Session,
    clock: Clock,
    loan: Loan,
    rows: list[Instalment],
    repayment: Repayment,
    by_bucket: dict[str, int],
    prepayment: _Prepayment,
    day: date,
) -> None:
    """The loan after a posted repayment: penalty paid down, instalments paid, the schedule
    rebuilt after a prepayment, the line's principal restored, totals refreshed; paid off when
    nothing is owed."""
    loan.penalty_accrued_fen -= repayment.penalty_fen
    loan.compound_accrued_fen -= repayment.compound_fen
    _pay_rows(rows, by_bucket, day)
    if prepayment.principal_fen:
        rows = _rebuild(session, clock, loan, rows, prepayment, day)
    principal_repaid = (
        repayment.overdue_principal_fen
        + repayment.current_principal_fen
        + repayment.prepaid_principal_fen
    )
    loans.restore_line(session, loan, principal_repaid)
    loans.refresh(loan, rows, day)
    loan.updated_at = clock.now()
    if loans.owes_nothing(loan):
        loans.transition_loan(session, clock, loan, LoanStatus.PAID_OFF, day)


def _recognise_prepayment_interest(
    session: Session, clock: Clock, loan: Loan, prepayment: _Prepayment, day: date
) -> None:
    """Make the receivable hold the interest due with the prepayment: the current period's
    accrued interest is replaced by the exact stub interest; on a payoff the deferred interest
    recognised earlier is used up too."""
    paid_off = not prepayment.rebuilt
    recognised = loan.interest_accrued_fen + (loan.interest_deferred_fen if paid_off else 0)
    legs = loans.interest_true_up_legs(
        loan.id,
        prepayment.interest_now_fen - recognised,
        suspense_fen=loans.suspense_if_non_accrual(session, loan),
    )
    if legs:
        ledger_service.post(
            session,
            clock,
            kind="interest_billing",
            business_date=day,
            legs=legs,
            memo=f"提前还款利息确认 {loan.reference}",
            source_type="loan",
            source_id=loan.id,
        )
    loan.interest_accrued_fen = 0
    loan.interest_carry = 0
    if paid_off:
        loan.interest_deferred_fen = 0
    assert prepayment.when is not None
    loan.interest_accrued_through = prepayment.when


def _post_repayment(
    session: Session, clock: Clock, loan: Loan, repayment: Repayment, day: date
) -> uuid.UUID:
    principal = loans.principal_account(loan.id)
    interest = loans.interest_account(loan.id)
    penalty = loans.penalty_account(loan.id)
    credits = [
        (charges.fee_account(loan.id), repayment.charges_fen),
        (penalty, repayment.penalty_fen),
        (penalty, repayment.compound_fen),
        (interest, repayment.overdue_interest_fen),
        (principal, repayment.overdue_principal_fen),
        (interest, repayment.current_interest_fen),
        (principal, repayment.current_principal_fen),
        (interest, repayment.accrued_interest_fen),
        (principal, repayment.prepaid_principal_fen),
        (loans.FEE_INCOME, repayment.fee_fen),
    ]
    legs = [Leg.debit(loans.settlement_account(loan.enterprise_id), repayment.amount_applied_fen)]
    legs += [Leg.credit(account, fen) for account, fen in credits if fen]
    try:
        entry = ledger_service.post(
            session,
            clock,
            kind=f"repayment:{repayment.kind}",
            business_date=day,
            legs=legs,
            memo=f"还款 {repayment.reference} 借据 {loan.reference}",
            source_type="repayment",
            source_id=repayment.id,
        )
    except InsufficientFunds as exc:  # the balance moved since it was read
        available = settlement_balance(session, loan.enterprise_id)
        raise SettlementInsufficient(
            needed=format_fen(repayment.amount_applied_fen), available=format_fen(available)
        ) from exc
    return entry.id


def _rebuild(
    session: Session,
    clock: Clock,
    loan: Loan,
    rows: list[Instalment],
    prepayment: _Prepayment,
    day: date,
) -> list[Instalment]:
    """Replace the not-yet-billed instalments by the rebuilt ones (they had no payments)."""
    old = [r for r in rows if r.status == InstalmentStatus.SCHEDULED]
    detail = {
        "prepaid_principal_fen": prepayment.principal_fen,
        "interest_now_fen": prepayment.interest_now_fen,
        "option": prepayment.option.value,
        "old": [[r.seq, r.due_date.isoformat(), r.principal_fen, r.interest_fen] for r in old],
        "new": [
            [r.seq, r.due_date.isoformat(), r.principal_fen, r.interest_fen]
            for r in prepayment.rebuilt
        ],
    }
    for row in old:
        session.delete(row)
    session.add_all(prepayment.rebuilt)
    loans.loan_event(session, clock, loan, day, "prepayment_reschedule", detail)
    return [r for r in rows if r.status != InstalmentStatus.SCHEDULED] + prepayment.rebuilt


# --- auto-debit ---------------------------------------------------------------------------------


def auto_debit_due(
    session: Session,
    clock: Clock,
    day: date,
    loan_ids: list[uuid.UUID] | None = None,
) -> list[RepaymentOut]:
    """Debit what is due on `day` (billing first), as far as each settlement balance allows.

    Oldest due first within an enterprise. Running it again for the same date takes nothing
    more unless something changed (a deposit); the idempotency key includes the figures.
    """
    query = select(Loan.id, Loan.enterprise_id).where(
        Loan.status == LoanStatus.ACTIVE.value,
        or_(
            Loan.next_due_date <= day,
            Loan.overdue_principal_fen > 0,
            Loan.overdue_interest_fen > 0,
            Loan.penalty_accrued_fen > 0,
            Loan.compound_accrued_fen > 0,
            Loan.id.in_(charges.loans_with_charges_due(day)),
        ),
    )
    if loan_ids is not None:
        query = query.where(Loan.id.in_(loan_ids))
    oldest_due = func.coalesce(Loan.oldest_unpaid_due_date, Loan.next_due_date)
    query = query.order_by(Loan.enterprise_id, oldest_due, Loan.reference)
    done: list[RepaymentOut] = []
    balances: dict[uuid.UUID, int] = {}
    for loan_id, enterprise_id in list(session.execute(query)):
        if enterprise_id not in balances:
            balances[enterprise_id] = settlement_balance(session, enterprise_id)
        if balances[enterprise_id] <= 0:
            continue  # nothing to take: the end-of-day billing and accrual still run
        loan = loans.lock_loan(session, loan_id)
        rows = loans.rows_of(session, loan.id)
        loans.bill_due(session, clock, loan, rows, day)
        due_total = sum(due_buckets(loan, rows, day).values())
        due_total += charges.due_fen(session, loan.id, day)
        amount = min(due_total, balances[enterprise_id])
        if amount <= 0:
            continue
        out = repay_on(
            session,
            clock,
            loan.id,
            amount,
            idempotency_key=f"auto-debit:{day.isoformat()}:{due_total}:{amount}",
            kind=RepaymentKind.AUTO_DEBIT,
            prepayment_option=None,
            day=day,
        )
        balances[enterprise_id] -= out.amount_applied_fen
        done.append(out)
    return done


def repayments_of(session: Session, loan_id: uuid.UUID) -> list[Repayment]:
    return list(
        session.scalars(
            select(Repayment).where(Repayment.loan_id == loan_id).order_by(Repayment.created_at)
        )
    )
