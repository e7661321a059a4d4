"""HTTP endpoints of the collateral watch (押品物联网监管) for programs: the watched lots with their
live value and firing signals, their sensors and readings; starting a watch, a release, stopping
it. Staff only; people use `/console/collateral`."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from puhui.core.auth import ALL_STAFF, Principal, require
from puhui.core.models import Role
from puhui.core.web import DB, ClockDep, UnitOfWorkRoute
from puhui.iot import service
from puhui.iot.models import SensorKind
from puhui.iot.schemas import LotDetailOut, LotOut, LotRelease, LotWatch, ReadingOut, SensorOut

router = APIRouter(prefix="/api/v1/collateral", route_class=UnitOfWorkRoute, tags=["collateral"])

KEEPERS = (Role.CUSTOMER_MANAGER, Role.RISK_OFFICER, Role.ADMIN)  # start, release, stop a watch
Staff = Annotated[Principal, Depends(require(*ALL_STAFF))]
Keeper = Annotated[Principal, Depends(require(*KEEPERS))]


def _detail(db: DB, lot_id: uuid.UUID) -> LotDetailOut:
    lot = service.get_lot(db, lot_id)
    sensors = [SensorOut.model_validate(s) for s in service.sensors_of(db, lot.id)]
    return LotDetailOut.model_validate({**LotOut.model_validate(lot).model_dump(),
                                        "sensors": sensors})  # fmt: skip


@router.get("/lots", response_model=list[LotOut])
def list_lots(db: DB, _: Staff, watching_only: Annotated[bool, Query()] = False) -> list[LotOut]:
    """Watched lots first, newest first."""
    return [LotOut.model_validate(x) for x in service.list_lots(db, watching_only=watching_only)]


@router.post("/lots", response_model=LotDetailOut, status_code=201)
def watch_lot(body: LotWatch, db: DB, clock: ClockDep, _: Keeper) -> LotDetailOut:
    """Start watching a pledged lot with its sensors (one watch per collateral and per sensor)."""
    lot = service.watch(
        db, clock, collateral_ref=body.collateral_ref, enterprise_id=body.enterprise_id,
        line_id=body.line_id, site=body.site, goods_kind=body.goods_kind, unit=body.unit,
        quantity=body.quantity, unit_price_fen=body.unit_price_fen, haircut_bp=body.haircut_bp,
        required_cover_fen=body.required_cover_fen, tolerance_bp=body.tolerance_bp,
        fence=(body.fence.lat, body.fence.lon, body.fence.radius_m),
        temperature=None if body.temperature is None else (body.temperature.low,
                                                           body.temperature.high),
        humidity=None if body.humidity is None else (body.humidity.low, body.humidity.high),
        sensors=[service.SensorSpec(s.sensor_id, s.kind, s.stale_after_s) for s in body.sensors],
    )  # fmt: skip
    return _detail(db, lot.id)


@router.get("/lots/{lot_id}", response_model=LotDetailOut)
def get_lot(lot_id: uuid.UUID, db: DB, _: Staff) -> LotDetailOut:
    return _detail(db, lot_id)


@router.get("/lots/{lot_id}/readings", response_model=list[ReadingOut])
def readings(
    lot_id: uuid.UUID,
    db: DB,
    _: Staff,
    kind: Annotated[list[str] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=5_000)] = 300,
) -> list[ReadingOut]:
    """The lot's latest readings (of `kind`, repeatable; all kinds by default), oldest first."""
    lot = service.get_lot(db, lot_id)
    kinds = kind or [k.value for k in SensorKind]
    return [
        ReadingOut(measured_at=at, kind=k, value=v)
        for at, k, v in service.series(db, lot.id, kinds, limit)
    ]


@router.post("/lots/{lot_id}/release", response_model=LotDetailOut)
def release(
    lot_id: uuid.UUID, body: LotRelease, db: DB, clock: ClockDep, _: Keeper
) -> LotDetailOut:
    """Goods released against a repayment: the expected quantity falls first, so the weight drop
    that follows is no alarm; the last of the goods ends the watch."""
    lot = service.get_lot(db, lot_id)
    service.release(db, clock, service.open_ref_of(lot), body.quantity, body.required_cover_fen)
    return _detail(db, lot_id)


@router.post("/lots/{lot_id}/stop", response_model=LotDetailOut)
def stop(lot_id: uuid.UUID, db: DB, clock: ClockDep, _: Keeper) -> LotDetailOut:
    lot = service.get_lot(db, lot_id)
    service.stop_watching(db, clock, service.open_ref_of(lot))
    return _detail(db, lot_id)
