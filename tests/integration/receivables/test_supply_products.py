"""Orders, warehouse receipts and dealer programmes through the service, on SQLite and
PostgreSQL: statements on the log, query rows, ledger entries, events — and the log still
verifies (``check_log``) after them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session
from tests.integration.receivables.receivables_world import (
    World,
    at_day,
    balanced,
    borrower,
    deposit,
    make_enterprise,
    settlement,
)

from puhui.core import events
from puhui.core.clock import business_date
from puhui.core.errors import DomainError
from puhui.receivables import dealers, orders, service, warehouse
from puhui.receivables.errors import ActorNotAllowed, ReceivablesError
from puhui.receivables.events import ReceiptPledged, ReceiptReleased
from puhui.receivables.prices import SandboxPriceFeed
from puhui.receivables.supply_schemas import (
    DealerDraw,
    DealerRecommend,
    OrderCreate,
    OrderDeliver,
    OrderFinance,
    ProgrammeCreate,
    ReceiptIssue,
    ReceiptPledge,
    ReceiptRelease,
)

FEED = SandboxPriceFeed()


def _order(world: World, amount: int = 10_000_000) -> str:
    today = business_date(world.clock)
    out = orders.place_order(
        world.session,
        world.clock,
        world.cipher,
        None,
        OrderCreate(
            buyer_enterprise_id=world.core.id,
            supplier_enterprise_id=world.t1.id,
            amount_fen=amount,
            goods="钢材 steel",
            delivery_date=today + timedelta(days=30),
            maturity_date=today + timedelta(days=120),
        ),
    )
    assert out.item is not None and out.item.status == "pending"
    return out.item.id


def _financed_order(world: World) -> str:
    order_id = _order(world)
    orders.confirm_order(world.session, world.clock, world.cipher, None, order_id)
    out = orders.finance_order(
        world.session,
        world.clock,
        world.cipher,
        None,
        order_id,
        OrderFinance(amount_fen=7_000_000),
        idempotency_key=f"of-{order_id}",
    )
    assert out.item is not None and out.item.status == "financed"
    return order_id


def test_order_financing_pays_the_supplier_within_the_share(world: World) -> None:
    before = settlement(world.session, world.t1)
    order_id = _order(world)
    supplier = borrower(world.t1)
    with pytest.raises(ActorNotAllowed):  # the buyer does not confirm its own order
        orders.confirm_order(
            world.session, world.clock, world.cipher, borrower(world.core), order_id
        )
    orders.confirm_order(world.session, world.clock, world.cipher, supplier, order_id)
    with pytest.raises(ActorNotAllowed):  # the buyer cannot ask for the supplier's financing
        orders.finance_order(
            world.session,
            world.clock,
            world.cipher,
            borrower(world.core),
            order_id,
            OrderFinance(amount_fen=1_000),
            idempotency_key="k0",
        )
    with pytest.raises(ReceivablesError) as exc:
        orders.finance_order(
            world.session,
            world.clock,
            world.cipher,
            None,
            order_id,
            OrderFinance(amount_fen=7_000_001),
            idempotency_key="k1",
        )
    assert exc.value.code == "receivables.order_share_exceeded"
    out = orders.finance_order(
        world.session,
        world.clock,
        world.cipher,
        None,
        order_id,
        OrderFinance(amount_fen=7_000_000),
        idempotency_key="k2",
    )
    price = out.operations[-1].statement["price_fen"]
    assert 0 < price < 7_000_000 and out.ledger[0].amount_fen == 7_000_000
    assert settlement(world.session, world.t1) - before == price
    again = orders.finance_order(
        world.session,
        world.clock,
        world.cipher,
        None,
        order_id,
        OrderFinance(amount_fen=7_000_000),
        idempotency_key="k2",
    )
    assert again.replayed and settlement(world.session, world.t1) - before == price


def test_a_cancelled_order_makes_the_supplier_repay(world: World) -> None:
    order_id = _financed_order(world)
    orders.cancel_order(world.session, world.clock, world.cipher, borrower(world.core), order_id)
    supplier_cash = settlement(world.session, world.t1)
    deposit(world.session, world.clock, world.t1, 7_000_000 - supplier_cash)  # exactly enough
    out = orders.repay_order(world.session, world.clock, world.cipher, borrower(world.t1), order_id)
    assert out.item is not None and out.item.status == "closed"
    assert out.item.data["repaid_fen"] == 7_000_000
    assert settlement(world.session, world.t1) == 0
    assert balanced(world.session, world.clock)
    assert [h["op"] for h in out.item.history] == [
        "order",
        "order_confirm",
        "order_finance",
        "order_cancel",
        "order_repay",
    ]


def test_a_cancelled_order_repayment_needs_the_money(world: World) -> None:
    order_id = _financed_order(world)
    orders.cancel_order(world.session, world.clock, world.cipher, None, order_id)
    world.session.flush()
    cash = settlement(world.session, world.t1)
    assert 0 < cash < 7_000_000
    with pytest.raises(DomainError) as exc:
        orders.repay_order(world.session, world.clock, world.cipher, None, order_id)
    assert exc.value.code == "receivables.insufficient_funds"


def test_delivery_issues_a_certificate_and_its_payment_repays_the_financing(
    world: World,
) -> None:
    order_id = _financed_order(world)
    at_day(world.clock, business_date(world.clock) + timedelta(days=29))
    out = orders.deliver_order(
        world.session,
        world.clock,
        world.cipher,
        borrower(world.core),
        order_id,
        OrderDeliver(invoice_no="INV-PO-1", invoice_amount_fen=10_000_000),
    )
    assert [o.op for o in out.operations] == ["issue", "order_deliver"]
    assert out.item is not None and out.item.status == "delivered"
    cert = out.item.parent
    assert cert is not None
    service.accept(world.session, world.clock, world.cipher, None, cert)
    at_day(world.clock, business_date(world.clock) + timedelta(days=91))
    paid = service.pay(
        world.session, world.clock, world.cipher, None, cert, idempotency_key=f"pay-{cert}"
    )
    assert [o.op for o in paid.operations] == ["pay", "clear", "order_repay"]
    row = orders.supply_ops.get_item(world.session, None, "order", order_id)
    assert row.status == "closed" and row.data["repaid_fen"] == 7_000_000
    assert balanced(world.session, world.clock)
    assert service.check_log(world.session).ok


def _receipt(world: World, session: Session | None = None) -> tuple[Any, str]:
    s = session or world.session
    wh = make_enterprise(s, world.clock, "外高桥仓储")
    warehouse.register_warehouse(s, world.clock, world.cipher, wh.id)
    out = warehouse.issue_receipt(
        s,
        world.clock,
        world.cipher,
        borrower(wh),
        ReceiptIssue(
            warehouse_enterprise_id=wh.id,
            owner_enterprise_id=world.t1.id,
            goods="电解铜 copper",
            quantity=100_000,
            unit="kg",
            grade="A",
            location="上海外高桥 3 号库",
            policy="PICC-1",
            policy_expiry=business_date(world.clock) + timedelta(days=200),
        ),
    )
    assert out.item is not None
    return wh, out.item.id


class _Seen:
    def __init__(self) -> None:
        self.events: list[object] = []


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> _Seen:
    box = _Seen()
    real = events.publish

    def capture(session: Session, event: object) -> None:
        box.events.append(event)
        real(session, event)

    monkeypatch.setattr(events, "publish", capture)
    return box


def test_pledge_and_partial_release_with_events(world: World, seen: _Seen) -> None:
    _, receipt = _receipt(world)
    out = warehouse.pledge_receipt(
        world.session,
        world.clock,
        world.cipher,
        borrower(world.t1),
        receipt,
        ReceiptPledge(line_ref="CL-1", cover_fen=400_000_000),
        FEED,
        3_000,
    )
    assert out.price_sandbox and out.item is not None and out.item.status == "pledged"
    pledged = seen.events[-1]
    assert isinstance(pledged, ReceiptPledged)
    assert (pledged.quantity, pledged.unit_price_fen, pledged.haircut_bp) == (100_000, 6_800, 3_000)
    assert pledged.enterprise_id == world.t1.id and pledged.required_cover_fen == 400_000_000
    with pytest.raises(ReceivablesError) as exc:  # 50 t left would be worth 238 万 < 300 万
        warehouse.release_goods(
            world.session,
            world.clock,
            world.cipher,
            None,
            receipt,
            ReceiptRelease(quantity=50_000, cover_fen=300_000_000),
            FEED,
        )
    assert exc.value.code == "receivables.cover_shortfall"
    out = warehouse.release_goods(
        world.session,
        world.clock,
        world.cipher,
        None,
        receipt,
        ReceiptRelease(quantity=30_000, cover_fen=300_000_000),
        FEED,
    )
    released = seen.events[-1]
    assert isinstance(released, ReceiptReleased)
    assert (released.quantity_released, released.quantity_remaining) == (30_000, 70_000)
    with pytest.raises(ReceivablesError) as exc:
        warehouse.release_goods(
            world.session,
            world.clock,
            world.cipher,
            None,
            receipt,
            ReceiptRelease(quantity=70_001, cover_fen=0),
            FEED,
        )
    assert exc.value.code == "receivables.release_exceeds"
    assert service.check_log(world.session).ok


def test_a_receipt_is_not_pledged_twice(world: World) -> None:
    _, receipt = _receipt(world)
    warehouse.pledge_receipt(
        world.session,
        world.clock,
        world.cipher,
        None,
        receipt,
        ReceiptPledge(line_ref="CL-1", cover_fen=1_000),
        FEED,
        3_000,
    )
    with pytest.raises(ReceivablesError) as exc:
        warehouse.pledge_receipt(
            world.session,
            world.clock,
            world.cipher,
            None,
            receipt,
            ReceiptPledge(line_ref="CL-2", cover_fen=1_000),
            FEED,
            3_000,
        )
    assert exc.value.code == "receivables.double_pledge"


def test_dealer_programme_limits_and_entrusted_payment(world: World) -> None:
    out = dealers.create_programme(
        world.session,
        world.clock,
        world.cipher,
        ProgrammeCreate(core_enterprise_id=world.core.id, limit_fen=10_000_000, mode="buyback"),
    )
    assert out.item is not None
    programme = out.item.id
    core = borrower(world.core)
    for dealer, limit in ((world.t2, 6_000_000), (world.t2b, 6_000_000)):
        dealers.recommend_dealer(
            world.session,
            world.clock,
            world.cipher,
            core,
            programme,
            DealerRecommend(dealer_enterprise_id=dealer.id, limit_fen=limit, sales_fen=30_000_000),
        )
    with pytest.raises(ReceivablesError) as exc:
        dealers.recommend_dealer(
            world.session,
            world.clock,
            world.cipher,
            core,
            programme,
            DealerRecommend(dealer_enterprise_id=world.t1.id, limit_fen=10_000_001, sales_fen=0),
        )
    assert exc.value.code == "receivables.dealer_above_programme"
    maturity = business_date(world.clock) + timedelta(days=90)
    core_before = settlement(world.session, world.core)
    first = dealers.draw(
        world.session,
        world.clock,
        world.cipher,
        borrower(world.t2),
        programme,
        DealerDraw(dealer_enterprise_id=world.t2.id, amount_fen=6_000_000, maturity_date=maturity),
    )
    assert settlement(world.session, world.core) - core_before == 6_000_000  # paid to the core
    with pytest.raises(ReceivablesError) as exc:
        dealers.draw(
            world.session,
            world.clock,
            world.cipher,
            borrower(world.t2b),
            programme,
            DealerDraw(
                dealer_enterprise_id=world.t2b.id, amount_fen=5_000_000, maturity_date=maturity
            ),
        )
    assert exc.value.code == "receivables.programme_limit_exceeded"
    assert "分销项目" in exc.value.message("zh") and "Programme" in exc.value.message("en")
    assert first.item is not None
    with pytest.raises(ActorNotAllowed):  # the core buys back only after maturity
        dealers.repay(world.session, world.clock, world.cipher, None, first.item.id, by_core=True)
    at_day(world.clock, maturity + timedelta(days=1))
    out = dealers.repay(world.session, world.clock, world.cipher, None, first.item.id, by_core=True)
    assert out.item is not None and out.item.status == "repaid"
    assert settlement(world.session, world.core) == core_before
    assert balanced(world.session, world.clock)
    assert service.check_log(world.session).ok
