"""`grant_bundles`: several bundles (an application's enterprise sources and its legal
representative's credit-bureau consent) granted at once, in a few statements, superseding the
live consents they replace; a refused bundle leaves nothing written; one audit event a bundle."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.identity_factories import verify_rep
from tests.support.sql import statements

from puhui.consents import service
from puhui.consents.errors import (
    ConsentTextUnknown,
    PersonNotLegalRepresentative,
    ScopeNotAllowed,
)
from puhui.consents.models import Consent, ConsentScope, ConsentStatus, Purpose
from puhui.core.clock import FixedClock
from puhui.core.errors import DomainError, InvalidInput
from puhui.core.models import AuditEvent
from puhui.core.runtime import Runtime
from puhui.datahub.payloads import SourceName
from puhui.parties import service as parties_service
from puhui.parties.models import Enterprise, Person, RelationKind
from puhui.parties.schemas import EnterpriseCreate, PersonCreate, RelationshipCreate

DECISION = Purpose.CREDIT_DECISION
BUREAU = SourceName.CREDIT_BUREAU
LEGAL_REP = ConsentScope.LEGAL_REPRESENTATIVE
ENTERPRISE_SOURCES = list(SourceName)  # all seven, as an application asks for them


def _enterprise(session: Session, runtime: Runtime, uscc: str = "91330100799655058B") -> Enterprise:
    return parties_service.create_enterprise(
        session,
        runtime.clock,
        EnterpriseCreate(
            name=f"测试企业{uscc[-4:]}",
            uscc=uscc,
            industry_section="C",
            region_code="330100",
            region_name="浙江省杭州市",
            registered_capital_fen=500_000_000,
            established_date="2015-06-01",
            size_class="small",
        ),
    )


def _person(session: Session, runtime: Runtime, resident_id: str) -> Person:
    return parties_service.create_person(
        session,
        runtime.clock,
        runtime.cipher,
        PersonCreate(name="陈测试", resident_id=resident_id, mobile="13800138000"),
    )


@pytest.fixture
def world(session: Session, runtime: Runtime) -> dict[str, Any]:
    """An enterprise, its legal representative, and a person who is not its representative."""
    enterprise = _enterprise(session, runtime)
    rep = _person(session, runtime, "11010519491231002X")
    stranger = _person(session, runtime, "110105198001010016")
    parties_service.add_relationship(
        session,
        runtime.clock,
        enterprise.id,
        RelationshipCreate(kind=RelationKind.LEGAL_REPRESENTATIVE, person_id=rep.id),
    )
    verify_rep(  # the legal representative passed three-factor verification (issue 15)
        session,
        runtime.clock,
        runtime.cipher,
        name="陈测试",
        resident_id="11010519491231002X",
        mobile="13800138000",
    )
    session.commit()
    return {"enterprise": enterprise, "rep": rep, "stranger": stranger}


def _bundles(rep_id: uuid.UUID) -> list[service.Bundle]:
    return [service.Bundle(ENTERPRISE_SOURCES), service.Bundle([BUREAU], LEGAL_REP, rep_id)]


def _consent_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Consent)) or 0)


def test_two_bundles_are_granted_and_supersede_the_live_consents_they_replace(
    session: Session, runtime: Runtime, engine: Engine, world: dict[str, Any]
) -> None:
    clock = runtime.clock
    assert isinstance(clock, FixedClock)
    enterprise, rep = world["enterprise"], world["rep"]
    (old_tax,) = service.grant_bundle(session, clock, enterprise.id, [SourceName.TAX], DECISION)
    (old_bureau,) = service.grant_bundle(
        session, clock, enterprise.id, [BUREAU], DECISION, scope=LEGAL_REP, person_id=rep.id
    )
    (marketing,) = service.grant_bundle(
        session, clock, enterprise.id, [SourceName.TAX], Purpose.MARKETING
    )
    session.commit()
    clock.advance(timedelta(minutes=5))
    now = clock.now()

    with statements(engine) as seen:
        granted = service.grant_bundles(
            session, clock, enterprise.id, _bundles(rep.id), DECISION, granted_by=None
        )
    # One query of the relationships (the legal representative), one of the representative's
    # three-factor verification (issue 15), one INSERT, one UPDATE.
    assert len(seen) <= 4, seen
    assert not any(s.startswith("SELECT") and "consents_consent" in s for s in seen), seen

    enterprise_consents, rep_consents = granted
    assert [c.source for c in enterprise_consents] == [s.value for s in ENTERPRISE_SOURCES]
    assert {(c.scope, c.person_id) for c in enterprise_consents} == {("enterprise", None)}
    (new_bureau,) = rep_consents
    assert (new_bureau.source, new_bureau.scope, new_bureau.person_id) == (
        "credit_bureau",
        "legal_representative",
        rep.id,
    )
    assert all(c.granted_at == now and c.is_live(now) for c in enterprise_consents + rep_consents)
    new_tax = enterprise_consents[0]
    # The loaded old rows are brought up to date, and the database agrees.
    assert old_tax.superseded_by_id == new_tax.id
    assert old_bureau.superseded_by_id == new_bureau.id
    assert old_tax.status_at(now) == ConsentStatus.SUPERSEDED
    assert marketing.superseded_by_id is None  # another purpose is not replaced
    session.commit()
    session.expire_all()
    stored = {c.id: c.superseded_by_id for c in session.scalars(select(Consent))}
    assert stored[old_tax.id] == new_tax.id and stored[old_bureau.id] == new_bureau.id
    assert stored[marketing.id] is None
    assert sum(1 for v in stored.values() if v is None) == 8 + 1  # the new ones + marketing
    live = service.live_consents(session, now, enterprise.id, ENTERPRISE_SOURCES, DECISION)
    assert {c.id for c in live.values()} == {c.id for c in enterprise_consents}
    assert service.live_consent(
        session, now, enterprise.id, BUREAU, DECISION, LEGAL_REP, rep.id
    ) == (new_bureau)

    # One audit event per bundle, naming every consent and what it superseded.
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "consent.grant", AuditEvent.occurred_at == now)
        .order_by(AuditEvent.seq)
    ).all()
    assert len(events) == 2
    first, second = (e.after or {} for e in events)
    assert first["scope"] == "enterprise" and first["person_id"] is None
    assert [c["id"] for c in first["consents"]] == [str(c.id) for c in enterprise_consents]
    by_source = {c["source"]: c for c in first["consents"]}
    assert by_source["tax"]["superseded_ids"] == [str(old_tax.id)]
    assert by_source["registry"]["superseded_ids"] == []
    assert all(c["text_sha256"] and c["scope"] == "enterprise" for c in first["consents"])
    assert second["scope"] == "legal_representative" and second["person_id"] == str(rep.id)
    assert second["consents"] == [
        {
            "id": str(new_bureau.id),
            "source": "credit_bureau",
            "scope": "legal_representative",
            "person_id": str(rep.id),
            "text_version": new_bureau.text_version,
            "text_sha256": new_bureau.text_sha256,
            "superseded_ids": [str(old_bureau.id)],
        }
    ]


def test_grant_bundle_is_one_bundle_of_grant_bundles(
    session: Session, runtime: Runtime, engine: Engine, world: dict[str, Any]
) -> None:
    enterprise = world["enterprise"]
    session.commit()
    with statements(engine) as seen:
        granted = service.grant_bundle(
            session, runtime.clock, enterprise.id, ENTERPRISE_SOURCES, DECISION
        )
    assert [c.source for c in granted] == [s.value for s in ENTERPRISE_SOURCES]
    # An enterprise bundle needs no relationship query: one INSERT and one UPDATE.
    assert len(seen) == 2 and seen[0].startswith("INSERT") and seen[1].startswith("UPDATE"), seen


BAD_SECOND_BUNDLES: dict[str, tuple[Callable[[dict[str, Any]], service.Bundle], type]] = {
    "person who is not the legal representative": (
        lambda w: service.Bundle([BUREAU], LEGAL_REP, w["stranger"].id),
        PersonNotLegalRepresentative,
    ),
    "legal representative scope without a person": (
        lambda w: service.Bundle([BUREAU], LEGAL_REP),
        PersonNotLegalRepresentative,
    ),
    "unknown text version": (
        lambda w: service.Bundle(
            [BUREAU], LEGAL_REP, w["rep"].id, text_versions={BUREAU: "1999-01"}
        ),
        ConsentTextUnknown,
    ),
    "source not allowed for the scope": (
        lambda w: service.Bundle([SourceName.TAX], LEGAL_REP, w["rep"].id),
        ScopeNotAllowed,
    ),
    "no sources": (lambda w: service.Bundle([]), InvalidInput),
    "a source already in the first bundle": (
        lambda w: service.Bundle([SourceName.TAX]),
        InvalidInput,
    ),
}


@pytest.mark.parametrize("case", list(BAD_SECOND_BUNDLES))
def test_a_bad_second_bundle_leaves_nothing_written(
    session: Session, runtime: Runtime, engine: Engine, world: dict[str, Any], case: str
) -> None:
    enterprise = world["enterprise"]
    (earlier,) = service.grant_bundle(
        session, runtime.clock, enterprise.id, [SourceName.TAX], DECISION
    )
    session.commit()
    before = _consent_count(session)
    make, error = BAD_SECOND_BUNDLES[case]
    bad = make(world)
    with statements(engine) as seen, pytest.raises(error):
        service.grant_bundles(
            session,
            runtime.clock,
            enterprise.id,
            [service.Bundle(ENTERPRISE_SOURCES), bad],
            DECISION,
        )
    assert not any(s.startswith(("INSERT", "UPDATE", "DELETE")) for s in seen), seen
    assert not session.info.get("audit_pending")
    assert not session.new and not session.dirty
    assert _consent_count(session) == before
    assert earlier.superseded_by_id is None
    assert (
        service.live_consent(session, runtime.clock.now(), enterprise.id, SourceName.TAX, DECISION)
        == earlier
    )


def test_bundles_are_refused_for_an_unknown_enterprise_and_bad_validity(
    session: Session, runtime: Runtime, world: dict[str, Any]
) -> None:
    rep = world["rep"]
    with pytest.raises(DomainError) as err:
        service.grant_bundles(session, runtime.clock, uuid.uuid4(), _bundles(rep.id), DECISION)
    assert err.value.status == 404
    with pytest.raises(InvalidInput):
        service.grant_bundles(
            session, runtime.clock, world["enterprise"].id, _bundles(rep.id), DECISION, valid_days=0
        )
    with pytest.raises(InvalidInput):
        service.grant_bundles(session, runtime.clock, world["enterprise"].id, [], DECISION)
    assert _consent_count(session) == 0
