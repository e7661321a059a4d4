"""HTTP endpoints of the data hub: manual pulls by credit staff, the data-access log an enterprise
may read (who read which source, when, for what), and stored snapshots for lineage."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from puhui.consents.schemas import Purpose
from puhui.core.auth import EVERYONE, Principal, require
from puhui.core.models import Role
from puhui.core.web import DB, CipherDep, ClockDep, UnitOfWorkRoute
from puhui.datahub import service
from puhui.datahub.connectors import Connectors, DatahubSettings, build_connectors
from puhui.datahub.errors import PersonalRecordsPrivate
from puhui.datahub.models import PullRow, SubjectType
from puhui.datahub.payloads import PERSON_PAYLOAD_MODELS
from puhui.datahub.schemas import PullOut, PullRequest, SnapshotOut
from puhui.parties import service as parties_service

router = APIRouter(prefix="/api/v1", route_class=UnitOfWorkRoute, tags=["datahub"])

PULLERS = (Role.CREDIT_OFFICER, Role.RISK_OFFICER)
READERS = (Role.CREDIT_OFFICER, Role.RISK_OFFICER, Role.AUDITOR, Role.ADMIN)


def get_connectors(request: Request) -> Connectors:
    """The app's connectors: `app.state.datahub_connectors`, built from settings on first use."""
    state = request.app.state
    connectors: Connectors | None = getattr(state, "datahub_connectors", None)
    if connectors is None:
        connectors = build_connectors(DatahubSettings())
        state.datahub_connectors = connectors
    return connectors


ConnectorsDep = Annotated[Connectors, Depends(get_connectors)]


@router.post(
    "/enterprises/{enterprise_id}/datahub/pulls",
    response_model=list[SnapshotOut],
    status_code=201,
)
def pull_sources(
    enterprise_id: uuid.UUID,
    body: PullRequest,
    db: DB,
    clock: ClockDep,
    cipher: CipherDep,
    _: Annotated[Principal, Depends(require(*PULLERS))],
    connectors: ConnectorsDep,
) -> list[SnapshotOut]:
    """Pull sources now (reusing fresh snapshots unless `refresh`); refused without consent,
    and for the convenience query (a person's own records are shown to that person only)."""
    if body.purpose == Purpose.CONVENIENCE_QUERY:
        raise PersonalRecordsPrivate()
    got = service.pull_all(
        db,
        clock,
        connectors,
        enterprise_id=enterprise_id,
        sources=body.sources,
        purpose=body.purpose,
        scope=body.scope,
        person_id=body.person_id,
        cipher=cipher,
        refresh=body.refresh,
    )
    return [SnapshotOut.of(s) for s in got.values()]


@router.get("/enterprises/{enterprise_id}/datahub/pulls", response_model=list[PullOut])
def list_pulls(
    enterprise_id: uuid.UUID,
    db: DB,
    principal: Annotated[Principal, Depends(require(*EVERYONE))],
) -> list[PullRow]:
    """The enterprise's data-access log, newest first; its own borrower may read it (PIPL)."""
    parties_service.get_enterprise_for(db, principal, enterprise_id)
    return service.pulls_for_enterprise(db, enterprise_id)


@router.get("/datahub/snapshots/{snapshot_id}", response_model=SnapshotOut)
def get_snapshot(
    snapshot_id: uuid.UUID,
    db: DB,
    cipher: CipherDep,
    _: Annotated[Principal, Depends(require(*READERS))],
) -> SnapshotOut:
    """A stored snapshot with its payload (lineage of a decision); not a person's own housing
    fund or social security (便民查询: shown to that person only)."""
    snapshot = service.read_snapshot(db, cipher, snapshot_id)
    if snapshot.subject_type == SubjectType.PERSON and snapshot.source in PERSON_PAYLOAD_MODELS:
        raise PersonalRecordsPrivate()
    return SnapshotOut.of(snapshot)
