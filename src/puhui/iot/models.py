"""IoT tables: the watched collateral lots (监管货物), their sensors, and the readings as a time
series.

`iot_reading` is the time series: on PostgreSQL a table partitioned by month on `measured_at`
(declarative partitioning, created by the migration with monthly partitions and a default
one; `service.ensure_partition` adds months ahead), on SQLite a plain table. Its primary key
carries the partition key, as PostgreSQL requires of a partitioned table.

A lot keeps its latest state (quantity, position, condition, live value) and the signals now
firing, so a reading is evaluated against one row, not a query over the series.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from puhui.core.db import Base, IdMixin


class LotStatus(StrEnum):
    WATCHING = "watching"
    STOPPED = "stopped"  # released in full or no longer pledged


LOT_TRANSITIONS: dict[LotStatus, frozenset[LotStatus]] = {
    LotStatus.WATCHING: frozenset({LotStatus.STOPPED}),
    LotStatus.STOPPED: frozenset(),
}


class SensorKind(StrEnum):
    WEIGHT = "weight"  # kilograms on the scale platform under the goods
    COUNT = "count"  # pieces counted (camera / RFID gate)
    LOCATION = "location"  # latitude, longitude (value, value2)
    TEMPERATURE = "temperature"  # degrees Celsius
    HUMIDITY = "humidity"  # relative humidity, percent
    DOOR = "door"  # 1 opened, 0 closed
    CAMERA = "camera"  # heartbeat (1)


QUANTITY_KINDS = frozenset({SensorKind.WEIGHT, SensorKind.COUNT})


class Lot(IdMixin, Base):
    """A pledged lot of goods under sensor watch: what it is, where it must stay, in which
    conditions, what it is worth against the cover the line requires."""

    __tablename__ = "iot_lot"

    collateral_ref: Mapped[str] = mapped_column(String(64), index=True)
    # unique while watched, emptied when the watch stops (one watch per collateral at a time)
    open_ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("parties_enterprise.id"), index=True
    )
    line_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("lending_credit_line.id"))
    site: Mapped[str] = mapped_column(String(64))
    goods_kind: Mapped[str] = mapped_column(String(64))
    unit: Mapped[str] = mapped_column(String(8))  # kg or pcs
    baseline_quantity: Mapped[int]
    expected_quantity: Mapped[int]  # baseline less what was released
    tolerance_bp: Mapped[int]  # a drop within this share of the expected quantity is noise
    unit_price_fen: Mapped[int]
    price_source: Mapped[str] = mapped_column(String(40))
    haircut_bp: Mapped[int]
    required_cover_fen: Mapped[int]
    fence_lat: Mapped[float] = mapped_column(Float)
    fence_lon: Mapped[float] = mapped_column(Float)
    fence_radius_m: Mapped[int]
    temp_min: Mapped[float | None] = mapped_column(Float)
    temp_max: Mapped[float | None] = mapped_column(Float)
    humidity_min: Mapped[float | None] = mapped_column(Float)
    humidity_max: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16))
    last_quantity: Mapped[float | None] = mapped_column(Float)
    last_lat: Mapped[float | None] = mapped_column(Float)
    last_lon: Mapped[float | None] = mapped_column(Float)
    last_temp: Mapped[float | None] = mapped_column(Float)
    last_humidity: Mapped[float | None] = mapped_column(Float)
    live_value_fen: Mapped[int | None]
    last_reading_at: Mapped[datetime | None]
    firing: Mapped[list[str]] = mapped_column(JSON)  # signal codes firing now
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None]


class LotEvent(IdMixin, Base):
    """The lot's history: watched, released (how much), price changed, signal raised, stopped."""

    __tablename__ = "iot_lot_event"

    lot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("iot_lot.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    quantity: Mapped[int | None]
    note: Mapped[str] = mapped_column(String(500))
    occurred_at: Mapped[datetime]


class Sensor(IdMixin, Base):
    """A device on a lot: its id on the broker, its kind and how long it may stay silent."""

    __tablename__ = "iot_sensor"

    sensor_id: Mapped[str] = mapped_column(String(64), unique=True)
    lot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("iot_lot.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    stale_after_s: Mapped[int]
    last_seen_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)


class Reading(Base):
    """One sensor reading (the time series; partitioned by month on PostgreSQL)."""

    __tablename__ = "iot_reading"
    __table_args__ = (Index("ix_iot_reading_lot_time", "lot_id", "measured_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    measured_at: Mapped[datetime] = mapped_column(primary_key=True)
    lot_id: Mapped[uuid.UUID]  # no foreign key: a partitioned series, written by COPY
    sensor_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[float] = mapped_column(Float)
    value2: Mapped[float | None] = mapped_column(Float)
    received_at: Mapped[datetime]
