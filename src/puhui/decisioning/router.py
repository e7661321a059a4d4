"""HTTP endpoints of decisioning: applications (闪电贷), decisions, policies, manual review."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel, Field

from puhui.core.auth import ALL_STAFF, EVERYONE, Principal, require
from puhui.core.models import Role
from puhui.core.types import QueryInt64, SafeMultiline
from puhui.core.web import (
    DB,
    ClockDep,
    CursorQ,
    LimitQ,
    RuntimeDep,
    UnitOfWorkRoute,
    cursor_page,
    decode_cursor,
)
from puhui.datahub.router import get_connectors
from puhui.decisioning import review, service
from puhui.decisioning.models import ApplicationStatus
from puhui.decisioning.policy import validate_document
from puhui.decisioning.policy_diff import diff_documents
from puhui.decisioning.schemas import (
    ApplicationCreate,
    ApplicationOut,
    ApplicationPage,
    DecisionOut,
    GreenChannelIn,
    PolicyApprove,
    PolicySubmit,
    PolicyVersionOut,
    ReplayReport,
    ReviewConfirm,
    ReviewDecide,
    ReviewOut,
    ReviewPage,
)
from puhui.decisioning.scoring import store_for

router = APIRouter(prefix="/api/v1", route_class=UnitOfWorkRoute, tags=["decisioning"])

APPLICANTS = (Role.BORROWER, Role.CUSTOMER_MANAGER)
LINEAGE_READERS = (Role.CREDIT_OFFICER, Role.RISK_OFFICER, Role.AUDITOR, Role.ADMIN)
REVIEWERS = (Role.CREDIT_OFFICER,)
QUEUE_READERS = (Role.CREDIT_OFFICER, Role.RISK_OFFICER)
GREEN_CHANNEL = (Role.CREDIT_OFFICER, Role.RISK_OFFICER)
POLICY_EDITORS = (Role.RISK_OFFICER,)
POLICY_READERS = (Role.RISK_OFFICER, Role.CREDIT_OFFICER, Role.AUDITOR, Role.ADMIN)


async def get_env(request: Request, runtime: RuntimeDep) -> service.DecisionEnv:
    """Connectors of the app, the runtime's cipher, the model store of the registry."""
    state = request.app.state
    env: service.DecisionEnv | None = getattr(state, "decisioning_env", None)
    if env is None:
        env = service.DecisionEnv(
            connectors=get_connectors(request),
            cipher=runtime.cipher,
            models=store_for(runtime.settings.resolved_var_dir() / "models"),
        )
        state.decisioning_env = env
    return env


EnvDep = Annotated[service.DecisionEnv, Depends(get_env)]
IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=128,
        description="a key of the client's choosing; a retry with the same key and body "
        "returns the first result",
    ),
]


# --------------------------------------------------------------------------- applications


@router.post("/applications", response_model=ApplicationOut, status_code=201)
def create_application(
    body: ApplicationCreate,
    principal: Annotated[Principal, Depends(require(*APPLICANTS))],
    db: DB,
    clock: ClockDep,
    env: EnvDep,
    idempotency_key: IdempotencyKey,
) -> Response:
    """Apply for a product; the decision (approve / decline / refer) comes back in the answer.

    The consents the decision needs (purpose credit_decision) are granted in the same step.
    """
    out = service.apply(db, clock, env, principal, body, idempotency_key=idempotency_key)
    # Serialized here, on the endpoint's thread: FastAPI would validate the returned model
    # against `response_model` again on a thread hop of its own (the hot path of the product).
    return Response(out.model_dump_json(), status_code=201, media_type="application/json")


@router.get("/applications", response_model=ApplicationPage)
def list_applications(
    principal: Annotated[Principal, Depends(require(*ALL_STAFF))],
    db: DB,
    status: ApplicationStatus | None = None,
    enterprise_id: uuid.UUID | None = None,
    cursor: CursorQ = None,
    limit: LimitQ = 50,
) -> ApplicationPage:
    rows = service.list_applications(
        db,
        principal,
        status=status,
        enterprise_id=enterprise_id,
        after=decode_cursor(cursor),
        limit=limit + 1,
    )
    rows, next_cursor = cursor_page(rows, limit)
    return ApplicationPage(
        items=[service.application_out(db, r) for r in rows], next_cursor=next_cursor
    )


@router.get("/applications/{application_id}", response_model=ApplicationOut)
def get_application(
    application_id: uuid.UUID,
    principal: Annotated[Principal, Depends(require(*EVERYONE))],
    db: DB,
) -> ApplicationOut:
    """The application with its status history (流程可视化) and its latest decision."""
    return service.application_out(db, service.get_application_for(db, principal, application_id))


class WithdrawIn(BaseModel):
    reason: SafeMultiline = Field(min_length=2, max_length=500)


@router.post("/applications/{application_id}/withdraw", response_model=ApplicationOut)
def withdraw_application(
    application_id: uuid.UUID,
    body: WithdrawIn,
    principal: Annotated[Principal, Depends(require(*APPLICANTS))],
    db: DB,
    clock: ClockDep,
) -> ApplicationOut:
    app = service.withdraw(db, clock, principal, application_id, body.reason)
    return service.application_out(db, app)


@router.get("/decisions/{decision_id}", response_model=DecisionOut)
def get_decision(
    decision_id: uuid.UUID,
    _: Annotated[Principal, Depends(require(*LINEAGE_READERS))],
    db: DB,
) -> DecisionOut:
    """A decision with its lineage: features, snapshots, policy and model versions, rule hits."""
    return service.decision_out(service.get_decision(db, decision_id))


# --------------------------------------------------------------------------- reviews


@router.get("/reviews", response_model=ReviewPage)
def review_queue(
    _: Annotated[Principal, Depends(require(*QUEUE_READERS))],
    db: DB,
    clock: ClockDep,
    include_closed: Annotated[bool, Query(description="also closed reviews")] = False,
    limit: LimitQ = 100,
) -> ReviewPage:
    """The manual-review queue: green channel first, then by due time; overdue flagged."""
    rows = review.queue(db, include_closed=include_closed, limit=limit)
    return ReviewPage(items=[review.review_out(clock, r, a, d) for r, a, d in rows])


@router.get("/reviews/{review_id}", response_model=ReviewOut)
def get_review(
    review_id: uuid.UUID,
    _: Annotated[Principal, Depends(require(*QUEUE_READERS))],
    db: DB,
    clock: ClockDep,
) -> ReviewOut:
    return review.review_detail(db, clock, review_id)


@router.post("/reviews/{review_id}/decide", response_model=ReviewOut)
def decide_review(
    review_id: uuid.UUID,
    body: ReviewDecide,
    principal: Annotated[Principal, Depends(require(*REVIEWERS))],
    db: DB,
    clock: ClockDep,
) -> ReviewOut:
    """Approve or decline with a mandatory reason; above the dual-control amount an approval
    waits for a second officer."""
    review.decide_review(db, clock, principal, review_id, body)
    return review.review_detail(db, clock, review_id)


@router.post("/reviews/{review_id}/confirm", response_model=ReviewOut)
def confirm_review(
    review_id: uuid.UUID,
    body: ReviewConfirm,
    principal: Annotated[Principal, Depends(require(*REVIEWERS))],
    db: DB,
    clock: ClockDep,
) -> ReviewOut:
    """The second officer (not the maker) confirms, or sends the case back."""
    review.confirm_review(db, clock, principal, review_id, body)
    return review.review_detail(db, clock, review_id)


@router.post("/reviews/{review_id}/green-channel", response_model=ReviewOut)
def green_channel(
    review_id: uuid.UUID,
    body: GreenChannelIn,
    principal: Annotated[Principal, Depends(require(*GREEN_CHANNEL))],
    db: DB,
    clock: ClockDep,
) -> ReviewOut:
    """特事特办: the case goes to the front of the queue with the green-channel SLA."""
    review.green_channel(db, clock, principal, review_id, body.reason)
    return review.review_detail(db, clock, review_id)


# --------------------------------------------------------------------------- policies


@router.get("/policies", response_model=list[PolicyVersionOut])
def list_policies(
    _: Annotated[Principal, Depends(require(*POLICY_READERS))],
    db: DB,
    clock: ClockDep,
) -> list[PolicyVersionOut]:
    service.ensure_seed_policy(db, clock)
    return [service.policy_out(db, r) for r in service.list_policies(db)]


@router.get("/policies/active", response_model=PolicyVersionOut)
def active_policy(
    _: Annotated[Principal, Depends(require(*POLICY_READERS))],
    db: DB,
    clock: ClockDep,
) -> PolicyVersionOut:
    return service.policy_out(db, service.ensure_seed_policy(db, clock), with_document=True)


class PolicyValidateIn(BaseModel):
    document: dict[str, Any]


@router.post("/policies/validate")
def validate_policy(
    body: PolicyValidateIn,
    _: Annotated[Principal, Depends(require(*POLICY_EDITORS))],
    db: DB,
    clock: ClockDep,
) -> dict[str, Any]:
    """Dry run: validation, embedded tests and the diff against the active version; stores
    nothing."""
    result = validate_document(body.document)
    out: dict[str, Any] = {"validation": result.to_dict(), "diff": None}
    if result.document is not None:
        active = service.active_policy(db, clock)[1].document
        out["diff"] = diff_documents(active, result.document).to_dict()
    return out


@router.post("/policies", response_model=PolicyVersionOut, status_code=201)
def submit_policy(
    body: PolicySubmit,
    principal: Annotated[Principal, Depends(require(*POLICY_EDITORS))],
    db: DB,
    clock: ClockDep,
) -> PolicyVersionOut:
    """Submit a new version (validated, diffed against the active one, pending approval)."""
    service.ensure_seed_policy(db, clock)
    row = service.submit_policy(db, clock, principal, body.document, body.note)
    return service.policy_out(db, row)


@router.get("/policies/{version_id}", response_model=PolicyVersionOut)
def get_policy(
    version_id: uuid.UUID,
    _: Annotated[Principal, Depends(require(*POLICY_READERS))],
    db: DB,
) -> PolicyVersionOut:
    return service.policy_out(db, service.get_policy(db, version_id), with_document=True)


@router.post("/policies/{version_id}/approve", response_model=PolicyVersionOut)
def approve_policy(
    version_id: uuid.UUID,
    body: PolicyApprove,
    principal: Annotated[Principal, Depends(require(*POLICY_EDITORS))],
    db: DB,
    clock: ClockDep,
) -> PolicyVersionOut:
    """A second risk officer (not the submitter) approves: the version becomes active."""
    return service.policy_out(
        db, service.approve_policy(db, clock, principal, version_id, body.note)
    )


@router.post("/policies/{version_id}/reject", response_model=PolicyVersionOut)
def reject_policy(
    version_id: uuid.UUID,
    body: PolicyApprove,
    principal: Annotated[Principal, Depends(require(*POLICY_EDITORS))],
    db: DB,
    clock: ClockDep,
) -> PolicyVersionOut:
    return service.policy_out(
        db, service.reject_policy(db, clock, principal, version_id, body.note)
    )


@router.post("/policies/{version_id}/replay", response_model=ReplayReport)
def replay_policy(
    version_id: uuid.UUID,
    _: Annotated[Principal, Depends(require(*POLICY_EDITORS))],
    db: DB,
    limit: Annotated[int | None, Query(ge=1, le=100_000)] = None,
    made_under: Annotated[
        QueryInt64 | None, Query(ge=1, description="decisions of this version")
    ] = None,
) -> ReplayReport:
    """What stored decisions would become under this version (from stored inputs)."""
    row = service.get_policy(db, version_id)
    return service.replay(db, row.version, policy_name=row.name, limit=limit, made_under=made_under)
