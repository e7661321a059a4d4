"""The live collateral panel (押品实时监控) under /console/collateral: the watched lots, and per
lot its latest readings, a time series chart (weight, temperature; ECharts), the live value
against the required cover, the signals firing and the risk alerts they opened. The live part
refreshes by htmx polling (`/live`, a fragment) and the chart by fetching `/series.json`."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from puhui.core.auth import Principal, require_page
from puhui.core.models import Role
from puhui.core.web import DB, UnitOfWorkRoute
from puhui.iot import service as iot_service
from puhui.iot.signals import SIGNALS
from puhui.parties import service as parties_service
from puhui.risk import service as risk_service
from puhui.web.pages import render

router = APIRouter(
    prefix="/console/collateral", route_class=UnitOfWorkRoute, include_in_schema=False
)

READERS = (Role.CUSTOMER_MANAGER, Role.RISK_OFFICER, Role.CREDIT_OFFICER, Role.ADMIN, Role.AUDITOR)


@router.get("", response_class=HTMLResponse)
def lots_page(
    request: Request, db: DB, principal: Annotated[Principal, Depends(require_page(*READERS))]
) -> Response:
    lots = iot_service.list_lots(db)
    names = {i: parties_service.get_enterprise(db, i).name for i in {x.enterprise_id for x in lots}}
    return render(request, "iot_lots.html", principal, lots=lots, names=names)


def _live(db: DB, lot_id: uuid.UUID) -> dict[str, Any]:
    lot = iot_service.get_lot(db, lot_id)
    alerts = [
        a for a in risk_service.list_alerts(db, open_only=False, enterprise_id=lot.enterprise_id)
        if a.evidence.get("collateral_ref") == lot.collateral_ref and a.signal_code in SIGNALS
    ]  # fmt: skip
    return {
        "lot": lot,
        "readings": iot_service.latest_readings(db, lot.id),
        "alerts": alerts,
        "signals": SIGNALS,
        "enterprise": parties_service.get_enterprise(db, lot.enterprise_id),
    }


@router.get("/{lot_id}", response_class=HTMLResponse)
def lot_page(
    request: Request,
    lot_id: uuid.UUID,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(*READERS))],
) -> Response:
    live = _live(db, lot_id)
    return render(request, "iot_lot.html", principal, events=iot_service.lot_events(db, lot_id),
                  sensors=iot_service.sensors_of(db, lot_id), **live)  # fmt: skip


@router.get("/{lot_id}/live", response_class=HTMLResponse)
def lot_live(
    request: Request,
    lot_id: uuid.UUID,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(*READERS))],
) -> Response:
    """The live part of the panel (htmx polls it)."""
    return render(request, "_iot_live.html", principal, **_live(db, lot_id))


@router.get("/{lot_id}/series.json")
def lot_series(
    lot_id: uuid.UUID, db: DB, principal: Annotated[Principal, Depends(require_page(*READERS))]
) -> JSONResponse:
    """Weight (or count) and temperature of the lot, oldest first, for the chart."""
    iot_service.get_lot(db, lot_id)
    out: dict[str, list[list[Any]]] = {"quantity": [], "temperature": []}
    for at, kind, value in iot_service.series(db, lot_id, ("weight", "count", "temperature")):
        out["temperature" if kind == "temperature" else "quantity"].append([at.isoformat(), value])
    return JSONResponse(out)
