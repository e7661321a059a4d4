"""Collateral signals from sensor readings (押品物联网预警信号). Pure: no database, no I/O.

A lot's terms (expected quantity, price, haircut, required cover, geofence, condition ranges)
and its latest state (quantity, position, temperature, humidity) give the signals firing now:

================  =====  ===========================================================  ======
code              level  fires when                                                   action
================  =====  ===========================================================  ======
iot_weight_drop   red    quantity < expected × (1 − tolerance): goods gone without a  freeze
                         release (a release lowers the expected quantity first)
iot_geofence_exit red    the lot's position is farther than the radius from the       freeze
                         fence's centre (haversine distance)
iot_condition     orange temperature or humidity outside the goods' range             —
iot_cover_short   orange live value < required cover                                  margin
                                                                                      call
iot_stale_sensor  orange a sensor silent for longer than its timeout                  —
================  =====  ===========================================================  ======

The live value is quantity × unit price × (1 − haircut), in fen, rounded half up once.
A red level freezes the enterprise's line through the risk service (as the warning rules'
red level does); a cover shortfall proposes a margin call (追加保证金) executed at once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Literal

Level = Literal["red", "orange", "yellow"]
Action = Literal["freeze", "margin_call"]

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class SignalDef:
    code: str
    level: Level
    zh: str
    en: str
    action: Action | None


SIGNALS: Mapping[str, SignalDef] = MappingProxyType(
    {
        d.code: d
        for d in (
            SignalDef(
                "iot_weight_drop",
                "red",
                "押品重量下降且无解押",
                "Collateral weight dropped without a release",
                "freeze",
            ),
            SignalDef(
                "iot_geofence_exit",
                "red",
                "押品离开电子围栏",
                "Collateral left its geofence",
                "freeze",
            ),
            SignalDef(
                "iot_condition",
                "orange",
                "仓储温湿度超出范围",
                "Storage temperature or humidity out of range",
                None,
            ),
            SignalDef(
                "iot_cover_short",
                "orange",
                "押品价值低于要求覆盖",
                "Collateral value below the required cover",
                "margin_call",
            ),
            SignalDef(
                "iot_stale_sensor",
                "orange",
                "传感器离线超时",
                "Sensor silent past its timeout",
                None,
            ),
        )
    }
)


@dataclass(frozen=True)
class Terms:
    """What the lot must be: as watched (and lowered by releases)."""

    expected_quantity: int
    tolerance_bp: int
    unit_price_fen: int
    haircut_bp: int
    required_cover_fen: int
    fence_lat: float
    fence_lon: float
    fence_radius_m: int
    temp_min: float | None = None
    temp_max: float | None = None
    humidity_min: float | None = None
    humidity_max: float | None = None


@dataclass(frozen=True)
class State:
    """What the sensors last said (None: not reported yet)."""

    quantity: float | None = None
    lat: float | None = None
    lon: float | None = None
    temp: float | None = None
    humidity: float | None = None


@dataclass(frozen=True)
class Hit:
    code: str
    value: float
    limit: float
    detail_zh: str
    detail_en: str

    @property
    def level(self) -> Level:
        return SIGNALS[self.code].level


def live_value_fen(quantity: float, unit_price_fen: int, haircut_bp: int) -> int:
    """quantity × price × (1 − haircut), in fen, ROUND_HALF_UP once at the end."""
    value = Decimal(str(quantity)) * unit_price_fen * (10_000 - haircut_bp) / 10_000
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a)))


def _weight(terms: Terms, state: State) -> Hit | None:
    if state.quantity is None:
        return None
    floor = terms.expected_quantity * (10_000 - terms.tolerance_bp) / 10_000
    if state.quantity >= floor:
        return None
    return Hit(
        "iot_weight_drop",
        state.quantity,
        terms.expected_quantity,
        f"实测数量{state.quantity:g}，应有{terms.expected_quantity}",
        f"measured {state.quantity:g}, expected {terms.expected_quantity}",
    )


def _fence(terms: Terms, state: State) -> Hit | None:
    if state.lat is None or state.lon is None:
        return None
    d = distance_m(terms.fence_lat, terms.fence_lon, state.lat, state.lon)
    if d <= terms.fence_radius_m:
        return None
    return Hit(
        "iot_geofence_exit",
        round(d),
        terms.fence_radius_m,
        f"距围栏中心{d:.0f}米，半径{terms.fence_radius_m}米",
        f"{d:.0f} m from the fence's centre, radius {terms.fence_radius_m} m",
    )


def _outside(value: float | None, low: float | None, high: float | None) -> float | None:
    """The bound crossed, or None when inside (or nothing to compare)."""
    if value is None:
        return None
    if low is not None and value < low:
        return low
    if high is not None and value > high:
        return high
    return None


def _condition(terms: Terms, state: State) -> Hit | None:
    bound = _outside(state.temp, terms.temp_min, terms.temp_max)
    if bound is not None and state.temp is not None:
        return Hit(
            "iot_condition",
            state.temp,
            bound,
            f"温度{state.temp:g}℃，限值{bound:g}℃",
            f"temperature {state.temp:g} °C, limit {bound:g} °C",
        )
    bound = _outside(state.humidity, terms.humidity_min, terms.humidity_max)
    if bound is not None and state.humidity is not None:
        return Hit(
            "iot_condition",
            state.humidity,
            bound,
            f"湿度{state.humidity:g}%，限值{bound:g}%",
            f"humidity {state.humidity:g} %, limit {bound:g} %",
        )
    return None


def _cover(terms: Terms, state: State) -> Hit | None:
    if state.quantity is None:
        return None
    value = live_value_fen(state.quantity, terms.unit_price_fen, terms.haircut_bp)
    if value >= terms.required_cover_fen:
        return None
    short = terms.required_cover_fen - value
    return Hit(
        "iot_cover_short",
        value,
        terms.required_cover_fen,
        f"押品价值{value / 100:,.2f}元，低于要求{terms.required_cover_fen / 100:,.2f}元",
        f"value CNY {value / 100:,.2f} below the required {terms.required_cover_fen / 100:,.2f}"
        f" (short {short / 100:,.2f})",
    )


def evaluate(terms: Terms, state: State) -> list[Hit]:
    """The signals firing for this state, in `SIGNALS` order."""
    found = (
        _weight(terms, state),
        _fence(terms, state),
        _condition(terms, state),
        _cover(terms, state),
    )
    return [h for h in found if h is not None]


def stale(
    last_seen: Iterable[tuple[str, datetime | None, int, datetime]], now: datetime
) -> list[tuple[str, Hit]]:
    """(sensor id, hit) for each sensor silent past its timeout. `last_seen` rows are
    (sensor id, last reading or None, timeout seconds, when the watch began): a sensor never
    heard from counts from the start of the watch."""
    out: list[tuple[str, Hit]] = []
    for sensor_id, seen, timeout_s, since in last_seen:
        silent = (now - (seen or since)).total_seconds()
        if silent > timeout_s:
            out.append(
                (
                    sensor_id,
                    Hit(
                        "iot_stale_sensor",
                        round(silent),
                        timeout_s,
                        f"传感器{sensor_id}已{silent:.0f}秒无数据（限{timeout_s}秒）",
                        f"sensor {sensor_id} silent for {silent:.0f} s (limit {timeout_s} s)",
                    ),
                )
            )
    return out
