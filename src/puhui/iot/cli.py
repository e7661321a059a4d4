"""`puhui iot ...`: the collateral watch's ingest (`listen`) and the sensor simulator
(`simulate`, sandbox: development/demo/test only)."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console

iot_app = typer.Typer(
    help="押品物联网监管 / IoT-monitored collateral: MQTT ingest and the sensor simulator.",
    no_args_is_help=True,
)
console = Console(stderr=True)


@iot_app.callback()
def _group() -> None:
    """押品物联网监管 / IoT-monitored collateral."""


@iot_app.command("listen")
def listen(
    stale_check_s: Annotated[float, typer.Option(help="seconds between stale checks")] = 30.0,
) -> None:
    """Subscribe to the sensor topics on PUHUI_MQTT_HOST:PUHUI_MQTT_PORT and ingest readings
    until interrupted (Ctrl-C)."""
    from puhui.core.runtime import build_runtime
    from puhui.iot.mqtt import Subscriber, settle_heap

    rt = build_runtime()
    host, port = rt.settings.mqtt_host, rt.settings.mqtt_port
    sub = Subscriber(rt.session_factory, rt.clock, host, port, stale_check_s=stale_check_s)
    settle_heap()
    sub.start()
    console.print(f"订阅中 / listening on mqtt://{host}:{port}")
    try:
        while True:
            time.sleep(5)
            s = sub.stats
            console.print(
                f"{s.readings} readings · {s.batches} batches · {len(s.raised)} signals · "
                f"{s.duplicates} duplicates dropped · {s.rejected} rejected"
            )
    except KeyboardInterrupt:
        pass
    finally:
        sub.stop()


@iot_app.command("simulate")
def simulate(
    ticks: Annotated[int, typer.Option(min=1, help="rounds of readings")] = 60,
    interval_s: Annotated[float, typer.Option(help="seconds between rounds")] = 1.0,
    drop: Annotated[str, typer.Option(help="collateral ref whose goods vanish half-way")] = "",
) -> None:
    """（沙箱 / Sandbox）Publish simulated readings for every watched lot (its weight, position,
    temperature, humidity, door and camera sensors); `--drop REF` takes 30 % of that lot's
    goods away without a release after half the rounds."""
    from puhui.core.db import unit_of_work
    from puhui.core.runtime import build_runtime
    from puhui.core.sms import SANDBOX_ENVIRONMENTS
    from puhui.iot import service
    from puhui.iot.mqtt import Publisher, gateway_payload, gateway_topic
    from puhui.iot.simulator import SimLot, Simulator

    rt = build_runtime()
    if rt.settings.environment not in SANDBOX_ENVIRONMENTS:
        console.print("[red]模拟器仅用于开发/演示/测试 / the simulator is sandbox-only[/red]")
        raise typer.Exit(2)
    with unit_of_work(rt.session_factory) as session:
        lots = []
        for lot in service.list_lots(session, watching_only=True):
            sensors = {s.kind: s.sensor_id for s in service.sensors_of(session, lot.id)}
            lots.append(SimLot(lot.collateral_ref, lot.site, float(lot.expected_quantity),
                               lot.fence_lat, lot.fence_lon, sensors))  # fmt: skip
    sim = Simulator(lots)
    pub = Publisher(rt.settings.mqtt_host, rt.settings.mqtt_port, client_id="puhui-simulator")
    console.print(f"（沙箱 / Sandbox）{len(lots)} lots, {ticks} rounds every {interval_s} s")
    try:
        for i in range(ticks):
            if drop and i == ticks // 2 and drop in sim.lots:
                sim.lots[drop].drop(0.3)
                console.print(f"fault: {drop} loses 30 % without a release")
            at = rt.clock.now()
            for sim_lot in sim.lots.values():
                readings = list(sim.readings_of(sim_lot, at))
                pub.publish(gateway_topic(sim_lot.site, "sim"), gateway_payload(readings))
            time.sleep(interval_s)
    finally:
        pub.close()
