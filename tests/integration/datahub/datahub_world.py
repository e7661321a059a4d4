"""An enterprise of the sandbox world registered in Puhui, with its legal representative."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session
from tests.identity_factories import verify_rep

from puhui.core.runtime import Runtime
from puhui.datahub.sandbox import default_provider
from puhui.parties import service as parties_service
from puhui.parties.models import RelationKind
from puhui.parties.schemas import EnterpriseCreate, PersonCreate, RelationshipCreate


@dataclass(frozen=True)
class WorldFirm:
    enterprise_id: uuid.UUID
    uscc: str
    person_id: uuid.UUID
    resident_id: str
    mobile: str


def register_world_firm(session: Session, runtime: Runtime, index: int = 0) -> WorldFirm:
    """Register the world's enterprise number `index` and its legal representative."""
    world = default_provider().world
    row: dict[str, Any] = world.enterprises.row(index, named=True)
    rep: dict[str, Any] = world.people.row(row["legal_rep_person_id"], named=True)
    established: date = row["established_date"]
    enterprise = parties_service.create_enterprise(
        session,
        runtime.clock,
        EnterpriseCreate(
            name=row["name"],
            uscc=row["uscc"],
            industry_section=row["industry"],
            region_code=f"{row['region_code']:06d}",
            region_name=row["region_name"],
            registered_capital_fen=row["registered_capital_fen"],
            established_date=established,
            size_class=row["size_class"],
        ),
    )
    person = parties_service.create_person(
        session,
        runtime.clock,
        runtime.cipher,
        PersonCreate(name=rep["name"], resident_id=rep["resident_id"], mobile=rep["mobile"]),
    )
    parties_service.add_relationship(
        session,
        runtime.clock,
        enterprise.id,
        RelationshipCreate(kind=RelationKind.LEGAL_REPRESENTATIVE, person_id=person.id),
    )
    # the legal representative passed real-name verification (issue 15)
    verify_rep(
        session,
        runtime.clock,
        runtime.cipher,
        name=rep["name"],
        resident_id=rep["resident_id"],
        mobile=rep["mobile"],
    )
    session.commit()
    return WorldFirm(enterprise.id, row["uscc"], person.id, rep["resident_id"], rep["mobile"])
