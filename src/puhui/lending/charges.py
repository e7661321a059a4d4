"""Charges (收费): each product's catalogue, charges assessed on loans, their collection with
repayments, and waivers by maker-checker. The terms and amounts: `charges_rules` (pure).

Accounting (docs/servicing.md § Charges):

* assessed (at drawdown, by the end of day's ``charges`` step for periodic and late-payment
  charges): Dr ``fee_receivable``(loan) / Cr ``fee_income`` — due on the day assessed; on a
  non-accrual loan Cr ``fee_suspense``(loan) instead (``nonaccrual``: recognised when paid or
  when the loan is cured);
* collected with a repayment, in the bucket ``fee`` of the allocation order (first unless the
  product names it elsewhere): Cr ``fee_receivable``(loan) in the repayment's entry;
* a prepayment charge is collected with the prepayment itself (like the product's prepayment
  fee: Cr ``fee_income`` in the repayment's entry) and recorded as a paid charge;
* waived, once a second officer approves: Dr ``fee_income`` (a non-accrual loan's
  ``fee_suspense`` first) / Cr ``fee_receivable``(loan).

Every charge row is unique per (loan, charge, occurrence): assessing again changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.auth import Principal
from puhui.core.clock import Clock
from puhui.core.errors import InvalidInput
from puhui.core.ids import new_id
from puhui.core.models import Role
from puhui.ledger import service as ledger_service
from puhui.ledger.service import AccountRef, Leg
from puhui.lending import loans, nonaccrual
from puhui.lending.charges_models import (
    WAIVER_TRANSITIONS,
    ChargeWaiver,
    LoanCharge,
    LoanChargeStatus,
    ProductCharge,
    WaiverStatus,
)
from puhui.lending.charges_rules import (
    ChargeBasis,
    ChargeTerms,
    ChargeTrigger,
    periodic_due,
    split_paid,
)
from puhui.lending.errors import (
    ChargeNotFound,
    WaiverNotFound,
    WaiverNotPending,
    WaiverSameOfficer,
    WaiverTooLarge,
)
from puhui.lending.models import Instalment, InstalmentStatus, Loan, LoanStatus

# who may propose a waiver, and who decides it (never the proposer)
WAIVER_MAKERS = (Role.CREDIT_OFFICER, Role.CUSTOMER_MANAGER, Role.SERVICE_REP, Role.RISK_OFFICER)
WAIVER_CHECKERS = (Role.CREDIT_OFFICER, Role.RISK_OFFICER, Role.ADMIN)


def fee_account(loan_id: uuid.UUID) -> AccountRef:
    return ledger_service.owned("fee_receivable", "loan", loan_id)


# --- the catalogue ------------------------------------------------------------------------------


def terms_of(item: ProductCharge) -> ChargeTerms:
    return ChargeTerms(
        code=item.code, name_zh=item.name_zh, name_en=item.name_en,
        trigger=ChargeTrigger(item.trigger), basis=ChargeBasis(item.basis),
        amount_fen=item.amount_fen, rate_bp=item.rate_bp,
        min_fen=item.min_fen, max_fen=item.max_fen,
    )  # fmt: skip


def set_product_charge(
    session: Session, clock: Clock, product_code: str, terms: ChargeTerms
) -> ProductCharge:
    """Add or change a charge of a product's catalogue (by its code). Loans already assessed
    keep their charges; new occurrences follow the new terms."""
    if terms.problems() or not terms.code.strip() or not terms.name_zh.strip():
        raise InvalidInput(field="charge")
    loans_product = session.scalar(
        select(ProductCharge).where(
            ProductCharge.product_code == product_code, ProductCharge.code == terms.code
        )
    )
    item = loans_product or ProductCharge(product_code=product_code, code=terms.code)
    before = None if loans_product is None else terms_of(loans_product)
    item.name_zh, item.name_en = terms.name_zh, terms.name_en
    item.trigger, item.basis = terms.trigger.value, terms.basis.value
    item.amount_fen, item.rate_bp = terms.amount_fen, terms.rate_bp
    item.min_fen, item.max_fen = terms.min_fen, terms.max_fen
    item.is_active = True
    item.created_at = item.created_at or clock.now()
    session.add(item)
    session.flush()
    audit.record(
        session, "product.charge_set", "product_charge", item.id,
        before=None if before is None else {"terms": terms_wording(before)},
        after={"product_code": product_code, "terms": terms_wording(terms)},
    )  # fmt: skip
    return item


def terms_wording(terms: ChargeTerms) -> str:
    return terms.wording_zh()


def catalogue(
    session: Session, product_code: str, triggers: Iterable[ChargeTrigger] | None = None
) -> list[ProductCharge]:
    """The product's active charges (of the given triggers), by code."""
    query = select(ProductCharge).where(
        ProductCharge.product_code == product_code, ProductCharge.is_active
    )
    if triggers is not None:
        query = query.where(ProductCharge.trigger.in_([t.value for t in triggers]))
    return list(session.scalars(query.order_by(ProductCharge.code)))


def contract_lines(session: Session, product_code: str) -> tuple[str, ...]:
    """The charges a contract of this product agrees to, one clause line each."""
    return tuple(terms_of(item).wording_zh() for item in catalogue(session, product_code))


# --- assessing ----------------------------------------------------------------------------------


def assess(
    session: Session,
    clock: Clock,
    loan: Loan,
    item: ProductCharge,
    *,
    base_fen: int,
    occurrence: str,
    day: date,
) -> LoanCharge | None:
    """Charge `item` on `loan` for `occurrence` (once), booked to fee income (a non-accrual
    loan: to its fee suspense); None when the amount is 0 or the occurrence was charged
    already."""
    amount = terms_of(item).amount(base_fen)
    if amount <= 0 or _exists(session, loan.id, item.code, occurrence):
        return None
    row = _charge_row(clock, loan, item, base_fen, amount, occurrence, day)
    income = nonaccrual.fee_income_or_suspense(loan.id, loan.non_accrual_since)
    entry = ledger_service.post(
        session, clock, kind="charge", business_date=day,
        legs=[Leg.debit(fee_account(loan.id), amount), Leg.credit(income, amount)],
        memo=f"{item.name_zh} 借据 {loan.reference}", source_type="loan_charge", source_id=row.id,
    )  # fmt: skip
    row.entry_id = entry.id
    session.add(row)
    session.flush()
    return row


def _exists(session: Session, loan_id: uuid.UUID, code: str, occurrence: str) -> bool:
    found = session.scalar(
        select(LoanCharge.id).where(
            LoanCharge.loan_id == loan_id,
            LoanCharge.code == code,
            LoanCharge.occurrence == occurrence,
        )
    )
    return found is not None


def _charge_row(
    clock: Clock,
    loan: Loan,
    item: ProductCharge,
    base_fen: int,
    amount: int,
    occurrence: str,
    day: date,
) -> LoanCharge:
    now = clock.now()
    return LoanCharge(
        id=new_id(),
        loan_id=loan.id, product_charge_id=item.id, code=item.code, name_zh=item.name_zh,
        name_en=item.name_en, trigger=item.trigger, occurrence=occurrence, base_fen=base_fen,
        amount_fen=amount, paid_fen=0, waived_fen=0, status=LoanChargeStatus.DUE.value,
        due_date=day, created_at=now, updated_at=now,
    )  # fmt: skip


def on_drawdown(session: Session, clock: Clock, loan: Loan, day: date) -> list[LoanCharge]:
    """The product's one-off drawdown charges on a new loan (never netted from the payout)."""
    done = []
    for item in catalogue(session, loan.product_code, [ChargeTrigger.DRAWDOWN]):
        row = assess(
            session, clock, loan, item, base_fen=loan.principal_fen, occurrence="drawdown", day=day
        )
        if row is not None:
            done.append(row)
    return done


def assess_day(session: Session, clock: Clock, day: date) -> dict[str, int]:
    """The end of day's ``charges`` step: periodic charges falling on `day` and late-payment
    charges on instalments past due beyond the grace days. Idempotent per date. Reads the
    active loans' start dates only (a loan is loaded when a charge falls on it) and the billed
    instalments past due (few), so a large book costs one light scan."""
    kinds = [t.value for t in (ChargeTrigger.MONTHLY, ChargeTrigger.ANNUAL)]
    periodic = _by_product(session, kinds)
    late = _by_product(session, [ChargeTrigger.LATE_PAYMENT.value])
    assessed: list[LoanCharge] = []
    if periodic:
        starts = session.execute(
            select(Loan.id, Loan.start_date, Loan.product_code)
            .where(Loan.status == LoanStatus.ACTIVE.value, Loan.product_code.in_(list(periodic)))
            .order_by(Loan.id)
        ).all()
        for loan_id, start, code in starts:
            for item in periodic[code]:
                if periodic_due(ChargeTrigger(item.trigger), start, day):
                    loan = session.get(Loan, loan_id)
                    assert loan is not None
                    row = assess(
                        session, clock, loan, item, base_fen=loan.principal_outstanding_fen,
                        occurrence=day.isoformat(), day=day,
                    )  # fmt: skip
                    assessed += [row] if row else []
    if late:
        assessed += _late_charges(session, clock, late, day)
    return {"charges_assessed": len(assessed), "charges_fen": sum(r.amount_fen for r in assessed)}


def _by_product(session: Session, triggers: list[str]) -> dict[str, list[ProductCharge]]:
    out: dict[str, list[ProductCharge]] = {}
    for item in session.scalars(
        select(ProductCharge)
        .where(ProductCharge.is_active, ProductCharge.trigger.in_(triggers))
        .order_by(ProductCharge.code)
    ):
        out.setdefault(item.product_code, []).append(item)
    return out


def _late_charges(
    session: Session, clock: Clock, late: dict[str, list[ProductCharge]], day: date
) -> list[LoanCharge]:
    """One late-payment charge per instalment unpaid after its due date and grace days."""
    overdue = session.execute(
        select(Instalment, Loan)
        .join(Loan, Loan.id == Instalment.loan_id)
        .where(
            Loan.status == LoanStatus.ACTIVE.value,
            Loan.product_code.in_(list(late)),
            Instalment.status == InstalmentStatus.BILLED.value,
            Instalment.due_date < day,
        )
        .order_by(Loan.id, Instalment.seq)
    ).all()
    done = []
    for inst, loan in overdue:
        if inst.due_date + timedelta(days=loan.grace_days) >= day:
            continue  # still in the grace days
        unpaid = loans.unpaid_principal(inst) + loans.unpaid_interest(inst)
        for item in late[loan.product_code]:
            row = assess(
                session, clock, loan, item, base_fen=unpaid, occurrence=f"inst:{inst.seq}",
                day=day,
            )  # fmt: skip
            if row is not None:
                done.append(row)
    return done


# --- collecting ---------------------------------------------------------------------------------


def outstanding(session: Session, loan_id: uuid.UUID, day: date) -> list[LoanCharge]:
    """The loan's charges due on or before `day` with something still owed, oldest first."""
    return list(
        session.scalars(
            select(LoanCharge)
            .where(
                LoanCharge.loan_id == loan_id,
                LoanCharge.status == LoanChargeStatus.DUE.value,
                LoanCharge.due_date <= day,
            )
            .order_by(LoanCharge.due_date, LoanCharge.created_at, LoanCharge.id)
        )
    )


def due_fen(session: Session, loan_id: uuid.UUID, day: date) -> int:
    return sum(row.outstanding_fen for row in outstanding(session, loan_id, day))


def loans_with_charges_due(day: date):  # type: ignore[no-untyped-def]
    """A subquery of the loans owing a charge on `day` (the auto-debit's selection)."""
    return select(LoanCharge.loan_id).where(
        LoanCharge.status == LoanChargeStatus.DUE.value, LoanCharge.due_date <= day
    )


def apply_paid(
    session: Session, clock: Clock, loan_id: uuid.UUID, paid_fen: int, day: date
) -> None:
    """A repayment's `fee` bucket: paid into the oldest charges first (the ledger credit to
    fee_receivable is in the repayment's entry)."""
    if paid_fen <= 0:
        return
    rows = outstanding(session, loan_id, day)
    parts = split_paid([r.outstanding_fen for r in rows], paid_fen)
    for row, part in zip(rows, parts, strict=True):
        if part:
            row.paid_fen += part
            row.updated_at = clock.now()
            _settle(row)


def unpay(session: Session, clock: Clock, loan_id: uuid.UUID, fen: int) -> None:
    """A returned repayment's `fee` bucket (its entry reversed: the receivable is owed again):
    the paid amounts are taken back, latest paid first (never a prepayment charge, which is
    collected with a prepayment and never returned)."""
    rows = session.scalars(
        select(LoanCharge)
        .where(
            LoanCharge.loan_id == loan_id,
            LoanCharge.paid_fen > 0,
            LoanCharge.trigger != ChargeTrigger.PREPAYMENT.value,
        )
        .order_by(LoanCharge.updated_at.desc(), LoanCharge.due_date.desc())
    ).all()
    for row in rows:
        if fen <= 0:
            return
        back = min(row.paid_fen, fen)
        row.paid_fen -= back
        row.status = LoanChargeStatus.DUE.value
        row.updated_at = clock.now()
        fen -= back


def reversal_legs(session: Session, clock: Clock, loan: Loan) -> list[Leg]:
    """A drawdown reversed (its payout failed): the loan never was, nor were its charges. The
    legs that take them back out of fee income — what is owed leaves the receivable, what was
    collected goes back to the settlement account — for the reversal's entry; the charges are
    marked waived."""
    owed = refunded = 0
    for row in charges_of(session, loan.id):
        owed += row.outstanding_fen
        refunded += row.paid_fen
        row.waived_fen, row.paid_fen = row.amount_fen, 0
        row.status = LoanChargeStatus.WAIVED.value
        row.updated_at = clock.now()
    return [
        Leg.debit(loans.FEE_INCOME, owed + refunded),
        Leg.credit(fee_account(loan.id), owed),
        Leg.credit(loans.settlement_account(loan.enterprise_id), refunded),
    ]


def write_off(session: Session, clock: Clock, loan_id: uuid.UUID) -> int:
    """The loan is written off: its charges still owed leave the books with it (writeoff.py
    credits the receivable) and stay owed, off the balance sheet. Returns the fen."""
    fen = 0
    for row in charges_of(session, loan_id):
        if row.status == LoanChargeStatus.DUE.value:
            fen += row.outstanding_fen
            row.status = LoanChargeStatus.WRITTEN_OFF.value
            row.updated_at = clock.now()
    return fen


def _settle(row: LoanCharge) -> None:
    if row.outstanding_fen == 0:
        row.status = (LoanChargeStatus.WAIVED if row.waived_fen else LoanChargeStatus.PAID).value


def prepayment_terms(session: Session, product_code: str) -> list[ChargeTerms]:
    return [terms_of(i) for i in catalogue(session, product_code, [ChargeTrigger.PREPAYMENT])]


def record_prepayment_charges(
    session: Session,
    clock: Clock,
    loan: Loan,
    principal_fen: int,
    occurrence: str,
    entry_id: uuid.UUID,
    day: date,
) -> int:
    """The catalogue's prepayment charges collected with a prepayment (in its entry, to fee
    income directly), recorded as paid charges; returns their total."""
    total = 0
    for item in catalogue(session, loan.product_code, [ChargeTrigger.PREPAYMENT]):
        amount = terms_of(item).amount(principal_fen)
        if amount <= 0:
            continue
        row = _charge_row(clock, loan, item, principal_fen, amount, occurrence, day)
        row.paid_fen, row.status, row.entry_id = amount, LoanChargeStatus.PAID.value, entry_id
        session.add(row)
        total += amount
    session.flush()
    return total


# --- waivers (maker-checker) --------------------------------------------------------------------


def propose_waiver(
    session: Session,
    clock: Clock,
    maker: Principal,
    loan_charge_id: uuid.UUID,
    amount_fen: int,
    reason: str,
) -> ChargeWaiver:
    """The maker asks to waive `amount_fen` of a charge; nothing is posted yet."""
    charge = session.get(LoanCharge, loan_charge_id)
    if charge is None:
        raise ChargeNotFound()
    if not isinstance(amount_fen, int) or amount_fen <= 0 or len(reason.strip()) < 2:
        raise InvalidInput(field="amount_fen" if len(reason.strip()) >= 2 else "reason")
    pending = session.scalar(
        select(func.coalesce(func.sum(ChargeWaiver.amount_fen), 0)).where(
            ChargeWaiver.loan_charge_id == charge.id,
            ChargeWaiver.status == WaiverStatus.PROPOSED.value,
        )
    )
    available = charge.outstanding_fen - int(pending or 0)
    if amount_fen > available:
        raise WaiverTooLarge(available=f"{available / 100:,.2f}")
    waiver = ChargeWaiver(
        loan_charge_id=charge.id, loan_id=charge.loan_id, amount_fen=amount_fen,
        reason=reason.strip()[:500], status=WaiverStatus.PROPOSED.value,
        maker_id=maker.user_id, maker_name=maker.display_name[:100], created_at=clock.now(),
    )  # fmt: skip
    session.add(waiver)
    session.flush()
    audit.record(
        session, "charge.waiver_proposed", "loan", charge.loan_id,
        after={"waiver_id": waiver.id, "charge": charge.code, "amount_fen": amount_fen},
    )  # fmt: skip
    return waiver


def _decide(
    session: Session, clock: Clock, checker: Principal, waiver_id: uuid.UUID, to: WaiverStatus
) -> ChargeWaiver:
    waiver = session.get(ChargeWaiver, waiver_id, with_for_update=True)
    if waiver is None:
        raise WaiverNotFound()
    status = WaiverStatus(waiver.status)
    if to not in WAIVER_TRANSITIONS[status]:
        raise WaiverNotPending(status=status.value, status_zh=status.zh)
    if waiver.maker_id == checker.user_id:
        raise WaiverSameOfficer()
    waiver.status = to.value
    waiver.checker_id, waiver.checker_name = checker.user_id, checker.display_name[:100]
    waiver.decided_at = clock.now()
    return waiver


def approve_waiver(
    session: Session, clock: Clock, checker: Principal, waiver_id: uuid.UUID, day: date
) -> ChargeWaiver:
    """A second staff member approves: the waived part leaves the receivable and the income
    (Dr fee_income / Cr fee_receivable); the charge is settled when nothing is left."""
    waiver = _decide(session, clock, checker, waiver_id, WaiverStatus.APPROVED)
    charge = session.get(LoanCharge, waiver.loan_charge_id, with_for_update=True)
    assert charge is not None
    if waiver.amount_fen > charge.outstanding_fen:  # paid meanwhile
        raise WaiverTooLarge(available=f"{charge.outstanding_fen / 100:,.2f}")
    loan = session.get(Loan, charge.loan_id)
    assert loan is not None
    entry = ledger_service.post(
        session, clock, kind="charge_waiver", business_date=day,
        legs=nonaccrual.fee_waiver_legs(session, loan.id, fee_account(loan.id),
                                        waiver.amount_fen, loan.non_accrual_since),
        memo=f"收费减免 {charge.name_zh}", source_type="charge_waiver", source_id=waiver.id,
    )  # fmt: skip
    waiver.entry_id = entry.id
    charge.waived_fen += waiver.amount_fen
    charge.updated_at = clock.now()
    _settle(charge)
    audit.record(
        session, "charge.waiver_approved", "loan", charge.loan_id,
        after={"waiver_id": waiver.id, "amount_fen": waiver.amount_fen},
    )  # fmt: skip
    return waiver


def reject_waiver(
    session: Session, clock: Clock, checker: Principal, waiver_id: uuid.UUID
) -> ChargeWaiver:
    waiver = _decide(session, clock, checker, waiver_id, WaiverStatus.REJECTED)
    audit.record(session, "charge.waiver_rejected", "loan", waiver.loan_id,
                 after={"waiver_id": waiver.id})  # fmt: skip
    return waiver


# --- reading ------------------------------------------------------------------------------------


def charges_of(session: Session, loan_id: uuid.UUID) -> list[LoanCharge]:
    return list(
        session.scalars(
            select(LoanCharge)
            .where(LoanCharge.loan_id == loan_id)
            .order_by(LoanCharge.due_date, LoanCharge.created_at)
        )
    )


def waivers_of(session: Session, loan_id: uuid.UUID) -> list[ChargeWaiver]:
    return list(
        session.scalars(
            select(ChargeWaiver)
            .where(ChargeWaiver.loan_id == loan_id)
            .order_by(ChargeWaiver.created_at)
        )
    )


def pending_waivers(session: Session, limit: int = 100) -> list[ChargeWaiver]:
    return list(
        session.scalars(
            select(ChargeWaiver)
            .where(ChargeWaiver.status == WaiverStatus.PROPOSED.value)
            .order_by(ChargeWaiver.created_at)
            .limit(limit)
        )
    )


def totals(rows: Iterable[LoanCharge]) -> dict[str, int]:
    """Charged, paid, waived and outstanding fen over `rows` (the borrower's loan page)."""
    out = {"amount_fen": 0, "paid_fen": 0, "waived_fen": 0, "outstanding_fen": 0}
    for row in rows:
        out["amount_fen"] += row.amount_fen
        out["paid_fen"] += row.paid_fen
        out["waived_fen"] += row.waived_fen
        out["outstanding_fen"] += row.outstanding_fen
    return out


def due_charges(session: Session, day: date, limit: int = 100) -> list[tuple[LoanCharge, str]]:
    """Charges owed on or before `day` across loans, oldest first, with the loan's reference
    (the console's list where a waiver is proposed)."""
    rows = session.execute(
        select(LoanCharge, Loan.reference)
        .join(Loan, Loan.id == LoanCharge.loan_id)
        .where(LoanCharge.status == LoanChargeStatus.DUE.value, LoanCharge.due_date <= day)
        .order_by(LoanCharge.due_date, LoanCharge.created_at)
        .limit(limit)
    ).all()
    return [(charge, reference) for charge, reference in rows]
