"""HTTP endpoints of the supply products on the receivables log (订单通、仓单通、分销通), under
/api/v1/receivables: orders, warehouse receipts (pledge, release), dealer programmes. Parties
act for their own enterprises (404 for items they are no party to); staff for any. The bank's
steps (finance an order, release goods) and the platform's (register a warehouse, grant a
programme) are staff's. Money-moving steps need an ``Idempotency-Key`` where the service
takes one (order financing)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from puhui.core.auth import EVERYONE, Principal, require
from puhui.core.models import Role
from puhui.core.web import DB, CipherDep, ClockDep, RuntimeDep, UnitOfWorkRoute
from puhui.receivables import dealers, orders, supply_ops, warehouse
from puhui.receivables.prices import PriceFeed, SandboxPriceFeed
from puhui.receivables.router import ACTORS, IdempotencyKey
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
    SupplyItemOut,
    SupplyOperationOut,
    WarehouseRegister,
)

router = APIRouter(
    prefix="/api/v1/receivables", route_class=UnitOfWorkRoute, tags=["receivables: supply"]
)

BANK_STAFF = (Role.CREDIT_OFFICER, Role.RISK_OFFICER, Role.ADMIN)
Actor = Annotated[Principal, Depends(require(*ACTORS))]
Bank = Annotated[Principal, Depends(require(*BANK_STAFF))]
Reader = Annotated[Principal, Depends(require(*EVERYONE))]


def price_feed(request: Request) -> PriceFeed:
    """The process's price feed (built by ``create_app``; the sandbox where none was)."""
    feed = getattr(request.app.state, "price_feed", None)
    return feed if feed is not None else SandboxPriceFeed()


Feed = Annotated[PriceFeed, Depends(price_feed)]


@router.post("/warehouses", response_model=SupplyOperationOut, status_code=201)
def register_warehouse(
    body: WarehouseRegister, db: DB, clock: ClockDep, cipher: CipherDep, _: Bank
) -> SupplyOperationOut:
    """Register an enterprise as a warehouse operator (it may then issue receipts)."""
    return warehouse.register_warehouse(db, clock, cipher, body.enterprise_id)


@router.post("/receipts", response_model=SupplyOperationOut, status_code=201)
def issue_receipt(
    body: ReceiptIssue, db: DB, clock: ClockDep, cipher: CipherDep, principal: Actor
) -> SupplyOperationOut:
    return warehouse.issue_receipt(db, clock, cipher, principal, body)


@router.post("/receipts/{receipt_id}/pledge", response_model=SupplyOperationOut)
def pledge_receipt(
    receipt_id: str,
    body: ReceiptPledge,
    db: DB,
    rt: RuntimeDep,
    feed: Feed,
    principal: Actor,
) -> SupplyOperationOut:
    """The owner pledges the receipt for a line or loan, at the market price less the haircut."""
    haircut = rt.settings.receipt_haircut_bp
    return warehouse.pledge_receipt(
        db, rt.clock, rt.cipher, principal, receipt_id, body, feed, haircut
    )


@router.post("/receipts/{receipt_id}/release", response_model=SupplyOperationOut)
def release_goods(
    receipt_id: str,
    body: ReceiptRelease,
    db: DB,
    clock: ClockDep,
    cipher: CipherDep,
    feed: Feed,
    principal: Bank,
) -> SupplyOperationOut:
    return warehouse.release_goods(db, clock, cipher, principal, receipt_id, body, feed)


@router.post("/orders", response_model=SupplyOperationOut, status_code=201)
def place_order(
    body: OrderCreate, db: DB, clock: ClockDep, cipher: CipherDep, principal: Actor
) -> SupplyOperationOut:
    return orders.place_order(db, clock, cipher, principal, body)


@router.post("/orders/{order_id}/confirm", response_model=SupplyOperationOut)
def confirm_order(
    order_id: str, db: DB, clock: ClockDep, cipher: CipherDep, principal: Actor
) -> SupplyOperationOut:
    return orders.confirm_order(db, clock, cipher, principal, order_id)


@router.post("/orders/{order_id}/finance", response_model=SupplyOperationOut)
def finance_order(
    order_id: str,
    body: OrderFinance,
    db: DB,
    clock: ClockDep,
    cipher: CipherDep,
    principal: Actor,
    idempotency_key: IdempotencyKey = None,
) -> SupplyOperationOut:
    """The supplier asks, the bank finances up to the order's financeable share at once."""
    return orders.finance_order(
        db, clock, cipher, principal, order_id, body, idempotency_key=idempotency_key
    )


@router.post("/orders/{order_id}/deliver", response_model=SupplyOperationOut)
def deliver_order(
    order_id: str,
    body: OrderDeliver,
    db: DB,
    clock: ClockDep,
    cipher: CipherDep,
    principal: Actor,
) -> SupplyOperationOut:
    return orders.deliver_order(db, clock, cipher, principal, order_id, body)


@router.post("/orders/{order_id}/cancel", response_model=SupplyOperationOut)
def cancel_order(
    order_id: str, db: DB, clock: ClockDep, cipher: CipherDep, principal: Actor
) -> SupplyOperationOut:
    return orders.cancel_order(db, clock, cipher, principal, order_id)


@router.post("/orders/{order_id}/repay", response_model=SupplyOperationOut)
def repay_order(
    order_id: str, db: DB, clock: ClockDep, cipher: CipherDep, principal: Actor
) -> SupplyOperationOut:
    return orders.repay_order(db, clock, cipher, principal, order_id)


@router.post("/programmes", response_model=SupplyOperationOut, status_code=201)
def create_programme(
    body: ProgrammeCreate, db: DB, clock: ClockDep, cipher: CipherDep, _: Bank
) -> SupplyOperationOut:
    return dealers.create_programme(db, clock, cipher, body)


@router.post("/programmes/{programme_id}/dealers", response_model=SupplyOperationOut)
def recommend_dealer(
    programme_id: str,
    body: DealerRecommend,
    db: DB,
    clock: ClockDep,
    cipher: CipherDep,
    principal: Actor,
) -> SupplyOperationOut:
    return dealers.recommend_dealer(db, clock, cipher, principal, programme_id, body)


@router.post("/programmes/{programme_id}/draws", response_model=SupplyOperationOut)
def dealer_draw(
    programme_id: str,
    body: DealerDraw,
    db: DB,
    clock: ClockDep,
    cipher: CipherDep,
    principal: Actor,
) -> SupplyOperationOut:
    return dealers.draw(db, clock, cipher, principal, programme_id, body)


@router.post("/draws/{draw_id}/repay", response_model=SupplyOperationOut)
def dealer_repay(
    draw_id: str,
    db: DB,
    clock: ClockDep,
    cipher: CipherDep,
    principal: Actor,
    by_core: bool = False,
) -> SupplyOperationOut:
    return dealers.repay(db, clock, cipher, principal, draw_id, by_core=by_core)


@router.get("/supply/{kind}", response_model=list[SupplyItemOut])
def list_supply(kind: str, db: DB, principal: Reader) -> list[SupplyItemOut]:
    """Orders, receipts, programmes, dealers or draws the caller may see, newest first."""
    if kind not in supply_ops.KIND_ZH:
        raise supply_ops.item_not_found("kind", kind)
    return supply_ops.list_items(db, principal, kind)


@router.get("/supply/{kind}/{item_id}", response_model=SupplyItemOut)
def get_supply(kind: str, item_id: str, db: DB, principal: Reader) -> SupplyItemOut:
    return supply_ops.item_out(db, supply_ops.get_item(db, principal, kind, item_id))
