"""HTTP endpoints of the receivables chain (应收款链), under /api/v1/receivables.

Parties (a borrower user, or staff serving the enterprise) operate on certificates; they see
only certificates they are or were party to (404 otherwise), staff see all. Money-moving
operations (finance, pay) need an ``Idempotency-Key`` header. Hashes are lowercase hex.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response

from puhui.core.auth import ALL_STAFF, EVERYONE, Principal, require
from puhui.core.models import Role
from puhui.core.types import INT64_MAX, QueryInt64
from puhui.core.web import DB, CipherDep, ClockDep, UnitOfWorkRoute
from puhui.receivables import service
from puhui.receivables.errors import NotFound
from puhui.receivables.schemas import (
    CertificateOut,
    CheckpointOut,
    ConsistencyProofOut,
    InclusionProofOut,
    IssueRequest,
    KeyOut,
    KeyRegister,
    LimitOut,
    LogEntryOut,
    OperationOut,
    PreparedStatement,
    PrepareRequest,
    PricingOut,
    PricingUpdate,
    ProvenanceOut,
    SignalOut,
    SplitRequest,
    SubmitRequest,
    TransferRequest,
)

router = APIRouter(prefix="/api/v1/receivables", route_class=UnitOfWorkRoute, tags=["receivables"])

# who may act for an enterprise on the chain: its own user, or staff serving it (not auditors)
ACTORS = (Role.BORROWER, Role.CUSTOMER_MANAGER, Role.SERVICE_REP, Role.ADMIN)
RISK = (Role.RISK_OFFICER, Role.ADMIN)
SIGNAL_READERS = (Role.RISK_OFFICER, Role.ADMIN, Role.AUDITOR)

Actor = Annotated[Principal, Depends(require(*ACTORS))]
Anyone = Annotated[Principal, Depends(require(*EVERYONE))]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="required for money-moving operations: one unique value per operation; a "
        "replay returns the first result",
    ),
]


def _replayed(response: Response, out: OperationOut) -> OperationOut:
    if out.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return out


# --- limits and pricing ----------------------------------------------------------------------
# POST /limits (grant, manually or from an approved decision) spans two domains: it is the
# endpoint of puhui.flows.supply_chain.


@router.get("/limits", response_model=list[LimitOut])
def list_limits(db: DB, _: Annotated[Principal, Depends(require(*ALL_STAFF))]) -> list[LimitOut]:
    """Every core enterprise's supply-chain limit: used, available, and what approved it."""
    return service.list_limits(db)


@router.get("/limits/{enterprise_id}", response_model=LimitOut)
def get_limit(enterprise_id: uuid.UUID, db: DB, principal: Anyone) -> LimitOut:
    return service.get_limit(db, principal, enterprise_id)


@router.get("/pricing", response_model=list[PricingOut])
def list_pricing(db: DB, _: Anyone) -> list[PricingOut]:
    """Discount rate and overdue penalty by the core enterprise's grade."""
    return service.list_pricing(db)


@router.put("/pricing/{grade}", response_model=PricingOut)
def update_pricing(
    grade: str,
    body: PricingUpdate,
    db: DB,
    clock: ClockDep,
    principal: Annotated[Principal, Depends(require(*RISK))],
) -> PricingOut:
    return service.update_pricing(db, clock, principal, grade, body)


# --- certificates ----------------------------------------------------------------------------


@router.post("/certificates", response_model=OperationOut, status_code=201)
def issue(
    body: IssueRequest, db: DB, clock: ClockDep, cipher: CipherDep, principal: Actor
) -> OperationOut:
    """The core enterprise issues a certificate to a tier-1 supplier (签发)."""
    return service.issue(db, clock, cipher, principal, body)


@router.get("/certificates", response_model=list[CertificateOut])
def list_certificates(
    db: DB,
    principal: Anyone,
    status: Annotated[str | None, Query(max_length=16)] = None,
    after: Annotated[str | None, Query(max_length=64, description="last id of the page")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[CertificateOut]:
    return service.list_certificates(db, principal, status=status, after=after, limit=limit)


@router.get("/certificates/{cert_id}", response_model=CertificateOut)
def get_certificate(cert_id: str, db: DB, principal: Anyone) -> CertificateOut:
    return service.get_certificate(db, principal, cert_id)


@router.get("/certificates/{cert_id}/provenance", response_model=ProvenanceOut)
def provenance(cert_id: str, db: DB, principal: Anyone) -> ProvenanceOut:
    """Who held which part, when, by which operation, with inclusion proofs."""
    return service.provenance(db, principal, cert_id)


@router.post("/certificates/{cert_id}/accept", response_model=OperationOut)
def accept(
    cert_id: str, db: DB, clock: ClockDep, cipher: CipherDep, principal: Actor
) -> OperationOut:
    return service.accept(db, clock, cipher, principal, cert_id)


@router.post("/certificates/{cert_id}/reject", response_model=OperationOut)
def reject(
    cert_id: str, db: DB, clock: ClockDep, cipher: CipherDep, principal: Actor
) -> OperationOut:
    return service.reject(db, clock, cipher, principal, cert_id)


@router.post("/certificates/{cert_id}/cancel", response_model=OperationOut)
def cancel(
    cert_id: str, db: DB, clock: ClockDep, cipher: CipherDep, principal: Actor
) -> OperationOut:
    return service.cancel(db, clock, cipher, principal, cert_id)


@router.post("/certificates/{cert_id}/pay", response_model=OperationOut)
def pay(
    cert_id: str,
    db: DB,
    clock: ClockDep,
    cipher: CipherDep,
    principal: Actor,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> OperationOut:
    """The core enterprise pays at or after maturity; every live part is cleared (兑付清分)."""
    out = service.pay(db, clock, cipher, principal, cert_id, idempotency_key=idempotency_key)
    return _replayed(response, out)


# --- parts -----------------------------------------------------------------------------------


@router.post("/parts/{part_id}/split", response_model=OperationOut)
def split(
    part_id: str,
    body: SplitRequest,
    db: DB,
    clock: ClockDep,
    cipher: CipherDep,
    principal: Actor,
) -> OperationOut:
    return service.split(db, clock, cipher, principal, part_id, body.amounts_fen)


@router.post("/parts/{part_id}/transfer", response_model=OperationOut)
def transfer(
    part_id: str,
    body: TransferRequest,
    db: DB,
    clock: ClockDep,
    cipher: CipherDep,
    principal: Actor,
) -> OperationOut:
    """Offer a part to a supplier; it becomes theirs when they accept."""
    return service.transfer(db, clock, cipher, principal, part_id, body.to_enterprise_id)


@router.post("/parts/{part_id}/accept-transfer", response_model=OperationOut)
def accept_transfer(
    part_id: str, db: DB, clock: ClockDep, cipher: CipherDep, principal: Actor
) -> OperationOut:
    return service.accept_transfer(db, clock, cipher, principal, part_id)


@router.post("/parts/{part_id}/reject-transfer", response_model=OperationOut)
def reject_transfer(
    part_id: str, db: DB, clock: ClockDep, cipher: CipherDep, principal: Actor
) -> OperationOut:
    return service.reject_transfer(db, clock, cipher, principal, part_id)


@router.post("/parts/{part_id}/cancel-transfer", response_model=OperationOut)
def cancel_transfer(
    part_id: str, db: DB, clock: ClockDep, cipher: CipherDep, principal: Actor
) -> OperationOut:
    return service.cancel_transfer(db, clock, cipher, principal, part_id)


@router.post("/parts/{part_id}/finance", response_model=OperationOut)
def finance(
    part_id: str,
    db: DB,
    clock: ClockDep,
    cipher: CipherDep,
    principal: Actor,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> OperationOut:
    """Discount the part with the bank; the holder is paid the same day (贴现融资)."""
    out = service.finance(db, clock, cipher, principal, part_id, idempotency_key=idempotency_key)
    return _replayed(response, out)


# --- own signatures --------------------------------------------------------------------------


@router.post("/statements/prepare", response_model=PreparedStatement)
def prepare(
    body: PrepareRequest, db: DB, clock: ClockDep, cipher: CipherDep, principal: Actor
) -> PreparedStatement:
    """The canonical statement to sign with the party's own key (nothing is written)."""
    return service.prepare(db, clock, cipher, principal, body)


@router.post("/statements", response_model=OperationOut, status_code=201)
def submit(
    body: SubmitRequest,
    db: DB,
    clock: ClockDep,
    cipher: CipherDep,
    principal: Actor,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> OperationOut:
    """Submit a statement signed with the party's own key."""
    out = service.submit(db, clock, cipher, principal, body, idempotency_key=idempotency_key)
    return _replayed(response, out)


@router.get("/parties/{enterprise_id}/keys", response_model=list[KeyOut])
def list_keys(enterprise_id: uuid.UUID, db: DB, principal: Anyone) -> list[KeyOut]:
    return service.list_keys(db, principal, enterprise_id)


@router.post("/parties/{enterprise_id}/keys", response_model=KeyOut, status_code=201)
def register_key(
    enterprise_id: uuid.UUID,
    body: KeyRegister,
    db: DB,
    clock: ClockDep,
    cipher: CipherDep,
    principal: Actor,
) -> KeyOut:
    """Register the enterprise's own Ed25519 public key (optionally retiring the custodial one)."""
    return service.register_key(db, clock, cipher, principal, enterprise_id, body)


# --- the log: operations, proofs, checkpoints ------------------------------------------------


@router.get("/operations/{seq}", response_model=LogEntryOut)
def get_operation(seq: QueryInt64, db: DB, principal: Anyone) -> LogEntryOut:
    return service.get_operation(db, principal, seq)


@router.get("/operations/{seq}/proof", response_model=InclusionProofOut)
def inclusion_proof(
    seq: QueryInt64,
    db: DB,
    principal: Anyone,
    size: Annotated[
        QueryInt64 | None, Query(ge=1, description="tree size; default: latest checkpoint")
    ] = None,
) -> InclusionProofOut:
    return service.inclusion_proof(db, principal, seq, size)


@router.get("/consistency", response_model=ConsistencyProofOut)
def consistency(
    db: DB,
    _: Anyone,
    old: Annotated[int, Query(ge=0, le=INT64_MAX)],
    new: Annotated[QueryInt64 | None, Query(ge=0, description="default: latest checkpoint")] = None,
) -> ConsistencyProofOut:
    return service.consistency_proof(db, old, new)


@router.post("/checkpoints", response_model=CheckpointOut, status_code=201)
def publish_checkpoint(
    db: DB,
    clock: ClockDep,
    cipher: CipherDep,
    _: Annotated[Principal, Depends(require(Role.ADMIN))],
) -> CheckpointOut:
    """Sign the current tree head now (the day job `puhui receivables eod` also signs it)."""
    return service.publish_checkpoint(db, clock, cipher)


@router.get("/checkpoints", response_model=list[CheckpointOut])
def list_checkpoints(
    db: DB,
    _: Anyone,
    before_size: Annotated[QueryInt64 | None, Query(ge=0)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[CheckpointOut]:
    return service.list_checkpoints(db, before_size=before_size, limit=limit)


@router.get("/checkpoints/latest", response_model=CheckpointOut)
def latest_checkpoint(db: DB, _: Anyone) -> CheckpointOut:
    found = service.latest_checkpoint(db)
    if found is None:
        raise NotFound(None, kind="checkpoint", kind_zh="签名树头", id="latest")
    return found


@router.get("/signals", response_model=list[SignalOut])
def list_signals(
    db: DB,
    _: Annotated[Principal, Depends(require(*SIGNAL_READERS))],
    after: Annotated[uuid.UUID | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[SignalOut]:
    """Early-warning signals (a core enterprise that did not pay at maturity)."""
    return service.list_signals(db, after=after, limit=limit)
