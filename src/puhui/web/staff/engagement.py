"""The console's proactive service page (主动服务, issue 18): the day's segments with their
movements, the pre-screening runs and their offers (green ones marked), and the form that
pre-screens an uploaded list — a core enterprise's dealer list under its agreement, the bank's
own customers or a registry region — with the active scorecard and policy."""

from __future__ import annotations

import io
from typing import Annotated

import polars as pl
from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from puhui.core.auth import Principal, require_page
from puhui.core.clock import business_date
from puhui.core.errors import DomainError
from puhui.core.models import Role
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute
from puhui.decisioning.scoring import store_for
from puhui.engagement import service as engagement_service
from puhui.engagement.engines import Engine
from puhui.engagement.errors import PrescreenListInvalid
from puhui.engagement.green import catalogue
from puhui.engagement.prescreen import ListKind
from puhui.engagement.segments import Segment
from puhui.parties import service as parties_service
from puhui.reporting import engagement as report
from puhui.web.pages import check_csrf, refuse, render

router = APIRouter(prefix="/console", route_class=UnitOfWorkRoute, include_in_schema=False)
READERS = (Role.CUSTOMER_MANAGER, Role.SERVICE_REP, Role.RISK_OFFICER, Role.ADMIN)
RUNNERS = (Role.CUSTOMER_MANAGER, Role.RISK_OFFICER, Role.ADMIN)
MAX_LIST_BYTES = 1_000_000  # the console's request body limit (PUHUI_MAX_BODY_BYTES)


@router.get("/engagement", response_class=HTMLResponse)
def engagement_page(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*READERS))],
) -> Response:
    runs = report.recent_runs(db)
    green = catalogue()
    return render(
        request,
        "engagement.html",
        principal,
        segment_run=report.latest_segment_run(db),
        segments=list(Segment),
        totals=report.offer_totals(db, business_date(rt.clock)),
        runs=runs,
        offers=report.offers_of(db, runs[0].id) if runs else [],
        kinds=list(ListKind),
        green_label=green.category_label,
        can_run=principal.role in RUNNERS,
    )


def _read_list(upload: UploadFile) -> pl.DataFrame:
    data = upload.file.read(MAX_LIST_BYTES + 1)
    if len(data) > MAX_LIST_BYTES:
        raise PrescreenListInvalid(field="list_file", reason="> 1 MB")
    try:
        text = dict.fromkeys(("enterprise_key", "industry_code", "contact_mobile"), pl.Utf8)
        return pl.read_csv(io.BytesIO(data), schema_overrides=text)
    except (pl.exceptions.PolarsError, ValueError) as exc:
        raise PrescreenListInvalid(field="list_file", reason="CSV") from exc


@router.post("/engagement/prescreen", dependencies=[Depends(check_csrf)])
def engagement_prescreen(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*RUNNERS))],
    kind: Annotated[str, Form()],
    list_name: Annotated[str, Form()],
    list_file: Annotated[UploadFile, File()],
    core_uscc: Annotated[str, Form()] = "",
    agreement_ref: Annotated[str, Form()] = "",
) -> Response:
    try:
        core = parties_service.find_enterprise(db, core_uscc.strip().upper()) if core_uscc else None
        req = engagement_service.PrescreenRequest(
            kind=ListKind(kind),
            list_name=list_name.strip()[:200] or "—",
            frame=_read_list(list_file),
            engine=Engine(rt.settings.batch_engine),
            core_enterprise_id=core.id if core else None,
            agreement_ref=agreement_ref.strip() or None,
            spark_master=rt.settings.spark_master,
        )
        engagement_service.run_prescreen(
            db,
            rt.clock,
            store_for(rt.settings.resolved_var_dir() / "models"),
            req,
            user_id=principal.user_id,
            mobile_hash=lambda m: rt.cipher.lookup_hash(str(m), "mobile"),
        )
    except ValueError as exc:
        bad = PrescreenListInvalid(field="kind", reason=kind)
        raise refuse(request, bad, "/console/engagement") from exc
    except DomainError as exc:
        raise refuse(request, exc, "/console/engagement") from exc
    return RedirectResponse("/console/engagement", status_code=303)


@router.post("/engagement/segments", dependencies=[Depends(check_csrf)])
def engagement_segments(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*RUNNERS))],
) -> Response:
    engagement_service.run_segments(db, rt.clock, business_date(rt.clock))
    return RedirectResponse("/console/engagement", status_code=303)
