"""The receivables API: roles, visibility, problem+json in Chinese by default, idempotency,
checkpoints and proofs over HTTP."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.integration.receivables.receivables_world import FACE, World, log_size, party_code

from puhui.core.models import Role
from puhui.receivables import merkle

PREFIX = "/api/v1/receivables"


def _issue(client: TestClient, world: World, headers: dict[str, str], **over: Any) -> Any:
    body = {
        "issuer_enterprise_id": str(world.core.id),
        "supplier_enterprise_id": str(world.t1.id),
        "face_fen": FACE,
        "maturity_date": "2027-02-21",
        "contract_no": "HT-2026-0001",
        "invoice_no": f"INV-{world.core.id.hex[:8]}",
        "invoice_amount_fen": FACE,
    } | over
    return client.post(f"{PREFIX}/certificates", json=body, headers=headers)


def test_parties_operate_and_see_only_their_certificates(
    client: TestClient, world: World, session: Session, headers_for: Any
) -> None:
    session.commit()
    core = headers_for(Role.BORROWER, [world.core.id])
    t1 = headers_for(Role.BORROWER, [world.t1.id])
    t2 = headers_for(Role.BORROWER, [world.t2.id])
    outsider = headers_for(Role.BORROWER, [world.t2b.id])
    r = _issue(client, world, core)
    assert r.status_code == 201, r.text
    cert = r.json()["certificate"]
    assert (
        cert["issuer"] == party_code(session, world.core) and cert["contract_no"] == "HT-2026-0001"
    )
    cid = cert["id"]
    # an issuer for an enterprise that is not the user's: as if it did not exist
    assert _issue(client, world, t1).status_code == 404
    assert client.post(f"{PREFIX}/certificates/{cid}/accept", headers=t1).status_code == 200
    r = client.post(
        f"{PREFIX}/parts/{cid}/split", json={"amounts_fen": [FACE // 2] * 2}, headers=t1
    )
    assert r.status_code == 200
    r = client.post(
        f"{PREFIX}/parts/{cid}-1/transfer", json={"to_enterprise_id": str(world.t2.id)}, headers=t1
    )
    assert r.status_code == 200
    # the receiver sees it (offered), accepts; the outsider sees nothing
    assert client.get(f"{PREFIX}/certificates/{cid}", headers=t2).status_code == 200
    assert client.post(f"{PREFIX}/parts/{cid}-1/accept-transfer", headers=t2).status_code == 200
    for path in (f"/certificates/{cid}", f"/certificates/{cid}/provenance"):
        r = client.get(PREFIX + path, headers=outsider)
        assert r.status_code == 404 and r.json()["code"] == "receivables.not_found"
    assert client.get(f"{PREFIX}/certificates", headers=outsider).json() == []
    mine = client.get(f"{PREFIX}/certificates", headers=t2).json()
    assert [c["id"] for c in mine] == [cid]
    # staff see everything
    auditor = headers_for(Role.AUDITOR)
    r = client.get(f"{PREFIX}/certificates/{cid}/provenance", headers=auditor)
    assert r.status_code == 200
    prov = r.json()
    tree = prov["tree"]
    assert tree["part"] == cid and tree["status"] == "closed"
    assert [c["part"] for c in tree["children"]] == [f"{cid}-1", f"{cid}-2"]
    grand = tree["children"][0]["children"][0]
    assert grand["part"] == f"{cid}-3" and grand["holder"] == party_code(session, world.t2)
    assert grand["from_seq"] == tree["children"][0]["to_seq"]
    ops = prov["operations"]
    assert [o["op"] for o in ops] == ["issue", "accept", "split", "transfer", "accept_transfer"]
    # every operation's proof checks against the root it names
    for op in ops:
        entry = client.get(f"{PREFIX}/operations/{op['seq']}/proof", headers=t2).json()
        assert merkle.verify_inclusion(
            entry["entry"].encode(),
            op["seq"],
            op["proof_size"],
            [bytes.fromhex(p) for p in op["proof"]],
            bytes.fromhex(op["proof_root"]),
        )
    # the tier-2 supplier (a former party) still sees the provenance; the outsider not the proof
    assert client.get(f"{PREFIX}/certificates/{cid}/provenance", headers=t2).status_code == 200
    r = client.get(f"{PREFIX}/operations/{ops[0]['seq']}/proof", headers=outsider)
    assert r.status_code == 404


def test_refusals_are_problem_json_in_chinese_and_change_nothing(
    client: TestClient, world: World, session: Session, headers_for: Any
) -> None:
    session.commit()
    t1 = headers_for(Role.BORROWER, [world.t1.id])
    cid = world.active()
    session.commit()
    before = log_size(session)
    r = client.post(
        f"{PREFIX}/parts/{cid}/split", json={"amounts_fen": [FACE // 2, 10_000]}, headers=t1
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["code"] == "receivables.split_invalid" and body["title"] == "拆分无效"
    assert "不等于" in body["detail"] and body["errors"][0]["field"] == "parts"
    r = client.post(
        f"{PREFIX}/parts/{cid}/split",
        json={"amounts_fen": [FACE // 2, 10_000]},
        headers=t1 | {"Accept-Language": "en"},
    )
    assert r.json()["title"] == "Invalid split"
    r = client.post(
        f"{PREFIX}/parts/{cid}/transfer", json={"to_enterprise_id": str(world.t1.id)}, headers=t1
    )
    assert r.status_code == 422 and "不能把凭证转让给自己" in r.json()["detail"]
    r = client.post(f"{PREFIX}/parts/{cid}/split", json={"amounts_fen": [1.5, 2]}, headers=t1)
    assert r.status_code == 422 and r.json()["code"] == "validation_failed"
    assert "amounts_fen" in r.json()["detail"]
    r = client.post(f"{PREFIX}/parts/{cid}/finance", headers=t1)
    assert r.status_code == 400 and r.json()["code"] == "idempotency_key_missing"
    assert "Idempotency-Key" in r.json()["detail"]
    r = client.post(f"{PREFIX}/certificates/{cid}/pay", headers=t1 | {"Idempotency-Key": "x"})
    assert r.status_code == 403 and r.json()["code"] == "receivables.actor_not_allowed"
    assert log_size(session) == before
    # a money step: finance, then its replay
    h = t1 | {"Idempotency-Key": "api-fin"}
    first = client.post(f"{PREFIX}/parts/{cid}/finance", headers=h)
    assert first.status_code == 200 and "idempotent-replayed" not in first.headers
    again = client.post(f"{PREFIX}/parts/{cid}/finance", headers=h)
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["operations"] == first.json()["operations"]
    r = client.post(f"{PREFIX}/parts/{cid}/finance", headers=t1 | {"Idempotency-Key": "api-2"})
    assert r.status_code == 409 and r.json()["code"] == "receivables.double_spend"
    assert "已被使用" in r.json()["detail"]


def test_limits_pricing_checkpoints_and_signals_by_role(
    client: TestClient, world: World, session: Session, headers_for: Any
) -> None:
    session.commit()
    risk = headers_for(Role.RISK_OFFICER)
    core = headers_for(Role.BORROWER, [world.core.id])
    r = client.post(
        f"{PREFIX}/limits",
        json={"enterprise_id": str(world.core.id), "limit_fen": 5, "grade": "AAA", "reason": "x"},
        headers=risk,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    r = client.post(
        f"{PREFIX}/limits",
        json={
            "enterprise_id": str(world.core.id),
            "limit_fen": 300_000_000,
            "grade": "AAA",
            "reason": "年度复审上调",
        },
        headers=risk,
    )
    assert r.status_code == 201 and r.json()["grade"] == "AAA"
    mine = client.get(f"{PREFIX}/limits/{world.core.id}", headers=core).json()
    assert mine["limit_fen"] == 300_000_000 and mine["available_fen"] == 300_000_000
    assert client.get(f"{PREFIX}/limits/{world.t1.id}", headers=core).status_code == 404
    pricing = client.get(f"{PREFIX}/pricing", headers=core).json()
    assert {p["grade"]: p["discount_rate_bp"] for p in pricing}["AAA"] == 280
    r = client.put(
        f"{PREFIX}/pricing/AAA",
        json={
            "discount_rate_bp": 260,
            "penalty_daily_bp": 5,
            "financeable": True,
            "reason": "降价",
        },
        headers=risk,
    )
    assert r.status_code == 200 and r.json()["discount_rate_bp"] == 260

    admin = headers_for(Role.ADMIN)
    r = client.post(f"{PREFIX}/checkpoints", headers=admin)
    assert r.status_code == 201
    cp = r.json()
    assert client.get(f"{PREFIX}/checkpoints/latest", headers=core).json() == cp
    assert client.get(f"{PREFIX}/checkpoints", headers=core).json()[0] == cp
    r = client.get(f"{PREFIX}/consistency", params={"old": 1}, headers=core)
    assert r.status_code == 200 and r.json()["new_size"] == cp["size"]
    proof = r.json()
    assert merkle.verify_consistency(
        1,
        cp["size"],
        bytes.fromhex(proof["old_root"]),
        bytes.fromhex(cp["root"]),
        [bytes.fromhex(p) for p in proof["proof"]],
    )
    r = client.get(f"{PREFIX}/consistency", params={"old": cp["size"] + 5}, headers=core)
    assert r.status_code == 422 and r.json()["code"] == "receivables.proof_range_invalid"
    assert client.get(f"{PREFIX}/signals", headers=risk).status_code == 200
    assert client.get(f"{PREFIX}/signals", headers=core).status_code == 403
