"""Sustained ingest of sensor readings through the MQTT broker into the database, with the
signals evaluated (issue 20 item 7). Goal: >= 20,000 readings/s on 2 cores, p99 < 1 s.

What runs: a throwaway PostgreSQL cluster (tests/support/pgcluster.py; `--sqlite` for a file
database instead), the migrations, a Mosquitto broker on a free port (tests/support/mosquitto.py),
`--enterprises` enterprises with `--lots` watched lots of 4 sensors each (weight, location,
temperature, humidity). A publisher process plays the warehouse gateways: every tick each lot's
sensors read once (puhui.iot.simulator: noise, drift), one gateway message per site per tick
(`--per-message` readings), paced to `--rate` readings/s for `--seconds`; every second one lot
loses 30 % of its goods without a release (a weight-drop fault). The subscriber
(puhui.iot.mqtt.Subscriber) runs in this process, its heap settled as `puhui iot listen` does
(`mqtt.settle_heap`): batches from the queue, COPY into the partitioned series, the lots' live
values and signals, risk alerts and the automatic freeze.

Figures: readings/s = readings committed / (last commit - first publish); end-to-end latency of a
message = its commit time - its publish time (`sent_at`), p50/p99 over every message; signal
latency = commit of the batch that raised a weight-drop signal - publish of the message carrying
the dropped weight; readings per CPU second of the ingesting process (the Python side, which
is what a core must sustain; on a shared machine the wall-clock rate mostly measures the
neighbours) and the load average. Last line: one JSON object with `readings_per_s` and `p99_ms`.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _support import create_database, pct  # noqa: E402

from puhui.core.clock import SystemClock  # noqa: E402
from puhui.core.db import make_engine, make_session_factory, unit_of_work  # noqa: E402
from puhui.core.migrate import upgrade  # noqa: E402
from puhui.iot import mqtt, service  # noqa: E402
from puhui.iot.simulator import SimLot, Simulator, standard_sensors  # noqa: E402

KINDS = ("weight", "location", "temperature", "humidity")
LAT, LON = 31.2304, 121.4737


def seed(url: str, enterprises: int, lots: int) -> list[tuple[str, str]]:
    """(ref, site) of the watched lots."""
    from tests.integration.lending.lending_factories import make_enterprise

    engine = make_engine(url)
    factory = make_session_factory(engine)
    clock = SystemClock()
    out: list[tuple[str, str]] = []
    with unit_of_work(factory) as session:
        for e in range(enterprises):
            ent = make_enterprise(session, clock, name=f"仓储测试企业{e:03d}有限公司")  # type: ignore[arg-type]
            for i in range(lots // enterprises):
                ref, site = f"WR-{e:03d}-{i:03d}", f"site-{e % 20:02d}"
                sensors = standard_sensors(ref)
                service.watch(
                    session, clock, collateral_ref=ref, enterprise_id=ent.id, line_id=None,
                    site=site, goods_kind="电解铜", unit="kg", quantity=20_000,
                    unit_price_fen=7_000, haircut_bp=3_000, required_cover_fen=80_000_000,
                    fence=(LAT, LON, 500), temperature=(-10.0, 40.0), humidity=(5.0, 90.0),
                    sensors=[service.SensorSpec(sensors[k], k, 600) for k in KINDS],
                )  # fmt: skip
                out.append((ref, site))
    engine.dispose()
    return out


def publish_loop(host: str, port: int, lots: list[tuple[str, str]], rate: int, seconds: float,
                 per_message: int, out: mp.Queue) -> None:  # type: ignore[type-arg]  # fmt: skip
    sims = [SimLot(ref, site, 20_000.0, LAT, LON,
                   {k: v for k, v in standard_sensors(ref).items() if k in KINDS})
            for ref, site in lots]  # fmt: skip
    sim = Simulator(sims, seed=11)
    pub = mqtt.Publisher(host, port, client_id="bench-gateways")
    per_tick = len(sims) * len(KINDS)
    tick_s = per_tick / rate
    start, started_at = time.monotonic(), time.time()
    sent, tick, victim = 0, 0, 0
    next_fault = 1.0
    while time.monotonic() - start < seconds:
        elapsed = time.monotonic() - start
        if elapsed >= next_fault:
            sims[victim * 7 % len(sims)].drop(0.3)
            victim, next_fault = victim + 1, next_fault + 1.0
        at = datetime.now(UTC)
        readings = [r for lot in sims for r in sim.readings_of(lot, at)]
        for i in range(0, len(readings), per_message):
            chunk = readings[i : i + per_message]
            pub.publish(mqtt.gateway_topic(f"gw{i // per_message % 20:02d}", "g"),
                        mqtt.gateway_payload(chunk, sent_at=time.time()))  # fmt: skip
            sent += len(chunk)
        tick += 1
        pause = start + tick * tick_s - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    time.sleep(0.5)
    pub.close()
    out.put({"sent": sent, "faults": victim, "started_at": started_at})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=int, default=22_000, help="readings per second offered")
    parser.add_argument("--lots", type=int, default=500)
    parser.add_argument("--enterprises", type=int, default=50)
    parser.add_argument("--per-message", type=int, default=200)
    parser.add_argument(
        "--max-wait", type=float, default=0.1, help="the subscriber's wait for a first message, s"
    )
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead of PostgreSQL")
    args = parser.parse_args()

    from tests.support.mosquitto import running_broker

    cluster = None
    if args.sqlite:
        url = f"sqlite:///{ROOT / 'var' / 'bench_iot.db'}"
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    else:
        from tests.support.pgcluster import start_cluster

        cluster = start_cluster()
        url = create_database(cluster.url, "bench_iot")
    try:
        upgrade(url)
        lots = seed(url, args.enterprises, args.lots)
        with running_broker() as broker:
            figures = run(url, broker.host, broker.port, lots, args)
    finally:
        if cluster is not None:
            cluster.stop()
    figures["database"] = "sqlite" if args.sqlite else "postgresql"
    print(json.dumps(figures))


def run(
    url: str, host: str, port: int, lots: list[tuple[str, str]], args: argparse.Namespace
) -> dict[str, object]:
    engine = make_engine(url)
    latencies: list[float] = []
    signal_latencies: list[float] = []
    commits: list[float] = []

    def on_batch(batch: mqtt.Batch) -> None:
        commits.append(batch.committed_at)
        for m in batch.messages:
            if m.sent_at is not None:
                latencies.append(batch.committed_at - m.sent_at)
        dropped = {f"{ref}-W" for ref, code in batch.result.raised if code == "iot_weight_drop"}
        for m in batch.messages:
            if m.sent_at is not None and any(r.sensor_id in dropped for r in m.readings):
                signal_latencies.append(batch.committed_at - m.sent_at)

    mqtt.settle_heap()  # as `puhui iot listen` does
    sub = mqtt.Subscriber(make_session_factory(engine), SystemClock(), host, port,
                          max_wait_s=args.max_wait, stale_check_s=5.0, on_batch=on_batch,
                          client_id="bench-ingest").start()  # fmt: skip
    out: mp.Queue = mp.get_context("spawn").Queue()  # type: ignore[type-arg]
    proc = mp.get_context("spawn").Process(
        target=publish_loop,
        args=(host, port, lots, args.rate, args.seconds, args.per_message, out),
    )
    cpu_before = time.process_time()
    proc.start()
    pub = out.get(timeout=args.seconds + 120)
    proc.join()
    deadline = time.monotonic() + 30
    while sub.stats.readings < pub["sent"] and time.monotonic() < deadline:
        time.sleep(0.05)
    sub.stop()
    cpu_s = time.process_time() - cpu_before  # this process: the subscriber (ingest + signals)
    engine.dispose()
    stats = sub.stats
    span = (commits[-1] - pub["started_at"]) if commits else float("nan")
    figures: dict[str, object] = {
        "readings_per_s": round(stats.readings / span),
        # on a shared machine the wall-clock rate says more about the neighbours: readings per
        # CPU second of the ingesting process (Python side; the database's CPU not counted)
        "readings_per_ingest_cpu_s": round(stats.readings / cpu_s) if cpu_s else None,
        "load_average_1m": round(os.getloadavg()[0], 1),
        "p50_ms": round(pct(latencies, 0.50) * 1000, 1),
        "p99_ms": round(pct(latencies, 0.99) * 1000, 1),
        "signal_p99_ms": round(pct(signal_latencies, 0.99) * 1000, 1),
        "signals_raised": len(stats.raised),
        "faults_injected": pub["faults"],
        "readings_sent": pub["sent"],
        "readings_stored": stats.readings,
        "duplicates_dropped": stats.duplicates,
        "batches": stats.batches,
        "lots": len(lots),
        "seconds": round(span, 1),
    }
    for key, value in figures.items():
        print(f"{key:>18}: {value}")
    return figures


if __name__ == "__main__":
    main()
