"""Public functions of the parties domain. They never commit; the caller owns the transaction."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    Select,
    Subquery,
    and_,
    bindparam,
    func,
    select,
    union,
)
from sqlalchemy.orm import Session

from puhui.core import audit, codes
from puhui.core.auth import Principal
from puhui.core.clock import Clock
from puhui.core.crypto import FieldCipher, mask_mobile, mask_resident_id
from puhui.core.errors import Forbidden, InvalidInput
from puhui.parties.errors import (
    EnterpriseExists,
    EnterpriseNotFound,
    InvalidRelationship,
    PersonExists,
    PersonNotFound,
)
from puhui.parties.models import Enterprise, Person, RelationKind, Relationship
from puhui.parties.schemas import (
    EnterpriseCreate,
    EnterpriseRecord,
    PersonCreate,
    PersonOut,
    PersonRecord,
    RelationshipCreate,
)


def create_enterprise(session: Session, clock: Clock, data: EnterpriseCreate) -> Enterprise:
    if session.scalar(select(Enterprise.id).where(Enterprise.uscc == data.uscc)) is not None:
        raise EnterpriseExists(field="uscc", uscc=data.uscc)
    enterprise = Enterprise(**data.model_dump(), created_at=clock.now())
    session.add(enterprise)
    session.flush()
    audit.record(
        session,
        "enterprise.create",
        "enterprise",
        enterprise.id,
        after=data.model_dump(mode="json"),
    )
    return enterprise


def get_enterprise(session: Session, enterprise_id: uuid.UUID) -> Enterprise:
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise EnterpriseNotFound()
    return enterprise


@cache
def _with_legal_rep_statement() -> Select[Enterprise, Person]:
    rep = and_(
        Relationship.enterprise_id == Enterprise.id,
        Relationship.kind == RelationKind.LEGAL_REPRESENTATIVE.value,
        Relationship.person_id.is_not(None),
    )
    return (
        select(Enterprise, Person)
        .outerjoin(Relationship, rep)
        .outerjoin(Person, Person.id == Relationship.person_id)
        .where(Enterprise.uscc == bindparam("uscc", type_=Enterprise.uscc.type))
        .order_by(Relationship.created_at.desc(), Relationship.id.desc())  # the current one
        .limit(1)
    )


def find_enterprise_with_legal_rep(
    session: Session, uscc: str
) -> tuple[EnterpriseRecord | None, PersonRecord | None]:
    """The enterprise of a USCC and its current legal representative, in one query; both are
    then in the session (a later `get_person` reads no row).

    With several recorded, the most recently recorded is the current one — the same one
    :func:`legal_representatives_of` lists last and a contract names as signer."""
    row = session.execute(_with_legal_rep_statement(), {"uscc": codes.normalize_uscc(uscc)}).first()
    return (None, None) if row is None else (row[0], row[1])


def find_enterprise(session: Session, uscc: str) -> Enterprise | None:
    """The enterprise of a USCC, if recorded (what a staff form names an enterprise by)."""
    return session.scalar(select(Enterprise).where(Enterprise.uscc == codes.normalize_uscc(uscc)))


def get_enterprise_for(
    session: Session, principal: Principal, enterprise_id: uuid.UUID
) -> Enterprise:
    """An enterprise as the principal may see it: a borrower only its own (else not found)."""
    if not principal.can_act_for(enterprise_id):
        raise EnterpriseNotFound()
    return get_enterprise(session, enterprise_id)


def list_enterprises(
    session: Session, *, after: uuid.UUID | None = None, limit: int = 50
) -> list[Enterprise]:
    query = select(Enterprise).order_by(Enterprise.id).limit(limit)
    if after is not None:
        query = query.where(Enterprise.id > after)
    return list(session.scalars(query))


def enterprise_ids_oldest_first(session: Session) -> list[uuid.UUID]:
    """Every enterprise's id in the order they were registered (then by USCC)."""
    return list(
        session.scalars(select(Enterprise.id).order_by(Enterprise.created_at, Enterprise.uscc))
    )


def create_person(
    session: Session, clock: Clock, cipher: FieldCipher, data: PersonCreate
) -> Person:
    id_hash = cipher.lookup_hash(data.resident_id, "resident_id")
    if session.scalar(select(Person.id).where(Person.resident_id_hash == id_hash)) is not None:
        raise PersonExists(field="resident_id")
    person = Person(
        name=data.name,
        resident_id_enc=cipher.encrypt(data.resident_id, "resident_id"),
        resident_id_hash=id_hash,
        resident_id_masked=mask_resident_id(data.resident_id),
        mobile_enc=cipher.encrypt(data.mobile, "mobile"),
        mobile_hash=cipher.lookup_hash(data.mobile, "mobile"),
        mobile_masked=mask_mobile(data.mobile),
        created_at=clock.now(),
    )
    session.add(person)
    session.flush()
    audit.record(
        session,
        "person.create",
        "person",
        person.id,
        after={
            "name": data.name,
            "resident_id": person.resident_id_masked,
            "mobile": person.mobile_masked,
        },
    )
    return person


def find_person_by_resident_id(
    session: Session, cipher: FieldCipher, resident_id: str
) -> Person | None:
    id_hash = cipher.lookup_hash(codes.normalize_resident_id(resident_id), "resident_id")
    return session.scalar(select(Person).where(Person.resident_id_hash == id_hash))


def find_people_by_mobile(session: Session, cipher: FieldCipher, mobile: str) -> list[Person]:
    mobile_hash = cipher.lookup_hash(codes.normalize_mobile(mobile), "mobile")
    return list(session.scalars(select(Person).where(Person.mobile_hash == mobile_hash)))


def get_person(session: Session, person_id: uuid.UUID) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise PersonNotFound()
    return person


def person_masked(person: Person) -> PersonOut:
    return PersonOut(
        id=person.id,
        name=person.name,
        resident_id=person.resident_id_masked,
        mobile=person.mobile_masked,
        masked=True,
    )


def reveal_person(
    session: Session, cipher: FieldCipher, principal: Principal, person_id: uuid.UUID, reason: str
) -> PersonOut:
    """Identifiers in clear, for a role that needs them; every reveal is audited with its reason."""
    if not principal.is_staff:
        raise Forbidden()
    person = get_person(session, person_id)
    audit.record(
        session,
        "person.reveal",
        "person",
        person.id,
        after={"fields": ["resident_id", "mobile"], "reason": reason},
    )
    return PersonOut(
        id=person.id,
        name=person.name,
        resident_id=cipher.decrypt(person.resident_id_enc, "resident_id"),
        mobile=cipher.decrypt(person.mobile_enc, "mobile"),
        masked=False,
    )


def mobile_of(cipher: FieldCipher, person: Person) -> str:
    """The clear mobile number, for sending a message (never for display)."""
    return cipher.decrypt(person.mobile_enc, "mobile")


_PERSON_KINDS = {RelationKind.LEGAL_REPRESENTATIVE, RelationKind.ACTUAL_CONTROLLER}
_ENTERPRISE_KINDS = {RelationKind.UPSTREAM, RelationKind.DOWNSTREAM}


def add_relationship(
    session: Session, clock: Clock, enterprise_id: uuid.UUID, data: RelationshipCreate
) -> Relationship:
    get_enterprise(session, enterprise_id)
    kind = data.kind
    if (data.person_id is None) == (data.related_enterprise_id is None):
        raise InvalidRelationship(
            field="person_id",
            kind=kind.value,
            need="人员或企业之一",
            need_en="a person or an enterprise",
        )
    if kind in _PERSON_KINDS and data.person_id is None:
        raise InvalidRelationship(
            field="person_id", kind=kind.value, need="人员", need_en="a person"
        )
    if kind in _ENTERPRISE_KINDS and data.related_enterprise_id is None:
        raise InvalidRelationship(
            field="related_enterprise_id", kind=kind.value, need="关联企业", need_en="an enterprise"
        )
    share_bp: int | None = None
    if data.share_pct is not None:
        try:
            share = Decimal(data.share_pct) * 100
        except InvalidOperation as exc:
            raise InvalidInput(field="share_pct") from exc
        if share != share.to_integral_value() or not 0 < share <= 10000:
            raise InvalidInput(field="share_pct")
        share_bp = int(share)
    if kind == RelationKind.SHAREHOLDER and share_bp is None:
        raise InvalidRelationship(
            field="share_pct", kind=kind.value, need="持股比例", need_en="a share percentage"
        )
    if data.person_id is not None:
        get_person(session, data.person_id)
    if data.related_enterprise_id is not None:
        if data.related_enterprise_id == enterprise_id:
            raise InvalidInput(field="related_enterprise_id")
        get_enterprise(session, data.related_enterprise_id)
    rel = Relationship(
        enterprise_id=enterprise_id,
        kind=kind.value,
        person_id=data.person_id,
        related_enterprise_id=data.related_enterprise_id,
        share_bp=share_bp,
        created_at=clock.now(),
    )
    session.add(rel)
    session.flush()
    audit.record(
        session,
        "relationship.create",
        "enterprise",
        enterprise_id,
        after={
            "kind": kind.value,
            "person_id": data.person_id,
            "related_enterprise_id": data.related_enterprise_id,
            "share_bp": share_bp,
        },
    )
    return rel


@cache
def _relationships_statement() -> Select[Relationship]:
    enterprise_id = bindparam("enterprise_id", type_=Relationship.enterprise_id.type)
    return (
        select(Relationship)
        .where(Relationship.enterprise_id == enterprise_id)
        .order_by(Relationship.created_at)
    )


def relationships_of(session: Session, enterprise_id: uuid.UUID) -> list[Relationship]:
    return list(session.scalars(_relationships_statement(), {"enterprise_id": enterprise_id}))


@cache
def _legal_representatives_statement() -> Select[uuid.UUID]:
    person_id = cast("ColumnElement[uuid.UUID]", Relationship.person_id)  # not NULL: see below
    return (
        select(person_id)
        .where(
            Relationship.enterprise_id
            == bindparam("enterprise_id", type_=Relationship.enterprise_id.type),
            Relationship.kind == RelationKind.LEGAL_REPRESENTATIVE.value,
            Relationship.person_id.is_not(None),
        )
        .order_by(Relationship.created_at, Relationship.id)  # ids are UUIDv7: record order
    )


def legal_representatives_of(session: Session, enterprise_id: uuid.UUID) -> list[uuid.UUID]:
    """The people recorded as the enterprise's legal representative, oldest record first, so
    the last is the current one (ids only: what a consent or a contract checks, on the
    decision's hot path)."""
    return list(
        session.scalars(_legal_representatives_statement(), {"enterprise_id": enterprise_id})
    )


def enterprises_led_by(session: Session, person_id: uuid.UUID) -> list[uuid.UUID]:
    """The enterprises naming this person their legal representative, oldest record first
    (lending: a person guarantor's consent and group are its enterprise's)."""
    return list(
        session.scalars(
            select(Relationship.enterprise_id)
            .where(
                Relationship.person_id == person_id,
                Relationship.kind == RelationKind.LEGAL_REPRESENTATIVE.value,
            )
            .order_by(Relationship.created_at, Relationship.id)
        )
    )


# --- related parties (read-only look-ups other domains use) ------------------------------------

GROUP_PERSON_KINDS = (
    RelationKind.LEGAL_REPRESENTATIVE.value,
    RelationKind.ACTUAL_CONTROLLER.value,
    RelationKind.SHAREHOLDER.value,
)


def related_group_subquery(enterprise_id: ColumnElement[Any]) -> Subquery:
    """The related-party group of `enterprise_id` (a bound parameter or a column) as a subquery
    with one column `e` — for a caller folding it into a query of its own (decisioning)."""
    people = (
        select(Relationship.person_id)
        .where(
            Relationship.enterprise_id == enterprise_id,
            Relationship.kind.in_(GROUP_PERSON_KINDS),
            Relationship.person_id.is_not(None),
        )
        .scalar_subquery()
    )
    shareholder = RelationKind.SHAREHOLDER.value
    query = union(
        select(enterprise_id.label("e")),
        select(Relationship.enterprise_id.label("e")).where(
            Relationship.person_id.in_(people), Relationship.kind.in_(GROUP_PERSON_KINDS)
        ),
        select(Relationship.related_enterprise_id.label("e")).where(
            Relationship.enterprise_id == enterprise_id,
            Relationship.kind == shareholder,
            Relationship.related_enterprise_id.is_not(None),
        ),
        select(Relationship.enterprise_id.label("e")).where(
            Relationship.related_enterprise_id == enterprise_id,
            Relationship.kind == shareholder,
        ),
    )
    return query.subquery()


def led_by_count(person_id: uuid.UUID | ColumnElement[Any]) -> ScalarSelect[int]:
    """A scalar subquery: how many enterprises name this person their legal representative.

    Returned as an expression, not a number, so a caller can fold it into a query of its own
    (decisioning's anti-fraud counts are one round trip)."""
    return (
        select(func.count(func.distinct(Relationship.enterprise_id)))
        .where(
            Relationship.person_id == person_id,
            Relationship.kind == RelationKind.LEGAL_REPRESENTATIVE.value,
        )
        .scalar_subquery()
    )


def enterprise_ids_by_uscc(session: Session, usccs: list[str]) -> dict[str, uuid.UUID]:
    """The ids of the known enterprises among ``usccs`` (engagement matches list rows)."""
    out: dict[str, uuid.UUID] = {}
    wanted = sorted(set(usccs))
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        query = select(Enterprise.uscc, Enterprise.id).where(Enterprise.uscc.in_(chunk))
        out.update({uscc: ent_id for uscc, ent_id in session.execute(query)})
    return out


def enterprise_ids_in_region(session: Session, region_prefix: str) -> list[uuid.UUID]:
    """The enterprises whose region code starts with `region_prefix` ("33" a province,
    "3301" a city, six digits a district): a bulk reassignment of a manager's territory."""
    if not region_prefix.isdigit() or not 2 <= len(region_prefix) <= 6:
        return []
    query = select(Enterprise.id).where(Enterprise.region_code.startswith(region_prefix))
    return list(session.scalars(query.order_by(Enterprise.id)))


def enterprise_facts(session: Session) -> list[tuple[uuid.UUID, Any, str]]:
    """(id, registered here at (UTC datetime), size class) of every enterprise: for
    engagement's segments."""
    return list(
        session.execute(select(Enterprise.id, Enterprise.created_at, Enterprise.size_class))
    )
