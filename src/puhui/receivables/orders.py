"""Order financing (订单通): a core enterprise's purchase order to a supplier, registered by the
buyer and confirmed by the supplier (each signs its statement); the bank finances up to the
log's ``order_max_share_bp`` of it before delivery, at the discount rate of the buyer's grade;
on delivery the buyer issues a receivable certificate for the order (the ordinary ``issue``)
and links it (``order_deliver``); when the certificate is paid, the financing is repaid from the
supplier's settlement account (``order_repay`` by the platform, in the same transaction as the
payment). A cancelled financed order is repaid by the supplier.

Accounting (integer fen; like a certificate's discount, :mod:`.operations`)
    finance  Dr receivable_financed(order) amount / Cr settlement(supplier) price
             / Cr discount_unearned(order) discount
    repay    Dr settlement(supplier) amount / Cr receivable_financed(order) amount;
             Dr discount_unearned(order) / Cr discount_income the discount (recognized at
             repayment: orders have no daily amortization yet)
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from puhui.core import idempotency
from puhui.core.auth import Principal
from puhui.core.clock import Clock
from puhui.core.crypto import FieldCipher
from puhui.core.idempotency import require_idempotency_key
from puhui.ledger.service import Leg
from puhui.payments import service as payments_service
from puhui.receivables import accounts, operations, supply_ops
from puhui.receivables.access import enterprise_party, receiver
from puhui.receivables.errors import ActorNotAllowed
from puhui.receivables.limits import financing_terms
from puhui.receivables.log import Log, locked_log
from puhui.receivables.models import SupplyItem
from puhui.receivables.schemas import IssueRequest
from puhui.receivables.statements import business_date
from puhui.receivables.supply_schemas import (
    OrderCreate,
    OrderDeliver,
    OrderFinance,
    SupplyOperationOut,
)


def place_order(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    principal: Principal | None,
    data: OrderCreate,
) -> SupplyOperationOut:
    """The core enterprise registers its purchase order (pending the supplier's confirmation)."""
    with locked_log(session, clock, cipher) as log:
        buyer = enterprise_party(session, clock, principal, data.buyer_enterprise_id)
        supplier = receiver(session, clock, data.supplier_enterprise_id)
        req = {
            "to": supplier.code,
            "amount_fen": data.amount_fen,
            "goods": data.goods,
            "delivery_date": data.delivery_date.isoformat(),
            "maturity_date": data.maturity_date.isoformat(),
        }
        _, item = supply_ops.run(log, "order", buyer.code, req)
        return supply_ops.result(log, item)


def _simple(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    principal: Principal | None,
    op: str,
    order_id: str,
) -> SupplyOperationOut:
    with locked_log(session, clock, cipher) as log:
        row = supply_ops.get_item(session, principal, "order", order_id)
        expected = row.counterparty if op == "order_confirm" else row.party
        actor = supply_ops.actor_for(session, principal, str(expected), row)
        supply_ops.run(log, op, actor, {"order": order_id})
        return supply_ops.result(log, order_id)


def confirm_order(
    session: Session, clock: Clock, cipher: FieldCipher, principal: Principal | None, order_id: str
) -> SupplyOperationOut:
    """The supplier confirms (signs) the order."""
    return _simple(session, clock, cipher, principal, "order_confirm", order_id)


def cancel_order(
    session: Session, clock: Clock, cipher: FieldCipher, principal: Principal | None, order_id: str
) -> SupplyOperationOut:
    """The core enterprise cancels an order not yet delivered (a financed one: the supplier
    then owes the financing back)."""
    return _simple(session, clock, cipher, principal, "order_cancel", order_id)


def finance_order(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    principal: Principal | None,
    order_id: str,
    data: OrderFinance,
    *,
    idempotency_key: str | None,
) -> SupplyOperationOut:
    """The bank advances ``amount_fen`` of the confirmed order to the supplier, discounted."""
    key = require_idempotency_key(idempotency_key)
    scope, payload = f"receivables:order_finance:{order_id}", data.model_dump()
    stored = idempotency.begin(session, scope, key, payload)
    if stored is not None:
        return SupplyOperationOut.model_validate(stored | {"replayed": True})
    with locked_log(session, clock, cipher) as log:
        stored = idempotency.begin(session, scope, key, payload)
        if stored is not None:
            return SupplyOperationOut.model_validate(stored | {"replayed": True})
        row = supply_ops.get_item(session, principal, "order", order_id)
        asking = supply_ops.actor_for(session, principal, str(row.counterparty), row)
        if asking != row.counterparty:  # only the supplier asks for its order's financing
            raise ActorNotAllowed(
                "order",
                actor=asking,
                op="order_finance",
                target=order_id,
                expected=row.counterparty,
            )
        pricing = financing_terms(session, row.party)
        stmt, _ = supply_ops.run(
            log,
            "order_finance",
            log.financier,
            {"order": order_id, "amount_fen": data.amount_fen, "rate_bp": pricing.discount_rate_bp},
        )
        amount, price = int(stmt["amount_fen"]), int(stmt["price_fen"])
        supplier = log.enterprise_of(str(row.counterparty))
        legs = [
            Leg.debit(supply_ops.financed("order", order_id), amount),
            Leg.credit(accounts.settlement(supplier), price),
        ]
        if amount - price:
            legs.append(Leg.credit(supply_ops.unearned("order", order_id), amount - price))
        log.post(
            "receivables.order_finance",
            business_date(stmt["at"]),
            legs,
            f"订单融资 {order_id}：融资 {amount} 分，付款 {price} 分，利率 {stmt['rate_bp']} 基点",
            "receivables_order",
            order_id,
        )
        # the proceeds go on through the rails to the supplier's chosen account (payments)
        payments_service.pay_out_receivables(
            session, clock, supplier, price, payments_service.ORDER_FINANCE, order_id
        )
        out = supply_ops.result(log, order_id)
        idempotency.remember(session, clock, scope, key, payload, out.model_dump(mode="json"))
        return out


def deliver_order(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    principal: Principal | None,
    order_id: str,
    data: OrderDeliver,
) -> SupplyOperationOut:
    """On delivery the buyer issues a receivable certificate for the order (the ordinary
    ``issue``, within its limit and against the invoice) and links it to the order."""
    with session.begin_nested():
        row = supply_ops.get_item(session, principal, "order", order_id)
        with locked_log(session, clock, cipher) as log:
            buyer, supplier = log.enterprise_of(row.party), log.enterprise_of(str(row.counterparty))
        issued = operations.issue(
            session,
            clock,
            cipher,
            principal,
            IssueRequest(
                issuer_enterprise_id=buyer,
                supplier_enterprise_id=supplier,
                face_fen=row.amount_fen,
                maturity_date=date.fromisoformat(str(row.data["maturity_date"])),
                invoice_no=data.invoice_no,
                invoice_amount_fen=data.invoice_amount_fen,
                contract_no=data.contract_no or order_id,  # the order is the contract
            ),
        )
        assert issued.certificate is not None
        with locked_log(session, clock, cipher) as log:
            actor = supply_ops.actor_for(session, principal, row.party, row)
            supply_ops.run(
                log, "order_deliver", actor, {"order": order_id, "cert": issued.certificate.id}
            )
            out = supply_ops.result(log, order_id)
            out.operations = issued.operations + out.operations
            return out


def repay_order(
    session: Session, clock: Clock, cipher: FieldCipher, principal: Principal | None, order_id: str
) -> SupplyOperationOut:
    """The supplier repays the financing of a cancelled order from its settlement account."""
    with locked_log(session, clock, cipher) as log:
        row = supply_ops.get_item(session, principal, "order", order_id)
        actor = supply_ops.actor_for(session, principal, str(row.counterparty), row)
        _repay(log, row, actor)
        return supply_ops.result(log, order_id)


def _repay(log: Log, row: SupplyItem, actor: str) -> None:
    amount = int(row.data.get("financed_fen") or 0)
    price = int(row.data.get("price_fen") or 0)
    supplier = log.enterprise_of(str(row.counterparty))
    if amount:
        supply_ops.require_balance(
            log, supplier, amount, f"order {row.id} repayment", f"订单 {row.id} 还款"
        )
    stmt, _ = supply_ops.run(log, "order_repay", actor, {"order": row.id, "amount_fen": amount})
    legs = [
        Leg.debit(accounts.settlement(supplier), amount),
        Leg.credit(supply_ops.financed("order", row.id), amount),
    ]
    if amount - price:
        legs += [
            Leg.debit(supply_ops.unearned("order", row.id), amount - price),
            Leg.credit(accounts.DISCOUNT_INCOME, amount - price),
        ]
    log.post(
        "receivables.order_repay",
        business_date(stmt["at"]),
        legs,
        f"订单融资还款 {row.id}：{amount} 分",
        "receivables_order",
        row.id,
    )


def repay_from_certificate(log: Log, cert_id: str) -> None:
    """After a certificate is paid and cleared: repay the financing of the order it delivered
    from the supplier's settlement account (the platform signs). Where that account cannot
    cover it, the financing stays due (shown on the order) rather than blocking the payment."""
    row = log.session.scalar(
        select(SupplyItem).where(
            SupplyItem.kind == "order",
            SupplyItem.parent == cert_id,
            SupplyItem.status == "delivered",
        )
    )
    if row is None or not int(row.data.get("financed_fen") or 0):
        return
    supplier = log.enterprise_of(str(row.counterparty))
    available = supply_ops.ledger_service.balance_fen(log.session, accounts.settlement(supplier))
    if available < int(row.data["financed_fen"]):
        return
    _repay(log, row, log.platform)
