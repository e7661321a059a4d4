"""Public functions of the IoT collateral watch (押品物联网监管). Services never commit.

Lots         watch, release, reprice, stop_watching, get_lot, lot_by_ref, list_lots, lot_events
Readings     ingest (a batch: stored as the time series, the lots' state and live value
             updated, the signals evaluated), check_stale (the periodic check), series,
             latest_readings, ensure_partition (PostgreSQL's monthly partitions)

`watch` and `release` take plain values (a collateral reference such as a warehouse receipt's
number, the line, the quantity), so whatever pledges the goods (warehouse receipts, a manual
pledge) drives them through events without this package knowing its objects.

A signal (see `puhui.iot.signals`) opens a risk alert through the risk service (one open alert
per enterprise and signal, as risk de-duplicates) the moment it starts firing on a lot; a red
one freezes the enterprise's active lines and puts it on the watch list, a cover shortfall
calls for margin. A signal that keeps firing raises nothing new (the lot remembers what fires).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.clock import Clock, business_date
from puhui.core.db import table_insert
from puhui.core.errors import InvalidInput
from puhui.core.ids import new_id
from puhui.iot import signals
from puhui.iot.errors import (
    LotAlreadyWatched,
    LotNotFound,
    LotNotWatching,
    ReleaseBeyondQuantity,
    SensorTaken,
)
from puhui.iot.models import (
    QUANTITY_KINDS,
    Lot,
    LotEvent,
    LotStatus,
    Reading,
    Sensor,
    SensorKind,
)
from puhui.risk import service as risk_service
from puhui.risk.schemas import ActionKind, Level

STALE = "iot_stale_sensor"
NULL = "\\N"  # COPY's text format
READING_COLUMNS = (
    "id",
    "measured_at",
    "lot_id",
    "sensor_id",
    "kind",
    "value",
    "value2",
    "received_at",
)


@dataclass(frozen=True)
class SensorSpec:
    sensor_id: str
    kind: SensorKind | str
    stale_after_s: int = 300


@dataclass(frozen=True)
class ReadingIn:
    sensor_id: str
    kind: str
    value: float
    measured_at: datetime
    value2: float | None = None


@dataclass
class IngestResult:
    stored: int = 0
    unknown: int = 0
    raised: list[tuple[str, str]] = field(default_factory=list)  # (collateral ref, signal)


def _event(
    session: Session, clock: Clock, lot: Lot, kind: str, note: str, qty: int | None = None
) -> None:
    session.execute(
        table_insert(LotEvent),
        {
            "id": new_id(),
            "lot_id": lot.id,
            "kind": kind,
            "quantity": qty,
            "note": note,
            "occurred_at": clock.now(),
        },
    )


def _range(pair: tuple[float, float] | None) -> tuple[float | None, float | None]:
    return (None, None) if pair is None else pair


def watch(
    session: Session,
    clock: Clock,
    *,
    collateral_ref: str,
    enterprise_id: uuid.UUID,
    line_id: uuid.UUID | None,
    site: str,
    goods_kind: str,
    unit: str,
    quantity: int,
    unit_price_fen: int,
    haircut_bp: int,
    required_cover_fen: int,
    fence: tuple[float, float, int],
    sensors: Sequence[SensorSpec],
    price_source: str = "manual",
    tolerance_bp: int = 200,
    temperature: tuple[float, float] | None = None,
    humidity: tuple[float, float] | None = None,
) -> Lot:
    """Start watching a pledged lot with its sensors (`fence`: latitude, longitude, radius m)."""
    if quantity <= 0 or unit_price_fen < 0 or not 0 <= haircut_bp < 10_000:
        raise InvalidInput(field="quantity" if quantity <= 0 else "haircut_bp")
    if lot_by_ref(session, collateral_ref) is not None:
        raise LotAlreadyWatched(ref=collateral_ref)
    now = clock.now()
    (t_min, t_max), (h_min, h_max) = _range(temperature), _range(humidity)
    lot = Lot(
        collateral_ref=collateral_ref,
        open_ref=collateral_ref,
        enterprise_id=enterprise_id,
        line_id=line_id,
        site=site,
        goods_kind=goods_kind,
        unit=unit,
        baseline_quantity=quantity,
        expected_quantity=quantity,
        tolerance_bp=tolerance_bp,
        unit_price_fen=unit_price_fen,
        price_source=price_source,
        haircut_bp=haircut_bp,
        required_cover_fen=required_cover_fen,
        fence_lat=fence[0],
        fence_lon=fence[1],
        fence_radius_m=fence[2],
        temp_min=t_min,
        temp_max=t_max,
        humidity_min=h_min,
        humidity_max=h_max,
        status=LotStatus.WATCHING.value,
        last_quantity=None,
        last_lat=None,
        last_lon=None,
        last_temp=None,
        last_humidity=None,
        live_value_fen=None,
        last_reading_at=None,
        firing=[],
        created_at=now,
        updated_at=now,
        stopped_at=None,
    )
    session.add(lot)
    session.flush()
    for spec in sensors:
        taken = session.scalar(select(Sensor).where(Sensor.sensor_id == spec.sensor_id))
        if taken is not None and taken.active:
            raise SensorTaken(sensor=spec.sensor_id)
        if taken is not None:
            session.delete(taken)
            session.flush()
        session.add(
            Sensor(
                sensor_id=spec.sensor_id,
                lot_id=lot.id,
                kind=SensorKind(spec.kind),
                stale_after_s=spec.stale_after_s,
                last_seen_at=None,
                active=True,
            )
        )
    session.flush()
    _event(session, clock, lot, "watch", f"{goods_kind} {quantity}{unit}", quantity)
    audit.record(
        session,
        "iot.lot.watch",
        "iot_lot",
        lot.id,
        after={"ref": collateral_ref, "quantity": quantity, "unit": unit},
    )
    return lot


def _watching(session: Session, ref: str) -> Lot:
    lot = lot_by_ref(session, ref)
    if lot is None:
        raise LotNotFound()
    return lot


def release(
    session: Session, clock: Clock, ref: str, quantity: int, required_cover_fen: int | None = None
) -> Lot:
    """Goods released against repayment: the expected quantity falls first, so the weight drop
    that follows is no alarm. The last of the goods released stops the watch."""
    lot = _watching(session, ref)
    if quantity <= 0:
        raise InvalidInput(field="quantity")
    if quantity > lot.expected_quantity:
        raise ReleaseBeyondQuantity(quantity=quantity, expected=lot.expected_quantity)
    lot.expected_quantity -= quantity
    if required_cover_fen is not None:
        lot.required_cover_fen = required_cover_fen
    lot.updated_at = clock.now()
    _event(session, clock, lot, "release", f"解押 {quantity}{lot.unit}", quantity)
    audit.record(
        session,
        "iot.lot.release",
        "iot_lot",
        lot.id,
        after={"ref": ref, "quantity": quantity, "expected": lot.expected_quantity},
    )
    if lot.expected_quantity == 0:
        return stop_watching(session, clock, ref)
    return lot


def reprice(session: Session, clock: Clock, ref: str, unit_price_fen: int, source: str) -> Lot:
    """A new market price from the price source: the live value follows at once."""
    lot = _watching(session, ref)
    if unit_price_fen < 0:
        raise InvalidInput(field="unit_price_fen")
    lot.unit_price_fen, lot.price_source = unit_price_fen, source
    if lot.last_quantity is not None:
        lot.live_value_fen = signals.live_value_fen(
            lot.last_quantity, unit_price_fen, lot.haircut_bp
        )
    _event(session, clock, lot, "reprice", f"{source} {unit_price_fen}")
    result = IngestResult()
    _evaluate(session, clock, lot, result)
    return lot


def pledge_terms(
    session: Session,
    clock: Clock,
    ref: str,
    *,
    quantity: int,
    unit_price_fen: int,
    haircut_bp: int,
    required_cover_fen: int,
    source: str,
) -> Lot:
    """A watched lot pledged to the bank: the pledge's quantity, price, haircut and cover become
    its terms, and the signals are evaluated on them at once."""
    lot = _watching(session, ref)
    if quantity <= 0 or not 0 <= haircut_bp < 10_000 or required_cover_fen < 0:
        raise InvalidInput(field="quantity" if quantity <= 0 else "haircut_bp")
    lot.baseline_quantity = lot.expected_quantity = quantity
    lot.haircut_bp, lot.required_cover_fen = haircut_bp, required_cover_fen
    lot.updated_at = clock.now()
    _event(session, clock, lot, "pledge", f"质押 {quantity}{lot.unit}", quantity)
    return reprice(session, clock, ref, unit_price_fen, source)


def stop_watching(session: Session, clock: Clock, ref: str) -> Lot:
    lot = _watching(session, ref)
    if lot.status != LotStatus.WATCHING.value:
        raise LotNotWatching()
    now = clock.now()
    lot.status, lot.open_ref, lot.stopped_at, lot.updated_at = (
        LotStatus.STOPPED.value,
        None,
        now,
        now,
    )
    session.execute(update(Sensor).where(Sensor.lot_id == lot.id).values(active=False))
    _event(session, clock, lot, "stop", "停止监管")
    audit.record(session, "iot.lot.stop", "iot_lot", lot.id, after={"ref": ref})
    return lot


def get_lot(session: Session, lot_id: uuid.UUID) -> Lot:
    lot = session.get(Lot, lot_id)
    if lot is None:
        raise LotNotFound()
    return lot


def lot_by_ref(session: Session, ref: str) -> Lot | None:
    """The lot watched now under this collateral reference."""
    return session.scalar(select(Lot).where(Lot.open_ref == ref))


def list_lots(session: Session, *, watching_only: bool = False) -> list[Lot]:
    query = select(Lot).order_by(Lot.status.desc(), Lot.created_at.desc())
    if watching_only:
        query = query.where(Lot.status == LotStatus.WATCHING.value)
    return list(session.scalars(query))


def lot_events(session: Session, lot_id: uuid.UUID) -> list[LotEvent]:
    return list(
        session.scalars(
            select(LotEvent).where(LotEvent.lot_id == lot_id).order_by(LotEvent.occurred_at.desc())
        )
    )


def sensors_of(session: Session, lot_id: uuid.UUID) -> list[Sensor]:
    return list(
        session.scalars(select(Sensor).where(Sensor.lot_id == lot_id).order_by(Sensor.sensor_id))
    )


# ---- readings ---------------------------------------------------------------------------


def _ids(count: int) -> list[str]:
    """`count` time-sortable ids (hex) for one batch: one UUIDv7 with its low 32 random bits
    counting up. Building 20,000 UUID objects cost more than storing their rows."""
    base = new_id().int & ~0xFFFF_FFFF
    return [f"{base + i:032x}" for i in range(count)]


def _store(session: Session, rows: list[tuple[str, datetime, str, str, str, float, float | None, datetime]]) -> None:  # fmt: skip  # noqa: E501
    """COPY in text format on PostgreSQL (the rows written as lines: several times the rows per
    second of a multi-row INSERT or of COPY with per-value adaptation), executemany on the
    driver's cursor elsewhere (SQLite: the timestamps as SQLAlchemy stores them, naive UTC)."""
    connection = session.connection()
    driver = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        statement = f"COPY iot_reading ({', '.join(READING_COLUMNS)}) FROM STDIN"
        received = rows[0][7].isoformat()  # one batch, one receipt time
        lines = [
            f"{i}\t{at.isoformat()}\t{lot}\t{sensor}\t{kind}\t{v!r}\t"
            f"{NULL if v2 is None else repr(v2)}\t{received}\n"
            for i, at, lot, sensor, kind, v, v2, _ in rows
        ]
        with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
            copy.write("".join(lines))
        return
    received = _naive(rows[0][7])  # one batch, one receipt time
    naive = [(r[0], _naive(r[1]), r[2], r[3], r[4], r[5], r[6], received) for r in rows]
    cursor = driver.cursor()  # type: ignore[union-attr]
    cursor.executemany(
        f"INSERT INTO iot_reading ({', '.join(READING_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        naive,
    )
    cursor.close()


def _naive(at: datetime) -> str:
    if at.tzinfo is not UTC:
        at = at.astimezone(UTC)
    return at.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _apply(lot: Lot, kind: str, value: float, value2: float | None) -> None:
    if kind in QUANTITY_KINDS:
        lot.last_quantity = value
        lot.live_value_fen = signals.live_value_fen(value, lot.unit_price_fen, lot.haircut_bp)
    elif kind == SensorKind.LOCATION:
        lot.last_lat, lot.last_lon = value, value2
    elif kind == SensorKind.TEMPERATURE:
        lot.last_temp = value
    elif kind == SensorKind.HUMIDITY:
        lot.last_humidity = value


def ingest(session: Session, clock: Clock, readings: Sequence[ReadingIn]) -> IngestResult:
    """A batch of readings: stored, applied to their lots (newest last), evaluated."""
    result = IngestResult()
    sensor_ids = {r.sensor_id for r in readings}
    known = {
        s.sensor_id: (s.lot_id, s.kind)
        for s in session.execute(
            select(Sensor.sensor_id, Sensor.lot_id, Sensor.kind).where(
                Sensor.sensor_id.in_(sensor_ids), Sensor.active.is_(True)
            )
        )
    }
    now = clock.now()
    row_ids = _ids(len(readings))
    rows = []
    newest: dict[uuid.UUID, dict[str, ReadingIn]] = defaultdict(dict)  # lot -> kind -> reading
    for n, r in enumerate(readings):
        hit = known.get(r.sensor_id)
        if hit is None:
            result.unknown += 1
            continue
        lot_id, kind = hit
        rows.append(
            (row_ids[n], r.measured_at, lot_id.hex, r.sensor_id, kind, r.value, r.value2, now)
        )
        last = newest[lot_id].get(kind)
        if last is None or r.measured_at >= last.measured_at:
            newest[lot_id][kind] = r
    if not rows:
        return result
    _store(session, rows)
    result.stored = len(rows)
    seen = sorted({r.sensor_id for r in readings if r.sensor_id in known})
    session.execute(update(Sensor).where(Sensor.sensor_id.in_(seen)).values(last_seen_at=now))
    for lot in session.scalars(select(Lot).where(Lot.id.in_(newest))):
        by_kind = newest[lot.id]
        for kind, r in by_kind.items():
            _apply(lot, kind, r.value, r.value2)
        at = max(r.measured_at for r in by_kind.values())
        lot.last_reading_at = max(at, lot.last_reading_at or at)
        lot.updated_at = now
        if lot.status == LotStatus.WATCHING.value:
            _evaluate(session, clock, lot, result)
    return result


def _terms(lot: Lot) -> signals.Terms:
    return signals.Terms(
        expected_quantity=lot.expected_quantity,
        tolerance_bp=lot.tolerance_bp,
        unit_price_fen=lot.unit_price_fen,
        haircut_bp=lot.haircut_bp,
        required_cover_fen=lot.required_cover_fen,
        fence_lat=lot.fence_lat,
        fence_lon=lot.fence_lon,
        fence_radius_m=lot.fence_radius_m,
        temp_min=lot.temp_min,
        temp_max=lot.temp_max,
        humidity_min=lot.humidity_min,
        humidity_max=lot.humidity_max,
    )


def _state(lot: Lot) -> signals.State:
    return signals.State(
        quantity=lot.last_quantity,
        lat=lot.last_lat,
        lon=lot.last_lon,
        temp=lot.last_temp,
        humidity=lot.last_humidity,
    )


def _evaluate(session: Session, clock: Clock, lot: Lot, result: IngestResult) -> None:
    hits = signals.evaluate(_terms(lot), _state(lot))
    before = set(lot.firing)
    now_firing = {h.code for h in hits}
    if STALE in before:  # only the periodic check knows whether every sensor speaks again
        now_firing.add(STALE)
    for hit in hits:
        if hit.code not in before:
            _raise(session, clock, lot, hit)
            result.raised.append((lot.collateral_ref, hit.code))
    if now_firing != before:
        lot.firing = sorted(now_firing)


def _raise(session: Session, clock: Clock, lot: Lot, hit: signals.Hit) -> None:
    """Open (or refresh) the risk alert for the lot's enterprise and act as the level says."""
    definition = signals.SIGNALS[hit.code]
    reason = {
        "code": hit.code,
        "zh": f"{definition.zh}（{lot.collateral_ref}）：{hit.detail_zh}",
        "en": f"{definition.en} ({lot.collateral_ref}): {hit.detail_en}",
    }
    alert, created = risk_service.raise_alert(
        session,
        clock,
        enterprise_id=lot.enterprise_id,
        signal_code=hit.code,
        level=Level(definition.level),
        reasons=[reason],
        day=business_date(clock),
        evidence={
            "collateral_ref": lot.collateral_ref,
            "lot_id": str(lot.id),
            "value": hit.value,
            "limit": hit.limit,
        },
    )
    _event(session, clock, lot, "signal", reason["zh"])
    if definition.action == "freeze":
        risk_service.act_automatically(
            session,
            clock,
            enterprise_id=lot.enterprise_id,
            alert_id=alert.id,
            kinds=frozenset({ActionKind.FREEZE, ActionKind.WATCH}),
            reason=reason["zh"],
        )
    elif definition.action == "margin_call" and created:
        risk_service.call_margin(
            session,
            clock,
            enterprise_id=lot.enterprise_id,
            alert_id=alert.id,
            shortfall_fen=int(hit.limit - hit.value),
            collateral_ref=lot.collateral_ref,
            reason=reason["zh"],
        )


def check_stale(session: Session, clock: Clock) -> IngestResult:
    """The periodic check: a sensor of a watched lot silent past its timeout raises
    `iot_stale_sensor` on the lot (once while it stays silent); a lot whose sensors all speak
    again stops counting as stale (its alert stays for a person to resolve)."""
    result = IngestResult()
    rows = session.execute(
        select(Sensor.sensor_id, Sensor.last_seen_at, Sensor.stale_after_s, Lot.created_at, Lot.id)
        .join(Lot, Lot.id == Sensor.lot_id)
        .where(Lot.status == LotStatus.WATCHING.value, Sensor.active.is_(True))
    ).all()
    lot_of = {r[0]: r[4] for r in rows}
    silent: dict[uuid.UUID, signals.Hit] = {}
    for sensor_id, hit in signals.stale([(r[0], r[1], r[2], r[3]) for r in rows], clock.now()):
        silent.setdefault(lot_of[sensor_id], hit)
    for lot_id in {r[4] for r in rows} - silent.keys():
        lot = get_lot(session, lot_id)
        if STALE in lot.firing:
            lot.firing = [c for c in lot.firing if c != STALE]
    for lot_id, hit in silent.items():
        lot = get_lot(session, lot_id)
        if STALE in lot.firing:
            continue
        _raise(session, clock, lot, hit)
        lot.firing = sorted({*lot.firing, STALE})
        result.raised.append((lot.collateral_ref, STALE))
    return result


def series(
    session: Session, lot_id: uuid.UUID, kinds: Sequence[str], limit: int = 300
) -> list[tuple[datetime, str, float]]:
    """The lot's latest readings of these kinds, oldest first (for the chart)."""
    rows = session.execute(
        select(Reading.measured_at, Reading.kind, Reading.value)
        .where(Reading.lot_id == lot_id, Reading.kind.in_(list(kinds)))
        .order_by(Reading.measured_at.desc())
        .limit(limit)
    ).all()
    return [(r[0], r[1], r[2]) for r in reversed(rows)]


def latest_readings(session: Session, lot_id: uuid.UUID, limit: int = 12) -> list[Reading]:
    return list(
        session.scalars(
            select(Reading)
            .where(Reading.lot_id == lot_id)
            .order_by(Reading.measured_at.desc())
            .limit(limit)
        )
    )


def ensure_partition(session: Session, month: date) -> None:
    """PostgreSQL: the month's partition of `iot_reading` (no-op elsewhere or when present)."""
    if session.connection().dialect.name != "postgresql":
        return
    start = month.replace(day=1)
    end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    name = f"iot_reading_{start:%Y%m}"
    session.execute(
        text(
            f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF iot_reading "
            f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
        )
    )
