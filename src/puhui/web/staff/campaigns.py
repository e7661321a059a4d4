"""The console's campaigns (营销活动) and the workbench (工作台), issue 18 items 3 and 4.

* ``/console/campaigns``: the list and the draft form (audience × channel × schedule);
  ``/console/campaigns/{id}``: the campaign, its touches by outcome, the conversion funnel
  (ECharts, as the cockpit draws), approve (anyone but the author: maker-checker), cancel, send
  (a recorded job, after the request commits).
* ``/console/workbench``: the manager's tasks (today's first, by value), one click to the
  enterprise, the call-outcome form; ``?team=remote``: the remote service team's queue of
  customers who started but did not finish an application or a drawdown.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from puhui.core.auth import Principal, require_page
from puhui.core.clock import SHANGHAI, business_date
from puhui.core.errors import DomainError
from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute
from puhui.engagement import campaigns as campaign_service
from puhui.engagement import workbench as workbench_service
from puhui.engagement.campaign_rules import (
    AudienceKind,
    CallOutcome,
    CallTeam,
    CampaignChannel,
    CampaignStatus,
)
from puhui.engagement.errors import CampaignInvalid
from puhui.engagement.segments import Segment
from puhui.reporting import engagement as report
from puhui.web.pages import check_csrf, refuse, render

router = APIRouter(prefix="/console", route_class=UnitOfWorkRoute, include_in_schema=False)
MAKERS = (Role.CUSTOMER_MANAGER, Role.RISK_OFFICER, Role.ADMIN)
CHECKERS = (Role.RISK_OFFICER, Role.ADMIN)  # marketing compliance
READERS = (*MAKERS, Role.SERVICE_REP)
CALLERS = (Role.CUSTOMER_MANAGER, Role.SERVICE_REP, Role.ADMIN)
HOME = "/console/campaigns"


@router.get("/campaigns", response_class=HTMLResponse)
def campaigns_page(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*READERS))],
) -> Response:
    now = rt.clock.now().astimezone(SHANGHAI)
    return render(
        request,
        "campaigns.html",
        principal,
        campaigns=campaign_service.list_campaigns(db),
        segments=list(Segment),
        runs=report.recent_runs(db),
        channels=list(CampaignChannel),
        kinds=list(AudienceKind),
        teams=list(CallTeam),
        default_at=now.strftime("%Y-%m-%dT%H:%M"),
        can_draft=principal.role in MAKERS,
    )


def _audience(
    kind: str, segment: str, run_id: str, size_class: str, min_limit: str
) -> dict[str, Any]:
    if kind == AudienceKind.SEGMENT:
        return {"segment": segment}
    if kind == AudienceKind.PRESCREEN:
        return {"run_id": run_id}
    out: dict[str, str] = {"size_class": size_class, "segment": segment}
    if min_limit.strip():
        try:
            out["min_active_limit_fen"] = str(int(Decimal(min_limit.strip()) * 100))
        except InvalidOperation as exc:
            raise CampaignInvalid(field="min_limit_yuan", reason=min_limit[:20]) from exc
    return out


def _scheduled(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)
    except ValueError as exc:
        raise CampaignInvalid(field="scheduled_at", reason=text[:20] or "—") from exc


@router.post("/campaigns", dependencies=[Depends(check_csrf)])
def campaign_create(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*MAKERS))],
    name: Annotated[str, Form()],
    audience_kind: Annotated[str, Form()],
    channel: Annotated[str, Form()],
    template: Annotated[str, Form()],
    scheduled_at: Annotated[str, Form()],
    segment: Annotated[str, Form()] = "",
    run_id: Annotated[str, Form()] = "",
    size_class: Annotated[str, Form()] = "",
    min_limit_yuan: Annotated[str, Form()] = "",
    call_team: Annotated[str, Form()] = "",
    call_script: Annotated[str, Form()] = "",
) -> Response:
    try:
        try:
            draft = campaign_service.CampaignDraft(
                name=name,
                audience_kind=AudienceKind(audience_kind),
                audience=_audience(audience_kind, segment, run_id, size_class, min_limit_yuan),
                channel=CampaignChannel(channel),
                template=template,
                scheduled_at=_scheduled(scheduled_at),
                call_script=call_script,
                call_team=CallTeam(call_team) if call_team else None,
            )
        except ValueError as exc:
            raise CampaignInvalid(field="audience_kind", reason="—") from exc
        campaign = campaign_service.create_draft(db, rt.clock, principal.user_id, draft)
    except DomainError as exc:
        raise refuse(request, exc, HOME) from exc
    return RedirectResponse(f"{HOME}/{campaign.id}", status_code=303)


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def campaign_page(
    request: Request,
    campaign_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*READERS))],
) -> Response:
    campaign = campaign_service.get_campaign(db, campaign_id)
    funnel = campaign_service.funnel(db, campaign_id)
    return render(
        request,
        "campaign.html",
        principal,
        c=campaign,
        funnel=funnel,
        due=campaign.scheduled_at <= rt.clock.now(),
        can_approve=principal.role in CHECKERS
        and campaign.status == CampaignStatus.DRAFT
        and campaign.created_by_id != principal.user_id,
        can_send=principal.role in MAKERS and campaign.status == CampaignStatus.APPROVED,
        can_cancel=principal.role in MAKERS
        and campaign.status in (CampaignStatus.DRAFT, CampaignStatus.APPROVED),
    )


@router.post("/campaigns/{campaign_id}/approve", dependencies=[Depends(check_csrf)])
def campaign_approve(
    request: Request,
    campaign_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*CHECKERS))],
) -> Response:
    back = f"{HOME}/{campaign_id}"
    try:
        campaign_service.approve(db, rt.clock, campaign_id, principal.user_id)
    except DomainError as exc:
        raise refuse(request, exc, back) from exc
    return RedirectResponse(back, status_code=303)


@router.post("/campaigns/{campaign_id}/cancel", dependencies=[Depends(check_csrf)])
def campaign_cancel(
    request: Request,
    campaign_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*MAKERS))],
) -> Response:
    back = f"{HOME}/{campaign_id}"
    try:
        campaign_service.cancel(db, rt.clock, campaign_id)
    except DomainError as exc:
        raise refuse(request, exc, back) from exc
    return RedirectResponse(back, status_code=303)


def _send(rt: Runtime, campaign_id: uuid.UUID) -> None:
    """After the request: the campaign's recorded send job, in its own units of work."""
    campaign_service.run_send(
        rt.session_factory, rt.clock, rt.cipher, campaign_id, rt.settings.campaign_cap_per_30_days
    )


@router.post("/campaigns/{campaign_id}/send", dependencies=[Depends(check_csrf)])
def campaign_send(
    request: Request,
    campaign_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    background: BackgroundTasks,
    principal: Annotated[Principal, Depends(require_page(*MAKERS))],
) -> Response:
    back = f"{HOME}/{campaign_id}"
    try:
        campaign_service.check_sendable(db, rt.clock, campaign_id)
    except DomainError as exc:
        raise refuse(request, exc, back) from exc
    background.add_task(_send, rt, campaign_id)
    return RedirectResponse(back, status_code=303)


# --------------------------------------------------------------------------- workbench


@router.get("/workbench", response_class=HTMLResponse)
def workbench_page(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*CALLERS))],
    team: str = "",
    scope: str = "",
) -> Response:
    default = CallTeam.REMOTE if principal.role == Role.SERVICE_REP else CallTeam.MANAGER
    chosen = CallTeam(team) if team in {t.value for t in CallTeam} else default
    today = business_date(rt.clock)
    # a customer manager sees their own clients' tasks (and the unassigned) unless asking for all
    scoped = chosen == CallTeam.MANAGER and principal.role == Role.CUSTOMER_MANAGER
    mine = scoped and scope != "all"
    return render(
        request,
        "workbench.html",
        principal,
        team=chosen,
        teams=list(CallTeam),
        scoped=scoped,
        mine=mine,
        rows=workbench_service.open_tasks(
            db, chosen, today, manager_id=principal.user_id if mine else None
        ),
        outcomes=[o for o in CallOutcome if o != CallOutcome.RESOLVED],
        tomorrow=today + timedelta(days=1),
    )


@router.post("/workbench/{task_id}/outcome", dependencies=[Depends(check_csrf)])
def workbench_outcome(
    request: Request,
    task_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*CALLERS))],
    outcome: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
    team: Annotated[str, Form()] = "",
) -> Response:
    back = "/console/workbench" + (f"?team={team}" if team in {t.value for t in CallTeam} else "")
    try:
        workbench_service.record_outcome(db, rt.clock, principal.user_id, task_id, outcome, note)
    except DomainError as exc:
        raise refuse(request, exc, back) from exc
    return RedirectResponse(back, status_code=303)
