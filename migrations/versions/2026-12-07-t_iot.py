"""iot: watched collateral lots, their sensors and events, and the sensor readings as a time
series (on PostgreSQL partitioned by month on measured_at, with a default partition; a plain
table on SQLite).

Revision ID: t1a0c7e3b9d2
Revises: y1d6b2c8e4a7
Create Date: 2026-12-07 03:30:00+00:00

"""
from datetime import date
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import puhui.core.db


# revision identifiers, used by Alembic.
revision: str = "t1a0c7e3b9d2"
down_revision: Union[str, Sequence[str], None] = "y1d6b2c8e4a7"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UTC = puhui.core.db.UTCDateTime(timezone=True)


def _months(first: date, count: int) -> list[tuple[date, date]]:
    out = []
    start = first
    for _ in range(count):
        end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        out.append((start, end))
        start = end
    return out


def upgrade() -> None:
    op.create_table(
        "iot_lot",
        sa.Column("collateral_ref", sa.String(length=64), nullable=False),
        sa.Column("open_ref", sa.String(length=64), nullable=True),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("line_id", sa.Uuid(), nullable=True),
        sa.Column("site", sa.String(length=64), nullable=False),
        sa.Column("goods_kind", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("baseline_quantity", sa.BigInteger(), nullable=False),
        sa.Column("expected_quantity", sa.BigInteger(), nullable=False),
        sa.Column("tolerance_bp", sa.BigInteger(), nullable=False),
        sa.Column("unit_price_fen", sa.BigInteger(), nullable=False),
        sa.Column("price_source", sa.String(length=40), nullable=False),
        sa.Column("haircut_bp", sa.BigInteger(), nullable=False),
        sa.Column("required_cover_fen", sa.BigInteger(), nullable=False),
        sa.Column("fence_lat", sa.Float(), nullable=False),
        sa.Column("fence_lon", sa.Float(), nullable=False),
        sa.Column("fence_radius_m", sa.BigInteger(), nullable=False),
        sa.Column("temp_min", sa.Float(), nullable=True),
        sa.Column("temp_max", sa.Float(), nullable=True),
        sa.Column("humidity_min", sa.Float(), nullable=True),
        sa.Column("humidity_max", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("last_quantity", sa.Float(), nullable=True),
        sa.Column("last_lat", sa.Float(), nullable=True),
        sa.Column("last_lon", sa.Float(), nullable=True),
        sa.Column("last_temp", sa.Float(), nullable=True),
        sa.Column("last_humidity", sa.Float(), nullable=True),
        sa.Column("live_value_fen", sa.BigInteger(), nullable=True),
        sa.Column("last_reading_at", UTC, nullable=True),
        sa.Column("firing", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("stopped_at", UTC, nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["parties_enterprise.id"],
                                name=op.f("fk_iot_lot_enterprise_id_parties_enterprise")),
        sa.ForeignKeyConstraint(["line_id"], ["lending_credit_line.id"],
                                name=op.f("fk_iot_lot_line_id_lending_credit_line")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iot_lot")),
        sa.UniqueConstraint("open_ref", name=op.f("uq_iot_lot_open_ref")),
    )
    op.create_index(op.f("ix_iot_lot_collateral_ref"), "iot_lot", ["collateral_ref"])
    op.create_index(op.f("ix_iot_lot_enterprise_id"), "iot_lot", ["enterprise_id"])
    op.create_table(
        "iot_lot_event",
        sa.Column("lot_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("occurred_at", UTC, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["lot_id"], ["iot_lot.id"], name=op.f("fk_iot_lot_event_lot_id_iot_lot")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iot_lot_event")),
    )
    op.create_index(op.f("ix_iot_lot_event_lot_id"), "iot_lot_event", ["lot_id"])
    op.create_table(
        "iot_sensor",
        sa.Column("sensor_id", sa.String(length=64), nullable=False),
        sa.Column("lot_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("stale_after_s", sa.BigInteger(), nullable=False),
        sa.Column("last_seen_at", UTC, nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["lot_id"], ["iot_lot.id"], name=op.f("fk_iot_sensor_lot_id_iot_lot")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iot_sensor")),
        sa.UniqueConstraint("sensor_id", name=op.f("uq_iot_sensor_sensor_id")),
    )
    op.create_index(op.f("ix_iot_sensor_lot_id"), "iot_sensor", ["lot_id"])
    if op.get_bind().dialect.name == "postgresql":
        _reading_partitioned()
    else:
        op.create_table(
            "iot_reading",
            sa.Column("id", sa.Uuid(), nullable=False),
            sa.Column("measured_at", UTC, nullable=False),
            sa.Column("lot_id", sa.Uuid(), nullable=False),
            sa.Column("sensor_id", sa.String(length=64), nullable=False),
            sa.Column("kind", sa.String(length=16), nullable=False),
            sa.Column("value", sa.Float(), nullable=False),
            sa.Column("value2", sa.Float(), nullable=True),
            sa.Column("received_at", UTC, nullable=False),
            sa.PrimaryKeyConstraint("id", "measured_at", name=op.f("pk_iot_reading")),
        )
    op.create_index("ix_iot_reading_lot_time", "iot_reading", ["lot_id", "measured_at"])


def _reading_partitioned() -> None:
    """Declarative partitioning by month; the months of 2026-2027 now, a default partition for
    anything outside them (the service adds months ahead: `iot.service.ensure_partition`)."""
    op.execute(
        "CREATE TABLE iot_reading ("
        " id uuid NOT NULL, measured_at timestamptz NOT NULL, lot_id uuid NOT NULL,"
        " sensor_id varchar(64) NOT NULL, kind varchar(16) NOT NULL,"
        " value double precision NOT NULL, value2 double precision,"
        " received_at timestamptz NOT NULL,"
        " CONSTRAINT pk_iot_reading PRIMARY KEY (id, measured_at)"
        ") PARTITION BY RANGE (measured_at)"
    )
    for start, end in _months(date(2026, 1, 1), 24):
        op.execute(
            f"CREATE TABLE iot_reading_{start:%Y%m} PARTITION OF iot_reading"
            f" FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
        )
    op.execute("CREATE TABLE iot_reading_default PARTITION OF iot_reading DEFAULT")


def downgrade() -> None:
    op.drop_index("ix_iot_reading_lot_time", table_name="iot_reading")
    op.drop_table("iot_reading")  # its partitions go with it on PostgreSQL
    op.drop_index(op.f("ix_iot_sensor_lot_id"), table_name="iot_sensor")
    op.drop_table("iot_sensor")
    op.drop_index(op.f("ix_iot_lot_event_lot_id"), table_name="iot_lot_event")
    op.drop_table("iot_lot_event")
    op.drop_index(op.f("ix_iot_lot_enterprise_id"), table_name="iot_lot")
    op.drop_index(op.f("ix_iot_lot_collateral_ref"), table_name="iot_lot")
    op.drop_table("iot_lot")
