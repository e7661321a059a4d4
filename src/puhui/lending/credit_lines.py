"""Credit lines (授信额度): creation from an approved offer, activation after signing, risk
actions (freeze, unfreeze, close, change the limit) and expiry.

A line stores `limit_fen` and `used_fen`; `available = limit − used` is derived, and the database
refuses `used > limit` (check constraint). Every status change follows `LINE_TRANSITIONS` and
leaves a `lending_credit_line_event` row and an audit event.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import ColumnElement, ScalarSelect, func, select
from sqlalchemy.orm import Session

from puhui.core import audit, events
from puhui.core.auth import Principal
from puhui.core.clock import Clock, business_date
from puhui.core.db import add_persistent
from puhui.core.errors import InvalidInput
from puhui.core.ids import new_id, reference_from_id
from puhui.core.money import format_fen
from puhui.lending import guarantees, loans
from puhui.lending.errors import (
    CreditLineNotFound,
    DecisionAlreadyUsed,
    LimitBelowUsed,
    LineExpired,
    LineNotActive,
    MethodNotAllowed,
    OfferOutOfBounds,
)
from puhui.lending.events import OfferLapsed
from puhui.lending.models import (
    CreditLine,
    CreditLineEvent,
    LineStatus,
    Loan,
    LoanStatus,
    Product,
)
from puhui.lending.products import CEILING_FEN, get_product, get_product_or_default
from puhui.lending.schedules import RepaymentMethod
from puhui.lending.schemas import Offer, ProductBounds
from puhui.parties import service as parties_service


def _check_bounds(product: Product | ProductBounds, offer: Offer) -> None:
    checks = (
        (
            "额度",
            "The limit",
            offer.limit_fen,
            product.min_amount_fen,
            min(product.max_limit_fen, CEILING_FEN),
            True,
        ),
        (
            "利率（基点）",
            "The rate (bp)",
            offer.rate_bp,
            product.min_rate_bp,
            product.max_rate_bp,
            False,
        ),
        (
            "期限（月）",
            "The term (months)",
            offer.term_months,
            product.min_term_months,
            product.max_term_months,
            False,
        ),
    )
    for what, what_en, value, low, high, money in checks:
        if not low <= value <= high:
            raise OfferOutOfBounds(
                field={"额度": "limit_fen", "利率（基点）": "rate_bp"}.get(what, "term_months"),
                what=what,
                what_en=what_en,
                product_code=product.code,
                low=format_fen(low) if money else low,
                high=format_fen(high) if money else high,
            )
    if offer.repayment_method.value not in product.repayment_methods:
        raise MethodNotAllowed(
            field="repayment_method",
            product_code=product.code,
            method=offer.repayment_method.value,
        )


def _same_terms(line: CreditLine, offer: Offer) -> bool:
    return (
        line.enterprise_id == offer.enterprise_id
        and line.product_code == offer.product_code
        and line.limit_fen == offer.limit_fen
        and line.rate_bp == offer.rate_bp
        and line.term_months == offer.term_months
        and line.expiry_date == offer.expiry_date
        and line.repayment_method == offer.repayment_method.value
    )


def _valid_offer(
    *,
    enterprise_id: uuid.UUID,
    product_code: str,
    limit_fen: int,
    rate_bp: int,
    term_months: int,
    expiry_date: date,
    decision_id: uuid.UUID,
    repayment_method: RepaymentMethod | str,
) -> Offer:
    """The offer's terms checked by `Offer`; the first bad field as InvalidInput."""
    try:
        return Offer(
            enterprise_id=enterprise_id,
            product_code=product_code,
            limit_fen=limit_fen,
            rate_bp=rate_bp,
            term_months=term_months,
            expiry_date=expiry_date,
            decision_id=decision_id,
            repayment_method=RepaymentMethod(repayment_method),
        )
    except (ValidationError, ValueError) as exc:
        field = "offer"
        if isinstance(exc, ValidationError) and exc.errors():
            field = str(exc.errors()[0]["loc"][0])
        elif isinstance(exc, ValueError):
            field = "repayment_method"
        raise InvalidInput(field=field) from exc


def _insert_line(
    session: Session, offer: Offer, product_code: str, today: date, now: datetime
) -> CreditLine:
    """The new line in `pending_signature`, inserted at once."""
    line_id = new_id()
    # Written at once with one Core INSERT and kept in the session as a persistent row (its
    # event follows and refers to it).
    [line] = add_persistent(
        session,
        CreditLine,
        [
            {
                "id": line_id,
                "reference": reference_from_id("CL", line_id, today),  # no counter to wait on
                "enterprise_id": offer.enterprise_id,
                "product_code": product_code,
                "status": LineStatus.PENDING_SIGNATURE.value,
                "limit_fen": offer.limit_fen,
                "used_fen": 0,
                "rate_bp": offer.rate_bp,
                "term_months": offer.term_months,
                "repayment_method": offer.repayment_method.value,
                "expiry_date": offer.expiry_date,
                "decision_id": offer.decision_id,
                "contract_id": None,
                "activated_at": None,
                "last_limit_change_date": None,
                "created_at": now,
                "updated_at": now,
            }
        ],
    )
    return line


def create_line_from_offer(
    session: Session,
    clock: Clock,
    *,
    enterprise_id: uuid.UUID,
    product_code: str,
    limit_fen: int,
    rate_bp: int,
    term_months: int,
    expiry_date: date,
    decision_id: uuid.UUID,
    repayment_method: RepaymentMethod | str,
    product: Product | ProductBounds | None = None,
    new_decision: bool = False,
) -> CreditLine:
    """A credit line in `pending_signature` from an approved decision's offer.

    Idempotent per decision: the same decision and terms return the existing line; the same
    decision with other terms is refused. The default products are created on first use.
    A caller that has the product already may pass it (`product`: its bounds, read in the same
    unit of work), and one whose decision was made in this unit of work (`new_decision`: no line can
    refer to it yet) skips the look-up of an existing line.
    """
    offer = _valid_offer(
        enterprise_id=enterprise_id,
        product_code=product_code,
        limit_fen=limit_fen,
        rate_bp=rate_bp,
        term_months=term_months,
        expiry_date=expiry_date,
        decision_id=decision_id,
        repayment_method=repayment_method,
    )
    if not new_decision:
        existing = session.scalar(select(CreditLine).where(CreditLine.decision_id == decision_id))
        if existing is not None:
            if _same_terms(existing, offer):
                return existing
            raise DecisionAlreadyUsed(field="decision_id")
    parties_service.get_enterprise(session, enterprise_id)
    if product is None or product.code != offer.product_code:
        product = get_product_or_default(session, clock, offer.product_code)
    _check_bounds(product, offer)
    today = business_date(clock)
    if offer.expiry_date < today:
        raise InvalidInput(field="expiry_date")
    now = clock.now()
    line = _insert_line(session, offer, product.code, today, now)
    loans.line_event(
        session,
        clock,
        line,
        today,
        kind="status",
        to_status=LineStatus.PENDING_SIGNATURE.value,
        new_limit_fen=line.limit_fen,
        reason="审批通过，生成授信额度",
        detail={"decision_id": str(decision_id)},
    )
    audit.record(
        session, "credit_line.create", "credit_line", line.id, after=offer.model_dump(mode="json")
    )
    return line


def get_line(session: Session, line_id: uuid.UUID) -> CreditLine:
    """The line with its offer terms (limit, rate, term, method, expiry, product, enterprise)."""
    line = session.get(CreditLine, line_id)
    if line is None:
        raise CreditLineNotFound()
    return line


def get_line_for(session: Session, principal: Principal, line_id: uuid.UUID) -> CreditLine:
    """A line as the principal may see it: a borrower only its own enterprise's (else 404)."""
    line = session.get(CreditLine, line_id)
    if line is None or not principal.can_act_for(line.enterprise_id):
        raise CreditLineNotFound()
    return line


def list_lines(
    session: Session,
    principal: Principal,
    *,
    enterprise_id: uuid.UUID | None = None,
    after: uuid.UUID | None = None,
    limit: int = 50,
) -> list[CreditLine]:
    query = select(CreditLine).order_by(CreditLine.id).limit(limit)
    if enterprise_id is not None:
        query = query.where(CreditLine.enterprise_id == enterprise_id)
    if not principal.is_staff:
        query = query.where(CreditLine.enterprise_id.in_(list(principal.enterprise_ids)))
    if after is not None:
        query = query.where(CreditLine.id > after)
    return list(session.scalars(query))


LIVE_LINE_STATUSES = (
    LineStatus.PENDING_SIGNATURE.value,
    LineStatus.ACTIVE.value,
    LineStatus.FROZEN.value,
)


def live_lines_of(session: Session, enterprise_id: uuid.UUID) -> list[CreditLine]:
    """The enterprise's live lines (pending signature, active, frozen), oldest first."""
    return list(
        session.scalars(
            select(CreditLine)
            .where(
                CreditLine.enterprise_id == enterprise_id,
                CreditLine.status.in_(LIVE_LINE_STATUSES),
            )
            .order_by(CreditLine.created_at, CreditLine.id)
        )
    )


def exposed_enterprise_ids(
    session: Session, *, after: uuid.UUID | None = None, limit: int = 500
) -> list[uuid.UUID]:
    """Enterprises with exposure on lending's side — an active or frozen line, a loan still
    running (also under a closed or expired line), or a binding guarantee — in id order, after
    `after` (post-loan monitoring walks them in batches)."""
    lines = select(CreditLine.enterprise_id.label("enterprise_id")).where(
        CreditLine.status.in_([LineStatus.ACTIVE.value, LineStatus.FROZEN.value])
    )
    running = select(Loan.enterprise_id.label("enterprise_id")).where(
        Loan.status == LoanStatus.ACTIVE.value
    )
    both = lines.union(running, guarantees.binding_exposure_ids()).subquery()
    query = select(both.c.enterprise_id).order_by(both.c.enterprise_id).limit(limit)
    if after is not None:
        query = query.where(both.c.enterprise_id > after)
    return list(session.scalars(query))


def live_limit_sum(enterprise_id: ColumnElement[Any]) -> ScalarSelect[int]:
    """A scalar subquery: the sum of the limits of the live lines of `enterprise_id` (a column
    or a bound parameter), 0 without — for a caller folding exposures into a query of its own."""
    return (
        select(func.coalesce(func.sum(CreditLine.limit_fen), 0))
        .where(
            CreditLine.enterprise_id == enterprise_id,
            CreditLine.status.in_(LIVE_LINE_STATUSES),
        )
        .scalar_subquery()
    )


def line_history(session: Session, line_id: uuid.UUID) -> list[CreditLineEvent]:
    return list(
        session.scalars(
            select(CreditLineEvent)
            .where(CreditLineEvent.line_id == line_id)
            .order_by(CreditLineEvent.occurred_at, CreditLineEvent.id)
        )
    )


def _locked(session: Session, line_id: uuid.UUID) -> CreditLine:
    return loans.lock_line(session, line_id)


def activate_after_signing(
    session: Session, clock: Clock, line_id: uuid.UUID, contract_id: uuid.UUID
) -> CreditLine:
    """`pending_signature → active` once the contract is signed (called by the e-contracts
    service). Calling it again for the same contract returns the active line unchanged."""
    line = _locked(session, line_id)
    if line.status == LineStatus.ACTIVE and line.contract_id == contract_id:
        return line
    today = business_date(clock)
    if line.status != LineStatus.PENDING_SIGNATURE:  # only a signature activates (not unfreeze)
        raise loans.refuse_transition(LineStatus(line.status), LineStatus.ACTIVE)
    if line.expiry_date < today:
        raise LineExpired(expiry_date=line.expiry_date.isoformat())
    guarantees.check_activation(session, line.id)  # the policy's required guarantee, signed
    loans.transition_line(
        session, clock, line, LineStatus.ACTIVE, today, reason=f"合同已签署 {contract_id}"
    )
    line.contract_id = contract_id
    line.activated_at = clock.now()
    return line


def freeze(session: Session, clock: Clock, line_id: uuid.UUID, reason: str) -> CreditLine:
    """Risk action: no drawdown while frozen; loans already made run on."""
    line = _locked(session, line_id)
    loans.transition_line(session, clock, line, LineStatus.FROZEN, business_date(clock), reason)
    return line


def unfreeze(session: Session, clock: Clock, line_id: uuid.UUID, reason: str) -> CreditLine:
    line = _locked(session, line_id)
    if line.status != LineStatus.FROZEN:  # only a frozen line is unfrozen, not a pending one
        raise loans.refuse_transition(LineStatus(line.status), LineStatus.ACTIVE)
    loans.transition_line(session, clock, line, LineStatus.ACTIVE, business_date(clock), reason)
    return line


def demand_early_repayment(
    session: Session, clock: Clock, line_id: uuid.UUID, due_date: date, reason: str
) -> CreditLine:
    """Risk action 提前收回: the bank demands the line's loans back by `due_date`. An active
    line is frozen first (no new drawdowns); the demand is a `repayment_demand` history row
    with its date, and an audit event. (The loans' schedules are not accelerated here.)"""
    line = _locked(session, line_id)
    today = business_date(clock)
    if due_date < today:
        raise InvalidInput(field="due_date")
    if line.status == LineStatus.ACTIVE:
        loans.transition_line(session, clock, line, LineStatus.FROZEN, today, reason)
    elif line.status != LineStatus.FROZEN:
        status = LineStatus(line.status)
        raise LineNotActive(status=status.value, status_zh=status.zh)
    loans.line_event(
        session,
        clock,
        line,
        today,
        kind="repayment_demand",
        reason=reason,
        detail={"due_date": due_date.isoformat()},
    )
    audit.record(
        session,
        "credit_line.repayment_demand",
        "credit_line",
        line.id,
        after={"due_date": due_date.isoformat(), "reason": reason},
    )
    return line


def close(session: Session, clock: Clock, line_id: uuid.UUID, reason: str) -> CreditLine:
    """No more drawdowns, ever; loans already made run on to their end."""
    line = _locked(session, line_id)
    loans.transition_line(session, clock, line, LineStatus.CLOSED, business_date(clock), reason)
    return line


def change_limit(
    session: Session, clock: Clock, line_id: uuid.UUID, limit_fen: int, reason: str
) -> CreditLine:
    """Risk action: set a new limit; never below what is used, never above the product's cap."""
    line = _locked(session, line_id)
    if line.status in (LineStatus.CLOSED, LineStatus.EXPIRED):
        status = LineStatus(line.status)
        raise LineNotActive(status=status.value, status_zh=status.zh)
    if limit_fen <= 0:
        raise InvalidInput(field="limit_fen")
    if limit_fen < line.used_fen:
        raise LimitBelowUsed(
            field="limit_fen", limit=format_fen(limit_fen), used=format_fen(line.used_fen)
        )
    product = get_product(session, line.product_code)
    cap = min(product.max_limit_fen, CEILING_FEN)
    if limit_fen > cap:
        raise OfferOutOfBounds(
            field="limit_fen",
            what="额度",
            what_en="The limit",
            product_code=product.code,
            low=format_fen(line.used_fen),
            high=format_fen(cap),
        )
    old = line.limit_fen
    if old == limit_fen:
        return line
    today = business_date(clock)
    line.limit_fen = limit_fen
    line.last_limit_change_date = today
    line.updated_at = clock.now()
    loans.line_event(
        session,
        clock,
        line,
        today,
        kind="limit_change",
        old_limit_fen=old,
        new_limit_fen=limit_fen,
        reason=reason,
    )
    audit.record(
        session,
        "credit_line.limit_change",
        "credit_line",
        line.id,
        before={"limit_fen": old},
        after={"limit_fen": limit_fen, "reason": reason},
    )
    return line


OFFER_LAPSED = "授信要约到期未签约"


def expire_offers(session: Session, clock: Clock, day: date) -> int:
    """Offers never signed: lines still pending signature whose expiry date is `day` or earlier
    are closed (a signature could no longer activate them), each publishing `OfferLapsed`
    (decisioning marks the application expired; end of day `day`)."""
    ids = list(
        session.scalars(
            select(CreditLine.id).where(
                CreditLine.status == LineStatus.PENDING_SIGNATURE.value,
                CreditLine.expiry_date <= day,
            )
        )
    )
    for line_id in ids:
        line = _locked(session, line_id)
        loans.transition_line(session, clock, line, LineStatus.CLOSED, day, OFFER_LAPSED)
        events.publish(session, OfferLapsed(line_id, day, OFFER_LAPSED, clock.now()))
    return len(ids)


def expire_lines(session: Session, clock: Clock, day: date) -> int:
    """Active or frozen lines whose expiry date has passed become expired (end of day `day`)."""
    ids = list(
        session.scalars(
            select(CreditLine.id).where(
                CreditLine.status.in_([LineStatus.ACTIVE.value, LineStatus.FROZEN.value]),
                CreditLine.expiry_date <= day,
            )
        )
    )
    for line_id in ids:
        line = _locked(session, line_id)
        loans.transition_line(session, clock, line, LineStatus.EXPIRED, day, "额度到期")
    return len(ids)
