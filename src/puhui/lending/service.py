"""Public functions of the lending domain. Other domains call lending only through this module
(and `puhui.lending.schemas`). Services never commit; the caller owns the unit of work.

Products        ensure_default_products, get_product, get_product_or_default, list_products,
                product_bounds
Credit lines    create_line_from_offer, get_line, get_line_for, list_lines, line_history,
                activate_after_signing, freeze, unfreeze, close, change_limit, expire_lines,
                expire_offers, demand_early_repayment (提前收回)
Drawdowns       draw, drawdown_refusal (why a line refuses: frozen, a loan past due, ...)
Loans           get_loan_for, list_loans, loan_detail
Repayments      repay, auto_debit_due, deposit, settlement_balance
Relief          defer, renew_without_principal, auto_limit_increase
Guarantees      guaranteed_sum (the group cap's expression), require_guarantee (the policy's)
End of day      run_eod / simulate_day (the set-based end of day of `eod.py`, in the caller's
                transaction), simulate_day_per_loan (the loan-by-loan reference)
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from puhui.core.auth import Principal
from puhui.core.clock import Clock
from puhui.jobs.runner import run_inline
from puhui.ledger import service as ledger_service
from puhui.ledger.service import Leg
from puhui.lending import eod, loans, nonaccrual, provisions
from puhui.lending.arrears import (
    DueInstalment,
    PastDueLoan,
    loan_states,
    past_due_loans,
    repaid_fen,
    unpaid_instalments_due_on,
)
from puhui.lending.classification import (
    DEFAULT_THRESHOLDS,
    ClassificationThresholds,
    classify,
    days_past_due,
)
from puhui.lending.credit_lines import (
    activate_after_signing,
    change_limit,
    close,
    create_line_from_offer,
    demand_early_repayment,
    expire_lines,
    expire_offers,
    exposed_enterprise_ids,
    freeze,
    get_line,
    get_line_for,
    line_history,
    list_lines,
    live_limit_sum,
    live_lines_of,
    unfreeze,
)
from puhui.lending.drawdowns import draw, drawdown_refusal
from puhui.lending.errors import LoanNotFound
from puhui.lending.guarantees import guaranteed_sum
from puhui.lending.guarantees import require as require_guarantee
from puhui.lending.interest import DayCountBasis, accrue
from puhui.lending.models import (
    Drawdown,
    Instalment,
    InstalmentStatus,
    Loan,
    LoanEvent,
    LoanStatus,
    Relief,
    Repayment,
)
from puhui.lending.overdue import OverdueAccrual, accrue_overdue
from puhui.lending.payouts import amount_due, loan_owner, reverse_drawdown, reverse_repayment
from puhui.lending.products import (
    ensure_default_products,
    get_product,
    get_product_or_default,
    list_products,
    product_bounds,
)
from puhui.lending.relief import auto_limit_increase, defer, renew_without_principal
from puhui.lending.repayments import (
    auto_debit_due,
    deposit,
    repay,
    repayments_of,
    settlement_balance,
)
from puhui.lending.schedules import add_months
from puhui.lending.schemas import InstalmentOut, LoanDetailOut, LoanOut, PostingOut
from puhui.lending.writeoff import approve as approve_write_off
from puhui.lending.writeoff import get_write_off, write_offs
from puhui.lending.writeoff import propose as propose_write_off
from puhui.lending.writeoff import recover as recover_written_off
from puhui.lending.writeoff import reject as reject_write_off

__all__ = [
    "DayResult",
    "DueInstalment",
    "PastDueLoan",
    "activate_after_signing",
    "amount_due",
    "approve_write_off",
    "auto_debit_due",
    "auto_limit_increase",
    "change_limit",
    "close",
    "create_line_from_offer",
    "defer",
    "demand_early_repayment",
    "deposit",
    "draw",
    "drawdown_refusal",
    "ensure_default_products",
    "expire_lines",
    "expire_offers",
    "exposed_enterprise_ids",
    "freeze",
    "get_line",
    "get_line_for",
    "get_loan_for",
    "get_product",
    "get_product_or_default",
    "get_write_off",
    "guaranteed_sum",
    "line_expiry_date",
    "line_history",
    "list_lines",
    "list_loans",
    "list_products",
    "live_limit_sum",
    "live_lines_of",
    "loan_detail",
    "loan_owner",
    "loan_states",
    "past_due_loans",
    "product_bounds",
    "propose_write_off",
    "recover_written_off",
    "reject_write_off",
    "renew_without_principal",
    "repaid_fen",
    "repay",
    "repayments_of",
    "require_guarantee",
    "reverse_drawdown",
    "reverse_repayment",
    "run_eod",
    "settlement_balance",
    "simulate_day",
    "simulate_day_per_loan",
    "unfreeze",
    "unpaid_instalments_due_on",
    "write_offs",
]


def line_expiry_date(start: date, line_term_months: int) -> date:
    """The last day of a credit line offered on business date `start` for `line_term_months`
    months (`schedules.add_months`: the same day, clipped to the end of a shorter month)."""
    return add_months(start, line_term_months)


# --- loans --------------------------------------------------------------------------------------


def get_loan_for(session: Session, principal: Principal, loan_id: uuid.UUID) -> Loan:
    """A loan as the principal may see it: a borrower only its own enterprise's (else 404)."""
    loan = session.get(Loan, loan_id)
    if loan is None or not principal.can_act_for(loan.enterprise_id):
        raise LoanNotFound()
    return loan


def list_loans(
    session: Session,
    *,
    line_id: uuid.UUID | None = None,
    enterprise_id: uuid.UUID | None = None,
    status: LoanStatus | None = None,
) -> list[Loan]:
    query = select(Loan).order_by(Loan.start_date, Loan.id)
    if line_id is not None:
        query = query.where(Loan.line_id == line_id)
    if enterprise_id is not None:
        query = query.where(Loan.enterprise_id == enterprise_id)
    if status is not None:
        query = query.where(Loan.status == status.value)
    return list(session.scalars(query))


def loan_detail(session: Session, loan: Loan) -> LoanDetailOut:
    """The loan, its whole schedule (superseded lines included) and its ledger postings: every
    leg of the entries it caused (drawdown, repayments, billing, relief) and its own legs of the
    daily accrual entries."""
    rows = loans.rows_of(session, loan.id, live=False)
    sources: list[object] = [loan.id]
    sources += session.scalars(select(Drawdown.id).where(Drawdown.loan_id == loan.id)).all()
    sources += session.scalars(select(Repayment.id).where(Repayment.loan_id == loan.id)).all()
    sources += session.scalars(
        select(Relief.id).where(or_(Relief.loan_id == loan.id, Relief.new_loan_id == loan.id))
    ).all()
    postings = ledger_service.postings_for_source(session, [str(s) for s in sources])
    seen = {p.entry_id for p in postings}
    own = [
        p
        for p in ledger_service.postings_for_owner(session, str(loan.id))
        if p.entry_id not in seen
    ]
    postings = sorted(postings + own, key=lambda p: (p.business_date, str(p.entry_id)))
    return LoanDetailOut.model_validate(
        {
            **LoanOut.model_validate(loan).model_dump(),
            "schedule": [InstalmentOut.model_validate(r) for r in rows],
            "postings": [PostingOut(**asdict(p)) for p in postings],
        }
    )


@dataclass(frozen=True)
class PrepaidInstalment:
    """An instalment a prepayment replaced, as it was scheduled."""

    seq: int
    due_date: date
    principal_fen: int
    interest_fen: int


def prepaid_instalments(session: Session, loan_id: uuid.UUID) -> list[PrepaidInstalment]:
    """The instalments the loan's last prepayment replaced (its reschedule event keeps them):
    with the paid rows, a settled loan's schedule as it stood."""
    detail = session.scalar(
        select(LoanEvent.detail)
        .where(LoanEvent.loan_id == loan_id, LoanEvent.kind == "prepayment_reschedule")
        .order_by(LoanEvent.occurred_at.desc(), LoanEvent.id.desc())
        .limit(1)
    )
    rows = (detail or {}).get("old") or []
    return [
        PrepaidInstalment(int(seq), date.fromisoformat(str(due)), int(principal), int(interest))
        for seq, due, principal, interest in rows
    ]


# --- a simple end of day ------------------------------------------------------------------------


@dataclass(frozen=True)
class DayResult:
    day: date
    auto_debits: int
    interest_fen: int
    penalty_fen: int
    compound_fen: int
    lines_expired: int
    offers_expired: int
    contracts_expired: int


def run_eod(
    session: Session,
    clock: Clock,
    day: date,
    *,
    batch_size: int = eod.DEFAULT_BATCH_SIZE,
    thresholds: ClassificationThresholds = DEFAULT_THRESHOLDS,
) -> DayResult:
    """The set-based end of day for `day` (`lending/eod.py`) inside the caller's transaction.

    No run record and no commits: the job runner (`puhui eod run`) drives the same steps with a
    commit and a checkpoint per batch. Re-running a date changes nothing.
    """
    totals = run_inline(
        session, eod.eod_steps(clock, day, batch_size=batch_size, thresholds=thresholds)
    )
    return DayResult(
        day=day,
        auto_debits=totals.get("auto_debits", 0),
        interest_fen=totals.get("interest_fen", 0),
        penalty_fen=totals.get("penalty_fen", 0),
        compound_fen=totals.get("compound_fen", 0),
        lines_expired=totals.get("lines_expired", 0),
        offers_expired=totals.get("offers_expired", 0),
        contracts_expired=totals.get("contracts_expired", 0),
    )


def simulate_day(session: Session, clock: Clock, day: date) -> DayResult:
    """Close business day `day`: the set-based end of day (:func:`run_eod`)."""
    return run_eod(session, clock, day)


def _active_loans(
    session: Session,
) -> tuple[Sequence[Loan], dict[uuid.UUID, list[Instalment]]]:
    """The active loans, locked and freshly read, and their live instalments in order."""
    active = session.scalars(
        select(Loan)
        .where(Loan.status == LoanStatus.ACTIVE.value)
        .order_by(Loan.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    rows_by_loan: dict[uuid.UUID, list[Instalment]] = defaultdict(list)
    for row in session.scalars(
        select(Instalment)
        .join(Loan, Loan.id == Instalment.loan_id)
        .where(
            Loan.status == LoanStatus.ACTIVE.value,
            Instalment.status != InstalmentStatus.SUPERSEDED.value,
        )
        .order_by(Instalment.loan_id, Instalment.seq)
    ):
        rows_by_loan[row.loan_id].append(row)
    return active, rows_by_loan


def _accrue_interest(loan: Loan, day: date, basis: DayCountBasis) -> int | None:
    """Contract interest on the normal principal up to and including `day` (not past the next
    due date); None when there are no days to accrue."""
    if loan.next_due_date is None:
        return None
    end = min(day + timedelta(days=1), loan.next_due_date)
    days = (end - loan.interest_accrued_through).days
    if days <= 0:
        return None
    normal = loan.principal_outstanding_fen - loan.overdue_principal_fen
    step = accrue(normal, loan.rate_bp, loan.interest_carry, days=days, basis=basis)
    loan.interest_accrued_fen += step.interest_fen
    loan.interest_carry = int(step.carry)
    loan.interest_accrued_through = end
    return step.interest_fen


def _accrue_overdue(
    loan: Loan, day: date, oldest: date, basis: DayCountBasis
) -> OverdueAccrual | None:
    """One day of penalty and compound interest on an overdue loan past its grace days."""
    if (day - oldest).days + 1 <= loan.grace_days:
        return None
    over = accrue_overdue(
        loan.overdue_principal_fen,
        loan.overdue_interest_fen,
        loan.rate_bp,
        penalty_carry=loan.penalty_carry,
        compound_carry=loan.compound_carry,
        markup_bp=loan.penalty_markup_bp,
        compound=loan.compound_interest,
        basis=basis,
    )
    loan.penalty_accrued_fen += over.penalty_fen
    loan.compound_accrued_fen += over.compound_fen
    loan.penalty_carry = int(over.penalty_carry)
    loan.compound_carry = int(over.compound_carry)
    return over


def simulate_day_per_loan(session: Session, clock: Clock, day: date) -> DayResult:
    """Close business day `day`, loan by loan: the reference the set-based job must equal.

    1. auto-debit what is due (billing instalments due on or before `day` first);
    2. expire lines whose expiry date is `day` or earlier;
    3. accrue contract interest on the normal principal for the days of the current period up
       to and including `day` (drift-free carry), into interest_receivable;
    4. accrue one day of penalty on overdue principal and compound interest on overdue interest
       for loans still overdue at the end of `day`, once past the grace days;
    5. set dpd, the five-category class by dpd, and the last date a loan was overdue.
    Re-running a date changes nothing (each loan remembers the dates it was accrued through).
    """
    debits = auto_debit_due(session, clock, day)
    expired = eod.expire_day(session, clock, day)
    interest: dict[uuid.UUID, int] = defaultdict(int)
    penalty: dict[uuid.UUID, int] = defaultdict(int)
    totals = {"interest": 0, "penalty": 0, "compound": 0}
    entering: list[uuid.UUID] = []
    cured: list[uuid.UUID] = []
    active, rows_by_loan = _active_loans(session)
    for loan in active:
        loans.bill_due(session, clock, loan, rows_by_loan[loan.id], day)
        basis = DayCountBasis(loan.day_count)
        accrued = _accrue_interest(loan, day, basis)
        if accrued is not None:
            interest[loan.id] += accrued
            totals["interest"] += accrued
        oldest = loan.oldest_unpaid_due_date
        if (
            oldest is not None
            and oldest <= day
            and (loan.penalty_accrued_through is None or loan.penalty_accrued_through < day)
        ):
            over = _accrue_overdue(loan, day, oldest, basis)
            if over is not None:
                penalty[loan.id] += over.penalty_fen + over.compound_fen
                totals["penalty"] += over.penalty_fen
                totals["compound"] += over.compound_fen
            loan.penalty_accrued_through = day
        loan.dpd = days_past_due(oldest, day)
        loan.classification = classify(loan.dpd).value
        if loan.dpd > 0:
            loan.last_overdue_date = day
        _non_accrual_state(loan, day, entering, cured)
        loan.updated_at = clock.now()
    suspended = {loan.id for loan in active if loan.non_accrual_since is not None}
    _post_accruals(session, clock, day, interest, penalty, suspended)
    nonaccrual.post_transitions(session, clock, day, entering, cured)
    session.flush()
    provisions.post_provisions(session, clock, day)
    if provisions.is_month_end(day):
        provisions.snapshot_classes(session, day)
    return DayResult(
        day=day,
        auto_debits=len(debits),
        interest_fen=totals["interest"],
        penalty_fen=totals["penalty"],
        compound_fen=totals["compound"],
        lines_expired=expired["lines_expired"],
        offers_expired=expired["offers_expired"],
        contracts_expired=expired["contracts_expired"],
    )


def _non_accrual_state(
    loan: Loan, day: date, entering: list[uuid.UUID], cured: list[uuid.UUID]
) -> None:
    """Rule 6 of the end of day (lending/nonaccrual.py) on one loan whose dpd is today's."""
    was = loan.non_accrual_since is not None
    now = loan.dpd >= DEFAULT_THRESHOLDS.non_accrual_from_dpd or (was and loan.dpd > 0)
    if now and not was:
        loan.non_accrual_since = day
        entering.append(loan.id)
    elif was and not now:
        loan.non_accrual_since = None
        cured.append(loan.id)


def _post_accruals(
    session: Session,
    clock: Clock,
    day: date,
    interest: dict[uuid.UUID, int],
    penalty: dict[uuid.UUID, int],
    suspended: set[uuid.UUID],
) -> None:
    """One entry for the day: Dr each loan's interest / penalty receivable, Cr the incomes (a
    non-accrual loan: its suspense accounts)."""
    legs = [Leg.debit(loans.interest_account(k), v) for k, v in sorted(interest.items()) if v]
    legs += [Leg.debit(loans.penalty_account(k), v) for k, v in sorted(penalty.items()) if v]
    if not legs:
        return
    held_i = {k: v for k, v in interest.items() if k in suspended}
    held_p = {k: v for k, v in penalty.items() if k in suspended}
    legs += [Leg.credit(nonaccrual.interest_suspense(k), v) for k, v in held_i.items() if v]
    legs += [Leg.credit(nonaccrual.penalty_suspense(k), v) for k, v in held_p.items() if v]
    legs.append(Leg.credit(loans.INTEREST_INCOME, sum(interest.values()) - sum(held_i.values())))
    legs.append(Leg.credit(loans.PENALTY_INCOME, sum(penalty.values()) - sum(held_p.values())))
    ledger_service.post(
        session,
        clock,
        kind="accrual",
        business_date=day,
        legs=legs,
        memo=f"利息及罚息复利计提 {day.isoformat()}",
        source_type="eod",
        source_id=day.isoformat(),
    )


# --------------------------------------------------------------------------- engagement's facts


@dataclass(frozen=True)
class AwaitingSignature:
    """A credit line approved and accepted, its contract not signed yet (engagement's
    contract-to-sign notices read these)."""

    line_id: uuid.UUID
    enterprise_id: uuid.UUID
    reference: str
    limit_fen: int
    offered_on: date  # the line's creation (Asia/Shanghai)
    expiry_date: date  # the offer lapses at the end of this day, unsigned


def lines_awaiting_signature(session: Session) -> list[AwaitingSignature]:
    """Every line still pending signature, oldest first."""
    from puhui.core.clock import SHANGHAI
    from puhui.lending.models import CreditLine, LineStatus

    rows = session.execute(
        select(CreditLine.id, CreditLine.enterprise_id, CreditLine.reference,
               CreditLine.limit_fen, CreditLine.created_at, CreditLine.expiry_date)
        .where(CreditLine.status == LineStatus.PENDING_SIGNATURE.value)
        .order_by(CreditLine.created_at, CreditLine.id)
    )  # fmt: skip
    return [
        AwaitingSignature(i, e, ref, limit, created.astimezone(SHANGHAI).date(), expiry)
        for i, e, ref, limit, created, expiry in rows
    ]


@dataclass(frozen=True)
class LendingFacts:
    """What the engagement segments read of one enterprise's lending (issue 18)."""

    enterprise_id: uuid.UUID
    first_line_date: date | None  # the first line's activation (Asia/Shanghai)
    active_limit_fen: int  # active and frozen lines
    used_fen: int
    next_expiry_date: date | None
    last_drawdown_date: date | None
    max_dpd: int  # the worst days past due of its active loans


def lending_facts(session: Session) -> list[LendingFacts]:
    """Per enterprise with a line: limits, use, expiry, last drawdown and the worst dpd."""
    from sqlalchemy import func

    from puhui.core.clock import SHANGHAI
    from puhui.lending.models import CreditLine, DrawdownStatus, LineStatus

    live = (LineStatus.ACTIVE.value, LineStatus.FROZEN.value)
    first: dict[uuid.UUID, date | None] = {}
    totals: dict[uuid.UUID, tuple[int, int]] = {}
    expiry: dict[uuid.UUID, date] = {}
    for ent, status, limit, used, expires, activated in session.execute(
        select(CreditLine.enterprise_id, CreditLine.status, CreditLine.limit_fen,
               CreditLine.used_fen, CreditLine.expiry_date, CreditLine.activated_at)
    ):  # fmt: skip
        day = activated.astimezone(SHANGHAI).date() if activated is not None else None
        known = first.get(ent)
        first[ent] = day if known is None else (known if day is None else min(known, day))
        if status in live:
            a, b = totals.get(ent, (0, 0))
            totals[ent] = (a + limit, b + used)
            expiry[ent] = min(expiry.get(ent, expires), expires)
    drawn = {
        ent: day
        for ent, day in session.execute(
            select(Drawdown.enterprise_id, func.max(Drawdown.business_date))
            .where(Drawdown.status == DrawdownStatus.COMPLETED.value)
            .group_by(Drawdown.enterprise_id)
        )
    }
    dpd = {
        ent: worst
        for ent, worst in session.execute(
            select(Loan.enterprise_id, func.max(Loan.dpd))
            .where(Loan.status == LoanStatus.ACTIVE.value)
            .group_by(Loan.enterprise_id)
        )
    }
    return [
        LendingFacts(
            ent,
            first[ent],
            *totals.get(ent, (0, 0)),
            expiry.get(ent),
            drawn.get(ent),
            int(dpd.get(ent) or 0),
        )
        for ent in first
    ]
