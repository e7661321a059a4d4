"""The demo's IoT collateral (沙箱): two lots of the demo enterprise watched by simulated sensors,
and a live feed while `puhui demo` serves.

With Mosquitto installed, the feed is the real path: a broker on a free loopback port, the
subscriber (`puhui.iot.mqtt.Subscriber`) and the simulator publishing every 2 s. Without it, the
simulator's readings are ingested directly and the demo says so (the lots' site is labelled
模拟数据 / simulated feed, and the command prints it).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from puhui.core import audit
from puhui.core.db import unit_of_work
from puhui.core.runtime import Runtime
from puhui.iot import mqtt
from puhui.iot import service as iot_service
from puhui.iot.simulator import SimLot, Simulator, standard_sensors
from puhui.lending import service as lending_service
from puhui.parties import service as parties_service

DEMO_USCC = "91330100799655058B"  # the demo enterprise (陈示例)
FENCE = (30.2741, 120.1551, 300)
LOTS = (  # ref, goods, kg, price fen/kg, haircut bp, cover fen, temperature range
    ("WR-DEMO-001", "电解铜", 20_000, 7_000, 3_000, 80_000_000, (-10.0, 40.0)),
    ("WR-DEMO-002", "冷冻牛肉", 8_000, 6_000, 4_000, 25_000_000, (-25.0, -15.0)),
)
KINDS = ("weight", "location", "temperature", "humidity", "door", "camera")


def _watch(rt: Runtime, site: str) -> list[SimLot]:
    sims: list[SimLot] = []
    with unit_of_work(rt.session_factory) as session:
        audit.set_clock(session, rt.clock)
        ent = parties_service.find_enterprise(session, DEMO_USCC)
        if ent is None:
            return []
        lines = lending_service.live_lines_of(session, ent.id)
        for ref, goods, kg, price, haircut, cover, temp in LOTS:
            sensors = standard_sensors(ref)
            if iot_service.lot_by_ref(session, ref) is None:
                iot_service.watch(
                    session, rt.clock, collateral_ref=ref, enterprise_id=ent.id,
                    line_id=lines[0].id if lines else None, site=site, goods_kind=goods,
                    unit="kg", quantity=kg, unit_price_fen=price, haircut_bp=haircut,
                    required_cover_fen=cover, fence=FENCE, temperature=temp,
                    price_source="沙箱行情 sandbox price",
                    sensors=[iot_service.SensorSpec(sensors[k], k, 120) for k in KINDS],
                )  # fmt: skip
            temp_c = (temp[0] + temp[1]) / 2
            sims.append(SimLot(ref, site, float(kg), FENCE[0], FENCE[1], sensors, temp_c=temp_c))
    return sims


def _broker() -> tuple[subprocess.Popen[bytes], int, Path] | None:
    binary = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
    )
    if binary is None:
        return None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    folder = Path(tempfile.mkdtemp(prefix="puhui-demo-mqtt-"))
    (folder / "mosquitto.conf").write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\n")
    proc = subprocess.Popen([binary, "-c", str(folder / "mosquitto.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port, folder
        except OSError:
            time.sleep(0.05)
    proc.terminate()
    return None


def start_feed(rt: Runtime, interval_s: float = 2.0) -> tuple[str, Callable[[], None]]:
    """Watch the demo lots and start their feed: (what runs, in words; the stop function)."""
    broker = _broker()
    site = "杭州演示仓" if broker else "杭州演示仓（模拟数据 simulated feed）"
    sims = _watch(rt, site)
    sim = Simulator(sims)
    stop = threading.Event()
    if broker is None:

        def direct() -> None:
            while not stop.wait(interval_s):
                with unit_of_work(rt.session_factory) as session:
                    audit.set_clock(session, rt.clock)
                    iot_service.ingest(session, rt.clock, sim.tick(rt.clock.now()))

        threading.Thread(target=direct, name="demo-iot-feed", daemon=True).start()
        return ("未安装 Mosquitto：模拟传感器数据直接写入（沙箱）/ Mosquitto not installed: "
                "simulated sensor readings written directly (sandbox)", stop.set)  # fmt: skip
    proc, port, _ = broker
    sub = mqtt.Subscriber(rt.session_factory, rt.clock, "127.0.0.1", port, client_id="demo-ingest")
    sub.start()
    pub = mqtt.Publisher("127.0.0.1", port, client_id="demo-simulator")

    def publish() -> None:
        while not stop.wait(interval_s):
            for lot in sims:
                readings = list(sim.readings_of(lot, rt.clock.now()))
                pub.publish(mqtt.gateway_topic("demo", "gw-1"), mqtt.gateway_payload(readings))

    threading.Thread(target=publish, name="demo-iot-simulator", daemon=True).start()

    def close() -> None:
        stop.set()
        sub.stop()
        pub.close()
        proc.terminate()

    return (f"Mosquitto 127.0.0.1:{port}，模拟传感器经 MQTT 上报（沙箱）/ simulated sensors "
            "publishing over MQTT (sandbox)", close)  # fmt: skip
