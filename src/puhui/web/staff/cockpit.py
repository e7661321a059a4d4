"""The cockpit (驾驶舱): applications per day, approval rate, decision time p50/p99, balances,
overdue and the five-category mix, vintage curves, top decline reasons.

`/console/cockpit` renders the frame; the charts (ECharts, vendored) fetch
`/console/cockpit/data.json` with the filters (branch, manager, product) and refresh it every
REFRESH_SECONDS. Amounts are integer fen in the JSON; the page divides by 100 only to draw.
Customer managers see their own applications only.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from puhui.core.auth import Principal, require_page
from puhui.core.clock import Clock, business_date
from puhui.core.models import Role, User
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute
from puhui.decisioning.models import Application, Decision
from puhui.lending.models import CreditLine, Loan, Repayment
from puhui.web.pages import render

router = APIRouter(prefix="/console", route_class=UnitOfWorkRoute, include_in_schema=False)

READERS = (Role.RISK_OFFICER, Role.ADMIN, Role.CUSTOMER_MANAGER)
REFRESH_SECONDS = 15
DAYS = 30
CLASSES = ("normal", "special_mention", "substandard", "doubtful", "loss")
CLASS_ZH = {
    "normal": "正常",
    "special_mention": "关注",
    "substandard": "次级",
    "doubtful": "可疑",
    "loss": "损失",
}


def _percentile(values: list[int], q: int) -> int | None:
    """Nearest-rank percentile of integers (q in 1..100)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-q * len(ordered) // 100))  # ceil(q/100 × n)
    return ordered[rank - 1]


def _shanghai_day(at: Any) -> date:
    from puhui.core.clock import FixedClock

    return business_date(FixedClock(at))


def cockpit_data(
    session: Session,
    clock: Clock,
    *,
    branch: str | None = None,
    manager_id: uuid.UUID | None = None,
    product: str | None = None,
) -> dict[str, Any]:
    query = select(Application)
    if product:
        query = query.where(Application.product_code == product)
    if manager_id:
        query = query.where(Application.manager_user_id == manager_id)
    if branch:
        managers = select(User.id).where(User.branch == branch)
        query = query.where(Application.manager_user_id.in_(managers))
    apps = list(session.scalars(query))
    app_ids = {a.id for a in apps}
    decisions = [
        d
        for d in session.scalars(select(Decision).order_by(Decision.decided_at))
        if d.application_id in app_ids
    ]
    today = business_date(clock)
    days = [today - timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
    per_day: Counter[date] = Counter(_shanghai_day(a.created_at) for a in apps)
    approved_day: Counter[date] = Counter(
        _shanghai_day(a.created_at) for a in apps if a.status == "approved"
    )
    decided = [a for a in apps if a.status in ("approved", "declined")]
    approved = sum(1 for a in decided if a.status == "approved")
    latencies = [d.latency_ms for d in decisions if d.kind == "automated"]
    reasons: Counter[str] = Counter()
    labels: dict[str, tuple[str, str]] = {}
    for d in decisions:
        if d.outcome != "decline":
            continue
        for r in d.reasons:
            code = str(r.get("code"))
            reasons[code] += 1
            labels[code] = (str(r.get("zh", code)), str(r.get("en", code)))
    line_ids = {d.credit_line_id for d in decisions if d.credit_line_id is not None} | {
        a.credit_line_id for a in apps if a.credit_line_id is not None
    }
    loans = [
        loan
        for loan in session.scalars(select(Loan).join(CreditLine, CreditLine.id == Loan.line_id))
        if loan.line_id in line_ids
    ]
    mix = {c: {"count": 0, "balance_fen": 0} for c in CLASSES}
    for loan in loans:
        bucket = mix.setdefault(loan.classification, {"count": 0, "balance_fen": 0})
        bucket["count"] += 1
        bucket["balance_fen"] += loan.principal_outstanding_fen
    # Vintage: share of principal repaid by week on book, per origination week.
    repaid: dict[uuid.UUID, list[tuple[date, int]]] = defaultdict(list)
    loan_ids = {loan.id for loan in loans}
    for rep in session.scalars(select(Repayment)):
        if rep.loan_id in loan_ids:
            principal_fen = (
                rep.current_principal_fen + rep.overdue_principal_fen + rep.prepaid_principal_fen
            )
            repaid[rep.loan_id].append((rep.business_date, principal_fen))
    cohorts: dict[date, list[Loan]] = defaultdict(list)
    for loan in loans:
        cohorts[loan.start_date - timedelta(days=loan.start_date.weekday())].append(loan)
    vintages = []
    for week in sorted(cohorts):
        members = cohorts[week]
        total = sum(loan.principal_fen for loan in members)
        weeks_on_book = max(0, (today - week).days // 7)
        points = []
        for k in range(weeks_on_book + 1):
            cutoff = week + timedelta(days=7 * (k + 1))
            paid = sum(amount for loan in members for at, amount in repaid[loan.id] if at < cutoff)
            points.append(paid * 10_000 // total if total else 0)  # basis points
        vintages.append({"cohort": week.isoformat(), "repaid_bp": points})
    return {
        "as_of": today.isoformat(),
        "filters": {
            "branch": branch,
            "manager_id": str(manager_id) if manager_id else None,
            "product": product,
        },
        "days": [d.isoformat() for d in days],
        "applications_per_day": [per_day.get(d, 0) for d in days],
        "approved_per_day": [approved_day.get(d, 0) for d in days],
        "applications": len(apps),
        "decided": len(decided),
        "approval_rate_bp": approved * 10_000 // len(decided) if decided else 0,
        "decision_ms_p50": _percentile(latencies, 50),
        "decision_ms_p99": _percentile(latencies, 99),
        "loans": len(loans),
        "balance_fen": sum(loan.principal_outstanding_fen for loan in loans),
        "overdue_fen": sum(
            loan.overdue_principal_fen + loan.overdue_interest_fen for loan in loans
        ),
        "five_category": [{"class": c, "zh": CLASS_ZH.get(c, c), **mix[c]} for c in mix],
        "vintages": vintages,
        "top_decline_reasons": [
            {"code": code, "zh": labels[code][0], "en": labels[code][1], "count": n}
            for code, n in reasons.most_common(8)
        ],
    }


def _filters(
    principal: Principal, branch: str | None, manager: str | None, product: str | None
) -> dict[str, Any]:
    manager_id: uuid.UUID | None = None
    if principal.role == Role.CUSTOMER_MANAGER:
        manager_id = principal.user_id
    elif manager:
        try:
            manager_id = uuid.UUID(manager)
        except ValueError:
            manager_id = None
    return {"branch": branch or None, "manager_id": manager_id, "product": product or None}


@router.get("/cockpit", response_class=HTMLResponse)
def cockpit(
    request: Request,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(*READERS))],
    branch: str | None = None,
    manager: str | None = None,
    product: str | None = None,
) -> Response:
    managers = list(
        db.scalars(
            select(User).where(User.role == Role.CUSTOMER_MANAGER.value).order_by(User.username)
        )
    )
    branches = sorted({u.branch for u in managers if u.branch})
    products = sorted(set(db.scalars(select(Application.product_code).distinct())))
    return render(
        request,
        "cockpit.html",
        principal,
        managers=managers,
        branches=branches,
        products=products,
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
    data = cockpit_data(db, rt.clock, **_filters(principal, branch, manager, product))
    return JSONResponse(data, headers={"Cache-Control": "no-store"})
