"""Supply-chain finance across domains: a core enterprise's supply-chain limit backed by an
approved credit decision.

Decisioning owns the decision and gives up the approval (its pending offer line closes, the
application becomes ``accepted``: one approval backs one grant); receivables owns the limit and
signs the ``limit`` statement. This flow calls the two downward, in the caller's unit of work,
so neither domain imports the other. A manual grant (no application) goes straight to
receivables.

``POST /api/v1/receivables/limits`` is this flow's endpoint (the receivables router keeps the
limit's reads); the console's limit form calls :func:`grant_supply_chain_limit` too.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from puhui.core.auth import Principal, require
from puhui.core.clock import Clock
from puhui.core.crypto import FieldCipher
from puhui.core.models import Role
from puhui.core.web import DB, CipherDep, ClockDep, UnitOfWorkRoute
from puhui.decisioning import service as decisioning_service
from puhui.receivables import service as receivables_service
from puhui.receivables.schemas import LimitGrant, LimitOut

GRANTERS = (Role.RISK_OFFICER, Role.ADMIN)


def grant_supply_chain_limit(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    principal: Principal,
    data: LimitGrant,
) -> LimitOut:
    """Grant (or change, or with 0 revoke) a core enterprise's supply-chain limit, manually or,
    with ``application_reference``, from an approved application of the same enterprise whose
    decision's limit covers this one.

    Refused, changing nothing, in this order: an unknown grade or enterprise, an approval behind
    a revocation (receivables' checks, before the approval is taken); another enterprise's
    application, one not approved or already taken, a limit above the decision's (decisioning);
    then anything the log's rules refuse.
    """
    if data.application_reference is None:
        return receivables_service.grant_limit(session, clock, cipher, principal, data)
    receivables_service.check_limit_grant(session, data)
    decision_ref = decisioning_service.take_approval_for_supply_chain(
        session,
        clock,
        principal,
        data.enterprise_id,
        data.application_reference,
        data.limit_fen,
    )
    return receivables_service.grant_limit(
        session, clock, cipher, principal, data, decision_ref=decision_ref
    )


router = APIRouter(prefix="/api/v1/receivables", route_class=UnitOfWorkRoute, tags=["receivables"])


@router.post("/limits", response_model=LimitOut, status_code=201)
def grant_limit(
    body: LimitGrant,
    db: DB,
    clock: ClockDep,
    cipher: CipherDep,
    principal: Annotated[Principal, Depends(require(*GRANTERS))],
) -> LimitOut:
    """Grant a core enterprise a supply-chain limit (manual approval with a reason; 0 revokes;
    with ``application_reference``, backed by that approved application, used once)."""
    return grant_supply_chain_limit(db, clock, cipher, principal, body)
