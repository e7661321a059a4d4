"""The live collateral panel in a real browser (issue 20): a warehouse gateway (the simulator)
publishes to a real Mosquitto, the subscriber ingests into the server's database; the panel
shows the readings, and after a simulated weight drop (goods gone without a release) the red
alert appears by itself (htmx polling) and the line is frozen."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

from playwright.sync_api import expect
from tests.e2e.conftest import LiveServer, shot, staff_login
from tests.integration.lending.lending_factories import make_enterprise
from tests.support.mosquitto import Broker, mqtt_broker  # noqa: F401  (the session's broker)

from puhui.core import audit
from puhui.core.clock import SystemClock, business_date
from puhui.core.db import make_engine, make_session_factory, unit_of_work
from puhui.iot import mqtt
from puhui.iot import service as iot
from puhui.iot.simulator import SimLot, Simulator, standard_sensors
from puhui.lending import service as lending

FENCE = (30.2741, 120.1551, 300)


def _watched_lot(live_server: LiveServer, ref: str) -> tuple[str, str]:
    """A line of a new enterprise and a lot of goods pledged for it, watched by 3 sensors:
    (lot id, line id)."""
    engine = make_engine(f"sqlite:///{live_server.db_path}")
    clock = SystemClock()
    with unit_of_work(make_session_factory(engine)) as session:
        audit.set_clock(session, clock)
        # an enterprise of its own: the red signal freezes every active line of the
        # enterprise, and the demo borrower's lines serve the other browser tests
        ent = make_enterprise(session, clock, name=f"杭州仓储物联测试有限公司{ref[-6:]}")  # type: ignore[arg-type]
        line = lending.create_line_from_offer(
            session, clock, enterprise_id=ent.id, product_code="weiyedai",
            limit_fen=30_000_000, rate_bp=435, term_months=12,
            expiry_date=business_date(clock) + timedelta(days=300), decision_id=uuid.uuid4(),
            repayment_method="interest_first",
        )  # fmt: skip
        lending.activate_after_signing(session, clock, line.id, uuid.uuid4())
        sensors = standard_sensors(ref)
        lot = iot.watch(
            session, clock, collateral_ref=ref, enterprise_id=ent.id, line_id=line.id,
            site="hz-wh1", goods_kind="电解铜", unit="kg", quantity=20_000,
            unit_price_fen=7_000, haircut_bp=3_000, required_cover_fen=80_000_000,
            fence=FENCE, temperature=(-10.0, 40.0),
            sensors=[iot.SensorSpec(sensors[k], k) for k in ("weight", "location", "temperature")],
        )  # fmt: skip
        ids = (str(lot.id), str(line.id))
    engine.dispose()
    return ids


def test_panel_shows_readings_and_the_alert_after_a_drop(
    live_server: LiveServer,
    desktop,  # type: ignore[no-untyped-def]
    mqtt_broker: Broker,  # noqa: F811
) -> None:
    ref = f"WR-E2E-{uuid.uuid4().hex[:6]}"
    lot_id, line_id = _watched_lot(live_server, ref)
    kinds = ("weight", "location", "temperature")
    sensors = {k: v for k, v in standard_sensors(ref).items() if k in kinds}
    sim_lot = SimLot(ref, "hz-wh1", 20_000.0, FENCE[0], FENCE[1], sensors)
    sim = Simulator([sim_lot], seed=5)
    engine = make_engine(f"sqlite:///{live_server.db_path}")
    clock = SystemClock()
    sub = mqtt.Subscriber(
        make_session_factory(engine), clock, mqtt_broker.host, mqtt_broker.port,
        max_wait_s=0.05, client_id=f"e2e-{ref}",
    ).start()  # fmt: skip
    pub = mqtt.Publisher(mqtt_broker.host, mqtt_broker.port, client_id=f"gw-{ref}")
    topic = mqtt.gateway_topic("hz-wh1", "gw-1")

    def send() -> None:
        pub.publish(topic, mqtt.gateway_payload(sim.tick(clock.now()))).wait_for_publish(2)

    try:
        for _ in range(3):
            send()
            time.sleep(0.3)
        page = desktop
        staff_login(page, live_server, "risk")
        page.goto(f"{live_server.url}/console/collateral")
        page.locator(f'a[href="/console/collateral/{lot_id}"]').click()
        expect(page.get_by_test_id("readings")).to_contain_text("称重")
        expect(page.get_by_test_id("firing")).to_contain_text("正常")
        # a function, not an expression: the page's CSP forbids eval
        page.wait_for_function("() => window.puhuiLotSeries !== undefined")
        assert len(page.evaluate("() => window.puhuiLotSeries.quantity")) >= 3

        sim_lot.drop(0.3)  # 6 t of copper leave without a release
        send()
        expect(page.get_by_test_id("lot-alerts")).to_contain_text(
            "押品重量下降且无解押", timeout=15_000
        )
        expect(page.get_by_test_id("firing")).to_contain_text("押品重量下降且无解押")
        expect(page.get_by_test_id("lot-alerts")).to_contain_text("红色预警")
        shot(page, "console-collateral-panel")
    finally:
        sub.stop()
        pub.close()
    with unit_of_work(make_session_factory(engine)) as session:
        assert lending.get_line(session, uuid.UUID(line_id)).status == "frozen"
    engine.dispose()
