"""Credit policy versions: edit -> validation -> diff -> a second risk officer's approval ->
active; decisions made under the old version still replay identically."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest
from decisioning_world import application_body, clean_index, register
from fastapi.testclient import TestClient
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.decisioning import service
from puhui.decisioning.lifecycle import seed_document
from puhui.decisioning.models import PolicyVersion


def _rule(doc: dict[str, Any], stage: str, rule_id: str) -> dict[str, Any]:
    for node in doc["graph"]["nodes"]:
        if node.get("content", {}).get("outputPath") == stage:
            for rule in node["content"]["rules"]:
                if rule["_id"] == rule_id:
                    return dict(rule)
    raise KeyError(rule_id)


def _set_cell(doc: dict[str, Any], stage: str, rule_id: str, field: str, value: str) -> None:
    for node in doc["graph"]["nodes"]:
        content = node.get("content", {})
        if content.get("outputPath") != stage:
            continue
        col = next(c["id"] for c in content["inputs"] + content["outputs"] if c["field"] == field)
        for rule in content["rules"]:
            if rule["_id"] == rule_id:
                rule[col] = value
                return
    raise KeyError(rule_id)


def _drop_rule(doc: dict[str, Any], stage: str, rule_id: str) -> None:
    for node in doc["graph"]["nodes"]:
        content = node.get("content", {})
        if content.get("outputPath") == stage:
            content["rules"] = [r for r in content["rules"] if r["_id"] != rule_id]


def _test(doc: dict[str, Any], name_start: str) -> dict[str, Any]:
    return next(t for t in doc["tests"] if t["name"].startswith(name_start))


def edited_policy() -> dict[str, Any]:
    """The seed policy with LPR +10 bp, young firms refused below 18 months (not 12), and the
    inquiry-spike rule removed; its embedded tests updated accordingly."""
    doc = copy.deepcopy(seed_document())
    doc["parameters"]["lpr_bp"] = 310
    _set_cell(doc, "knockouts", "ko_young", "enterprise_age_months", "< 18")
    _drop_rule(doc, "anti_fraud", "af_inquiries")
    _test(doc, "干净企业")["expect"]["rate_bp"] = 360
    _test(doc, "B级定价")["expect"]["rate_bp"] = 430
    _test(doc, "D级额度倍数")["expect"]["rate_bp"] = 690
    _test(doc, "成立满一年")["features"]["enterprise_age_months"] = 18
    return doc


def test_policy_goes_edit_diff_second_approval_active_and_old_decisions_replay(
    session: Session,
    runtime: Runtime,
    apply: Any,
    headers_for: Any,
    client: TestClient,
) -> None:
    f = register(session, runtime, clean_index())
    g = register(session, runtime, clean_index(1))
    staff = headers_for(Role.CUSTOMER_MANAGER)
    before = [apply(application_body(x), staff).json() for x in (f, g)]
    assert all(b["decision"]["policy_version"] == 1 for b in before)

    maker = headers_for(Role.RISK_OFFICER)
    checker = {"Authorization": _other_risk_officer(session, runtime)}

    # an edit that breaks an embedded test is refused, and says which
    broken = copy.deepcopy(seed_document())
    broken["parameters"]["lpr_bp"] = 310
    resp = client.post("/api/v1/policies", json={"document": broken, "note": "LPR"}, headers=maker)
    assert resp.status_code == 422
    problem = resp.json()
    assert problem["code"] == "policy_invalid"
    failed = [t["name"] for t in problem["validation"]["tests"] if not t["passed"]]
    assert any(name.startswith("干净企业") for name in failed)
    assert "测试用例未通过" in problem["detail"]

    # a syntax error in a rule is refused before anything runs
    bad = edited_policy()
    _set_cell(bad, "knockouts", "ko_young", "enterprise_age_months", "< (")
    check = client.post("/api/v1/policies/validate", json={"document": bad}, headers=maker).json()
    assert check["validation"]["ok"] is False
    assert any("ko_young" in i["where"] for i in check["validation"]["issues"])

    # the good edit: pending, with a rule-level diff against the active version
    resp = client.post(
        "/api/v1/policies",
        json={"document": edited_policy(), "note": "LPR 下调后回升；新设企业门槛提高到18个月"},
        headers=maker,
    )
    assert resp.status_code == 201, resp.text
    v2 = resp.json()
    assert v2["status"] == "pending_approval" and v2["version"] == 2 and v2["base_version"] == 1
    changes = {(c["kind"], c["where"], c["key"]) for c in v2["diff"]["changes"]}
    assert ("changed", "parameters", "lpr_bp") in changes
    assert ("changed", "tables.knockouts.rules", "ko_young") in changes
    assert ("removed", "tables.anti_fraud.rules", "af_inquiries") in changes
    young = next(c for c in v2["diff"]["changes"] if c["key"] == "ko_young")
    assert young["old"]["enterprise_age_months"] == "< 12"
    assert young["new"]["enterprise_age_months"] == "< 18"

    # still v1 until a second risk officer approves; the maker cannot approve it
    assert client.get("/api/v1/policies/active", headers=maker).json()["version"] == 1
    same = client.post(
        f"/api/v1/policies/{v2['id']}/approve", json={"note": "自己批"}, headers=maker
    )
    assert same.status_code == 403
    assert same.json()["code"] == "maker_checker_same_person"
    ok = client.post(f"/api/v1/policies/{v2['id']}/approve", json={"note": "同意"}, headers=checker)
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "active"
    assert client.get("/api/v1/policies/active", headers=maker).json()["version"] == 2
    versions = {
        p["version"]: p["status"] for p in client.get("/api/v1/policies", headers=maker).json()
    }
    assert versions == {1: "superseded", 2: "active"}

    # new decisions use v2 (LPR + 10 bp)
    after = apply(application_body(f), staff).json()
    assert after["decision"]["policy_version"] == 2
    assert after["decision"]["rate_bp"] == before[0]["decision"]["rate_bp"] + 10

    # the old decisions replay identically under v1, and v2 shows what would change
    session.expire_all()
    same_again = service.replay(session, 1, made_under=1)
    assert same_again.decisions == 2 and same_again.changed == 0
    assert service.replay(session, 2, made_under=2).changed == 0
    under_v2 = service.replay(session, 2)
    assert under_v2.decisions == 3
    assert under_v2.changed == 2  # the two made under v1 (their rate moves by 10 bp)
    for change in under_v2.changes:
        assert change.new["rate_bp"] == change.old["rate_bp"] + 10
    api = client.post(f"/api/v1/policies/{v2['id']}/replay", headers=maker).json()
    assert api["changed"] == 2 and api["transitions"] == {"approve->approve": 2}


def _other_risk_officer(session: Session, runtime: Runtime) -> str:
    from tests.conftest import make_user, token_for

    user = make_user(session, runtime, Role.RISK_OFFICER, username=f"risk-{uuid.uuid4().hex[:6]}")
    return f"Bearer {token_for(session, runtime, user)}"


def test_an_approval_based_on_a_superseded_version_is_refused(
    session: Session, runtime: Runtime, headers_for: Any, client: TestClient
) -> None:
    maker = headers_for(Role.RISK_OFFICER)
    checker = {"Authorization": _other_risk_officer(session, runtime)}
    first = client.post(
        "/api/v1/policies", json={"document": edited_policy(), "note": "版本A"}, headers=maker
    ).json()
    other = edited_policy()
    other["description"] = "another edit"
    second = client.post(
        "/api/v1/policies", json={"document": other, "note": "版本B"}, headers=maker
    ).json()
    assert (
        client.post(
            f"/api/v1/policies/{first['id']}/approve", json={"note": "ok"}, headers=checker
        ).status_code
        == 200
    )
    stale = client.post(
        f"/api/v1/policies/{second['id']}/approve", json={"note": "ok"}, headers=checker
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "policy_stale"
    same = client.post(
        "/api/v1/policies", json={"document": edited_policy(), "note": "重复"}, headers=maker
    )
    assert same.status_code == 409 and same.json()["code"] == "policy_unchanged"


def test_a_submitted_version_is_immutable_in_the_database(
    session: Session, runtime: Runtime
) -> None:
    row = service.ensure_seed_policy(session, runtime.clock)
    session.commit()
    for stmt in (
        update(PolicyVersion).where(PolicyVersion.id == row.id).values(document={"x": 1}),
        update(PolicyVersion).where(PolicyVersion.id == row.id).values(version=7),
        text("DELETE FROM decisioning_policy_version"),
    ):
        with pytest.raises((DBAPIError, IntegrityError)), session.begin_nested():
            session.execute(stmt)
    # the status may move
    with session.begin_nested():
        session.execute(
            update(PolicyVersion).where(PolicyVersion.id == row.id).values(note="still ok")
        )
