from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy import text

from puhui.core.auth import public
from puhui.core.web import DB, UnitOfWorkRoute

router = APIRouter(route_class=UnitOfWorkRoute, tags=["health"])


@router.get("/healthz", dependencies=[Depends(public())])
def healthz(db: DB) -> dict[str, str]:
    db.execute(text("SELECT 1"))
    return {"status": "ok"}
