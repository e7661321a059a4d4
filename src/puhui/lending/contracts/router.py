"""HTTP endpoints of e-contracts: create, read, download, send the signing code, sign, verify."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, File, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from puhui.core import outbox
from puhui.core.auth import EVERYONE, Principal, client_ip, require
from puhui.core.errors import InvalidInput
from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.core.types import SafeMultiline
from puhui.core.web import DB, CipherDep, ClockDep, RuntimeDep, UnitOfWorkRoute
from puhui.lending.contracts import service as contracts
from puhui.lending.contracts.models import Contract, ContractStatus
from puhui.lending.contracts.words import mask_name

router = APIRouter(prefix="/api/v1/contracts", route_class=UnitOfWorkRoute, tags=["contracts"])

MAKERS = (Role.ADMIN, Role.CUSTOMER_MANAGER, Role.CREDIT_OFFICER, Role.BORROWER)
CANCELLERS = (Role.ADMIN, Role.CUSTOMER_MANAGER, Role.CREDIT_OFFICER)
MAX_VERIFY_BYTES = 20 * 1024 * 1024


class ContractCreate(BaseModel):
    credit_line_id: uuid.UUID


class ContractOut(BaseModel):
    id: uuid.UUID
    reference: str
    credit_line_id: uuid.UUID
    enterprise_id: uuid.UUID
    status: str
    status_zh: str
    template_version: str
    document_sha256: str
    document_size: int
    created_at: datetime
    sent_at: datetime | None
    signing_deadline_at: datetime | None
    signed_at: datetime | None
    limit_fen: int
    rate_bp: int
    term_months: int
    created: bool = False


def _out(contract: Contract, created: bool = False) -> ContractOut:
    terms = contracts.terms_of(contract)
    return ContractOut(
        id=contract.id,
        reference=contract.reference,
        credit_line_id=contract.credit_line_id,
        enterprise_id=contract.enterprise_id,
        status=contract.status,
        status_zh=ContractStatus(contract.status).zh,
        template_version=contract.template_version,
        document_sha256=contract.document_sha256,
        document_size=contract.document_size,
        created_at=contract.created_at,
        sent_at=contract.sent_at,
        signing_deadline_at=contract.signing_deadline_at,
        signed_at=contract.signed_at,
        limit_fen=terms.limit_fen,
        rate_bp=terms.rate_bp,
        term_months=terms.term_months,
        created=created,
    )


@router.post("", response_model=ContractOut, status_code=201)
def create_contract(
    body: ContractCreate,
    db: DB,
    clock: ClockDep,
    principal: Annotated[Principal, Depends(require(*MAKERS))],
    response: Response,
) -> ContractOut:
    """Render the contract of a credit line waiting for signature (or return the open one)."""
    contract, created = contracts.create_contract(db, clock, principal, body.credit_line_id)
    if not created:
        response.status_code = 200
    return _out(contract, created)


@router.get("/{contract_id}", response_model=ContractOut)
def get_contract(
    contract_id: uuid.UUID,
    db: DB,
    principal: Annotated[Principal, Depends(require(*EVERYONE))],
) -> ContractOut:
    return _out(contracts.get_contract_for(db, principal, contract_id))


@router.get(
    "/{contract_id}/document",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the contract PDF"}},
)
def download_document(
    contract_id: uuid.UUID,
    db: DB,
    principal: Annotated[Principal, Depends(require(*EVERYONE))],
) -> Response:
    """The contract PDF as rendered (borrowers: their own enterprise's only). Audited."""
    contract = contracts.get_contract_for(db, principal, contract_id)
    contracts.record_download(db, contract)
    return Response(
        content=contract.document,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{contract.reference}.pdf"',
            "X-Content-SHA256": contract.document_sha256,
            "Cache-Control": "no-store",
        },
    )


class SignatureRequestOut(BaseModel):
    contract_id: uuid.UUID
    status: str
    recipient_masked: str
    message_id: uuid.UUID
    code_expires_at: datetime
    sandbox: bool = Field(description="true when the SMS goes to the sandbox, not a phone")


def _channels(request: Request, runtime: Runtime) -> outbox.ChannelRegistry:
    return outbox.app_channels(request.app, runtime.cipher, runtime.clock)


@router.post("/{contract_id}/send-for-signature", response_model=SignatureRequestOut)
def send_for_signature(
    contract_id: uuid.UUID,
    request: Request,
    background: BackgroundTasks,
    db: DB,
    clock: ClockDep,
    cipher: CipherDep,
    runtime: RuntimeDep,
    principal: Annotated[Principal, Depends(require(*MAKERS))],
) -> SignatureRequestOut:
    """Send a signing code by SMS to the legal representative's mobile (again: a new code)."""
    sent = contracts.send_for_signature(db, clock, cipher, principal, contract_id)
    channels = _channels(request, runtime)
    # Runs after the response is ready, i.e. after the route committed the outbox row.
    background.add_task(
        outbox.dispatch_pending,
        runtime.session_factory,
        channels,
        cipher=runtime.cipher,
        clock=runtime.clock,
        message_ids=[sent.message_id],
    )
    return SignatureRequestOut(
        contract_id=sent.contract.id,
        status=sent.contract.status,
        recipient_masked=sent.recipient_masked,
        message_id=sent.message_id,
        code_expires_at=sent.code_expires_at,
        sandbox=isinstance(channels.get(outbox.SMS), outbox.SandboxSmsChannel),
    )


class SignRequest(BaseModel):
    code: str = Field(min_length=6, max_length=6, pattern=r"^\d{6}$", description="SMS code")


class SignatureOut(BaseModel):
    contract_id: uuid.UUID
    status: str
    signature_id: uuid.UUID
    signed_at: datetime
    document_sha256: str
    signer_name_masked: str
    signer_mobile_masked: str
    credit_line_id: uuid.UUID


@router.post("/{contract_id}/sign", response_model=SignatureOut)
def sign_contract(
    contract_id: uuid.UUID,
    body: SignRequest,
    request: Request,
    db: DB,
    clock: ClockDep,
    cipher: CipherDep,
    principal: Annotated[Principal, Depends(require(Role.BORROWER))],
) -> SignatureOut:
    """Sign with the SMS code; the credit line becomes active. Wrong code: attempts left."""
    signature = contracts.sign(
        db,
        clock,
        cipher,
        principal,
        contract_id,
        body.code,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    contract = contracts.get_contract(db, contract_id)
    return SignatureOut(
        contract_id=contract.id,
        status=contract.status,
        signature_id=signature.id,
        signed_at=signature.signed_at,
        document_sha256=signature.document_sha256,
        signer_name_masked=mask_name(signature.signer_name),
        signer_mobile_masked=signature.signer_mobile_masked,
        credit_line_id=contract.credit_line_id,
    )


class CancelRequest(BaseModel):
    reason: SafeMultiline = Field(min_length=2, max_length=200)


@router.post("/{contract_id}/cancel", response_model=ContractOut)
def cancel_contract(
    contract_id: uuid.UUID,
    body: CancelRequest,
    db: DB,
    clock: ClockDep,
    principal: Annotated[Principal, Depends(require(*CANCELLERS))],
) -> ContractOut:
    return _out(contracts.cancel(db, clock, principal, contract_id, body.reason))


class SignedMatchOut(BaseModel):
    contract_id: uuid.UUID
    reference: str
    enterprise_name: str
    signed_at: datetime
    signer_name_masked: str
    signer_mobile_masked: str


class VerifyOut(BaseModel):
    sha256: str
    size: int
    matched: bool
    message_zh: str
    message_en: str
    contracts: list[SignedMatchOut]


@router.post("/verify", response_model=VerifyOut)
async def verify_upload(
    request: Request,
    principal: Annotated[Principal, Depends(require(*EVERYONE))],
    file: Annotated[UploadFile, File(description="the PDF to check")],
) -> VerifyOut:
    """Is this file, byte for byte, a signed contract? (Borrowers: among their own.)"""
    data = await file.read(MAX_VERIFY_BYTES + 1)
    if len(data) > MAX_VERIFY_BYTES or not data:
        raise InvalidInput(field="file")
    db = request.state.db

    def check() -> contracts.VerifyOutcome:
        outcome = contracts.verify_document(db, data, principal)
        contracts.record_verification(db, outcome)
        return outcome

    outcome = await run_in_threadpool(check)
    if outcome.matched:
        first = outcome.signed[0]
        zh = f"文件与已签署合同 {first.reference} 一致。"
        en = f"The file matches the signed contract {first.reference}."
    else:
        zh = "文件与任何已签署合同均不一致（可能被修改，或合同尚未签署）。"
        en = "The file matches no signed contract (it may be altered, or not signed yet)."
    return VerifyOut(
        sha256=outcome.sha256,
        size=outcome.size,
        matched=outcome.matched,
        message_zh=zh,
        message_en=en,
        contracts=[
            SignedMatchOut(
                contract_id=m.contract_id,
                reference=m.reference,
                enterprise_name=m.enterprise_name,
                signed_at=m.signed_at,
                signer_name_masked=m.signer_name_masked,
                signer_mobile_masked=m.signer_mobile_masked,
            )
            for m in outcome.signed
        ],
    )
