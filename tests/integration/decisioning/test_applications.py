"""Applications through the API: approval within every cap, knock-outs, cross-validation,
consents, lineage, idempotency, bad input (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from decisioning_world import (
    REQUEST_FEN,
    PatchingConnector,
    application_body,
    clean_index,
    firm,
    patched,
    register,
    use_connectors,
)
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.identity_factories import verify_rep
from tests.support.sql import statements

from puhui.consents.models import Consent
from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.datahub.models import PullRow, SnapshotRow
from puhui.datahub.payloads import JudicialPayload, SourceName
from puhui.decisioning.models import Application, Decision, Review
from puhui.lending import service as lending_service
from puhui.parties.models import Enterprise

CEILING_FEN = 10_000_000 * 100


def _counts(session: Session) -> dict[str, int]:
    session.expire_all()
    return {
        model.__tablename__: int(session.scalar(select(func.count()).select_from(model)) or 0)
        for model in (Application, Decision, Consent, SnapshotRow, PullRow, Enterprise, Review)
    }


def test_clean_enterprise_is_approved_within_every_cap(
    session: Session, runtime: Runtime, apply: Any, headers_for: Any, client: TestClient
) -> None:
    f = register(session, runtime, clean_index())
    resp = apply(application_body(f), headers_for(Role.CUSTOMER_MANAGER))
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["status"] == "approved"
    decision = body["decision"]
    assert decision["outcome"] == "approve"
    product = lending_service.get_product(session, "weiyedai")
    assert 0 < decision["limit_fen"] <= min(REQUEST_FEN, product.max_limit_fen, CEILING_FEN)
    assert product.min_rate_bp <= decision["rate_bp"] <= product.max_rate_bp
    assert decision["term_months"] == 12
    assert decision["policy_version"] == 1
    assert decision["model_version"]
    assert decision["latency_ms"] >= 0
    # the offer is a credit line pending signature, made through lending
    line = lending_service.get_line(session, uuid.UUID(body["credit_line_id"]))
    assert line.status == "pending_signature"
    assert line.limit_fen == decision["limit_fen"] and line.rate_bp == decision["rate_bp"]
    assert str(line.decision_id) == decision["id"]
    # the status history is visible to the applicant's side, as stored (the answer to the
    # application and a later read show the same history)
    assert [h["to_status"] for h in body["history"]] == ["submitted", "approved"]
    shown = client.get(
        f"/api/v1/applications/{body['id']}", headers=headers_for(Role.CUSTOMER_MANAGER)
    ).json()
    assert {k: shown[k] for k in body if k != "decision"} == {
        k: v for k, v in body.items() if k != "decision"
    }
    # lineage: features, snapshots, policy and model versions (staff)
    lineage = client.get(
        f"/api/v1/decisions/{decision['id']}", headers=headers_for(Role.CREDIT_OFFICER)
    ).json()
    assert lineage["feature_set_version"]
    assert len(lineage["snapshot_ids"]) == 8  # 7 enterprise sources + the legal rep's bureau
    assert lineage["features"]["sales_12m_fen"] > 0
    assert lineage["inputs"]["score"]["pd"] == decision["pd"]
    # consents were granted in the same step, for the credit decision
    consents = session.scalars(select(Consent).where(Consent.enterprise_id == f.enterprise_id))
    assert {(c.source, c.scope, c.purpose) for c in consents} == {
        *((s.value, "enterprise", "credit_decision") for s in SourceName),
        ("credit_bureau", "legal_representative", "credit_decision"),
    }


def _dishonest(payload: Any) -> Any:
    assert isinstance(payload, JudicialPayload)
    record = {
        "case_number": "(2026)沪0115执1234号",
        "court": "上海市浦东新区人民法院",
        "listed_date": "2026-09-01",
        "amount_fen": 12_000_000,
        "circumstance": "有履行能力而拒不履行生效法律文书确定义务",
        "performance": "unperformed",
        "removed_date": None,
    }
    return JudicialPayload.model_validate(
        {**payload.model_dump(), "dishonest_debtor_records": [record]}
    )


def test_knock_out_declines_with_its_reason(
    session: Session, runtime: Runtime, apply: Any, headers_for: Any, app: Any
) -> None:
    f = register(session, runtime, clean_index())
    patched(app, {(SourceName.JUDICIAL, f.uscc): _dishonest})
    resp = apply(application_body(f), headers_for(Role.CUSTOMER_MANAGER))
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["status"] == "declined"
    assert body["credit_line_id"] is None
    reasons = body["decision"]["reasons"]
    assert reasons[0]["code"] == "KO_DISHONEST_DEBTOR"
    assert reasons[0]["zh"] == "企业被列入失信被执行人名单"
    assert "dishonest" in reasons[0]["en"]
    assert body["decision"]["limit_fen"] == 0


def test_declared_revenue_far_above_tax_declines(
    session: Session, runtime: Runtime, apply: Any, headers_for: Any, client: TestClient
) -> None:
    f = register(session, runtime, clean_index())
    staff = headers_for(Role.CUSTOMER_MANAGER)
    first = apply(application_body(f), staff).json()
    sales = client.get(
        f"/api/v1/decisions/{first['decision']['id']}", headers=headers_for(Role.CREDIT_OFFICER)
    ).json()["features"]["sales_12m_fen"]
    resp = apply(application_body(f, declared_annual_revenue_fen=int(sales * 5)), staff)
    body = resp.json()
    assert body["status"] == "declined", body
    assert body["decision"]["reasons"][0]["code"] == "XV_DECLARED_FAR_ABOVE_TAX"
    assert body["decision"]["reasons"][0]["zh"] == "申报营业收入超过开票销售额的3倍"


def test_declared_revenue_two_and_a_half_times_tax_is_referred(
    session: Session, runtime: Runtime, apply: Any, headers_for: Any, client: TestClient
) -> None:
    f = register(session, runtime, clean_index())
    staff = headers_for(Role.CUSTOMER_MANAGER)
    first = apply(application_body(f), staff).json()
    sales = client.get(
        f"/api/v1/decisions/{first['decision']['id']}", headers=headers_for(Role.CREDIT_OFFICER)
    ).json()["features"]["sales_12m_fen"]
    resp = apply(application_body(f, declared_annual_revenue_fen=int(sales * 2.5)), staff)
    body = resp.json()
    assert body["status"] == "referred", body
    codes = [r["code"] for r in body["decision"]["reasons"]]
    assert codes[0] == "XV_DECLARED_ABOVE_TAX"
    assert body["review_id"] and body["credit_line_id"] is None
    queue = client.get("/api/v1/reviews", headers=headers_for(Role.CREDIT_OFFICER)).json()
    assert body["review_id"] in [r["id"] for r in queue["items"]]


def test_bad_input_is_refused_in_chinese_and_changes_nothing(
    session: Session, runtime: Runtime, apply: Any, headers_for: Any
) -> None:
    f = register(session, runtime, clean_index())
    staff = headers_for(Role.CUSTOMER_MANAGER)
    before = _counts(session)

    bad_uscc = apply(
        application_body(f, uscc=f.uscc[:-1] + ("0" if f.uscc[-1] != "0" else "1")), staff
    )
    assert bad_uscc.status_code == 422
    assert bad_uscc.headers["content-type"].startswith("application/problem+json")
    assert bad_uscc.json()["errors"][0]["field"] == "uscc"
    assert "统一社会信用代码" in bad_uscc.json()["detail"]

    for amount in (0, -100):
        resp = apply(application_body(f, requested_amount_fen=amount), staff)
        assert resp.status_code == 422
        assert resp.json()["errors"][0]["field"] == "requested_amount_fen"
        assert "数值过小" in resp.json()["detail"]

    unknown = apply(application_body(f, product_code="no-such-product"), staff)
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "product_unknown"
    assert unknown.json()["detail"] == "产品 no-such-product 不存在。"

    no_consent = apply(application_body(f, consent={"agree": False}), staff)
    assert no_consent.status_code == 403
    assert no_consent.json()["code"] == "consent_missing"
    assert "未获得有效授权" in no_consent.json()["detail"]

    missing = apply({k: v for k, v in application_body(f).items() if k != "consent"}, staff)
    assert missing.status_code == 422

    english = apply(application_body(f, product_code="nope"), {**staff, "Accept-Language": "en"})
    assert english.json()["detail"] == "There is no product nope."
    assert _counts(session) == before


def test_idempotency_key_replays_the_first_result(
    session: Session, runtime: Runtime, apply: Any, headers_for: Any
) -> None:
    f = register(session, runtime, clean_index())
    staff = headers_for(Role.CUSTOMER_MANAGER)
    first = apply(application_body(f), staff, key="same-key")
    again = apply(application_body(f), staff, key="same-key")
    assert first.status_code == 201 and again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["replayed"] is True
    other = apply(
        application_body(f, requested_amount_fen=REQUEST_FEN + 100), staff, key="same-key"
    )
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    n = session.scalar(select(func.count()).select_from(Application))
    assert n == 1


def test_borrower_applies_for_a_new_enterprise_registered_from_the_registry(
    session: Session, runtime: Runtime, apply: Any, headers_for: Any, client: TestClient
) -> None:
    f = firm(clean_index())
    from puhui.datahub.sandbox import default_provider

    world = default_provider().world
    rep = world.people.row(world.enterprises["legal_rep_person_id"][f.index], named=True)
    # the legal representative passed three-factor verification first (issue 15)
    verify_rep(
        session,
        runtime.clock,
        runtime.cipher,
        name=rep["name"],
        resident_id=rep["resident_id"],
        mobile=rep["mobile"],
    )
    session.commit()
    borrower = headers_for(Role.BORROWER)
    body = application_body(
        f,
        legal_representative={
            "name": rep["name"],
            "resident_id": rep["resident_id"],
            "mobile": rep["mobile"],
        },
    )
    resp = apply(body, borrower)
    assert resp.status_code == 201, resp.text
    out = resp.json()
    enterprise = session.get(Enterprise, uuid.UUID(out["enterprise_id"]))
    assert enterprise is not None and enterprise.uscc == f.uscc
    # the borrower now acts for it and sees the application; others do not
    assert client.get(f"/api/v1/applications/{out['id']}", headers=borrower).status_code == 200
    stranger = headers_for(Role.BORROWER, [])
    assert client.get(f"/api/v1/applications/{out['id']}", headers=stranger).status_code == 404
    # a different legal representative name is refused and changes nothing
    g = firm(clean_index(1))
    wrong = apply(
        application_body(
            g,
            legal_representative={
                "name": "张冒名",
                "resident_id": rep["resident_id"],
                "mobile": rep["mobile"],
            },
        ),
        headers_for(Role.BORROWER, []),
    )
    assert wrong.status_code == 422
    assert wrong.json()["code"] == "legal_rep_mismatch"
    assert session.scalar(select(Enterprise).where(Enterprise.uscc == g.uscc)) is None


def test_a_known_enterprise_is_recognised_from_another_mobile_of_its_legal_representative(
    session: Session, runtime: Runtime, apply: Any, headers_for: Any, client: TestClient
) -> None:
    """Issue 21: an enterprise already registered (here by a manager) applied for by a borrower
    signed in with another mobile is found when the legal representative is named as recorded;
    named otherwise, it stays "not found" (nothing says the enterprise banks here)."""
    from puhui.datahub.sandbox import default_provider

    f = register(session, runtime, clean_index(2))
    world = default_provider().world
    rep = world.people.row(world.enterprises["legal_rep_person_id"][f.index], named=True)
    given = {"name": rep["name"], "resident_id": rep["resident_id"], "mobile": "13912345678"}
    impostor = apply(
        application_body(f, legal_representative={**given, "name": "张冒名"}),
        headers_for(Role.BORROWER, []),
    )
    assert impostor.status_code == 404 and impostor.json()["code"] == "enterprise_not_found"
    borrower = headers_for(Role.BORROWER)
    resp = apply(application_body(f, legal_representative=given), borrower)
    assert resp.status_code == 201, resp.text
    out = resp.json()
    assert client.get(f"/api/v1/applications/{out['id']}", headers=borrower).status_code == 200


def test_unknown_enterprise_in_registry(
    session: Session, runtime: Runtime, apply: Any, headers_for: Any
) -> None:
    from puhui.core.codes import org_code_check_char, uscc_check_char

    org = "MA1FL000"
    first17 = "91310000" + org + org_code_check_char(org)
    uscc = first17 + uscc_check_char(first17)
    resp = apply(
        {
            "uscc": uscc,
            "product_code": "weiyedai",
            "requested_amount_fen": REQUEST_FEN,
            "consent": {"agree": True},
        },
        headers_for(Role.CUSTOMER_MANAGER),
    )
    assert resp.status_code == 422
    assert resp.json()["code"] == "enterprise_not_in_registry"


def test_attribution_to_a_customer_manager_and_a_team_code(
    session: Session, runtime: Runtime, apply: Any, headers_for: Any, client: TestClient
) -> None:
    from tests.conftest import make_user

    manager = make_user(session, runtime, Role.CUSTOMER_MANAGER)
    f = register(session, runtime, clean_index())
    body = application_body(
        f, attribution={"manager_user_id": str(manager.id), "team_code": "TEAM-PD-007"}
    )
    out = apply(body, headers_for(Role.BORROWER, [f.enterprise_id])).json()
    assert out["channel_key"] == "team:TEAM-PD-007"
    row = session.get(Application, uuid.UUID(out["id"]))
    assert row is not None and row.manager_user_id == manager.id
    assert row.applicant_role == "borrower"
    # a QR code of someone who is not a customer manager is refused, nothing is written
    officer = make_user(session, runtime, Role.CREDIT_OFFICER)
    before = _counts(session)
    bad = apply(
        application_body(f, attribution={"manager_user_id": str(officer.id)}),
        headers_for(Role.BORROWER, [f.enterprise_id]),
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "attribution.manager_user_id"
    assert _counts(session) == before


def test_signing_the_contract_accepts_the_offer(
    session: Session, runtime: Runtime, apply: Any, headers_for: Any, client: TestClient
) -> None:
    from tests.integration.lending.contracts.conftest import code_in

    from puhui.core import outbox
    from puhui.core.models import OutboxMessage

    f = register(session, runtime, clean_index())
    body = apply(application_body(f), headers_for(Role.CUSTOMER_MANAGER)).json()
    assert body["status"] == "approved"
    borrower = headers_for(Role.BORROWER, [f.enterprise_id])
    contract = client.post(
        "/api/v1/contracts", json={"credit_line_id": body["credit_line_id"]}, headers=borrower
    )
    assert contract.status_code == 201, contract.text
    cid = contract.json()["id"]
    sent = client.post(f"/api/v1/contracts/{cid}/send-for-signature", headers=borrower)
    row = session.get(OutboxMessage, uuid.UUID(sent.json()["message_id"]))
    assert row is not None
    code = code_in(outbox.read_body(runtime.cipher, row))
    signed = client.post(f"/api/v1/contracts/{cid}/sign", json={"code": code}, headers=borrower)
    assert signed.status_code == 200, signed.text
    session.expire_all()
    app = session.get(Application, uuid.UUID(body["id"]))
    assert app is not None and app.status == "accepted"
    shown = client.get(f"/api/v1/applications/{body['id']}", headers=borrower).json()
    assert [h["to_status"] for h in shown["history"]] == ["submitted", "approved", "accepted"]


def test_anti_fraud_counts_include_the_application_being_decided(
    session: Session, runtime: Runtime, apply: Any, headers_for: Any, client: TestClient
) -> None:
    """The decision writes its rows last; its own application is counted all the same: the
    third application of one enterprise within 30 days is the third (rule af_repeat: >= 3)."""
    f = register(session, runtime, clean_index())
    cm = headers_for(Role.CUSTOMER_MANAGER)
    officer = headers_for(Role.CREDIT_OFFICER)
    seen = []
    for _ in range(3):
        resp = apply(application_body(f), cm)
        assert resp.status_code == 201, resp.text
        decision = client.get(
            f"/api/v1/decisions/{resp.json()['decision']['id']}", headers=officer
        ).json()
        features = decision["features"]
        codes = {hit["code"] for hit in decision["rule_hits"]}
        seen.append(
            (
                features["applications_enterprise_30d"],
                features["applications_channel_3h"],
                features["phone_enterprise_count"],
                "AF_REPEATED_APPLICATIONS" in codes,
            )
        )
    assert seen == [(1, 1, 1, False), (2, 2, 1, False), (3, 3, 1, True)]


def test_a_legal_representative_not_in_the_registry_is_refused_before_the_bureau_is_asked(
    session: Session, runtime: Runtime, apply: Any, headers_for: Any, app: Any
) -> None:
    """The registry's name is checked between the enterprise's pulls and the person's: a person
    the registry does not name gets no credit-bureau inquiry, and nothing is written."""
    from puhui.datahub.connectors import Connectors
    from puhui.datahub.sandbox import default_provider

    world = default_provider().world
    g, other = firm(clean_index()), firm(clean_index(1))
    rep_ids = world.enterprises["legal_rep_person_id"]
    assert rep_ids[g.index] != rep_ids[other.index]
    stranger = world.people.row(rep_ids[other.index], named=True)  # not g's representative
    asked: list[tuple[SourceName, str]] = []

    class Recording(PatchingConnector):
        def fetch(self, source: SourceName, subject_id: str, *, request_id: str) -> Any:
            asked.append((source, subject_id))
            return super().fetch(source, subject_id, request_id=request_id)

    use_connectors(app, Connectors(default=Recording({})))
    verify_rep(  # the person passed three-factor verification (issue 15)
        session,
        runtime.clock,
        runtime.cipher,
        name=stranger["name"],
        resident_id=stranger["resident_id"],
        mobile=stranger["mobile"],
    )
    session.commit()
    before = _counts(session)
    resp = apply(
        application_body(
            g,
            legal_representative={
                "name": stranger["name"],
                "resident_id": stranger["resident_id"],
                "mobile": stranger["mobile"],
            },
        ),
        headers_for(Role.BORROWER, []),
    )
    assert resp.status_code == 422, resp.text
    assert resp.json()["code"] == "legal_rep_mismatch"
    assert (SourceName.REGISTRY, g.uscc) in asked
    assert all(subject == g.uscc for _, subject in asked)  # never about the person
    assert _counts(session) == before


def test_the_legal_representative_found_with_the_enterprise_is_not_read_again(
    session: Session, runtime: Runtime, engine: Engine, apply: Any, headers_for: Any
) -> None:
    """The enterprise's look-up loads its legal representative; the hub, asking the bureau about
    that person, finds the row in the session instead of reading it again (the decision holds
    on to it: the session's identity map holds rows only while someone refers to them)."""
    f = register(session, runtime, clean_index())
    headers = headers_for(Role.CUSTOMER_MANAGER)
    with statements(engine) as seen:
        resp = apply(application_body(f), headers)
    assert resp.status_code == 201, resp.text
    assert resp.json()["decision"]["outcome"] == "approve"
    assert [s for s in seen if re.search(r"\bFROM parties_person\b", s)] == []
    assert any("JOIN parties_person" in s for s in seen)  # read once, with the enterprise
