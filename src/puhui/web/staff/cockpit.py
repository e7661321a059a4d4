"""The cockpit (驾驶舱): applications per day, approval rate, decision time p50/p99, balances,
overdue and the five-category mix, vintage curves, top decline reasons.

`/console/cockpit` renders the frame; the charts (ECharts, vendored) fetch
`/console/cockpit/data.json` with the filters (branch, manager, product) and refresh it every
REFRESH_SECONDS. The figures come from `puhui.reporting.cockpit` (SQL aggregates; their
definitions are in its docstring). Amounts are integer fen in the JSON; the page divides by 100
only to draw. Customer managers see their own applications only.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from puhui.core.auth import Principal, require_page
from puhui.core.models import Role
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute
from puhui.reporting import cockpit as cockpit_report
from puhui.web import labels
from puhui.web.pages import render

router = APIRouter(prefix="/console", route_class=UnitOfWorkRoute, include_in_schema=False)

READERS = (Role.RISK_OFFICER, Role.ADMIN, Role.CUSTOMER_MANAGER)
REFRESH_SECONDS = 15


def _scope(
    principal: Principal, branch: str | None, manager: str | None, product: str | None
) -> cockpit_report.Scope:
    manager_id: uuid.UUID | None = None
    if principal.role == Role.CUSTOMER_MANAGER:
        manager_id = principal.user_id
    elif manager:
        try:
            manager_id = uuid.UUID(manager)
        except ValueError:
            manager_id = None
    return cockpit_report.Scope(
        branch=branch or None, manager_id=manager_id, product=product or None
    )


@router.get("/cockpit", response_class=HTMLResponse)
def cockpit(
    request: Request,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(*READERS))],
    branch: str | None = None,
    manager: str | None = None,
    product: str | None = None,
) -> Response:
    choices = cockpit_report.options(db)
    return render(
        request,
        "cockpit.html",
        principal,
        managers=choices.managers,
        branches=choices.branches,
        products=choices.products,
        chosen={"branch": branch or "", "manager": manager or "", "product": product or ""},
        refresh_s=REFRESH_SECONDS,
    )


@router.get("/cockpit/data.json")
def cockpit_json(
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*READERS))],
    branch: str | None = None,
    manager: str | None = None,
    product: str | None = None,
) -> Response:
    scope = _scope(principal, branch, manager, product)
    data = cockpit_report.cockpit_data(db, rt.clock, scope)
    data["top_decline_reasons"] = [
        {**r, **_reason_words(str(r.get("code", "")))} for r in data["top_decline_reasons"]
    ]
    return JSONResponse(data, headers={"Cache-Control": "no-store"})


def _reason_words(code: str) -> dict[str, str]:
    """A scorecard reason counted over many applicants, in words: the feature it is about
    (each applicant's own value and threshold are on the review and enterprise pages)."""
    if not code.startswith("SCORE_"):
        return {}
    feature = code.removeprefix("SCORE_").lower()
    zh, en = labels.label("feature", feature, "zh"), labels.label("feature", feature, "en")
    if zh == feature:
        return {}
    return {"zh": f"评分因素：{zh}", "en": f"Score factor: {en}"}
