"""Risk actions (处置措施) with maker-checker: watch list, freeze / unfreeze a line, reduce its
limit, demand early repayment (提前收回).

A person proposes (`propose`: checked at once, nothing changes yet); a second person approves
(`approve`: executed then, in the same unit of work) or rejects. The proposer can never approve
their own action. The warning rules may act automatically (`act_automatically`: e.g. a red
warning freezes the enterprise's active lines): executed at once by the system, recorded the
same way, and undone only through a proposed and approved `unfreeze`.

The freeze, the limit and the repayment demand are lending's state: they are set through
`lending.service` (freeze, unfreeze, change_limit, demand_early_repayment), which keeps the
line's own history; risk keeps the action, who proposed and approved it, and why. Every step is
audited. Services never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.auth import Principal
from puhui.core.clock import Clock, business_date
from puhui.core.errors import InvalidInput
from puhui.core.ids import new_id, reference_from_id
from puhui.lending import service as lending_service
from puhui.lending.schemas import LineStatus
from puhui.risk.errors import (
    ActionNeedsLine,
    ActionNotApplicable,
    ActionNotFound,
    ActionNotPending,
    AlreadyWatched,
    NotWatched,
    SameOfficerAction,
)
from puhui.risk.models import Action, ActionKind, ActionStatus, WatchEntry

LINE_ACTIONS = frozenset(
    {ActionKind.FREEZE, ActionKind.UNFREEZE, ActionKind.LIMIT_CUT, ActionKind.EARLY_REPAYMENT}
)

_STATUS_ZH = {
    ActionStatus.PROPOSED: "待复核",
    ActionStatus.EXECUTED: "已执行",
    ActionStatus.REJECTED: "已驳回",
}


def get_action(session: Session, action_id: uuid.UUID) -> Action:
    action = session.get(Action, action_id)
    if action is None:
        raise ActionNotFound()
    return action


def _checked_params(
    session: Session,
    clock: Clock,
    enterprise_id: uuid.UUID,
    kind: ActionKind,
    line_id: uuid.UUID | None,
    params: Mapping[str, Any],
) -> dict[str, Any]:
    """The action's parameters, checked against the line as it is now."""
    if kind is ActionKind.MARGIN_CALL:
        short = params.get("shortfall_fen")
        if not isinstance(short, int) or isinstance(short, bool) or short <= 0:
            raise InvalidInput(field="shortfall_fen")
        return {"shortfall_fen": short, "collateral_ref": str(params.get("collateral_ref", ""))}
    if kind not in LINE_ACTIONS:
        watched = watch_entry(session, enterprise_id) is not None
        if kind is ActionKind.WATCH and watched:
            raise AlreadyWatched()
        if kind is ActionKind.UNWATCH and not watched:
            raise NotWatched()
        return {}
    if line_id is None:
        raise ActionNeedsLine(field="line_id")
    line = lending_service.get_line(session, line_id)
    if line.enterprise_id != enterprise_id:
        raise ActionNeedsLine(field="line_id")
    needed = {ActionKind.FREEZE: LineStatus.ACTIVE, ActionKind.UNFREEZE: LineStatus.FROZEN}
    if kind in needed and line.status != needed[kind].value:
        status = LineStatus(line.status)
        raise ActionNotApplicable(field="line_id", status=status.value, status_zh=status.zh)
    if kind is ActionKind.LIMIT_CUT:
        limit = params.get("new_limit_fen")
        if not isinstance(limit, int) or isinstance(limit, bool) or not 0 < limit < line.limit_fen:
            raise InvalidInput(field="new_limit_fen")
        return {"new_limit_fen": limit, "old_limit_fen": line.limit_fen}
    if kind is ActionKind.EARLY_REPAYMENT:
        due = params.get("due_date")
        try:
            due_date = date.fromisoformat(str(due))
        except ValueError as exc:
            raise InvalidInput(field="due_date") from exc
        if due_date < business_date(clock):
            raise InvalidInput(field="due_date")
        return {"due_date": due_date.isoformat()}
    return {}


def propose(
    session: Session,
    clock: Clock,
    principal: Principal | None,
    *,
    enterprise_id: uuid.UUID,
    kind: ActionKind | str,
    reason: str,
    line_id: uuid.UUID | None = None,
    alert_id: uuid.UUID | None = None,
    params: Mapping[str, Any] | None = None,
) -> Action:
    """A proposed action, waiting for a second person (`principal` None: the system)."""
    kind = ActionKind(kind)
    if not reason.strip():
        raise InvalidInput(field="reason")
    checked = _checked_params(session, clock, enterprise_id, kind, line_id, params or {})
    action_id = new_id()
    action = Action(
        id=action_id,
        reference=reference_from_id("RX", action_id, business_date(clock)),
        enterprise_id=enterprise_id,
        line_id=line_id if kind in LINE_ACTIONS else None,
        alert_id=alert_id,
        kind=kind.value,
        status=ActionStatus.PROPOSED.value,
        params=checked,
        reason=reason.strip(),
        automatic=principal is None,
        proposed_by_id=principal.user_id if principal else None,
        proposed_by_name=principal.username if principal else "system",
        proposed_at=clock.now(),
        decided_by_id=None,
        decided_by_name=None,
        decided_at=None,
        decision_note=None,
    )
    session.add(action)
    session.flush()
    audit.record(
        session,
        "risk.action.propose",
        "risk_action",
        action.id,
        after={"kind": kind.value, "enterprise_id": str(enterprise_id), "params": checked,
               "line_id": str(line_id) if line_id else None, "reason": action.reason},
    )  # fmt: skip
    return action


def _pending(session: Session, action_id: uuid.UUID) -> Action:
    action = get_action(session, action_id)
    status = ActionStatus(action.status)
    if status is not ActionStatus.PROPOSED:
        raise ActionNotPending(status=status.value, status_zh=_STATUS_ZH[status])
    return action


def approve(
    session: Session, clock: Clock, principal: Principal, action_id: uuid.UUID, note: str = ""
) -> Action:
    """The second person approves: the action is executed now."""
    action = _pending(session, action_id)
    if action.proposed_by_id == principal.user_id:
        raise SameOfficerAction()
    _decide(session, clock, action, ActionStatus.EXECUTED, principal.user_id, principal.username)
    action.decision_note = note
    _execute(session, clock, action)
    return action


def reject(
    session: Session, clock: Clock, principal: Principal, action_id: uuid.UUID, note: str
) -> Action:
    if not note.strip():
        raise InvalidInput(field="note")
    action = _pending(session, action_id)
    _decide(session, clock, action, ActionStatus.REJECTED, principal.user_id, principal.username)
    action.decision_note = note
    return action


def _decide(
    session: Session,
    clock: Clock,
    action: Action,
    to: ActionStatus,
    user_id: uuid.UUID | None,
    name: str,
) -> None:
    before = action.status
    action.status = to.value
    action.decided_by_id = user_id
    action.decided_by_name = name
    action.decided_at = clock.now()
    audit.record(
        session,
        f"risk.action.{to.value}",
        "risk_action",
        action.id,
        before={"status": before},
        after={"status": to.value, "kind": action.kind},
    )


def _execute(session: Session, clock: Clock, action: Action) -> None:
    kind = ActionKind(action.kind)
    why = f"{action.reason}（{action.reference}）"
    if kind is ActionKind.WATCH:
        _watch(session, clock, action)
    elif kind is ActionKind.UNWATCH:
        entry = watch_entry(session, action.enterprise_id)
        if entry is None:
            raise NotWatched()
        entry.open_key = None
        entry.removed_at = clock.now()
        entry.removed_reason = action.reason
    elif kind is ActionKind.MARGIN_CALL:
        pass  # a demand to the borrower (top up collateral or repay); the line is unchanged
    elif action.line_id is None:
        raise ActionNeedsLine(field="line_id")
    elif kind is ActionKind.FREEZE:
        lending_service.freeze(session, clock, action.line_id, why)
    elif kind is ActionKind.UNFREEZE:
        lending_service.unfreeze(session, clock, action.line_id, why)
    elif kind is ActionKind.LIMIT_CUT:
        limit = int(action.params["new_limit_fen"])
        lending_service.change_limit(session, clock, action.line_id, limit, why)
    elif kind is ActionKind.EARLY_REPAYMENT:
        due = date.fromisoformat(action.params["due_date"])
        lending_service.demand_early_repayment(session, clock, action.line_id, due, why)


def _watch(session: Session, clock: Clock, action: Action) -> None:
    if watch_entry(session, action.enterprise_id) is not None:
        raise AlreadyWatched()
    session.add(
        WatchEntry(
            enterprise_id=action.enterprise_id,
            open_key=str(action.enterprise_id),
            reason=action.reason,
            action_id=action.id,
            added_at=clock.now(),
            removed_at=None,
            removed_reason=None,
        )
    )
    session.flush()


def act_automatically(
    session: Session,
    clock: Clock,
    *,
    enterprise_id: uuid.UUID,
    kinds: frozenset[ActionKind],
    reason: str,
    alert_id: uuid.UUID | None = None,
) -> list[Action]:
    """What the rules order at a level, executed at once by the system: `freeze` freezes each
    active line of the enterprise, `watch` puts it on the watch list (if not yet)."""
    done: list[Action] = []
    if ActionKind.WATCH in kinds and watch_entry(session, enterprise_id) is None:
        done.append(_automatic(session, clock, enterprise_id, ActionKind.WATCH, reason, None))
    if ActionKind.FREEZE in kinds:
        for line in lending_service.live_lines_of(session, enterprise_id):
            if line.status == LineStatus.ACTIVE.value:
                done.append(
                    _automatic(session, clock, enterprise_id, ActionKind.FREEZE, reason, line.id)
                )
    for action in done:
        action.alert_id = alert_id
    return done


def call_margin(
    session: Session,
    clock: Clock,
    *,
    enterprise_id: uuid.UUID,
    shortfall_fen: int,
    collateral_ref: str,
    reason: str,
    alert_id: uuid.UUID | None = None,
) -> Action:
    """追加保证金: collateral worth less than the cover (the IoT watch's signal) demands a top-up
    of `shortfall_fen`, recorded and executed at once by the system."""
    params = {"shortfall_fen": shortfall_fen, "collateral_ref": collateral_ref}
    action = _automatic(session, clock, enterprise_id, ActionKind.MARGIN_CALL, reason, None, params)
    action.alert_id = alert_id
    return action


def _automatic(
    session: Session,
    clock: Clock,
    enterprise_id: uuid.UUID,
    kind: ActionKind,
    reason: str,
    line_id: uuid.UUID | None,
    params: Mapping[str, Any] | None = None,
) -> Action:
    action = propose(
        session, clock, None, enterprise_id=enterprise_id, kind=kind, reason=reason,
        line_id=line_id, params=params,
    )  # fmt: skip
    _decide(session, clock, action, ActionStatus.EXECUTED, None, "system")
    action.decision_note = "预警规则自动执行"
    _execute(session, clock, action)
    return action


def watch_entry(session: Session, enterprise_id: uuid.UUID) -> WatchEntry | None:
    return session.scalar(select(WatchEntry).where(WatchEntry.open_key == str(enterprise_id)))


def watch_list(session: Session) -> list[WatchEntry]:
    return list(
        session.scalars(
            select(WatchEntry).where(WatchEntry.open_key.is_not(None)).order_by(WatchEntry.added_at)
        )
    )


def actions_of(session: Session, enterprise_id: uuid.UUID) -> list[Action]:
    return list(
        session.scalars(
            select(Action)
            .where(Action.enterprise_id == enterprise_id)
            .order_by(Action.proposed_at.desc(), Action.id.desc())
        )
    )


def pending_actions(session: Session) -> list[Action]:
    return list(
        session.scalars(
            select(Action)
            .where(Action.status == ActionStatus.PROPOSED.value)
            .order_by(Action.proposed_at, Action.id)
        )
    )
