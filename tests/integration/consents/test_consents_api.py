"""Consents over HTTP: the one-screen grant, listing, revocation, the legal representative's own
consents, text versions and hashes, audit, and borrower isolation."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.identity_factories import verify_rep

from puhui.consents import service, texts
from puhui.consents.models import Consent, Purpose
from puhui.core.clock import FixedClock
from puhui.core.models import AuditEvent, Role
from puhui.core.runtime import Runtime
from puhui.datahub.payloads import SourceName
from puhui.parties import service as parties_service
from puhui.parties.models import RelationKind
from puhui.parties.schemas import EnterpriseCreate, PersonCreate, RelationshipCreate

ENTERPRISE: dict[str, Any] = {
    "name": "杭州测试机械有限公司",
    "uscc": "91330100799655058B",
    "industry_section": "C",
    "region_code": "330100",
    "region_name": "浙江省杭州市",
    "registered_capital_fen": 500_000_000,
    "established_date": "2015-06-01",
    "size_class": "small",
}
ALL_SOURCES = [s.value for s in SourceName]


def _enterprise(session: Session, runtime: Runtime, uscc: str, name: str) -> uuid.UUID:
    ent = parties_service.create_enterprise(
        session, runtime.clock, EnterpriseCreate(**{**ENTERPRISE, "uscc": uscc, "name": name})
    )
    session.commit()
    return ent.id


def _legal_rep(session: Session, runtime: Runtime, enterprise_id: uuid.UUID) -> uuid.UUID:
    person = parties_service.create_person(
        session,
        runtime.clock,
        runtime.cipher,
        PersonCreate(name="陈测试", resident_id="11010519491231002X", mobile="13800138000"),
    )
    parties_service.add_relationship(
        session,
        runtime.clock,
        enterprise_id,
        RelationshipCreate(kind=RelationKind.LEGAL_REPRESENTATIVE, person_id=person.id),
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
    return person.id


@pytest.fixture
def ent_a(session: Session, runtime: Runtime) -> uuid.UUID:
    return _enterprise(session, runtime, "91330100799655058B", "杭州测试机械有限公司")


@pytest.fixture
def ent_b(session: Session, runtime: Runtime) -> uuid.UUID:
    return _enterprise(session, runtime, "914403001922038216", "深圳测试有限公司")


def _grant(
    client: TestClient, enterprise_id: uuid.UUID, headers: dict[str, str], **body: Any
) -> Any:
    payload = {"sources": ALL_SOURCES, "purpose": "credit_decision", "channel": "h5", **body}
    return client.post(
        f"/api/v1/enterprises/{enterprise_id}/consents", json=payload, headers=headers
    )


def test_borrower_grants_all_sources_on_one_screen(
    client: TestClient, headers_for: Any, session: Session, runtime: Runtime, ent_a: uuid.UUID
) -> None:
    borrower = headers_for(Role.BORROWER, [ent_a])
    shown = client.get(
        "/api/v1/consent-texts", params={"purpose": "credit_decision"}, headers=borrower
    )
    assert shown.status_code == 200 and len(shown.json()) == len(SourceName)
    sha = {t["source"]: t["sha256"] for t in shown.json()}
    assert "授权书" in shown.json()[0]["title"]

    r = _grant(client, ent_a, borrower, text_sha256=sha)
    assert r.status_code == 201, r.text
    granted = r.json()
    assert sorted(c["source"] for c in granted) == sorted(ALL_SOURCES)
    first = granted[0]
    assert first["status"] == "live" and first["channel"] == "h5"
    assert first["scope"] == "enterprise" and first["person_id"] is None
    assert first["text_sha256"] == sha[first["source"]] and first["text_lang"] == "zh"
    assert first["text_version"] == texts.RELEASES[-1][0]
    granted_at = datetime.fromisoformat(first["granted_at"])
    assert granted_at == runtime.clock.now()
    assert datetime.fromisoformat(first["expires_at"]) - granted_at == timedelta(days=365)
    me = client.get("/api/v1/me", headers=borrower).json()
    assert first["granted_by_user_id"] == me["user_id"]

    # One audit event for the bundle, naming every consent it granted.
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "consent.grant")).all()
    assert len(events) == 1 and events[0].entity_id == str(ent_a)
    assert events[0].actor_role == "borrower" and events[0].after is not None
    audited = events[0].after["consents"]
    assert {c["id"] for c in audited} == {c["id"] for c in granted}
    assert all(c["text_sha256"] == sha[c["source"]] for c in audited)
    assert all(c["superseded_ids"] == [] for c in audited)

    listed = client.get(f"/api/v1/enterprises/{ent_a}/consents", headers=borrower).json()
    assert {c["id"] for c in listed} == {c["id"] for c in granted}
    staff = client.get(
        f"/api/v1/enterprises/{ent_a}/consents", headers=headers_for(Role.CREDIT_OFFICER)
    )
    assert staff.status_code == 200 and len(staff.json()) == len(SourceName)


def test_borrower_lists_and_revokes_only_its_own_consents(
    client: TestClient,
    headers_for: Any,
    session: Session,
    runtime: Runtime,
    ent_a: uuid.UUID,
    ent_b: uuid.UUID,
) -> None:
    borrower_a = headers_for(Role.BORROWER, [ent_a])
    borrower_b = headers_for(Role.BORROWER, [ent_b])
    a = _grant(client, ent_a, borrower_a, sources=["tax"]).json()[0]
    b = _grant(client, ent_b, borrower_b, sources=["tax", "utilities"]).json()

    mine = client.get("/api/v1/me/consents", headers=borrower_a).json()
    assert [c["id"] for c in mine] == [a["id"]]
    assert (
        client.get(f"/api/v1/enterprises/{ent_b}/consents", headers=borrower_a).status_code == 404
    )
    # A cannot grant for, or revoke, B's consents: B's consents look absent (404).
    assert _grant(client, ent_b, borrower_a).status_code == 404
    r = client.post(f"/api/v1/me/consents/{b[0]['id']}/revoke", json={}, headers=borrower_a)
    assert r.status_code == 404 and r.json()["code"] == "consent_not_found"
    r = client.post(
        f"/api/v1/enterprises/{ent_b}/consents/{b[0]['id']}/revoke", json={}, headers=borrower_a
    )
    assert r.status_code == 404
    r = client.post(  # B's consent under A's enterprise path
        f"/api/v1/enterprises/{ent_a}/consents/{b[0]['id']}/revoke", json={}, headers=borrower_a
    )
    assert r.status_code == 404
    assert all(
        c["status"] == "live" for c in client.get("/api/v1/me/consents", headers=borrower_b).json()
    )

    revoked = client.post(
        f"/api/v1/me/consents/{a['id']}/revoke", json={"reason": "不再需要"}, headers=borrower_a
    )
    assert revoked.status_code == 200, revoked.text
    body = revoked.json()
    assert body["status"] == "revoked" and body["revoke_reason"] == "不再需要"
    assert datetime.fromisoformat(body["revoked_at"]) == runtime.clock.now()
    again = client.post(f"/api/v1/me/consents/{a['id']}/revoke", json={}, headers=borrower_a)
    assert again.status_code == 409 and again.json()["code"] == "consent_already_ended"
    event = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "consent.revoke", AuditEvent.entity_id == a["id"]
        )
    ).one()
    assert event.before == {"status": "live"} and event.actor_role == "borrower"
    assert (
        service.live_consent(
            session, runtime.clock.now(), ent_a, SourceName.TAX, Purpose.CREDIT_DECISION
        )
        is None
    )

    # Staff revoke at the customer's request through the enterprise path.
    s = client.post(
        f"/api/v1/enterprises/{ent_b}/consents/{b[1]['id']}/revoke",
        json={"reason": "客户电话要求撤回"},
        headers=headers_for(Role.SERVICE_REP),
    )
    assert s.status_code == 200 and s.json()["status"] == "revoked"


def test_legal_representative_consents_are_personal(
    client: TestClient,
    headers_for: Any,
    session: Session,
    runtime: Runtime,
    ent_a: uuid.UUID,
    ent_b: uuid.UUID,
) -> None:
    person = _legal_rep(session, runtime, ent_a)
    borrower = headers_for(Role.BORROWER, [ent_a])
    body = {"sources": ["credit_bureau"], "scope": "legal_representative"}
    missing = _grant(client, ent_a, borrower, **body)
    assert missing.status_code == 422
    assert missing.json()["code"] == "consent_person_not_legal_representative"
    # Only the enterprise's own legal representative.
    borrower_b = headers_for(Role.BORROWER, [ent_b])
    wrong = _grant(client, ent_b, borrower_b, person_id=str(person), **body)
    assert wrong.status_code == 422
    # Personal scope only for the credit bureau.
    tax = _grant(
        client,
        ent_a,
        borrower,
        sources=["tax"],
        scope="legal_representative",
        person_id=str(person),
    )
    assert tax.status_code == 422 and tax.json()["code"] == "consent_scope_not_allowed"

    ok = _grant(client, ent_a, borrower, person_id=str(person), **body)
    assert ok.status_code == 201, ok.text
    consent = ok.json()[0]
    assert consent["person_id"] == str(person) and consent["scope"] == "legal_representative"
    listed = client.get(f"/api/v1/people/{person}/consents", headers=headers_for(Role.SERVICE_REP))
    assert listed.status_code == 200 and [c["id"] for c in listed.json()] == [consent["id"]]
    assert client.get(f"/api/v1/people/{person}/consents", headers=borrower).status_code == 403
    assert [c["id"] for c in client.get("/api/v1/me/consents", headers=borrower).json()] == [
        consent["id"]
    ]


def test_refusals_change_nothing(
    client: TestClient, headers_for: Any, session: Session, ent_a: uuid.UUID
) -> None:
    borrower = headers_for(Role.BORROWER, [ent_a])
    cases = [
        (
            {"sources": ["tax", "credit_bureau"], "purpose": "marketing"},
            422,
            "consent_purpose_not_allowed",
        ),
        ({"text_versions": {"tax": "1999.1"}}, 422, "consent_text_unknown"),
        ({"text_sha256": {"tax": "0" * 64}}, 409, "consent_text_mismatch"),
        ({"sources": ["weather"]}, 422, "validation_failed"),
        ({"valid_days": 0}, 422, "validation_failed"),
        ({"sources": ["tax"], "person_id": str(uuid.uuid4())}, 422, "invalid_input"),
    ]
    for body, status, code in cases:
        r = _grant(client, ent_a, borrower, **body)
        assert (r.status_code, r.json()["code"]) == (status, code), body
    assert session.scalar(select(Consent.id).limit(1)) is None
    en = _grant(client, ent_a, {**borrower, "Accept-Language": "en"}, purpose="marketing")
    assert "may not be used for marketing" in en.json()["detail"]


def test_a_new_grant_supersedes_the_live_one_and_a_manager_may_record_it(
    client: TestClient, headers_for: Any, session: Session, runtime: Runtime, ent_a: uuid.UUID
) -> None:
    clock = runtime.clock
    assert isinstance(clock, FixedClock)
    borrower = headers_for(Role.BORROWER, [ent_a])
    old = _grant(client, ent_a, borrower, sources=["tax"]).json()[0]
    clock.advance(timedelta(minutes=5))
    new = _grant(
        client, ent_a, headers_for(Role.CUSTOMER_MANAGER), sources=["tax"], channel="console"
    ).json()[0]
    assert new["channel"] == "console"
    r = client.get(f"/api/v1/enterprises/{ent_a}/consents", headers=borrower)
    listed = {c["id"]: c for c in r.json()}
    assert listed[old["id"]]["status"] == "superseded"
    assert listed[old["id"]]["superseded_by_id"] == new["id"]
    assert listed[new["id"]]["status"] == "live"
    live = service.live_consent(
        session, clock.now(), ent_a, SourceName.TAX, Purpose.CREDIT_DECISION
    )
    assert live is not None and str(live.id) == new["id"]

    # A year later the new consent has expired; it may still be revoked (the wish is recorded).
    clock.advance(timedelta(days=365))
    rows = {str(c.id): c for c in service.list_for_enterprise(session, ent_a)}
    assert service.consent_out(rows[new["id"]], clock.now()).status == "expired"
    revoked = service.revoke(session, clock, rows[new["id"]].id, revoked_by=None)
    assert service.consent_out(revoked, clock.now()).status == "revoked"
