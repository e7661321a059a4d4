"""Products and credit lines: offer → line, activation after signing, risk actions, history."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from tests.integration.lending.lending_factories import (
    at,
    draw,
    make_enterprise,
    make_line,
)
from tests.support.sql import statements

from puhui.core.clock import FixedClock, business_date
from puhui.core.errors import InvalidInput
from puhui.core.models import AuditEvent
from puhui.lending import service as lending
from puhui.lending.allocation import DEFAULT_ORDER
from puhui.lending.errors import (
    DecisionAlreadyUsed,
    InvalidLineTransition,
    LimitBelowUsed,
    MethodNotAllowed,
    OfferOutOfBounds,
    ProductNotFound,
)
from puhui.lending.models import CreditLine, CreditLineEvent, LineStatus
from puhui.lending.products import CEILING_FEN, JINGYINGDAI, WEIYEDAI, XIANXIHOUBEN
from puhui.lending.schedules import RepaymentMethod
from puhui.lending.schemas import Offer


def test_default_products_are_seeded_once_with_the_banks_conventions(
    session: Session, clock: FixedClock
) -> None:
    first = lending.ensure_default_products(session, clock)
    again = lending.ensure_default_products(session, clock)
    assert {p.code for p in first} == {WEIYEDAI, JINGYINGDAI, XIANXIHOUBEN}
    assert sorted(p.id for p in first) == sorted(p.id for p in again)
    line = lending.get_product(session, WEIYEDAI)
    assert line.kind == "revolving" and line.interest_mode == "actual_days"
    assert line.day_count == "ACT/360"
    assert line.penalty_markup_bp == 5_000 and line.compound_interest
    assert line.allocation_order == list(DEFAULT_ORDER)
    assert line.prepayment_allowed and line.prepayment_fee_bp == 0
    loan = lending.get_product(session, JINGYINGDAI)
    assert loan.kind == "instalment"
    assert set(loan.repayment_methods) == {"equal_instalment", "equal_principal"}
    assert lending.get_product(session, XIANXIHOUBEN).default_method == "interest_first"
    assert loan.max_limit_fen == CEILING_FEN == 1_000_000_000
    with pytest.raises(ProductNotFound):
        lending.get_product(session, "nope")


def _offer(enterprise_id: uuid.UUID, clock: FixedClock) -> Offer:
    """A weiyedai offer within the product's bounds, of a decision of its own."""
    return Offer(
        enterprise_id=enterprise_id,
        product_code=WEIYEDAI,
        limit_fen=30_000_000,
        rate_bp=435,
        term_months=12,
        expiry_date=business_date(clock) + timedelta(days=365),
        decision_id=uuid.uuid4(),
        repayment_method=RepaymentMethod.INTEREST_FIRST,
    )


def test_offer_creates_a_pending_line_once_per_decision(
    session: Session, clock: FixedClock
) -> None:
    ent = make_enterprise(session, clock)
    offer = _offer(ent.id, clock)
    line = lending.create_line_from_offer(session, clock, **offer.model_dump())
    assert line.status == LineStatus.PENDING_SIGNATURE
    # from the id, no counter: CL-<business date>-<11 base32 characters>
    assert re.fullmatch(f"CL-{business_date(clock):%Y%m%d}-[A-Z2-7]{{11}}", line.reference)
    assert (line.limit_fen, line.used_fen, line.available_fen) == (30_000_000, 0, 30_000_000)
    same = lending.create_line_from_offer(session, clock, **offer.model_dump())
    assert same.id == line.id
    with pytest.raises(DecisionAlreadyUsed):
        lending.create_line_from_offer(
            session, clock, **offer.model_copy(update={"limit_fen": 40_000_000}).model_dump()
        )
    history = lending.line_history(session, line.id)
    assert [(h.kind, h.to_status) for h in history] == [("status", "pending_signature")]
    session.commit()  # the audit trail is written at commit
    audited = session.scalars(
        select(AuditEvent.entity_id).where(AuditEvent.action == "credit_line.create")
    ).all()
    assert str(line.id) in audited


def test_offer_with_the_product_row_and_a_new_decision_reads_neither(
    session: Session, clock: FixedClock
) -> None:
    """`product` (the row, read by the caller) and `new_decision` (made in this unit of work)
    spare the product and existing-line look-ups; a product row of another code is not used."""
    ent = make_enterprise(session, clock)
    lending.ensure_default_products(session, clock)
    weiyedai = lending.get_product(session, WEIYEDAI)
    other = lending.get_product(session, XIANXIHOUBEN)
    offer = _offer(ent.id, clock)
    with statements(session.get_bind()) as seen:  # type: ignore[arg-type]
        line = lending.create_line_from_offer(
            session, clock, **offer.model_dump(), product=weiyedai, new_decision=True
        )
        session.flush()
    selects = [s for s in seen if s.startswith("SELECT")]
    assert not [s for s in selects if "lending_product" in s or "FROM lending_credit_line" in s]
    assert line.product_code == WEIYEDAI and line.status == LineStatus.PENDING_SIGNATURE
    # a row of another product is not used: the line is of the offer's product
    again = offer.model_copy(update={"decision_id": uuid.uuid4()})
    other_line = lending.create_line_from_offer(session, clock, **again.model_dump(), product=other)
    assert other_line.product_code == WEIYEDAI


@pytest.mark.parametrize(
    ("changes", "error", "field"),
    [
        ({"limit_fen": CEILING_FEN + 1}, OfferOutOfBounds, "limit_fen"),
        ({"limit_fen": 3_000_000 * 100 + 1}, OfferOutOfBounds, "limit_fen"),
        ({"rate_bp": 100}, OfferOutOfBounds, "rate_bp"),
        ({"term_months": 24}, OfferOutOfBounds, "term_months"),
        (
            {"repayment_method": "equal_principal", "product_code": XIANXIHOUBEN},
            MethodNotAllowed,
            "repayment_method",
        ),
        ({"limit_fen": 0}, InvalidInput, "limit_fen"),
        ({"repayment_method": "weekly"}, InvalidInput, "repayment_method"),
        ({"expiry_days": -1}, InvalidInput, "expiry_date"),
    ],
)
def test_offer_outside_the_product_is_refused(
    session: Session,
    clock: FixedClock,
    changes: dict[str, object],
    error: type[Exception],
    field: str | None,
) -> None:
    ent = make_enterprise(session, clock)
    args: dict[str, object] = {
        "enterprise_id": ent.id,
        "product_code": WEIYEDAI,
        "limit_fen": 30_000_000,
        "rate_bp": 435,
        "term_months": 12,
        "expiry_date": business_date(clock) + timedelta(days=365),
        "decision_id": uuid.uuid4(),
        "repayment_method": "interest_first",
    }
    changes = dict(changes)  # the parameters are shared by both databases
    days = changes.pop("expiry_days", None)
    if days is not None:
        args["expiry_date"] = business_date(clock) + timedelta(days=int(days))  # type: ignore[call-overload]
    args.update(changes)
    before = session.scalar(select(func.count()).select_from(CreditLine))
    with pytest.raises(error) as info:
        lending.create_line_from_offer(session, clock, **args)
    if field:
        assert info.value.field == field  # type: ignore[attr-defined]
    assert session.scalar(select(func.count()).select_from(CreditLine)) == before


def test_activation_after_signing_then_risk_actions_follow_the_transition_table(
    session: Session, clock: FixedClock
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id, activate=False)
    contract = uuid.uuid4()
    lending.activate_after_signing(session, clock, line.id, contract)
    lending.activate_after_signing(session, clock, line.id, contract)  # idempotent
    assert line.status == LineStatus.ACTIVE and line.contract_id == contract
    assert line.activated_at == clock.now()
    lending.freeze(session, clock, line.id, "预警：涉诉")
    assert line.status == LineStatus.FROZEN
    with pytest.raises(InvalidLineTransition) as info:
        lending.activate_after_signing(session, clock, line.id, uuid.uuid4())
    assert "冻结" in info.value.message("zh")
    lending.unfreeze(session, clock, line.id, "预警解除")
    with pytest.raises(InvalidLineTransition):
        lending.unfreeze(session, clock, line.id, "again")
    lending.close(session, clock, line.id, "客户申请")
    with pytest.raises(InvalidLineTransition):
        lending.freeze(session, clock, line.id, "too late")
    history = [(h.from_status, h.to_status) for h in lending.line_history(session, line.id)]
    assert history == [
        (None, "pending_signature"),
        ("pending_signature", "active"),
        ("active", "frozen"),
        ("frozen", "active"),
        ("active", "closed"),
    ]
    reasons = [h.reason for h in lending.line_history(session, line.id)]
    assert "预警：涉诉" in reasons


def test_line_history_is_append_only(session: Session, clock: FixedClock) -> None:
    ent = make_enterprise(session, clock)
    make_line(session, clock, ent.id)
    session.flush()
    for sql in (
        "UPDATE lending_credit_line_event SET reason = 'x'",
        "DELETE FROM lending_credit_line_event",
    ):
        with pytest.raises(DBAPIError), session.begin_nested():
            session.execute(text(sql))


def test_change_limit_never_below_used_nor_above_the_cap(
    session: Session, clock: FixedClock
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id, limit_fen=10_000_000)
    draw(session, clock, line.id, 6_000_000)
    with pytest.raises(LimitBelowUsed) as info:
        lending.change_limit(session, clock, line.id, 5_999_999, "压降")
    assert "¥60,000.00" in info.value.message("zh")
    assert line.limit_fen == 10_000_000
    with pytest.raises(OfferOutOfBounds):
        lending.change_limit(session, clock, line.id, 3_000_000 * 100 + 1, "too much")
    lending.change_limit(session, clock, line.id, 6_000_000, "压降至已用")
    assert (line.limit_fen, line.available_fen) == (6_000_000, 0)
    events = [h for h in lending.line_history(session, line.id) if h.kind == "limit_change"]
    assert [(e.old_limit_fen, e.new_limit_fen) for e in events] == [(10_000_000, 6_000_000)]


def test_database_refuses_used_above_limit(session: Session, clock: FixedClock) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id, limit_fen=10_000_000)
    session.flush()
    with pytest.raises(DBAPIError), session.begin_nested():
        session.execute(
            update(CreditLine).where(CreditLine.id == line.id).values(used_fen=10_000_001)
        )


def test_expiry_moves_active_and_frozen_lines_to_expired(
    session: Session, clock: FixedClock
) -> None:
    ent = make_enterprise(session, clock)
    soon = make_line(session, clock, ent.id, expiry_days=10)
    frozen = make_line(session, clock, ent.id, expiry_days=10)
    later = make_line(session, clock, ent.id, expiry_days=30)
    lending.freeze(session, clock, frozen.id, "冻结")
    day = business_date(clock) + timedelta(days=10)
    at(clock, day)
    assert lending.expire_lines(session, clock, day) == 2
    assert (soon.status, frozen.status, later.status) == ("expired", "expired", "active")
    events = session.scalars(
        select(CreditLineEvent).where(CreditLineEvent.to_status == "expired")
    ).all()
    assert len(events) == 2
