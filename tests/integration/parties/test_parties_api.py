from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from puhui.core.models import AuditEvent, Role
from puhui.parties import service
from puhui.parties.models import Enterprise, Person

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
PERSON = {"name": "陈测试", "resident_id": "11010519491231002X", "mobile": "13800138000"}


def test_create_and_read_enterprise(client: TestClient, headers_for: Any) -> None:
    cm = headers_for(Role.CUSTOMER_MANAGER)
    r = client.post("/api/v1/enterprises", json=ENTERPRISE, headers=cm)
    assert r.status_code == 201, r.text
    ent = r.json()
    assert ent["uscc"] == ENTERPRISE["uscc"]
    r = client.get(f"/api/v1/enterprises/{ent['id']}", headers=headers_for(Role.CREDIT_OFFICER))
    assert r.status_code == 200 and r.json()["name"] == ENTERPRISE["name"]
    dup = client.post("/api/v1/enterprises", json=ENTERPRISE, headers=cm)
    assert dup.status_code == 409 and dup.json()["code"] == "enterprise_exists"


def test_invalid_uscc_is_422_in_chinese_and_stores_nothing(
    client: TestClient, headers_for: Any, session: Session
) -> None:
    before = session.scalar(select(func.count()).select_from(Enterprise))
    bad = {**ENTERPRISE, "uscc": "91330100799655058C"}
    r = client.post("/api/v1/enterprises", json=bad, headers=headers_for(Role.CUSTOMER_MANAGER))
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["errors"][0]["field"] == "uscc"
    assert "统一社会信用代码" in body["errors"][0]["message"]
    assert "uscc" in body["detail"]
    r_en = client.post(
        "/api/v1/enterprises",
        json=bad,
        headers={**headers_for(Role.CUSTOMER_MANAGER), "Accept-Language": "en"},
    )
    assert "unified social credit code" in r_en.json()["errors"][0]["message"]
    assert session.scalar(select(func.count()).select_from(Enterprise)) == before


def test_invalid_resident_id_and_mobile_are_422_naming_the_field(
    client: TestClient, headers_for: Any, session: Session
) -> None:
    cm = headers_for(Role.CUSTOMER_MANAGER)
    before = session.scalar(select(func.count()).select_from(Person))
    r = client.post(
        "/api/v1/people", json={**PERSON, "resident_id": "110105194912310021"}, headers=cm
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "resident_id"
    assert "身份证" in r.json()["errors"][0]["message"]
    r = client.post("/api/v1/people", json={**PERSON, "mobile": "1380013800"}, headers=cm)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "mobile"
    assert "手机" in r.json()["errors"][0]["message"]
    assert session.scalar(select(func.count()).select_from(Person)) == before


def test_person_masked_and_reveal_is_audited(
    client: TestClient, headers_for: Any, session: Session
) -> None:
    r = client.post("/api/v1/people", json=PERSON, headers=headers_for(Role.CUSTOMER_MANAGER))
    assert r.status_code == 201, r.text
    person = r.json()
    assert person["resident_id"] == "110105********002X"
    assert person["mobile"] == "138****8000"
    got = client.get(f"/api/v1/people/{person['id']}", headers=headers_for(Role.SERVICE_REP)).json()
    assert got["mobile"] == "138****8000" and got["masked"] is True
    # A customer manager may not see clear values; a credit officer may, with an audited reason.
    denied = client.post(
        f"/api/v1/people/{person['id']}/reveal",
        json={"reason": "核对身份"},
        headers=headers_for(Role.CUSTOMER_MANAGER),
    )
    assert denied.status_code == 403
    clear = client.post(
        f"/api/v1/people/{person['id']}/reveal",
        json={"reason": "核对身份"},
        headers=headers_for(Role.CREDIT_OFFICER),
    )
    assert clear.status_code == 200
    assert clear.json()["resident_id"] == PERSON["resident_id"]
    event = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "person.reveal", AuditEvent.entity_id == person["id"]
        )
    ).one()
    assert event.actor_role == "credit_officer"
    assert event.after == {"fields": ["resident_id", "mobile"], "reason": "核对身份"}


def test_relationships(client: TestClient, headers_for: Any) -> None:
    cm = headers_for(Role.CUSTOMER_MANAGER)
    ent = client.post("/api/v1/enterprises", json=ENTERPRISE, headers=cm).json()
    other = client.post(
        "/api/v1/enterprises",
        json={**ENTERPRISE, "uscc": "914403001922038216", "name": "深圳测试有限公司"},
        headers=cm,
    ).json()
    person = client.post("/api/v1/people", json=PERSON, headers=cm).json()
    ok = client.post(
        f"/api/v1/enterprises/{ent['id']}/relationships",
        json={"kind": "shareholder", "person_id": person["id"], "share_pct": "35.5"},
        headers=cm,
    )
    assert ok.status_code == 201 and ok.json()["share_bp"] == 3550
    up = client.post(
        f"/api/v1/enterprises/{ent['id']}/relationships",
        json={"kind": "upstream", "related_enterprise_id": other["id"]},
        headers=cm,
    )
    assert up.status_code == 201
    bad = client.post(
        f"/api/v1/enterprises/{ent['id']}/relationships",
        json={"kind": "legal_representative", "related_enterprise_id": other["id"]},
        headers=cm,
    )
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_relationship"
    rels = client.get(f"/api/v1/enterprises/{ent['id']}/relationships", headers=cm).json()
    assert {r["kind"] for r in rels} == {"shareholder", "upstream"}


def test_legal_representatives_oldest_first_and_the_last_is_current(
    client: TestClient, headers_for: Any, session: Session
) -> None:
    cm = headers_for(Role.CUSTOMER_MANAGER)
    ent = client.post("/api/v1/enterprises", json=ENTERPRISE, headers=cm).json()
    first = client.post("/api/v1/people", json=PERSON, headers=cm).json()
    second = client.post(
        "/api/v1/people",
        json={**PERSON, "resident_id": "110105198001010032", "mobile": "13800138001"},
        headers=cm,
    ).json()
    for kind, person in (("shareholder", first), ("legal_representative", first),
                         ("legal_representative", second)):  # fmt: skip
        share = {"share_pct": "40"} if kind == "shareholder" else {}
        r = client.post(
            f"/api/v1/enterprises/{ent['id']}/relationships",
            json={"kind": kind, "person_id": person["id"], **share},
            headers=cm,
        )
        assert r.status_code == 201, r.text
    reps = service.legal_representatives_of(session, uuid.UUID(ent["id"]))
    assert reps == [uuid.UUID(first["id"]), uuid.UUID(second["id"])]
    # the current one — what a decision takes and a contract names as signer — is the last
    found, current = service.find_enterprise_with_legal_rep(session, ENTERPRISE["uscc"])
    assert found is not None and current is not None and current.id == reps[-1]
    assert service.legal_representatives_of(session, uuid.uuid4()) == []


def test_borrower_sees_only_its_own_enterprise(client: TestClient, headers_for: Any) -> None:
    cm = headers_for(Role.CUSTOMER_MANAGER)
    a = client.post("/api/v1/enterprises", json=ENTERPRISE, headers=cm).json()
    b = client.post(
        "/api/v1/enterprises",
        json={**ENTERPRISE, "uscc": "914403001922038216", "name": "深圳测试有限公司"},
        headers=cm,
    ).json()
    borrower_a = headers_for(Role.BORROWER, [a["id"]])
    assert client.get(f"/api/v1/enterprises/{a['id']}", headers=borrower_a).status_code == 200
    assert client.get(f"/api/v1/enterprises/{b['id']}", headers=borrower_a).status_code == 404
    assert (
        client.get(f"/api/v1/enterprises/{b['id']}/relationships", headers=borrower_a).status_code
        == 404
    )
    assert client.get("/api/v1/enterprises", headers=borrower_a).status_code == 403
    assert (
        client.post(
            f"/api/v1/enterprises/{b['id']}/relationships",
            json={"kind": "upstream", "related_enterprise_id": a["id"]},
            headers=borrower_a,
        ).status_code
        == 403
    )


def test_cursor_pagination(client: TestClient, headers_for: Any) -> None:
    cm = headers_for(Role.CUSTOMER_MANAGER)
    codes = ["914403001922038216", "9144030071526726XG", "91100000100003962T"]
    for i, code in enumerate(codes):
        client.post(
            "/api/v1/enterprises",
            json={**ENTERPRISE, "uscc": code, "name": f"企业{i}号"},
            headers=cm,
        )
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/enterprises", params=params, headers=cm).json()
        seen += [e["uscc"] for e in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    # Other tests may have committed enterprises of their own (PostgreSQL concurrency tests):
    # every one of ours appears exactly once, in id order, across the pages.
    assert len(seen) == len(set(seen))
    assert set(codes) <= set(seen)
    bad = client.get("/api/v1/enterprises", params={"cursor": "garbage"}, headers=cm)
    assert bad.status_code == 422
