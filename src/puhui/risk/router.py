"""HTTP endpoints of the risk domain: alerts and their lifecycle, actions with maker-checker,
the watch list, the warning rules' versions (submit, approve, reject, replay). Staff only."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from puhui.core.auth import ALL_STAFF, Principal, require
from puhui.core.models import Role
from puhui.core.web import DB, ClockDep, UnitOfWorkRoute
from puhui.risk import service
from puhui.risk.schemas import (
    ActionDecision,
    ActionOut,
    ActionProposal,
    AlertAssign,
    AlertNote,
    AlertOut,
    AlertResolve,
    Level,
    ReplayRowOut,
    RulesDecision,
    RulesSubmit,
    RulesVersionOut,
)

router = APIRouter(prefix="/api/v1/risk", route_class=UnitOfWorkRoute, tags=["risk"])

WORKERS = (Role.CUSTOMER_MANAGER, Role.RISK_OFFICER, Role.ADMIN)  # work alerts, propose
CHECKERS = (Role.RISK_OFFICER, Role.ADMIN)  # approve actions (the second person)
RULES_EDITORS = (Role.RISK_OFFICER,)


@router.get("/alerts", response_model=list[AlertOut])
def list_alerts(
    db: DB,
    _: Annotated[Principal, Depends(require(*ALL_STAFF))],
    level: Annotated[Level | None, Query()] = None,
    open_only: Annotated[bool, Query()] = True,
) -> list[AlertOut]:
    """Alerts, most urgent first (level, then SLA)."""
    rows = service.list_alerts(db, open_only=open_only, level=level)
    return [AlertOut.model_validate(a) for a in rows]


@router.get("/alerts/{alert_id}", response_model=AlertOut)
def get_alert(
    alert_id: uuid.UUID, db: DB, _: Annotated[Principal, Depends(require(*ALL_STAFF))]
) -> AlertOut:
    return AlertOut.model_validate(service.get_alert(db, alert_id))


@router.post("/alerts/{alert_id}/assign", response_model=AlertOut)
def assign_alert(
    alert_id: uuid.UUID,
    body: AlertAssign,
    db: DB,
    clock: ClockDep,
    _: Annotated[Principal, Depends(require(*WORKERS))],
) -> AlertOut:
    return AlertOut.model_validate(service.assign(db, clock, alert_id, body.user_id, body.note))


@router.post("/alerts/{alert_id}/investigate", response_model=AlertOut)
def investigate_alert(
    alert_id: uuid.UUID,
    body: AlertNote,
    db: DB,
    clock: ClockDep,
    _: Annotated[Principal, Depends(require(*WORKERS))],
) -> AlertOut:
    return AlertOut.model_validate(service.investigate(db, clock, alert_id, body.note))


@router.post("/alerts/{alert_id}/escalate", response_model=AlertOut)
def escalate_alert(
    alert_id: uuid.UUID,
    body: AlertNote,
    db: DB,
    clock: ClockDep,
    _: Annotated[Principal, Depends(require(*WORKERS))],
) -> AlertOut:
    return AlertOut.model_validate(service.escalate(db, clock, alert_id, body.note))


@router.post("/alerts/{alert_id}/resolve", response_model=AlertOut)
def resolve_alert(
    alert_id: uuid.UUID,
    body: AlertResolve,
    db: DB,
    clock: ClockDep,
    _: Annotated[Principal, Depends(require(*WORKERS))],
) -> AlertOut:
    """Close the alert with its disposition and a note (both mandatory)."""
    alert = service.resolve(db, clock, alert_id, body.disposition, body.note)
    return AlertOut.model_validate(alert)


@router.post("/actions", response_model=ActionOut, status_code=201)
def propose_action(
    body: ActionProposal,
    db: DB,
    clock: ClockDep,
    principal: Annotated[Principal, Depends(require(*WORKERS))],
) -> ActionOut:
    """Propose an action; a second person approves it before anything changes."""
    action = service.propose(
        db, clock, principal, enterprise_id=body.enterprise_id, kind=body.kind,
        reason=body.reason, line_id=body.line_id, alert_id=body.alert_id, params=body.params(),
    )  # fmt: skip
    return ActionOut.model_validate(action)


@router.get("/actions", response_model=list[ActionOut])
def pending_actions(
    db: DB, _: Annotated[Principal, Depends(require(*ALL_STAFF))]
) -> list[ActionOut]:
    return [ActionOut.model_validate(a) for a in service.pending_actions(db)]


@router.post("/actions/{action_id}/approve", response_model=ActionOut)
def approve_action(
    action_id: uuid.UUID,
    body: ActionDecision,
    db: DB,
    clock: ClockDep,
    principal: Annotated[Principal, Depends(require(*CHECKERS))],
) -> ActionOut:
    """The second person (not the proposer) approves: the action is executed now."""
    return ActionOut.model_validate(service.approve(db, clock, principal, action_id, body.note))


@router.post("/actions/{action_id}/reject", response_model=ActionOut)
def reject_action(
    action_id: uuid.UUID,
    body: ActionDecision,
    db: DB,
    clock: ClockDep,
    principal: Annotated[Principal, Depends(require(*CHECKERS))],
) -> ActionOut:
    return ActionOut.model_validate(service.reject(db, clock, principal, action_id, body.note))


def _rules_out(row: object) -> RulesVersionOut:
    return RulesVersionOut.model_validate(row)


@router.get("/rules", response_model=list[RulesVersionOut])
def list_rules(
    db: DB, clock: ClockDep, _: Annotated[Principal, Depends(require(*ALL_STAFF))]
) -> list[RulesVersionOut]:
    service.active_rules(db, clock)
    return [_rules_out(r) for r in service.list_rules(db)]


@router.post("/rules", response_model=RulesVersionOut, status_code=201)
def submit_rules(
    body: RulesSubmit,
    db: DB,
    clock: ClockDep,
    principal: Annotated[Principal, Depends(require(*RULES_EDITORS))],
) -> RulesVersionOut:
    """A new version of the warning rules, diffed, pending a second risk officer."""
    return _rules_out(service.submit_rules(db, clock, principal, body.document, body.note))


@router.post("/rules/{version_id}/approve", response_model=RulesVersionOut)
def approve_rules(
    version_id: uuid.UUID,
    body: RulesDecision,
    db: DB,
    clock: ClockDep,
    principal: Annotated[Principal, Depends(require(*RULES_EDITORS))],
) -> RulesVersionOut:
    return _rules_out(service.approve_rules(db, clock, principal, version_id, body.note))


@router.post("/rules/{version_id}/reject", response_model=RulesVersionOut)
def reject_rules(
    version_id: uuid.UUID,
    body: RulesDecision,
    db: DB,
    clock: ClockDep,
    principal: Annotated[Principal, Depends(require(*RULES_EDITORS))],
) -> RulesVersionOut:
    return _rules_out(service.reject_rules(db, clock, principal, version_id, body.note))


@router.post("/rules/{version_id}/replay", response_model=list[ReplayRowOut])
def replay_rules(
    version_id: uuid.UUID,
    db: DB,
    _: Annotated[Principal, Depends(require(*RULES_EDITORS))],
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[ReplayRowOut]:
    """The stored observations' levels then and under this version."""
    return [
        ReplayRowOut(observation_id=r.observation_id, enterprise_id=r.enterprise_id,
                     business_date=r.business_date, level_then=r.level_then,
                     level_now=r.level_now, codes_now=r.codes_now, changed=r.changed)
        for r in service.replay(db, version_id, limit=limit)
    ]  # fmt: skip
