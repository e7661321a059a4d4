"""A pledged warehouse receipt under sensor watch: the pledge gives the watched lot its terms and
a release lowers what the sensors must see (flows.collateral_iot, wired in puhui.wiring)."""

from __future__ import annotations

from tests.integration.iot.iot_factories import watch_lot
from tests.integration.receivables.receivables_world import World, borrower
from tests.integration.receivables.test_supply_products import FEED, _receipt

from puhui.iot import service as iot
from puhui.receivables import warehouse
from puhui.receivables.supply_schemas import ReceiptPledge, ReceiptRelease


def test_the_watched_lot_takes_the_pledge_and_follows_its_releases(world: World) -> None:
    _, receipt = _receipt(world)
    lot = watch_lot(world.session, world.clock, world.t1.id, None, receipt, quantity=1)
    warehouse.pledge_receipt(
        world.session,
        world.clock,
        world.cipher,
        borrower(world.t1),
        receipt,
        ReceiptPledge(line_ref="CL-1", cover_fen=400_000_000),
        FEED,
        3_000,
    )
    lot = iot.lot_by_ref(world.session, receipt)  # type: ignore[assignment]
    assert lot is not None
    assert (lot.expected_quantity, lot.unit_price_fen, lot.haircut_bp) == (100_000, 6_800, 3_000)
    assert lot.required_cover_fen == 400_000_000
    warehouse.release_goods(
        world.session,
        world.clock,
        world.cipher,
        None,
        receipt,
        ReceiptRelease(quantity=30_000, cover_fen=300_000_000),
        FEED,
    )
    assert (lot.expected_quantity, lot.required_cover_fen) == (70_000, 300_000_000)
    kinds = [e.kind for e in iot.lot_events(world.session, lot.id)]
    assert {"watch", "pledge", "release"} <= set(kinds)


def test_a_receipt_without_sensors_is_pledged_unwatched(world: World) -> None:
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
    assert out.item is not None and out.item.status == "pledged"
    assert iot.lot_by_ref(world.session, receipt) is None
