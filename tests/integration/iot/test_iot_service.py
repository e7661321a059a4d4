"""The collateral watch against the database (SQLite and PostgreSQL): readings stored as the
series, the live value, a weight drop without a release raises a red alert through risk and
freezes the line, a release first makes the same drop no alarm, a stale sensor after its
timeout, a price fall below cover calls for margin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.integration.iot.iot_factories import readings, watch_lot
from tests.integration.lending.lending_factories import make_enterprise, make_line

from puhui.core.clock import FixedClock
from puhui.iot import service as iot
from puhui.iot.errors import LotAlreadyWatched, ReleaseBeyondQuantity, SensorTaken
from puhui.iot.models import Reading
from puhui.lending import service as lending
from puhui.risk import service as risk


def test_readings_stored_live_value_and_a_drop_freezes_the_line(
    session: Session, clock: FixedClock
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id)
    lot = watch_lot(session, clock, ent.id, line.id, "WR-1")
    got = iot.ingest(session, clock, readings("WR-1", clock.now(), 9_990.0))
    assert (got.stored, got.raised) == (3, [])
    assert lot.live_value_fen == 3_146_850  # 9,990 kg x 4.50 x 0.70
    assert session.scalar(select(func.count()).select_from(Reading)) == 3
    assert risk.list_alerts(session) == []

    clock.advance(timedelta(seconds=5))
    got = iot.ingest(session, clock, readings("WR-1", clock.now(), 7_000.0))
    assert got.raised == [("WR-1", "iot_weight_drop"), ("WR-1", "iot_cover_short")]
    alerts = {a.signal_code: a for a in risk.list_alerts(session)}
    assert alerts["iot_weight_drop"].level == "red"
    assert alerts["iot_cover_short"].level == "orange"
    assert "WR-1" in alerts["iot_weight_drop"].reasons[0]["zh"]
    assert lending.get_line(session, line.id).status == "frozen"
    kinds = sorted(a.kind for a in risk.actions_of(session, ent.id))
    assert kinds == ["freeze", "margin_call", "watch"]
    margin = next(a for a in risk.actions_of(session, ent.id) if a.kind == "margin_call")
    assert margin.params["shortfall_fen"] == 2_800_000 - 2_205_000

    # still firing: nothing new is raised, the alert is not duplicated
    clock.advance(timedelta(seconds=5))
    assert iot.ingest(session, clock, readings("WR-1", clock.now(), 6_990.0)).raised == []
    assert len(risk.list_alerts(session)) == 2


def test_a_release_first_makes_the_drop_no_alarm(session: Session, clock: FixedClock) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id)
    watch_lot(session, clock, ent.id, line.id, "WR-2")
    with pytest.raises(ReleaseBeyondQuantity):
        iot.release(session, clock, "WR-2", 10_001)
    iot.release(session, clock, "WR-2", 4_000, required_cover_fen=1_500_000)
    got = iot.ingest(session, clock, readings("WR-2", clock.now(), 6_000.0))
    assert got.raised == []
    assert lending.get_line(session, line.id).status == "active"
    # the rest released: the watch stops, its sensors are free for another lot
    lot = iot.release(session, clock, "WR-2", 6_000)
    assert lot.status == "stopped" and iot.lot_by_ref(session, "WR-2") is None
    assert iot.ingest(session, clock, readings("WR-2", clock.now(), 0.0)).unknown == 3


def test_one_watch_per_collateral_and_per_sensor(session: Session, clock: FixedClock) -> None:
    ent = make_enterprise(session, clock)
    watch_lot(session, clock, ent.id, None, "WR-3")
    with pytest.raises(LotAlreadyWatched):
        watch_lot(session, clock, ent.id, None, "WR-3")
    iot.stop_watching(session, clock, "WR-3")
    watch_lot(session, clock, ent.id, None, "WR-3")  # again, after the first watch stopped
    with pytest.raises(SensorTaken):
        iot.watch(
            session, clock, collateral_ref="WR-4", enterprise_id=ent.id, line_id=None,
            site="s", goods_kind="g", unit="kg", quantity=1, unit_price_fen=1, haircut_bp=0,
            required_cover_fen=0, fence=(0.0, 0.0, 1),
            sensors=[iot.SensorSpec("WR-3-W", "weight")],
        )  # fmt: skip


def test_stale_sensor_after_its_timeout(session: Session, clock: FixedClock) -> None:
    ent = make_enterprise(session, clock)
    lot = watch_lot(session, clock, ent.id, None, "WR-5", stale_after_s=60)
    iot.ingest(session, clock, readings("WR-5", clock.now(), 10_000.0))
    clock.advance(timedelta(seconds=60))
    assert iot.check_stale(session, clock).raised == []
    clock.advance(timedelta(seconds=1))
    assert iot.check_stale(session, clock).raised == [("WR-5", "iot_stale_sensor")]
    assert iot.check_stale(session, clock).raised == []  # once while it stays silent
    (alert,) = risk.list_alerts(session)
    assert alert.signal_code == "iot_stale_sensor" and alert.level == "orange"
    # readings again: the next check finds every sensor speaking, the lot is no longer stale
    iot.ingest(session, clock, readings("WR-5", clock.now(), 10_000.0))
    assert "iot_stale_sensor" in lot.firing  # until the check says otherwise
    assert iot.check_stale(session, clock).raised == []
    assert "iot_stale_sensor" not in lot.firing
    # one sensor silent again (the other two report): stale once more, the alert refreshed
    clock.advance(timedelta(seconds=61))
    iot.ingest(session, clock, readings("WR-5", clock.now(), 10_000.0)[:2])
    assert iot.check_stale(session, clock).raised == [("WR-5", "iot_stale_sensor")]
    assert len(risk.list_alerts(session)) == 1


def test_a_price_fall_below_cover_calls_for_margin(session: Session, clock: FixedClock) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id)
    watch_lot(session, clock, ent.id, line.id, "WR-6")
    iot.ingest(session, clock, readings("WR-6", clock.now(), 10_000.0))
    iot.reprice(session, clock, "WR-6", 380, "sandbox-price")
    (alert,) = risk.list_alerts(session)
    assert alert.signal_code == "iot_cover_short"
    assert [a.kind for a in risk.actions_of(session, ent.id)] == ["margin_call"]
    assert lending.get_line(session, line.id).status == "active"  # orange: no freeze


def test_readings_land_in_their_month_partition(session: Session, clock: FixedClock) -> None:
    """PostgreSQL: a month added ahead by `ensure_partition` holds its readings (elsewhere a
    plain table: the call changes nothing)."""
    from datetime import UTC, date, datetime

    from sqlalchemy import text

    ent = make_enterprise(session, clock)
    watch_lot(session, clock, ent.id, None, "WR-7")
    iot.ensure_partition(session, date(2028, 3, 9))
    iot.ensure_partition(session, date(2028, 3, 9))  # again: nothing happens
    at = datetime(2028, 3, 15, 8, 0, tzinfo=UTC)
    assert iot.ingest(session, clock, readings("WR-7", at, 10_000.0)).stored == 3
    if session.get_bind().dialect.name == "postgresql":
        where = session.scalars(
            text(
                "SELECT DISTINCT tableoid::regclass::text FROM iot_reading"
                " WHERE sensor_id LIKE 'WR-7-%'"
            )
        ).all()
        assert where == ["iot_reading_202803"]
    assert [
        v for _, _, v in iot.series(session, iot.lot_by_ref(session, "WR-7").id, ["weight"])
    ] == [10_000.0]  # type: ignore[union-attr]


def test_last_seen_is_written_when_it_moved_by_a_twentieth_of_the_timeout(
    session: Session, clock: FixedClock
) -> None:
    """A sensor's last_seen_at is rewritten only once it is stale by min(10 s, timeout / 20),
    and a Lot object held by the session reads the state ingest wrote around the ORM."""
    from puhui.iot.models import Sensor

    ent = make_enterprise(session, clock)
    lot = watch_lot(session, clock, ent.id, None, "WR-8", stale_after_s=60)  # every 3 s

    def seen() -> datetime:
        at = session.scalar(select(Sensor.last_seen_at).where(Sensor.sensor_id == "WR-8-W"))
        assert at is not None
        return at.replace(tzinfo=UTC) if at.tzinfo is None else at

    first = clock.now()
    iot.ingest(session, clock, readings("WR-8", first, 10_000.0))
    assert seen() == first and lot.last_quantity == 10_000.0
    clock.advance(timedelta(seconds=2))
    iot.ingest(session, clock, readings("WR-8", clock.now(), 9_990.0))
    assert seen() == first  # 2 s < 3 s: not rewritten
    assert lot.last_quantity == 9_990.0 and lot.last_reading_at == clock.now()
    clock.advance(timedelta(seconds=1))
    iot.ingest(session, clock, readings("WR-8", clock.now(), 9_995.0))
    assert seen() == clock.now()
    # the stale check still counts from what it sees: silent 61 s after the last write
    clock.advance(timedelta(seconds=61))
    assert iot.check_stale(session, clock).raised == [("WR-8", "iot_stale_sensor")]
