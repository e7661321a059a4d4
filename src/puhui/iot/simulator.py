"""A sensor simulator (传感器模拟器，沙箱) for the demo, the tests and the benchmark: realistic
streams with noise, and faults on demand. No database; publishing is the caller's (or `run`'s).

Each simulated lot has a scale (weight in kg, ±0.05 % noise and a slow drift of a few kg), a
position tracker (a few metres of GPS jitter around the site), a temperature/humidity probe
(a daily wave plus noise), a door contact (opened now and then in working hours) and a camera
heartbeat. Faults:

* `drop(fraction)` — goods leave without a release: the weight falls by that share;
* `move(metres)` — the lot is carried that far north of the site (geofence exit);
* `silence(kind)` — a sensor stops reporting (stale);
* `heat(celsius)` — the temperature jumps to that value (out of range).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from puhui.iot.models import SensorKind
from puhui.iot.service import ReadingIn

METRES_PER_DEGREE_LAT = 111_195.0


@dataclass
class SimLot:
    ref: str
    site: str
    weight_kg: float
    lat: float
    lon: float
    sensors: dict[str, str]  # kind -> sensor id
    temp_c: float = 18.0
    humidity: float = 55.0
    silenced: set[str] = field(default_factory=set)
    moved_m: float = 0.0
    heat_c: float | None = None

    def drop(self, fraction: float) -> None:
        self.weight_kg *= 1 - fraction

    def move(self, metres: float) -> None:
        self.moved_m = metres

    def silence(self, kind: str) -> None:
        self.silenced.add(kind)

    def heat(self, celsius: float) -> None:
        self.heat_c = celsius


def standard_sensors(ref: str) -> dict[str, str]:
    """The simulator's sensor ids for a lot: `{ref}-W` (weight), `-G` (location), `-T`, `-H`,
    `-D` (door), `-C` (camera)."""
    suffix = {"weight": "W", "location": "G", "temperature": "T", "humidity": "H", "door": "D",
              "camera": "C"}  # fmt: skip
    return {kind: f"{ref}-{s}" for kind, s in suffix.items()}


class Simulator:
    def __init__(self, lots: Sequence[SimLot], seed: int = 7) -> None:
        self.lots = {lot.ref: lot for lot in lots}
        self.rng = random.Random(seed)

    def tick(self, at: datetime) -> list[ReadingIn]:
        """One reading from every (not silenced) sensor of every lot at `at`."""
        out: list[ReadingIn] = []
        for lot in self.lots.values():
            out.extend(self.readings_of(lot, at))
        return out

    def readings_of(self, lot: SimLot, at: datetime) -> Iterator[ReadingIn]:
        rng, hour = self.rng, at.hour + at.minute / 60
        wave = 3 * math.sin(hour / 24 * 2 * math.pi)
        values: dict[str, tuple[float, float | None]] = {
            SensorKind.WEIGHT: (round(lot.weight_kg * (1 + rng.gauss(0, 0.0005)), 1), None),
            SensorKind.LOCATION: (
                lot.lat + (lot.moved_m + rng.gauss(0, 3)) / METRES_PER_DEGREE_LAT,
                lot.lon + rng.gauss(0, 3) / METRES_PER_DEGREE_LAT,
            ),
            SensorKind.TEMPERATURE: (
                lot.heat_c if lot.heat_c is not None
                else round(lot.temp_c + wave + rng.gauss(0, 0.2), 2),
                None,
            ),
            SensorKind.HUMIDITY: (round(lot.humidity + rng.gauss(0, 1.0), 1), None),
            SensorKind.DOOR: (1.0 if 8 <= hour < 18 and rng.random() < 0.02 else 0.0, None),
            SensorKind.CAMERA: (1.0, None),
        }  # fmt: skip
        for kind, sensor_id in lot.sensors.items():
            if kind in lot.silenced or kind not in values:
                continue
            value, value2 = values[kind]
            yield ReadingIn(sensor_id, kind, value, at, value2)


def run(
    simulator: Simulator,
    publish: Callable[[str, list[ReadingIn]], object],
    *,
    start: datetime,
    interval_s: float,
    ticks: int,
    realtime: bool = True,
) -> int:
    """Publish `ticks` rounds of readings, one gateway message per site per round; returns the
    readings sent. `publish(site, readings)` sends one gateway batch."""
    sent = 0
    for i in range(ticks):
        at = start + timedelta(seconds=i * interval_s)
        by_site: dict[str, list[ReadingIn]] = {}
        for lot in simulator.lots.values():
            by_site.setdefault(lot.site, []).extend(simulator.readings_of(lot, at))
        for site, readings in by_site.items():
            publish(site, readings)
            sent += len(readings)
        if realtime:
            time.sleep(interval_s)
    return sent
