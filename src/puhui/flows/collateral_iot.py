"""Pledged warehouse receipts and their sensors: the receivables log tells the IoT monitor.

Receivables publishes `ReceiptPledged` and `ReceiptReleased` (it sits below iot and never
imports it); these handlers, subscribed in `puhui.wiring`, act in the same unit of work:

* pledged → the lot watched under the receipt's number (the warehouse operator's sensors,
  registered with `iot.service.watch`) takes the pledge's terms: quantity, the price feed's
  unit price, haircut and the cover the line requires; the signals are evaluated on them at
  once. A receipt without sensors is pledged all the same: it is simply not watched (the
  collateral page lists only watched lots).
* released → the watched lot's expected quantity falls by what left (so the weight drop that
  follows is no alarm) and its cover becomes the pledge's new one; the last release ends the
  watch.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from puhui.core.clock import FixedClock
from puhui.iot import service as iot_service
from puhui.receivables.events import ReceiptPledged, ReceiptReleased


def on_receipt_pledged(session: Session, event: ReceiptPledged) -> None:
    if iot_service.lot_by_ref(session, event.receipt_id) is None:
        return
    iot_service.pledge_terms(
        session,
        FixedClock(event.at),
        event.receipt_id,
        quantity=event.quantity,
        unit_price_fen=event.unit_price_fen,
        haircut_bp=event.haircut_bp,
        required_cover_fen=event.required_cover_fen,
        source="pledge",
    )


def on_receipt_released(session: Session, event: ReceiptReleased) -> None:
    if iot_service.lot_by_ref(session, event.receipt_id) is None:
        return
    iot_service.release(
        session,
        FixedClock(event.at),
        event.receipt_id,
        event.quantity_released,
        required_cover_fen=event.required_cover_fen,
    )
