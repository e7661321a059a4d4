"""The MQTT round trip against a real Mosquitto started by the tests: a simulated gateway
publishes, the subscriber ingests; a weight drop without a release raises the red signal and
freezes the line; a silent sensor raises the stale signal after its timeout (the injected
clock moves past it; the periodic check runs every 0.1 s)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.orm import Session
from tests.integration.iot.iot_factories import FENCE, watch_lot
from tests.integration.lending.lending_factories import make_enterprise, make_line
from tests.support.mosquitto import Broker

from puhui.core.clock import FixedClock
from puhui.core.runtime import Runtime
from puhui.iot import mqtt
from puhui.iot.simulator import SimLot, Simulator
from puhui.lending import service as lending
from puhui.risk import service as risk


def _until(check: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out waiting for the subscriber"
        time.sleep(0.02)


def test_mqtt_round_trip_drop_freezes_the_line_and_silence_goes_stale(
    session: Session, clock: FixedClock, runtime: Runtime, mqtt_broker: Broker
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id)
    watch_lot(session, clock, ent.id, line.id, "WR-M1", stale_after_s=60)
    session.commit()
    sensors = {"weight": "WR-M1-W", "location": "WR-M1-G", "temperature": "WR-M1-T"}
    lot = SimLot("WR-M1", "sh-wh1", 10_000.0, FENCE[0], FENCE[1], sensors)
    sim = Simulator([lot], seed=3)
    tag = uuid.uuid4().hex[:8]
    sub = mqtt.Subscriber(
        runtime.session_factory, clock, mqtt_broker.host, mqtt_broker.port,
        max_wait_s=0.02, stale_check_s=0.1, client_id=f"ingest-{tag}",
    ).start()  # fmt: skip
    pub = mqtt.Publisher(mqtt_broker.host, mqtt_broker.port, client_id=f"gw-{tag}")
    topic = mqtt.gateway_topic("sh-wh1", "gw-1")
    try:
        pub.publish(topic, mqtt.gateway_payload(sim.tick(clock.now()))).wait_for_publish(2)
        _until(lambda: sub.stats.readings >= 3)
        assert sub.stats.raised == []

        lot.drop(0.3)  # 3 t leave the warehouse without a release
        clock.advance(timedelta(seconds=10))
        pub.publish(topic, mqtt.gateway_payload(sim.tick(clock.now()))).wait_for_publish(2)
        _until(lambda: ("WR-M1", "iot_weight_drop") in sub.stats.raised)

        clock.advance(timedelta(seconds=61))  # nothing more arrives: every sensor goes stale
        _until(lambda: ("WR-M1", "iot_stale_sensor") in sub.stats.raised)
    finally:
        sub.stop()
        pub.close()
    session.expire_all()
    assert lending.get_line(session, line.id).status == "frozen"
    levels = {a.signal_code: a.level for a in risk.list_alerts(session)}
    assert levels["iot_weight_drop"] == "red"
    assert levels["iot_stale_sensor"] == "orange"
    assert sub.stats.rejected == 0
