"""A watched lot of goods with its sensors, for the IoT tests."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from puhui.core.clock import FixedClock
from puhui.iot import service as iot
from puhui.iot.models import Lot
from puhui.iot.service import ReadingIn, SensorSpec

FENCE = (31.2304, 121.4737, 300)


def watch_lot(
    session: Session,
    clock: FixedClock,
    enterprise_id: uuid.UUID,
    line_id: uuid.UUID | None,
    ref: str,
    *,
    stale_after_s: int = 300,
    quantity: int = 10_000,
) -> Lot:
    """10 t of steel coil at 4.50 yuan/kg, 30 % haircut (31,500 yuan), cover 28,000 yuan."""
    return iot.watch(
        session,
        clock,
        collateral_ref=ref,
        enterprise_id=enterprise_id,
        line_id=line_id,
        site="sh-wh1",
        goods_kind="热轧卷板",
        unit="kg",
        quantity=quantity,
        unit_price_fen=450,
        haircut_bp=3_000,
        required_cover_fen=2_800_000,
        fence=FENCE,
        temperature=(0.0, 35.0),
        humidity=(10.0, 80.0),
        sensors=[
            SensorSpec(f"{ref}-W", "weight", stale_after_s),
            SensorSpec(f"{ref}-G", "location", stale_after_s),
            SensorSpec(f"{ref}-T", "temperature", stale_after_s),
        ],
    )


def readings(ref: str, at: datetime, weight: float) -> list[ReadingIn]:
    return [
        ReadingIn(f"{ref}-W", "weight", weight, at),
        ReadingIn(f"{ref}-G", "location", FENCE[0], at, FENCE[1]),
        ReadingIn(f"{ref}-T", "temperature", 18.5, at),
    ]
