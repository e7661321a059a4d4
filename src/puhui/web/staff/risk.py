"""The risk workbench (风险工作台) under /console/risk: open alerts by level with their SLA,
actions awaiting a second person, the watch list, the enterprises left unmonitored (no
post-loan consent); an alert's page with the data behind each signal, its history and the
forms to work it (assign to me, investigate, escalate, resolve with a disposition, propose an
action); an enterprise's risk timeline (observations, alerts, actions, its lines). The same
risk services as /api/v1/risk; refused forms come back the Post/Redirect/Get way."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from puhui.core.auth import Principal, require_page
from puhui.core.errors import DomainError, InvalidInput
from puhui.core.models import Role
from puhui.core.money import yuan_to_fen
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute
from puhui.lending import service as lending_service
from puhui.parties import service as parties_service
from puhui.risk import service as risk_service
from puhui.risk.schemas import ActionKind, Disposition, MonitorStatus
from puhui.web.pages import check_csrf, refuse, render

router = APIRouter(prefix="/console/risk", route_class=UnitOfWorkRoute, include_in_schema=False)

READERS = (Role.CUSTOMER_MANAGER, Role.RISK_OFFICER, Role.ADMIN, Role.AUDITOR)
WORKERS = (Role.CUSTOMER_MANAGER, Role.RISK_OFFICER, Role.ADMIN)
CHECKERS = (Role.RISK_OFFICER, Role.ADMIN)


def _names(db: DB, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    return {i: parties_service.get_enterprise(db, i).name for i in ids}


def _sla_minutes(alert: Any, now: Any) -> int:
    return int(risk_service.sla_left(alert, now).total_seconds() // 60)


@router.get("", response_class=HTMLResponse)
def workbench(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*READERS))],
) -> Response:
    alerts = risk_service.list_alerts(db)
    pending = risk_service.pending_actions(db)
    watched = risk_service.watch_list(db)
    unmonitored = risk_service.monitored(db, MonitorStatus.UNMONITORED)
    ids = {a.enterprise_id for a in alerts} | {a.enterprise_id for a in pending}
    ids |= {w.enterprise_id for w in watched} | {m.enterprise_id for m in unmonitored}
    now = rt.clock.now()
    return render(
        request,
        "risk.html",
        principal,
        alerts=alerts,
        sla={a.id: _sla_minutes(a, now) for a in alerts},
        by_level={
            lvl: sum(1 for a in alerts if a.level == lvl) for lvl in ("red", "orange", "yellow")
        },
        pending=pending,
        watched=watched,
        unmonitored=unmonitored,
        names=_names(db, ids),
    )


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
def alert_page(
    request: Request,
    alert_id: uuid.UUID,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*READERS))],
) -> Response:
    alert = risk_service.get_alert(db, alert_id)
    enterprise = parties_service.get_enterprise(db, alert.enterprise_id)
    return render(
        request,
        "risk_alert.html",
        principal,
        alert=alert,
        enterprise=enterprise,
        sla_minutes=_sla_minutes(alert, rt.clock.now()),
        history=risk_service.alert_history(db, alert_id),
        hits=(alert.evidence or {}).get("hits", []),
        lines=lending_service.live_lines_of(db, alert.enterprise_id),
        actions=risk_service.actions_of(db, alert.enterprise_id),
        kinds=[k for k in ActionKind if k is not ActionKind.MARGIN_CALL],  # automatic only
        dispositions=list(Disposition),
        watched=risk_service.watch_entry(db, alert.enterprise_id) is not None,
    )


@router.post("/alerts/{alert_id}/{step}", dependencies=[Depends(check_csrf)])
def work_alert(
    request: Request,
    alert_id: uuid.UUID,
    step: str,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*WORKERS))],
    note: Annotated[str, Form(max_length=1000)] = "",
    disposition: Annotated[str, Form(max_length=24)] = "",
) -> Response:
    """assign (to me), investigate, escalate, resolve."""
    back = f"/console/risk/alerts/{alert_id}"
    try:
        if step == "assign":
            risk_service.assign(db, rt.clock, alert_id, principal.user_id, note)
        elif step == "investigate":
            risk_service.investigate(db, rt.clock, alert_id, note)
        elif step == "escalate":
            risk_service.escalate(db, rt.clock, alert_id, note)
        elif step == "resolve":
            risk_service.resolve(db, rt.clock, alert_id, disposition or None, note)
        else:
            raise InvalidInput(field="step")
    except DomainError as exc:
        raise refuse(request, exc, back, typed={"note": note}) from exc
    return RedirectResponse(back, status_code=303)


def _params(kind: ActionKind, new_limit_yuan: str, due_date: str) -> dict[str, Any]:
    if kind is ActionKind.LIMIT_CUT:
        return {"new_limit_fen": yuan_to_fen(new_limit_yuan, field="new_limit_yuan",
                                             positive=True)}  # fmt: skip
    if kind is ActionKind.EARLY_REPAYMENT:
        try:
            return {"due_date": date.fromisoformat(due_date.strip()).isoformat()}
        except ValueError as exc:
            raise InvalidInput(field="due_date") from exc
    return {}


@router.post("/actions", dependencies=[Depends(check_csrf)])
def propose_action(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*WORKERS))],
    enterprise_id: Annotated[uuid.UUID, Form()],
    kind: Annotated[str, Form(max_length=24)],
    reason: Annotated[str, Form(max_length=500)] = "",
    alert_id: Annotated[str, Form(max_length=40)] = "",
    line_id: Annotated[str, Form(max_length=40)] = "",
    new_limit_yuan: Annotated[str, Form(max_length=32)] = "",
    due_date: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Propose an action (maker); a second person approves it on the workbench."""
    back = f"/console/risk/alerts/{alert_id}" if alert_id else "/console/risk"
    try:
        try:
            action_kind = ActionKind(kind)
            line = uuid.UUID(line_id) if line_id else None
            alert = uuid.UUID(alert_id) if alert_id else None
        except ValueError as exc:
            raise InvalidInput(field="kind") from exc
        risk_service.propose(
            db, rt.clock, principal, enterprise_id=enterprise_id, kind=action_kind,
            reason=reason, line_id=line, alert_id=alert,
            params=_params(action_kind, new_limit_yuan, due_date),
        )  # fmt: skip
    except DomainError as exc:
        typed = {"reason": reason, "new_limit_yuan": new_limit_yuan, "due_date": due_date}
        raise refuse(request, exc, back, typed=typed) from exc
    return RedirectResponse(back, status_code=303)


@router.post("/actions/{action_id}/{decision}", dependencies=[Depends(check_csrf)])
def decide_action(
    request: Request,
    action_id: uuid.UUID,
    decision: str,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*CHECKERS))],
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Approve (executed now) or reject, as the second person."""
    try:
        if decision == "approve":
            risk_service.approve(db, rt.clock, principal, action_id, note)
        elif decision == "reject":
            risk_service.reject(db, rt.clock, principal, action_id, note)
        else:
            raise InvalidInput(field="decision")
    except DomainError as exc:
        raise refuse(request, exc, "/console/risk") from exc
    return RedirectResponse("/console/risk#pending", status_code=303)


@router.get("/enterprises/{enterprise_id}", response_class=HTMLResponse)
def timeline(
    request: Request,
    enterprise_id: uuid.UUID,
    db: DB,
    principal: Annotated[Principal, Depends(require_page(*READERS))],
) -> Response:
    """The enterprise's risk timeline, newest first, with the data behind each signal."""
    enterprise = parties_service.get_enterprise(db, enterprise_id)
    lines = lending_service.live_lines_of(db, enterprise_id)
    return render(
        request,
        "risk_enterprise.html",
        principal,
        enterprise=enterprise,
        observations=risk_service.observations_of(db, enterprise_id),
        alerts=risk_service.list_alerts(db, open_only=False, enterprise_id=enterprise_id),
        actions=risk_service.actions_of(db, enterprise_id),
        lines=lines,
        line_events={line.id: lending_service.line_history(db, line.id) for line in lines},
        watched=risk_service.watch_entry(db, enterprise_id),
    )


# ------------------------------------------------------------------------------ rules


RULES_EDITORS = (Role.RISK_OFFICER,)


@router.get("/rules", response_class=HTMLResponse)
def rules_page(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*READERS))],
) -> Response:
    """The warning rules' versions: status, what changed (the diff), and for a version
    pending approval what it would change on the stored observations (replay)."""
    active = risk_service.active_rules(db, rt.clock)
    rows = risk_service.list_rules(db)
    replays = {
        r.id: [x for x in risk_service.replay(db, r.id, limit=500) if x.changed]
        for r in rows
        if r.status == "pending_approval"
    }
    return render(request, "risk_rules.html", principal, rows=rows, active=active,
                  replays=replays)  # fmt: skip


@router.post("/rules", dependencies=[Depends(check_csrf)])
def submit_rules(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*RULES_EDITORS))],
    document: Annotated[str, Form(max_length=200_000)],
    note: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """A new version from the JSON document (a second risk officer approves it)."""
    import json

    try:
        try:
            parsed = json.loads(document)
        except ValueError as exc:
            raise InvalidInput(field="document") from exc
        if not isinstance(parsed, dict):
            raise InvalidInput(field="document")
        risk_service.submit_rules(db, rt.clock, principal, parsed, note)
    except DomainError as exc:
        raise refuse(request, exc, "/console/risk/rules", typed={"note": note}) from exc
    return RedirectResponse("/console/risk/rules", status_code=303)


@router.post("/rules/{version_id}/{decision}", dependencies=[Depends(check_csrf)])
def decide_rules(
    request: Request,
    version_id: uuid.UUID,
    decision: str,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*RULES_EDITORS))],
    note: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    try:
        if decision == "approve":
            risk_service.approve_rules(db, rt.clock, principal, version_id, note)
        elif decision == "reject":
            risk_service.reject_rules(db, rt.clock, principal, version_id, note)
        else:
            raise InvalidInput(field="decision")
    except DomainError as exc:
        raise refuse(request, exc, "/console/risk/rules") from exc
    return RedirectResponse("/console/risk/rules", status_code=303)
