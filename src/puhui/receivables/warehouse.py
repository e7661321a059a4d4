"""Warehouse receipts (仓单通): a registered warehouse operator issues electronic receipts for
goods it holds; the owner pledges a receipt to the bank for a credit line or loan, valued at the
market price (the price feed) less the haircut; the bank releases goods against repayments,
the remainder always keeping the cover still required. Every step a signed statement on the
receivables log (rules: :mod:`puhui.receivables.supply_state`); a pledge and a release publish
:class:`~puhui.receivables.events.ReceiptPledged` / ``ReceiptReleased``.

No receipt is pledged twice: the pledge runs under the log's lock (one writer at a time) and
reads the receipt's state after it, so of two concurrent pledges the second sees the first and
is refused with 409 ``receivables.double_pledge``.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from puhui.core import events
from puhui.core.auth import Principal
from puhui.core.clock import Clock
from puhui.core.crypto import FieldCipher
from puhui.receivables import supply_ops
from puhui.receivables.access import enterprise_party, receiver
from puhui.receivables.events import ReceiptPledged, ReceiptReleased
from puhui.receivables.log import locked_log
from puhui.receivables.models import SupplyItem
from puhui.receivables.prices import PriceFeed
from puhui.receivables.statements import parse_at
from puhui.receivables.supply_schemas import (
    ReceiptIssue,
    ReceiptPledge,
    ReceiptRelease,
    SupplyOperationOut,
)


def register_warehouse(
    session: Session, clock: Clock, cipher: FieldCipher, enterprise_id: uuid.UUID
) -> SupplyOperationOut:
    """The platform registers an enterprise as a warehouse operator (staff)."""
    with locked_log(session, clock, cipher) as log:
        party = receiver(session, clock, enterprise_id)
        supply_ops.run(log, "warehouse", log.platform, {"party": party.code})
        return supply_ops.result(log, None)


def issue_receipt(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    principal: Principal | None,
    data: ReceiptIssue,
) -> SupplyOperationOut:
    """The warehouse operator issues a receipt to the goods' owner."""
    with locked_log(session, clock, cipher) as log:
        warehouse = enterprise_party(session, clock, principal, data.warehouse_enterprise_id)
        owner = receiver(session, clock, data.owner_enterprise_id)
        req = data.model_dump(exclude={"warehouse_enterprise_id", "owner_enterprise_id"})
        req["policy_expiry"] = data.policy_expiry.isoformat()
        req["to"] = owner.code
        _, item = supply_ops.run(log, "receipt", warehouse.code, req)
        return supply_ops.result(log, item)


def pledge_receipt(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    principal: Principal | None,
    receipt_id: str,
    data: ReceiptPledge,
    feed: PriceFeed,
    haircut_bp: int,
) -> SupplyOperationOut:
    """The owner pledges the receipt to the bank for ``data.line_ref``, at today's price."""
    with locked_log(session, clock, cipher) as log:
        row = supply_ops.get_item(session, principal, "receipt", receipt_id)
        actor = supply_ops.actor_for(session, principal, row.party, row)
        quote = feed.quote(str(row.data["goods"]), str(row.data["grade"]))
        req = {
            "receipt": receipt_id,
            "to": log.financier,
            "line": data.line_ref,
            "unit_price_fen": quote.unit_price_fen,
            "haircut_bp": haircut_bp,
            "cover_fen": data.cover_fen,
        }
        stmt, _ = supply_ops.run(log, "pledge", actor, req)
        receipt = _row(session, receipt_id)
        events.publish(
            session,
            ReceiptPledged(
                receipt_id=receipt_id,
                line_ref=data.line_ref,
                enterprise_id=log.enterprise_of(receipt.party),
                goods=str(receipt.data["goods"]),
                quantity=int(receipt.data["quantity"]),
                unit=str(receipt.data["unit"]),
                unit_price_fen=quote.unit_price_fen,
                haircut_bp=haircut_bp,
                required_cover_fen=data.cover_fen,
                warehouse=str(receipt.counterparty),
                location=str(receipt.data["location"]),
                seq=int(stmt["seq"]),
                at=parse_at(stmt["at"]),
            ),
        )
        return supply_ops.result(
            log, receipt_id, price_source=quote.source, price_sandbox=quote.sandbox
        )


def release_goods(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    principal: Principal | None,
    receipt_id: str,
    data: ReceiptRelease,
    feed: PriceFeed,
) -> SupplyOperationOut:
    """The bank releases ``quantity`` against a repayment (staff, for the bank)."""
    with locked_log(session, clock, cipher) as log:
        row = supply_ops.get_item(session, principal, "receipt", receipt_id)
        pledgee = str(row.data.get("pledgee") or log.financier)
        line_ref = str(row.data.get("line") or "")
        quote = feed.quote(str(row.data["goods"]), str(row.data["grade"]))
        req = {
            "receipt": receipt_id,
            "quantity": data.quantity,
            "unit_price_fen": quote.unit_price_fen,
            "cover_fen": data.cover_fen,
        }
        stmt, _ = supply_ops.run(log, "release", pledgee, req)
        receipt = _row(session, receipt_id)
        events.publish(
            session,
            ReceiptReleased(
                receipt_id=receipt_id,
                line_ref=line_ref,
                enterprise_id=log.enterprise_of(receipt.party),
                quantity_released=data.quantity,
                quantity_remaining=int(receipt.data["quantity"]),
                unit=str(receipt.data["unit"]),
                unit_price_fen=quote.unit_price_fen,
                required_cover_fen=data.cover_fen,
                pledge_ended=receipt.status != "pledged",
                seq=int(stmt["seq"]),
                at=parse_at(stmt["at"]),
            ),
        )
        return supply_ops.result(
            log, receipt_id, price_source=quote.source, price_sandbox=quote.sandbox
        )


def _row(session: Session, item_id: str) -> SupplyItem:
    row = session.get(SupplyItem, item_id)
    assert row is not None
    return row
