"""Relief measures: 延期还本付息 (deferral), 无还本续贷 (renewal without principal repayment) and
自动授信增额 (automatic limit increase). Rules and their accounting: docs/lending.md."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.clock import Clock, business_date, shanghai_midnight_utc
from puhui.core.errors import InvalidInput
from puhui.core.events import publish
from puhui.core.ids import new_id
from puhui.core.money import format_fen
from puhui.ledger import service as ledger_service
from puhui.ledger.service import Leg
from puhui.lending import loans, nonaccrual, schedules
from puhui.lending.errors import (
    MethodNotAllowed,
    OfferOutOfBounds,
    ReliefNotAllowed,
    SettlementInsufficient,
)
from puhui.lending.events import RenewalDecisionCheck
from puhui.lending.interest import DayCountBasis, interest_between
from puhui.lending.models import (
    CreditLine,
    Instalment,
    InstalmentStatus,
    LineStatus,
    Loan,
    LoanStatus,
    Product,
    Relief,
    ReliefKind,
    Repayment,
    RepaymentKind,
)
from puhui.lending.products import CEILING_FEN, get_product
from puhui.lending.repayments import settlement_balance
from puhui.lending.rescheduling import DeferralInterest, defer_schedule
from puhui.lending.schedules import (
    PeriodInterest,
    RepaymentMethod,
    add_months,
    spread_deferred_interest,
)
from puhui.lending.schemas import LimitIncreaseOut, LimitIncreaseRules, ReliefOut

RENEWAL_WINDOW_DAYS = 30
"""A renewal may be granted from 30 days before maturity up to the maturity date."""

RENEWAL_DECISION_VALID_DAYS = 30
"""Default age limit of the fresh approved decision a renewal cites
(`PUHUI_RENEWAL_DECISION_VALID_DAYS`)."""


def _refuse(why_zh: str, why_en: str) -> ReliefNotAllowed:
    return ReliefNotAllowed(why_zh=why_zh, why_en=why_en)


def _waive_penalty(session: Session, clock: Clock, loan: Loan, day: date) -> int:
    waived = loan.penalty_accrued_fen + loan.compound_accrued_fen
    if waived:
        ledger_service.post(
            session,
            clock,
            kind="penalty_waiver",
            business_date=day,
            legs=nonaccrual.waiver_legs(
                session, loan.id, loans.penalty_account(loan.id), waived, loan.non_accrual_since
            ),
            memo=f"延期还本付息减免罚息 {loan.reference}",
            source_type="loan",
            source_id=loan.id,
        )
    loan.penalty_accrued_fen = 0
    loan.compound_accrued_fen = 0
    loan.penalty_carry = 0
    loan.compound_carry = 0
    return waived


@dataclass(frozen=True, slots=True)
class _DeferralPlan:
    billed: list[Instalment]
    """Billed and unpaid: deferred too, superseded by the rebuilt instalments."""
    unbilled: list[Instalment]
    """Not yet due, by seq: replaced by the rebuilt instalments."""
    moved_principal_fen: int
    moved_interest_fen: int
    window_interest_fen: int
    rebuilt: list[schedules.Instalment]


def _plan_deferral(
    loan: Loan,
    rows: list[Instalment],
    months: int,
    next_working: Callable[[date], date] | None = None,
) -> _DeferralPlan:
    """The rebuilt schedule of a deferral: what is billed and unpaid goes back into the balance
    (principal) or is spread over the rebuilt instalments (interest). No database."""
    unbilled = sorted(
        (r for r in rows if r.status == InstalmentStatus.SCHEDULED), key=lambda r: r.seq
    )
    if not unbilled:
        raise _refuse(
            "贷款已无未到期的还款计划可延期，可考虑无还本续贷。",
            "no instalment is left that is not yet due; consider a renewal instead.",
        )
    billed = [r for r in rows if r.status == InstalmentStatus.BILLED]
    moved_principal = sum(loans.unpaid_principal(r) for r in billed)
    moved_interest = sum(loans.unpaid_interest(r) for r in billed)
    balance = sum(loans.unpaid_principal(r) for r in unbilled) + moved_principal
    plan = loans.as_pure(unbilled)
    plan[0] = replace(plan[0], opening_balance_fen=balance)
    result = defer_schedule(
        plan,
        paid_through_seq=unbilled[0].seq - 1,
        months=months,
        rate_bp=loan.rate_bp,
        method=RepaymentMethod(loan.repayment_method),
        anchor_date=loan.start_date,
        treatment=DeferralInterest.DEFERRED,
        interest_mode=PeriodInterest(loan.interest_mode),
        basis=DayCountBasis(loan.day_count),
        next_working=next_working,
    )
    return _DeferralPlan(
        billed=billed,
        unbilled=unbilled,
        moved_principal_fen=moved_principal,
        moved_interest_fen=moved_interest,
        window_interest_fen=result.deferral_interest_fen,
        rebuilt=spread_deferred_interest(result.instalments, moved_interest),
    )


def defer(
    session: Session, clock: Clock, loan_id: uuid.UUID, months: int, reason: str
) -> ReliefOut:
    """延期还本付息: move every unpaid instalment `months` months later.

    What is overdue is deferred too: its principal goes back into the balance that is
    re-amortized, its interest (already recognised) is spread over the rebuilt instalments, and
    the penalty and compound interest accrued on it are waived. Interest over the deferral
    window is spread over the rebuilt instalments as well, without interest on it (不计复利).
    Needs at least one instalment that is not yet due (a matured loan may be renewed instead).
    """
    day = business_date(clock)
    loan = loans.lock_active_loan(session, loan_id)
    product = get_product(session, loan.product_code)
    if not 1 <= months <= product.max_deferral_months:
        raise InvalidInput(field="months")
    rows = loans.rows_of(session, loan.id)
    loans.bill_due(session, clock, loan, rows, day)
    plan = _plan_deferral(loan, rows, months, loans.holiday_rule_of(session, product))
    waived = _waive_penalty(session, clock, loan, day)
    old_maturity = loan.maturity_date
    _apply_deferral(session, clock, loan, rows, plan, day)
    relief = _new_relief(
        session,
        clock,
        loan,
        day,
        kind=ReliefKind.DEFERRAL,
        reason=reason,
        months=months,
        penalty_waived_fen=waived,
        deferred_interest_fen=plan.window_interest_fen,
        old_maturity_date=old_maturity,
        new_maturity_date=loan.maturity_date,
    )
    detail = {
        "months": months,
        "reason": reason,
        "deferred_principal_fen": plan.moved_principal_fen,
        "deferred_overdue_interest_fen": plan.moved_interest_fen,
        "window_interest_fen": plan.window_interest_fen,
        "penalty_waived_fen": waived,
        "old_maturity_date": old_maturity.isoformat(),
        "new_maturity_date": loan.maturity_date.isoformat(),
    }
    return _recorded(session, clock, loan, day, relief, "deferral", detail)


def _apply_deferral(
    session: Session,
    clock: Clock,
    loan: Loan,
    rows: list[Instalment],
    plan: _DeferralPlan,
    day: date,
) -> None:
    """The loan after a deferral: the interest recognised so far moves to the deferred part,
    the billed rows are superseded, the unbilled ones replaced by the rebuilt schedule."""
    # interest recognised so far and not billed any more: it is paid with the rebuilt lines
    loan.interest_deferred_fen += plan.moved_interest_fen + loan.interest_accrued_fen
    loan.interest_accrued_fen = 0
    loan.interest_carry = 0
    loan.interest_accrued_through = plan.rebuilt[0].start_date
    for row in plan.billed:
        row.status = InstalmentStatus.SUPERSEDED.value
    for row in plan.unbilled:
        session.delete(row)
    new_rows = loans.new_rows(loan.id, plan.rebuilt)
    session.add_all(new_rows)
    live = [r for r in rows if r.status == InstalmentStatus.PAID] + new_rows
    loans.refresh(loan, live, day)
    loan.updated_at = clock.now()


def _new_relief(
    session: Session,
    clock: Clock,
    loan: Loan,
    day: date,
    *,
    kind: ReliefKind,
    reason: str,
    months: int,
    old_maturity_date: date,
    new_maturity_date: date,
    relief_id: uuid.UUID | None = None,
    decision_id: uuid.UUID | None = None,
    new_loan_id: uuid.UUID | None = None,
    penalty_waived_fen: int = 0,
    deferred_interest_fen: int = 0,
) -> Relief:
    return Relief(
        id=relief_id or new_id(),
        loan_id=loan.id,
        kind=kind.value,
        reason=reason,
        months=months,
        decision_id=decision_id,
        new_loan_id=new_loan_id,
        penalty_waived_fen=penalty_waived_fen,
        deferred_interest_fen=deferred_interest_fen,
        old_maturity_date=old_maturity_date,
        new_maturity_date=new_maturity_date,
        actor=loans.actor_name(session),
        business_date=day,
        created_at=clock.now(),
    )


def _recorded(
    session: Session,
    clock: Clock,
    loan: Loan,
    day: date,
    relief: Relief,
    event: str,
    detail: dict[str, object],
) -> ReliefOut:
    """Add the relief with its loan event and audit event (``loan.<event>``)."""
    session.add(relief)
    loans.loan_event(session, clock, loan, day, event, detail)
    audit.record(session, f"loan.{event}", "loan", loan.id, after=detail)
    session.flush()
    return ReliefOut.model_validate(relief)


def renew_without_principal(
    session: Session,
    clock: Clock,
    loan_id: uuid.UUID,
    *,
    decision_id: uuid.UUID,
    term_months: int | None = None,
    rate_bp: int | None = None,
    repayment_method: RepaymentMethod | None = None,
    reason: str = "无还本续贷",
    decision_valid_days: int = RENEWAL_DECISION_VALID_DAYS,
) -> ReliefOut:
    """无还本续贷: refinance a loan at maturity by a new loan for its outstanding principal.

    Needs a fresh approved decision (`decision_id`: an approved decision of the same
    enterprise taken within `decision_valid_days`, checked by the subscriber of
    `events.RenewalDecisionCheck`, published before anything changes), a product that
    allows renewal, today within 30 days before maturity (up to the maturity date), nothing
    overdue, and a line that is not frozen or closed. The interest due (billed, accrued in the
    current period, deferred) is paid from the settlement account now; the principal is paid by
    the new loan: Dr loan_principal(new) / Cr loan_principal(old) — no cash moves. The line's
    used amount does not change.
    """
    day = business_date(clock)
    loan = loans.lock_active_loan(session, loan_id)
    publish(
        session,
        RenewalDecisionCheck(
            loan_id=loan.id,
            enterprise_id=loan.enterprise_id,
            decision_id=decision_id,
            valid_days=decision_valid_days,
            at=clock.now(),
        ),
    )
    product = get_product(session, loan.product_code)
    _check_renewal_window(product, loan, day)
    rows = loans.rows_of(session, loan.id)
    loans.bill_due(session, clock, loan, rows, day)
    billed = [r for r in rows if r.status == InstalmentStatus.BILLED]
    line = _renewable_line(session, loan, billed, day)
    term = term_months or loan.term_months
    rate = loan.rate_bp if rate_bp is None else rate_bp
    method = repayment_method or RepaymentMethod(loan.repayment_method)
    _check_terms(product, term, rate, method)

    unbilled = [r for r in rows if r.status == InstalmentStatus.SCHEDULED]
    interest_paid = _settle_renewal_interest(session, clock, loan, billed, unbilled, day)
    principal = loan.principal_outstanding_fen
    new_loan = loans.book_loan(
        session,
        clock,
        line=line,
        product=product,
        principal_fen=principal,
        rate_bp=rate,
        term_months=term,
        method=method,
        start_date=day,
        renewed_from_loan_id=loan.id,
    )
    relief_id = new_id()
    _transfer_principal(session, clock, loan, new_loan, principal, relief_id, day)
    _close_renewed(session, clock, loan, rows, billed, unbilled, day)
    relief = _new_relief(
        session,
        clock,
        loan,
        day,
        kind=ReliefKind.RENEWAL,
        reason=reason,
        months=term,
        relief_id=relief_id,
        decision_id=decision_id,
        new_loan_id=new_loan.id,
        old_maturity_date=loan.maturity_date,
        new_maturity_date=new_loan.maturity_date,
    )
    detail = {
        "decision_id": str(decision_id),
        "new_loan": new_loan.reference,
        "principal_fen": principal,
        "interest_paid_fen": interest_paid,
        "term_months": term,
        "rate_bp": rate,
        "method": method.value,
    }
    return _recorded(session, clock, loan, day, relief, "renewal", detail)


def _check_renewal_window(product: Product, loan: Loan, day: date) -> None:
    if not product.renewal_allowed:
        raise _refuse("该产品不支持无还本续贷。", "this product does not allow renewal.")
    if not loan.maturity_date - timedelta(days=RENEWAL_WINDOW_DAYS) <= day <= loan.maturity_date:
        raise _refuse(
            f"仅可在到期日前 {RENEWAL_WINDOW_DAYS} 天内至到期日（{loan.maturity_date}）办理。",
            f"only from {RENEWAL_WINDOW_DAYS} days before maturity ({loan.maturity_date}) "
            "up to the maturity date.",
        )


def _renewable_line(
    session: Session, loan: Loan, billed: list[Instalment], day: date
) -> CreditLine:
    """The loan's line, locked, once nothing is overdue and the line is neither frozen nor
    closed."""
    if (
        any(r.due_date < day for r in billed)
        or loan.penalty_accrued_fen
        or loan.compound_accrued_fen
    ):
        raise _refuse("贷款存在逾期，不能办理无还本续贷。", "the loan is overdue.")
    line = loans.lock_line(session, loan.line_id)
    if line.status in (LineStatus.FROZEN, LineStatus.CLOSED):
        raise _refuse("授信额度已冻结或关闭。", "the credit line is frozen or closed.")
    return line


def _settle_renewal_interest(
    session: Session,
    clock: Clock,
    loan: Loan,
    billed: list[Instalment],
    unbilled: list[Instalment],
    day: date,
) -> int:
    """Pay the interest due at renewal from the settlement account (billed and unpaid, accrued
    in the current period, deferred): SettlementInsufficient if it does not hold it. Returns it."""
    due_interest = sum(loans.unpaid_interest(r) for r in billed)
    accrued_interest = _interest_to_day(loan, unbilled, day)
    interest_total = due_interest + accrued_interest
    available = settlement_balance(session, loan.enterprise_id)
    if available < interest_total:
        raise SettlementInsufficient(
            needed=format_fen(interest_total), available=format_fen(available)
        )
    _recognise_renewal_interest(session, clock, loan, accrued_interest, day)
    if interest_total:
        _pay_renewal_interest(session, clock, loan, due_interest, accrued_interest, day)
    return interest_total


def _interest_to_day(loan: Loan, unbilled: list[Instalment], day: date) -> int:
    """Interest of the current period up to `day` on the principal not yet due, plus the
    deferred interest the unbilled instalments still carry (0 when everything is billed)."""
    if not unbilled:
        return 0
    first = min(unbilled, key=lambda r: r.seq)
    normal = sum(loans.unpaid_principal(r) for r in unbilled)
    return interest_between(
        normal,
        loan.rate_bp,
        first.start_date,
        max(day, first.start_date),
        DayCountBasis(loan.day_count),
    ) + sum(r.deferred_interest_fen for r in unbilled)


def _recognise_renewal_interest(
    session: Session, clock: Clock, loan: Loan, accrued_interest_fen: int, day: date
) -> None:
    """Make the receivable hold exactly the interest paid at renewal (accrual and deferred
    interest recognised so far replaced by the exact figure)."""
    true_up = accrued_interest_fen - loan.interest_accrued_fen - loan.interest_deferred_fen
    legs = loans.interest_true_up_legs(
        loan.id, true_up, suspense_fen=loans.suspense_if_non_accrual(session, loan)
    )
    if legs:
        ledger_service.post(
            session,
            clock,
            kind="interest_billing",
            business_date=day,
            legs=legs,
            memo=f"续贷利息确认 {loan.reference}",
            source_type="loan",
            source_id=loan.id,
        )


def _pay_renewal_interest(
    session: Session,
    clock: Clock,
    loan: Loan,
    due_interest_fen: int,
    accrued_interest_fen: int,
    day: date,
) -> None:
    """The interest paid from the settlement account: a renewal repayment and its entry."""
    interest_total = due_interest_fen + accrued_interest_fen
    repayment = Repayment(
        id=new_id(),
        reference=loans.next_reference(session, "RPY", day.year),
        loan_id=loan.id,
        kind=RepaymentKind.RENEWAL.value,
        amount_requested_fen=interest_total,
        amount_applied_fen=interest_total,
        unapplied_fen=0,
        current_interest_fen=due_interest_fen,
        accrued_interest_fen=accrued_interest_fen,
        idempotency_key=None,
        business_date=day,
        created_at=clock.now(),
    )
    entry = ledger_service.post(
        session,
        clock,
        kind="repayment:renewal",
        business_date=day,
        legs=[
            Leg.debit(loans.settlement_account(loan.enterprise_id), interest_total),
            Leg.credit(loans.interest_account(loan.id), interest_total),
        ],
        memo=f"续贷结息 {repayment.reference} 借据 {loan.reference}",
        source_type="repayment",
        source_id=repayment.id,
    )
    repayment.entry_id = entry.id
    session.add(repayment)


def _transfer_principal(
    session: Session,
    clock: Clock,
    old: Loan,
    new: Loan,
    principal_fen: int,
    relief_id: uuid.UUID,
    day: date,
) -> None:
    """The new loan pays the old one's principal: Dr loan_principal(new) / Cr (old)."""
    ledger_service.post(
        session,
        clock,
        kind="renewal",
        business_date=day,
        legs=[
            Leg.debit(loans.principal_account(new.id), principal_fen),
            Leg.credit(loans.principal_account(old.id), principal_fen),
        ],
        memo=f"无还本续贷 {old.reference} → {new.reference}",
        source_type="relief",
        source_id=relief_id,
    )


def _close_renewed(
    session: Session,
    clock: Clock,
    loan: Loan,
    rows: list[Instalment],
    billed: list[Instalment],
    unbilled: list[Instalment],
    day: date,
) -> None:
    """The old loan once renewed: billed instalments paid, the rest superseded, no interest
    left, status renewed."""
    for row in billed:
        row.interest_paid_fen = row.interest_fen
        row.principal_paid_fen = row.principal_fen
        loans.mark_paid_if_settled(row, day)
    for row in unbilled:
        row.status = InstalmentStatus.SUPERSEDED.value
    loan.interest_accrued_fen = 0
    loan.interest_carry = 0
    loan.interest_deferred_fen = 0
    loans.refresh(loan, rows, day)
    loans.transition_loan(session, clock, loan, LoanStatus.RENEWED, day)


def _check_terms(product: Product, term: int, rate: int, method: RepaymentMethod) -> None:
    if not product.min_term_months <= term <= product.max_term_months:
        raise OfferOutOfBounds(
            field="term_months",
            what="期限（月）",
            what_en="The term (months)",
            product_code=product.code,
            low=product.min_term_months,
            high=product.max_term_months,
        )
    if not product.min_rate_bp <= rate <= product.max_rate_bp:
        raise OfferOutOfBounds(
            field="rate_bp",
            what="利率（基点）",
            what_en="The rate (bp)",
            product_code=product.code,
            low=product.min_rate_bp,
            high=product.max_rate_bp,
        )
    if method.value not in product.repayment_methods:
        raise MethodNotAllowed(
            field="repayment_method", product_code=product.code, method=method.value
        )


# --- automatic limit increase -------------------------------------------------------------------


def _pct(bp: int) -> str:
    return f"{bp // 100}.{bp % 100:02d}%"


def auto_limit_increase(
    session: Session, clock: Clock, day: date, rules: LimitIncreaseRules | None = None
) -> list[LimitIncreaseOut]:
    """自动授信增额: raise the limit of active lines with a clean history and high utilisation.

    Eligible: active, not expiring today, activated at least `min_line_age_months` ago, no
    limit change within `min_months_since_last_change` months (and none today, so a re-run of
    the date changes nothing), `used / limit ≥ min_utilisation_bp`, and no loan of the line
    overdue now or in the last `clean_months` months. New limit: `limit × (1 + increase_bp)`,
    rounded down to `round_to_fen`, capped by the product's maximum and `ceiling_fen`.
    """
    rules = rules or LimitIncreaseRules()
    done: list[LimitIncreaseOut] = []
    for line_id, product_max in _limit_increase_candidates(session, day, rules):
        line = loans.lock_line(session, line_id)
        if line.status != LineStatus.ACTIVE:
            continue
        new_limit = _raised_limit(line.limit_fen, product_max, rules)
        if new_limit <= line.limit_fen:
            continue
        done.append(_raise_limit(session, clock, line, new_limit, day, rules))
    return done


def _limit_increase_candidates(
    session: Session, day: date, rules: LimitIncreaseRules
) -> list[tuple[uuid.UUID, int]]:
    """``(line id, product maximum)`` of the eligible lines (see `auto_limit_increase`), by id."""
    clean_since = add_months(day, -rules.clean_months)
    changed_before = add_months(day, -rules.min_months_since_last_change)
    activated_before = shanghai_midnight_utc(
        add_months(day, -rules.min_line_age_months) + timedelta(days=1)
    )
    dirty = exists().where(
        Loan.line_id == CreditLine.id,
        or_(
            Loan.dpd > 0,
            Loan.overdue_principal_fen > 0,
            and_(Loan.oldest_unpaid_due_date.is_not(None), Loan.oldest_unpaid_due_date < day),
            Loan.last_overdue_date >= clean_since,
        ),
    )
    rows = session.execute(
        select(CreditLine.id, Product.max_limit_fen)
        .join(Product, Product.code == CreditLine.product_code)
        .where(
            CreditLine.status == LineStatus.ACTIVE.value,
            CreditLine.expiry_date > day,
            CreditLine.activated_at < activated_before,
            or_(
                CreditLine.last_limit_change_date.is_(None),
                and_(
                    CreditLine.last_limit_change_date <= changed_before,
                    CreditLine.last_limit_change_date < day,
                ),
            ),
            CreditLine.used_fen * 10_000 >= CreditLine.limit_fen * rules.min_utilisation_bp,
            ~dirty,
        )
        .order_by(CreditLine.id)
    ).all()
    return [(line_id, product_max) for line_id, product_max in rows]


def _raised_limit(limit_fen: int, product_max_fen: int, rules: LimitIncreaseRules) -> int:
    """`limit × (1 + increase_bp)` capped by the product's maximum, the rules' ceiling and the
    absolute ceiling, rounded down to `round_to_fen`. No database."""
    cap = min(product_max_fen, rules.ceiling_fen, CEILING_FEN)
    raised = limit_fen * (10_000 + rules.increase_bp) // 10_000
    return min(raised, cap) // rules.round_to_fen * rules.round_to_fen


def _raise_limit(
    session: Session,
    clock: Clock,
    line: CreditLine,
    new_limit: int,
    day: date,
    rules: LimitIncreaseRules,
) -> LimitIncreaseOut:
    """Set the line's new limit, with its line event and audit event."""
    old = line.limit_fen
    utilisation_bp = line.used_fen * 10_000 // old
    reason = (
        f"自动增额（{rules.name}）：近 {rules.clean_months} 个月无逾期，"
        f"额度使用率 {_pct(utilisation_bp)} ≥ {_pct(rules.min_utilisation_bp)}，"
        f"额度 {format_fen(old)} → {format_fen(new_limit)}"
    )
    line.limit_fen = new_limit
    line.last_limit_change_date = day
    line.updated_at = clock.now()
    loans.line_event(
        session,
        clock,
        line,
        day,
        kind="limit_increase",
        old_limit_fen=old,
        new_limit_fen=new_limit,
        reason=reason,
        detail={"rules": rules.model_dump(), "utilisation_bp": utilisation_bp},
    )
    audit.record(
        session,
        "credit_line.limit_increase",
        "credit_line",
        line.id,
        before={"limit_fen": old},
        after={"limit_fen": new_limit, "rule": rules.name, "utilisation_bp": utilisation_bp},
    )
    return LimitIncreaseOut(
        line_id=line.id, old_limit_fen=old, new_limit_fen=new_limit, reason=reason
    )
