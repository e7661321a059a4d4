"""A core enterprise's supply-chain limit granted from a credit decision (SQLite and
PostgreSQL): the approval must be the enterprise's, approved with its offer not taken, and cover
the limit; it is then used once (the offer line closes); every refusal changes nothing."""

from __future__ import annotations

import uuid
from typing import Any

from decisioning_world import application_body, clean_index, register
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.integration.receivables.receivables_world import log_size

from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.decisioning import repository
from puhui.decisioning.models import Application
from puhui.decisioning.repository import Exposure
from puhui.lending import service as lending_service

LIMITS = "/api/v1/receivables/limits"


def _state(session: Session, app_id: str, line_id: str) -> tuple[str, str, int]:
    session.expire_all()
    app = session.get(Application, uuid.UUID(app_id))
    line = lending_service.get_line(session, uuid.UUID(line_id))
    assert app is not None
    return app.status, line.status, log_size(session)


def test_supply_chain_limit_from_an_approved_decision_is_used_once(
    session: Session, runtime: Runtime, apply: Any, headers_for: Any, client: TestClient
) -> None:
    core = register(session, runtime, clean_index())
    other = register(session, runtime, clean_index(skip=1))
    approved = apply(application_body(core), headers_for(Role.CUSTOMER_MANAGER))
    assert approved.status_code == 201 and approved.json()["status"] == "approved"
    app = approved.json()
    ref, approved_fen = app["reference"], app["decision"]["limit_fen"]
    risk = headers_for(Role.RISK_OFFICER)

    def grant(enterprise: uuid.UUID | None, limit_fen: int, **extra: Any) -> Any:
        body = {
            "enterprise_id": str(enterprise),
            "limit_fen": limit_fen,
            "grade": "AA",
            "reason": "核心企业供应链授信（依审批结果）",
            "application_reference": ref,
        }
        headers = {**risk, **extra.pop("headers", {})}
        return client.post(LIMITS, json=body | extra, headers=headers)

    before = _state(session, app["id"], app["credit_line_id"])
    assert before[:2] == ("approved", "pending_signature")
    assert core.enterprise_id is not None
    # the offer's pending line counts toward the 普惠 ceiling and the group cap
    assert repository.exposure(session, core.enterprise_id) == Exposure(approved_fen, 0, 1)

    # refused, each with its reason, and nothing changes
    refusals = [
        (grant(other.enterprise_id, approved_fen), "application_reference", "不属于此企业"),
        (grant(core.enterprise_id, approved_fen + 1), "application_reference", "超过审批额度"),
        (grant(core.enterprise_id, 0), "limit_fen", None),
        (grant(core.enterprise_id, 100, application_reference="APP-NONE"), None, None),
    ]
    for resp, field, words in refusals:
        assert resp.status_code in (404, 422), resp.text
        problem = resp.json()
        if field is not None:
            assert problem["errors"][0]["field"] == field
        if words is not None:
            assert words in problem["detail"]
        assert _state(session, app["id"], app["credit_line_id"]) == before
    english = grant(core.enterprise_id, approved_fen + 1, headers={"Accept-Language": "en"})
    assert "exceeds the approved" in english.json()["detail"]

    # granted: the decision backs it, its offer is taken (line closed, application accepted)
    ok = grant(core.enterprise_id, approved_fen)
    assert ok.status_code == 201, ok.text
    limit = ok.json()
    assert limit["source"] == "decision" and limit["decision_ref"] == ref
    assert limit["limit_fen"] == approved_fen and limit["grade"] == "AA"
    status, line_status, size = _state(session, app["id"], app["credit_line_id"])
    assert (status, line_status, size) == ("accepted", "closed", before[2] + 1)
    # the exposure moved from the line to the supply chain: the group cap still sees it, the
    # per-borrower 普惠 ceiling (credit lines) no longer does
    session.expire_all()
    assert repository.exposure(session, core.enterprise_id) == Exposure(0, approved_fen, 1)
    history = client.get(
        f"/api/v1/applications/{app['id']}", headers=headers_for(Role.CUSTOMER_MANAGER)
    ).json()["history"]
    assert history[-1]["to_status"] == "accepted" and "供应链" in history[-1]["reason"]

    # the same approval cannot back a second grant
    again = grant(core.enterprise_id, approved_fen)
    assert again.status_code == 422 and "已接受授信" in again.json()["detail"]
    assert _state(session, app["id"], app["credit_line_id"])[2] == size
    # a manual change afterwards is recorded as manual
    manual = client.post(
        LIMITS,
        json={
            "enterprise_id": str(core.enterprise_id),
            "limit_fen": approved_fen // 2,
            "grade": "AA",
            "reason": "贷后压降",
        },
        headers=risk,
    )
    assert manual.status_code == 201
    assert manual.json()["source"] == "manual" and manual.json()["decision_ref"] is None
