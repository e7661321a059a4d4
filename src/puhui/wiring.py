"""The composition root of domain events: which domain reacts to which other domain's events.

`wire()` subscribes every handler to `puhui.core.events.REGISTRY` and seals it; it is
idempotent. Every entry point calls it before any domain code runs: `puhui.app.create_app`
(HTTP), the `puhui` CLI when `puhui.cli` is imported (every command, `puhui eod run` and
`puhui demo` included), the test suite's `tests/conftest.py` and `bench/eod.py` (the other
benchmarks go through `create_app` or run no lending code). A
process that forgets fails loudly: publishing on an unsealed registry raises
`core.events.EventsNotWired` instead of silently dropping the consequence.

| event (publisher)                | handler (subscriber)                         |
|----------------------------------|----------------------------------------------|
| `lending.events.OfferAccepted`   | `decisioning.service.mark_offer_accepted`    |
| `lending.events.OfferLapsed`     | `decisioning.service.mark_offer_expired`     |
| `lending.events.RenewalDecisionCheck` | `flows.relief.check_renewal_decision`   |
| `payments.events.PaymentSettled` | `flows.payments.on_payment_settled`          |
| `payments.events.PaymentFailed`  | `flows.payments.on_payment_failed`           |
| `receivables.events.ReceiptPledged` | `flows.collateral_iot.on_receipt_pledged` |
| `receivables.events.ReceiptReleased` | `flows.collateral_iot.on_receipt_released` |
| `risk.events.CustomerNoticeQueued` | `flows.notices.on_customer_notice`         |
| `lending.servicing.events.ServicingNoticeQueued` | `flows.notices.on_servicing_notice` |
| `lending.events.CollateralShortfall` | `flows.collateral.on_shortfall` (risk alert) |
"""

from __future__ import annotations

from puhui.core.events import REGISTRY, EventRegistry
from puhui.decisioning import service as decisioning_service
from puhui.flows import collateral as collateral_flow
from puhui.flows import collateral_iot as collateral_iot_flow
from puhui.flows import notices as notice_flows
from puhui.flows import payments as payment_flows
from puhui.flows import relief as relief_flow
from puhui.lending import events as lending_events
from puhui.lending.servicing import events as servicing_events
from puhui.payments import events as payment_events
from puhui.receivables import events as receivables_events
from puhui.risk import events as risk_events


def wire(registry: EventRegistry = REGISTRY) -> EventRegistry:
    """Subscribe every handler and seal `registry` (once; later calls return it unchanged)."""
    if registry.sealed:
        return registry
    registry.subscribe(lending_events.OfferAccepted, decisioning_service.mark_offer_accepted)
    registry.subscribe(lending_events.OfferLapsed, decisioning_service.mark_offer_expired)
    registry.subscribe(lending_events.RenewalDecisionCheck, relief_flow.check_renewal_decision)
    registry.subscribe(payment_events.PaymentSettled, payment_flows.on_payment_settled)
    registry.subscribe(payment_events.PaymentFailed, payment_flows.on_payment_failed)
    registry.subscribe(receivables_events.ReceiptPledged, collateral_iot_flow.on_receipt_pledged)
    registry.subscribe(receivables_events.ReceiptReleased, collateral_iot_flow.on_receipt_released)
    registry.subscribe(risk_events.CustomerNoticeQueued, notice_flows.on_customer_notice)
    registry.subscribe(servicing_events.ServicingNoticeQueued, notice_flows.on_servicing_notice)
    registry.subscribe(lending_events.CollateralShortfall, collateral_flow.on_shortfall)
    registry.seal()
    return registry
