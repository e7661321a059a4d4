"""HTTP API of the identity domain: staff verify a legal representative in branch (carrier
three-factor) and read a person's verification record (masked, with evidence hashes). The
applicant's own pages are in web/borrower/identity.py."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from puhui.core.auth import ALL_STAFF, Principal, require
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute
from puhui.identity import service
from puhui.identity.adapters import IdentityProviders
from puhui.identity.models import IdentityVerification
from puhui.identity.schemas import ThreeFactorIn, VerificationOut
from puhui.parties import service as parties_service

router = APIRouter(prefix="/api/v1/identity", route_class=UnitOfWorkRoute, tags=["identity"])


def _out(row: IdentityVerification) -> VerificationOut:
    return VerificationOut(
        id=row.id,
        kind=row.kind,
        passed=row.passed,
        reason=row.reason,
        provider=row.provider,
        sandbox=row.is_sandbox,
        mobile_masked=row.mobile_masked,
        score_bp=row.score_bp,
        evidence_sha256=row.evidence_sha256,
        created_at=row.created_at,
    )


@router.post("/three-factor", response_model=VerificationOut, status_code=201)
def three_factor(
    body: ThreeFactorIn,
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require(*ALL_STAFF))],
) -> VerificationOut:
    """Carrier three-factor check of a person (name, resident ID, mobile), recorded with its
    evidence hash; a failed check is recorded too and answered 422."""
    providers: IdentityProviders = request.app.state.identity
    row = service.verify_three_factor(
        db,
        rt.clock,
        rt.cipher,
        providers.three_factor,
        name=body.name,
        resident_id=body.resident_id,
        mobile=body.mobile,
        user_id=principal.user_id,
    )
    return _out(row)


@router.get("/people/{person_id}/verifications", response_model=list[VerificationOut])
def verifications(
    person_id: uuid.UUID,
    db: DB,
    _: Annotated[Principal, Depends(require(*ALL_STAFF))],
) -> list[VerificationOut]:
    """A person's checks, newest first (passed and failed), masked."""
    person = parties_service.get_person(db, person_id)
    return [_out(r) for r in service.verifications_of(db, person.resident_id_hash)]
