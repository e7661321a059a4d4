"""Relief requests (纾困申请): a borrower asks for a deferral (延期还本付息) or a renewal
(无还本续贷); credit officers decide in the console; the borrower sees the decision.

* `submit`: the borrower (or staff serving it) files the request on an active loan of its own
  enterprise, with a reason and optional documents (names and SHA-256 only). One open request
  per loan.
* A renewal also gets a fresh credit decision: `flows.relief.submit_relief_request` runs it
  through the decision service and records it here with `attach_decision`.
* `decide`: a credit officer approves or declines. An approval of a request whose outstanding
  principal is at or above the maker-checker threshold waits for a second officer
  (`awaiting_check`); `confirm` by another officer executes it, or declines it.
* Executing an approval calls `lending.relief.defer` or `lending.relief.renew_without_principal`
  (the renewal cites the request's fresh decision, which `flows.relief.check_renewal_decision`
  verifies), in the same unit of work: if the relief is refused, nothing of the approval stays.

Services never commit; every change is audited and kept in `lending_relief_request_event`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.auth import Principal
from puhui.core.clock import Clock, business_date
from puhui.core.errors import InvalidInput
from puhui.lending import loans
from puhui.lending.relief import RENEWAL_DECISION_VALID_DAYS, defer, renew_without_principal
from puhui.lending.schemas import ReliefOut
from puhui.lending.servicing.errors import (
    ReliefRequestConflict,
    ReliefRequestNotFound,
    SameOfficer,
)
from puhui.lending.servicing.models import ReliefRequest, ReliefRequestEvent
from puhui.lending.servicing.states import (
    OPEN,
    ReliefRequestKind,
    ReliefRequestStatus,
    can_move,
    needs_check,
)

S = ReliefRequestStatus
_STATUS_ZH = {
    S.SUBMITTED: "已提交",
    S.AWAITING_CHECK: "待复核",
    S.APPROVED: "已批准",
    S.DECLINED: "已拒绝",
    S.WITHDRAWN: "已撤回",
}
_ACTION = {
    S.AWAITING_CHECK: ("提交复核", "sent for a second check"),
    S.APPROVED: ("批准", "approved"),
    S.DECLINED: ("拒绝", "declined"),
    S.WITHDRAWN: ("撤回", "withdrawn"),
}


@dataclass(frozen=True, slots=True)
class Document:
    name: str
    sha256: str
    size_bytes: int


def _move(
    session: Session,
    clock: Clock,
    req: ReliefRequest,
    to: ReliefRequestStatus,
    note: str,
    actor: str,
) -> None:
    current = ReliefRequestStatus(req.status)
    if not can_move(current, to):
        zh, en = _ACTION[to]
        raise ReliefRequestConflict(
            status=current.value, status_zh=_STATUS_ZH[current], action_zh=zh, action_en=en
        )
    now = clock.now()
    session.add(
        ReliefRequestEvent(
            request_id=req.id,
            from_status=current.value,
            to_status=to.value,
            note=note[:500],
            actor=actor[:100],
            occurred_at=now,
        )
    )
    req.status = to.value
    req.updated_at = now
    audit.record(
        session,
        f"relief_request.{to.value}",
        "relief_request",
        req.id,
        before={"status": current.value},
        after={"status": to.value, "note": note[:200]},
    )


def submit(
    session: Session,
    clock: Clock,
    principal: Principal,
    loan_id: uuid.UUID,
    *,
    kind: ReliefRequestKind,
    months: int,
    reason: str,
    documents: list[Document] | None = None,
) -> ReliefRequest:
    """File a request on an active loan the principal may act for (404 otherwise)."""
    loan = loans.lock_active_loan(session, loan_id)
    if not principal.can_act_for(loan.enterprise_id):
        raise ReliefRequestNotFound()
    reason = reason.strip()
    if not 2 <= len(reason) <= 500:
        raise InvalidInput(field="reason")
    if not 1 <= months <= 36:
        raise InvalidInput(field="months")
    open_one = session.scalar(
        select(ReliefRequest.id).where(
            ReliefRequest.loan_id == loan.id, ReliefRequest.status.in_([s.value for s in OPEN])
        )
    )
    if open_one is not None:
        raise ReliefRequestConflict(
            status=S.SUBMITTED.value,
            status_zh="已有一笔申请在办理中",
            action_zh="再次提交",
            action_en="filed again while another is open",
        )
    now = clock.now()
    req = ReliefRequest(
        reference=loans.next_reference(session, "RLF", business_date(clock).year),
        loan_id=loan.id,
        enterprise_id=loan.enterprise_id,
        kind=kind.value,
        months=months,
        reason=reason,
        documents=[_doc(d) for d in documents or []],
        status=S.SUBMITTED.value,
        green_channel=False,
        needs_check=False,
        principal_fen=loan.principal_outstanding_fen,
        requested_by_id=principal.user_id,
        created_at=now,
        updated_at=now,
        decided_at=None,
    )
    session.add(req)
    session.flush()
    session.add(
        ReliefRequestEvent(
            request_id=req.id,
            from_status=None,
            to_status=S.SUBMITTED.value,
            note=reason[:500],
            actor=principal.display_name[:100],
            occurred_at=now,
        )
    )
    audit.record(
        session,
        "relief_request.submitted",
        "relief_request",
        req.id,
        after={"loan_id": loan.id, "kind": kind.value, "months": months},
    )
    return req


def _doc(d: Document) -> dict[str, Any]:
    return {"name": d.name, "sha256": d.sha256, "size_bytes": d.size_bytes}


def attach_decision(
    session: Session,
    req: ReliefRequest,
    *,
    application_id: uuid.UUID,
    decision_id: uuid.UUID,
    outcome: str,
) -> None:
    """Record the fresh credit decision taken for a renewal request."""
    req.application_id = application_id
    req.decision_id = decision_id
    req.decision_outcome = outcome
    audit.record(
        session,
        "relief_request.fresh_decision",
        "relief_request",
        req.id,
        after={"decision_id": decision_id, "outcome": outcome},
    )


def get(session: Session, request_id: uuid.UUID) -> ReliefRequest:
    req = session.get(ReliefRequest, request_id)
    if req is None:
        raise ReliefRequestNotFound()
    return req


def get_for(session: Session, principal: Principal, request_id: uuid.UUID) -> ReliefRequest:
    """A request as the principal may see it: a borrower only its own enterprise's (404)."""
    req = session.get(ReliefRequest, request_id)
    if req is None or not principal.can_act_for(req.enterprise_id):
        raise ReliefRequestNotFound()
    return req


def lock(session: Session, request_id: uuid.UUID) -> ReliefRequest:
    req = session.scalar(
        select(ReliefRequest).where(ReliefRequest.id == request_id).with_for_update()
    )
    if req is None:
        raise ReliefRequestNotFound()
    return req


def queue(session: Session, *, open_only: bool = True, limit: int = 200) -> list[ReliefRequest]:
    """The officers' queue: open requests, green channel first, then waiting for a check,
    oldest first."""
    query = select(ReliefRequest)
    if open_only:
        query = query.where(ReliefRequest.status.in_([s.value for s in OPEN]))
    order = case((ReliefRequest.status == S.AWAITING_CHECK.value, 0), else_=1)
    query = query.order_by(
        ReliefRequest.green_channel.desc(), order, ReliefRequest.created_at
    ).limit(limit)
    return list(session.scalars(query))


def of_enterprises(session: Session, enterprise_ids: frozenset[uuid.UUID]) -> list[ReliefRequest]:
    if not enterprise_ids:
        return []
    return list(
        session.scalars(
            select(ReliefRequest)
            .where(ReliefRequest.enterprise_id.in_(enterprise_ids))
            .order_by(ReliefRequest.created_at.desc())
        )
    )


def history(session: Session, request_id: uuid.UUID) -> list[ReliefRequestEvent]:
    return list(
        session.scalars(
            select(ReliefRequestEvent)
            .where(ReliefRequestEvent.request_id == request_id)
            .order_by(ReliefRequestEvent.occurred_at, ReliefRequestEvent.id)
        )
    )


def withdraw(session: Session, clock: Clock, principal: Principal, request_id: uuid.UUID) -> None:
    req = lock(session, request_id)
    if not principal.can_act_for(req.enterprise_id):
        raise ReliefRequestNotFound()
    _move(session, clock, req, S.WITHDRAWN, "申请人撤回", principal.display_name)


@dataclass(frozen=True, slots=True)
class Decided:
    status: ReliefRequestStatus
    relief: ReliefOut | None


def decide(
    session: Session,
    clock: Clock,
    principal: Principal,
    request_id: uuid.UUID,
    *,
    approve: bool,
    note: str,
    checker_above_fen: int,
    green_channel: bool = False,
    decision_valid_days: int = RENEWAL_DECISION_VALID_DAYS,
) -> Decided:
    """A credit officer's decision (the maker). A decline ends the request; an approval at or
    above `checker_above_fen` waits for a second officer, below it is executed now."""
    req = lock(session, request_id)
    req.green_channel = req.green_channel or green_channel
    req.maker_id, req.maker_name = principal.user_id, principal.display_name
    req.officer_note = note.strip() or None
    if not approve:
        _move(session, clock, req, S.DECLINED, note or "信贷员拒绝", principal.display_name)
        req.decided_at = clock.now()
        return Decided(S.DECLINED, None)
    if needs_check(req.principal_fen, checker_above_fen, green_channel=req.green_channel):
        req.needs_check = True
        _move(session, clock, req, S.AWAITING_CHECK, note or "提交复核", principal.display_name)
        return Decided(S.AWAITING_CHECK, None)
    relief = _execute(session, clock, req, decision_valid_days)
    _move(session, clock, req, S.APPROVED, note or "信贷员批准", principal.display_name)
    req.decided_at = clock.now()
    return Decided(S.APPROVED, relief)


def confirm(
    session: Session,
    clock: Clock,
    principal: Principal,
    request_id: uuid.UUID,
    *,
    approve: bool,
    note: str,
    decision_valid_days: int = RENEWAL_DECISION_VALID_DAYS,
) -> Decided:
    """The second officer (the checker): confirms the approval (executed now) or declines."""
    req = lock(session, request_id)
    if req.status != S.AWAITING_CHECK.value:
        _move(
            session, clock, req, S.APPROVED if approve else S.DECLINED, note, principal.display_name
        )  # raises
    if req.maker_id == principal.user_id:
        raise SameOfficer()
    req.checker_id, req.checker_name = principal.user_id, principal.display_name
    req.decided_at = clock.now()
    if not approve:
        _move(session, clock, req, S.DECLINED, note or "复核拒绝", principal.display_name)
        return Decided(S.DECLINED, None)
    relief = _execute(session, clock, req, decision_valid_days)
    _move(session, clock, req, S.APPROVED, note or "复核通过", principal.display_name)
    return Decided(S.APPROVED, relief)


def _execute(
    session: Session, clock: Clock, req: ReliefRequest, decision_valid_days: int
) -> ReliefOut:
    reason = f"{req.reference}：{req.reason}"[:500]
    if req.kind == ReliefRequestKind.DEFERRAL.value:
        out = defer(session, clock, req.loan_id, req.months, reason)
    else:
        if req.decision_id is None:
            raise ReliefRequestConflict(
                status=req.status,
                status_zh="尚无新的授信审批决定",
                action_zh="办理续贷",
                action_en="renewed without a fresh credit decision",
            )
        out = renew_without_principal(
            session,
            clock,
            req.loan_id,
            decision_id=req.decision_id,
            term_months=req.months,
            reason=reason,
            decision_valid_days=decision_valid_days,
        )
    req.relief_id = out.id
    return out
