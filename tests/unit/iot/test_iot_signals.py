"""The collateral signals from sensor state (pure): each fires on a crafted state and stays
silent on a clean one; the live value's one rounding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from puhui.iot import signals
from puhui.iot.signals import State, Terms

TERMS = Terms(
    expected_quantity=10_000,
    tolerance_bp=200,
    unit_price_fen=450,  # 4.50 yuan per kg
    haircut_bp=3_000,
    required_cover_fen=2_800_000,
    fence_lat=31.2304,
    fence_lon=121.4737,
    fence_radius_m=200,
    temp_min=0.0,
    temp_max=25.0,
    humidity_min=None,
    humidity_max=70.0,
)
CLEAN = State(quantity=9_950.0, lat=31.2305, lon=121.4738, temp=18.0, humidity=55.0)


def codes(state: State, terms: Terms = TERMS) -> list[str]:
    return [h.code for h in signals.evaluate(terms, state)]


def test_clean_state_fires_nothing() -> None:
    assert codes(CLEAN) == []
    assert codes(State()) == []  # nothing reported yet


def test_live_value_rounds_half_up_once() -> None:
    # 10,000 kg x 4.50 yuan x 0.70 = 31,500.00 yuan
    assert signals.live_value_fen(10_000, 450, 3_000) == 3_150_000
    # 1.5 x 1 fen x 1.0 = 1.5 fen -> 2 fen (half up), not banker's 2 / truncation 1
    assert signals.live_value_fen(1.5, 1, 0) == 2
    assert signals.live_value_fen(2.5, 1, 0) == 3


def test_weight_drop_beyond_tolerance_is_red() -> None:
    within = State(quantity=9_800.0)  # exactly 2 % down: noise
    assert "iot_weight_drop" not in codes(within)
    hits = signals.evaluate(TERMS, State(quantity=9_799.0))
    assert hits[0].code == "iot_weight_drop" and hits[0].level == "red"
    assert hits[0].limit == 10_000


def test_a_release_lowers_what_is_expected() -> None:
    released = Terms(**{**TERMS.__dict__, "expected_quantity": 6_000, "required_cover_fen": 0})
    assert codes(State(quantity=6_000.0), released) == []
    assert codes(State(quantity=6_000.0)) == ["iot_weight_drop", "iot_cover_short"]


def test_geofence_exit_by_haversine_distance() -> None:
    assert signals.distance_m(31.0, 121.0, 31.0, 121.0) == 0
    # one thousandth of a degree of latitude is about 111 m
    assert signals.distance_m(31.0, 121.0, 31.001, 121.0) == pytest.approx(111.2, abs=0.5)
    assert codes(State(lat=31.2304 + 0.0017, lon=121.4737)) == []  # ~189 m
    hit = signals.evaluate(TERMS, State(lat=31.2304 + 0.0019, lon=121.4737))[0]
    assert hit.code == "iot_geofence_exit" and hit.level == "red" and hit.value == 211


def test_condition_out_of_range() -> None:
    assert codes(State(temp=25.0, humidity=70.0)) == []
    assert codes(State(temp=25.5)) == ["iot_condition"]
    assert codes(State(temp=-1.0)) == ["iot_condition"]
    assert codes(State(humidity=71.0)) == ["iot_condition"]
    no_ranges = Terms(**{**TERMS.__dict__, "temp_max": None, "humidity_max": None})
    assert codes(State(temp=40.0, humidity=99.0), no_ranges) == []


def test_value_below_cover_is_orange_and_names_the_shortfall() -> None:
    # 9,900 kg x 4.50 x 0.70 = 31,185.00 >= 28,000.00: covered
    assert "iot_cover_short" not in codes(State(quantity=9_900.0))
    priced_down = Terms(**{**TERMS.__dict__, "unit_price_fen": 400})
    hit = signals.evaluate(priced_down, State(quantity=9_900.0))[0]
    assert hit.code == "iot_cover_short" and hit.level == "orange"
    assert (hit.value, hit.limit) == (2_772_000, 2_800_000)
    assert "280.00" in hit.detail_en  # short by 280.00 yuan


def test_stale_sensor_after_its_timeout_counting_from_the_watch_start() -> None:
    t0 = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    rows = [
        ("W1", t0, 60, t0 - timedelta(hours=1)),
        ("T1", None, 60, t0),  # never heard from: counts from the start of the watch
    ]
    assert signals.stale(rows, t0 + timedelta(seconds=60)) == []
    found = signals.stale(rows, t0 + timedelta(seconds=61))
    assert [s for s, _ in found] == ["W1", "T1"]
    assert found[0][1].code == "iot_stale_sensor" and found[0][1].level == "orange"
