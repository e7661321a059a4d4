"""The MQTT topic scheme and payloads (no broker)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from puhui.iot import mqtt
from puhui.iot.service import ReadingIn


def test_parse_rejects_foreign_topics_and_bad_payloads() -> None:
    with pytest.raises(ValueError):
        mqtt.parse("other/x/y/z/w/v", b"{}")
    with pytest.raises(ValueError):
        mqtt.parse(mqtt.gateway_topic("s", "g"), b"not json")
    with pytest.raises(ValueError):
        mqtt.parse(mqtt.gateway_topic("s", "g"), b'{"readings": [{"s": "x"}]}')


def test_one_reading_and_a_gateway_batch_round_trip() -> None:
    one = mqtt.parse(mqtt.sensor_topic("s", "S-1", "weight"), b'{"v": 12.5, "t": 1796601600}')
    assert [(r.sensor_id, r.kind, r.value) for r in one.readings] == [("S-1", "weight", 12.5)]
    at = datetime(2026, 12, 7, 3, 0, 0, 250_000, tzinfo=UTC)
    sent = [ReadingIn("G-1", "location", 31.2, at, 121.4), ReadingIn("W-1", "weight", 9.5, at)]
    got = mqtt.parse(mqtt.gateway_topic("s", "gw"), mqtt.gateway_payload(sent, sent_at=1.5))
    assert got.readings == sent and got.sent_at == 1.5


def test_the_subscriber_takes_what_is_queued_as_one_batch_without_lingering() -> None:
    """Everything queued by now, up to max_batch readings, is one batch; bad messages are
    counted and skipped; an empty queue gives an empty batch after max_wait_s."""
    at = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
    sub = mqtt.Subscriber(None, None, "127.0.0.1", 1, max_batch=4, max_wait_s=0.01)  # type: ignore[arg-type]

    def payload(n: int) -> bytes:
        return mqtt.gateway_payload([ReadingIn("W-1", "weight", 1.0, at)] * 2, sent_at=n)

    for n in range(3):
        sub._queue.put((mqtt.gateway_topic("s", "gw"), payload(n)))
    sub._queue.put(("other/topic", b"{}"))
    sub._queue.put((mqtt.gateway_topic("s", "gw"), payload(3)))
    first = sub._drain()
    assert [len(m.readings) for m in first] == [2, 2]  # max_batch reached
    second = sub._drain()
    assert [len(m.readings) for m in second] == [2, 2] and sub.stats.rejected == 1
    assert sub._drain() == []


def test_a_qos1_redelivery_is_ingested_once() -> None:
    """The same bytes on the same topic within the window are one message; another topic, other
    bytes, or the same bytes after the window are new; the cap bounds the memory."""
    recent = mqtt.Recent(window_s=60, cap=3)
    topic, payload = mqtt.gateway_topic("s", "gw"), b'{"sent_at": 1, "readings": []}'
    assert recent.first_time(topic, payload, now=0.0)
    assert not recent.first_time(topic, payload, now=1.0)
    assert recent.first_time(mqtt.gateway_topic("s", "other"), payload, now=2.0)
    assert recent.first_time(topic, payload + b" ", now=3.0)
    assert recent.first_time(topic, payload, now=61.0)  # the first has left the window
    for n in range(5):
        recent.first_time(topic, str(n).encode(), now=62.0)
    assert len(recent._seen) == 3

    at = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
    sub = mqtt.Subscriber(None, None, "127.0.0.1", 1, max_wait_s=0.01)  # type: ignore[arg-type]
    twice = mqtt.gateway_payload([ReadingIn("W-1", "weight", 1.0, at)], sent_at=5.0)
    sub._queue.put((topic, twice))
    sub._queue.put((topic, twice))
    assert [len(m.readings) for m in sub._drain()] == [1] and sub.stats.duplicates == 1
