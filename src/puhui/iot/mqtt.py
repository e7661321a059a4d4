"""Sensor readings over MQTT (paho-mqtt against Mosquitto): the topic scheme, the payloads, and
the subscriber that feeds `service.ingest` in batches.

Topics (QoS 1):

* ``puhui/sites/{site}/sensors/{sensor}/{kind}`` — one reading, payload
  ``{"v": 9980.5, "t": 1796601600.25}`` (``v2`` for a location's longitude);
* ``puhui/sites/{site}/gateways/{gateway}/readings`` — a warehouse gateway's batch, payload
  ``{"sent_at": epoch, "readings": [{"s": sensor, "k": kind, "v": value, "t": epoch}, ...]}``.
  Gateways batch what their sensors said since the last send (realistic, and what makes tens of
  thousands of readings a second a few hundred messages).

``t`` is the measurement time (epoch seconds, UTC); ``sent_at`` (optional) the publish time,
used by the benchmark for the end-to-end latency.

The subscriber's network thread only queues messages; one worker thread takes what is queued as
a batch (up to `max_batch` readings; it waits up to `max_wait_s` for a first message, never for
more), ingests each batch in one unit of work (one commit), and every `stale_check_s` runs the
stale-sensor check in its own. Under load the queue fills while a batch is written, so the
batches grow with the rate (measured: ~2,800 readings a batch at 22,000 readings/s).
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import paho.mqtt.client as paho
from sqlalchemy.orm import Session, sessionmaker

from puhui.core import audit
from puhui.core.clock import Clock
from puhui.core.db import unit_of_work
from puhui.iot import service
from puhui.iot.service import IngestResult, ReadingIn

log = logging.getLogger(__name__)

ROOT = "puhui/sites"
SUBSCRIPTION = f"{ROOT}/#"


def sensor_topic(site: str, sensor: str, kind: str) -> str:
    return f"{ROOT}/{site}/sensors/{sensor}/{kind}"


def gateway_topic(site: str, gateway: str) -> str:
    return f"{ROOT}/{site}/gateways/{gateway}/readings"


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(float(epoch), UTC)


def _reading(row: dict[str, Any]) -> ReadingIn:
    v2 = row.get("v2")
    return ReadingIn(str(row["s"]), str(row["k"]), float(row["v"]), _at(row["t"]),
                     None if v2 is None else float(v2))  # fmt: skip


@dataclass(frozen=True)
class Message:
    readings: list[ReadingIn]
    sent_at: float | None  # epoch seconds, when the publisher says it sent


def parse(topic: str, payload: bytes) -> Message:
    """The readings in one message; ValueError when the topic or payload is not ours."""
    parts = topic.split("/")
    if parts[:2] != ROOT.split("/") or len(parts) < 6:
        raise ValueError(f"not a sensor topic: {topic}")
    try:
        body = orjson.loads(payload)
        if parts[3] == "gateways" and parts[5] == "readings":
            return Message([_reading(r) for r in body["readings"]], body.get("sent_at"))
        if parts[3] == "sensors" and len(parts) == 6:
            row = {"s": parts[4], "k": parts[5], **body}
            return Message([_reading(row)], body.get("sent_at"))
    except (KeyError, TypeError, orjson.JSONDecodeError) as exc:
        raise ValueError(f"bad payload on {topic}") from exc
    raise ValueError(f"not a sensor topic: {topic}")


def gateway_payload(readings: Sequence[ReadingIn], sent_at: float | None = None) -> bytes:
    rows = []
    for r in readings:
        row: dict[str, Any] = {"s": r.sensor_id, "k": r.kind, "v": r.value,
                               "t": r.measured_at.timestamp()}  # fmt: skip
        if r.value2 is not None:
            row["v2"] = r.value2
        rows.append(row)
    return orjson.dumps(
        {"sent_at": sent_at if sent_at is not None else time.time(), "readings": rows}
    )


@dataclass
class Batch:
    """What one unit of work handled: for observers (the benchmark's latency, the tests)."""

    messages: list[Message]
    result: IngestResult
    committed_at: float  # epoch seconds


@dataclass
class Stats:
    messages: int = 0
    readings: int = 0
    rejected: int = 0
    duplicates: int = 0  # QoS 1 redeliveries dropped (see `Recent`)
    batches: int = 0
    raised: list[tuple[str, str]] = field(default_factory=list)


class Recent:
    """The messages seen in the last `window_s` seconds (at most `cap`), by a digest of topic and
    payload. QoS 1 is at-least-once: a publisher that missed the broker's acknowledgement sends
    the message again, and the broker delivers both. A gateway's message carries its readings'
    measurement times and its send time, so the same bytes on the same topic are the same
    readings — kept once. (Across a restart of the subscriber nothing is remembered; the
    subscription is a clean session, so the broker redelivers nothing either.)"""

    def __init__(self, window_s: float = 300.0, cap: int = 100_000) -> None:
        self.window_s, self.cap = window_s, cap
        self._seen: OrderedDict[bytes, float] = OrderedDict()

    def first_time(self, topic: str, payload: bytes, now: float) -> bool:
        digest = hashlib.blake2b(topic.encode() + b"\0" + payload, digest_size=16).digest()
        seen = self._seen
        while seen and (len(seen) >= self.cap or next(iter(seen.values())) < now - self.window_s):
            seen.popitem(last=False)
        if digest in seen:
            return False
        seen[digest] = now
        return True


def _client(client_id: str) -> paho.Client:
    return paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id)


def settle_heap() -> None:
    """For a process whose job is the ingest (`puhui iot listen`): collect once, then freeze
    what is alive (imports, the runtime, caches) out of the garbage collector's sight. A full
    collection otherwise walks that whole heap every few hundred thousand allocations, and
    22,000 readings a second allocate that many in seconds: measured (`bench/iot.py`, 22,000
    readings/s, three runs each), p50 205-264 ms and p99 564-582 ms without, 173-186 ms and
    307-365 ms with."""
    import gc

    gc.collect()
    gc.freeze()


class Subscriber:
    """Subscribes to the sensor topics and ingests what arrives (see the module's docstring).
    `on_batch` (optional) is called after each committed batch, from the worker thread."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Clock,
        host: str,
        port: int,
        *,
        max_batch: int = 20_000,
        max_wait_s: float = 0.05,
        stale_check_s: float = 30.0,
        on_batch: Callable[[Batch], None] | None = None,
        client_id: str = "puhui-ingest",
    ) -> None:
        self.factory, self.clock = session_factory, clock
        self.host, self.port = host, port
        self.max_batch, self.max_wait_s, self.stale_check_s = max_batch, max_wait_s, stale_check_s
        self.on_batch = on_batch
        self.stats = Stats()
        self._queue: queue.SimpleQueue[tuple[str, bytes]] = queue.SimpleQueue()
        self._recent = Recent()
        self._stop = threading.Event()
        self._subscribed = threading.Event()
        self._worker = threading.Thread(target=self._run, name="iot-ingest", daemon=True)
        self._client = _client(client_id)
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = lambda *_a, **_k: self._subscribed.set()
        self._client.on_message = self._on_message

    def _on_connect(self, client: paho.Client, *_args: Any, **_kw: Any) -> None:
        client.subscribe(SUBSCRIPTION, qos=1)

    def _on_message(self, _client: paho.Client, _userdata: Any, msg: paho.MQTTMessage) -> None:
        self._queue.put((msg.topic, bytes(msg.payload)))

    def start(self, timeout_s: float = 10.0) -> Subscriber:
        self._client.connect(self.host, self.port)
        self._client.loop_start()
        if not self._subscribed.wait(timeout_s):
            raise TimeoutError(f"no subscription on the MQTT broker {self.host}:{self.port}")
        self._worker.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._worker.is_alive():
            self._worker.join(timeout=10)
        self._client.disconnect()
        self._client.loop_stop()

    def _drain(self) -> list[Message]:
        """The next batch: everything queued by now (up to `max_batch` readings), after waiting
        up to `max_wait_s` for a first message. No lingering for more: under load the queue
        fills while the previous batch is written, so batches grow with the rate by themselves,
        and a quiet feed's single message is written at once."""
        messages: list[Message] = []
        count = 0
        try:
            item = self._queue.get(timeout=self.max_wait_s)
        except queue.Empty:
            return messages
        while True:
            topic, payload = item
            if self._recent.first_time(topic, payload, time.monotonic()):
                try:
                    message = parse(topic, payload)
                except ValueError:
                    self.stats.rejected += 1
                    log.warning("iot: rejected a message on %s", topic)
                else:
                    messages.append(message)
                    count += len(message.readings)
            else:
                self.stats.duplicates += 1
            if count >= self.max_batch:
                break
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
        return messages

    def _run(self) -> None:
        next_check = time.monotonic() + self.stale_check_s
        while not self._stop.is_set():
            messages = self._drain()
            if messages:
                self._ingest(messages)
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + self.stale_check_s
                self._check_stale()

    def _ingest(self, messages: list[Message]) -> None:
        readings = [r for m in messages for r in m.readings]
        try:
            with unit_of_work(self.factory) as session:
                audit.set_clock(session, self.clock)
                result = service.ingest(session, self.clock, readings)
        except Exception:
            log.exception("iot: a batch of %d readings failed", len(readings))
            return
        self.stats.messages += len(messages)
        self.stats.readings += len(readings)
        self.stats.batches += 1
        self.stats.raised.extend(result.raised)
        if self.on_batch is not None:
            self.on_batch(Batch(messages, result, time.time()))

    def _check_stale(self) -> None:
        try:  # this month's and next month's partitions of the series, ahead of their readings
            with unit_of_work(self.factory) as session:
                today = self.clock.now().date()
                service.ensure_partition(session, today)
                service.ensure_partition(session, (today.replace(day=1) + timedelta(days=32)))
        except Exception:
            log.exception("iot: adding a monthly partition failed")
        try:
            with unit_of_work(self.factory) as session:
                audit.set_clock(session, self.clock)
                result = service.check_stale(session, self.clock)
        except Exception:
            log.exception("iot: the stale-sensor check failed")
            return
        self.stats.raised.extend(result.raised)
        if self.on_batch is not None and result.raised:
            self.on_batch(Batch([], result, time.time()))


class Publisher:
    """A gateway's (or the simulator's) connection to the broker."""

    def __init__(self, host: str, port: int, client_id: str = "puhui-gateway") -> None:
        self._client = _client(client_id)
        self._client.max_inflight_messages_set(1000)
        self._client.max_queued_messages_set(0)
        self._client.connect(host, port)
        self._client.loop_start()

    def publish(self, topic: str, payload: bytes, qos: int = 1) -> paho.MQTTMessageInfo:
        return self._client.publish(topic, payload, qos=qos)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
