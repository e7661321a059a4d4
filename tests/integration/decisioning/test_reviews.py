"""Manual review of referred applications: the queue, a mandatory reason, maker-checker above
the dual-control amount, the green channel (特事特办) with its own SLA clock."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from decisioning_world import application_body, clean_index, register
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from puhui.core.clock import FixedClock
from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.lending import service as lending_service

WAN = 10_000 * 100


def _referred(
    session: Session,
    runtime: Runtime,
    apply: Any,
    headers_for: Any,
    client: TestClient,
    index: int,
    amount_fen: int,
) -> dict[str, Any]:
    """An application referred by the cross-check of declared revenue (2.5x invoiced sales)."""
    f = register(session, runtime, index)
    staff = headers_for(Role.CUSTOMER_MANAGER)
    probe = apply(application_body(f), staff).json()
    sales = client.get(
        f"/api/v1/decisions/{probe['decision']['id']}", headers=headers_for(Role.CREDIT_OFFICER)
    ).json()["features"]["sales_12m_fen"]
    body = application_body(
        f, requested_amount_fen=amount_fen, declared_annual_revenue_fen=int(sales * 2.5)
    )
    out = apply(body, staff).json()
    assert out["status"] == "referred", out
    return out


def _officer(session: Session, runtime: Runtime) -> dict[str, str]:
    from tests.conftest import make_user, token_for

    user = make_user(session, runtime, Role.CREDIT_OFFICER, username=f"co-{uuid.uuid4().hex[:6]}")
    return {"Authorization": f"Bearer {token_for(session, runtime, user)}"}


def test_a_referred_case_is_decided_with_a_reason(
    session: Session, runtime: Runtime, apply: Any, headers_for: Any, client: TestClient
) -> None:
    case = _referred(session, runtime, apply, headers_for, client, clean_index(), 50 * WAN)
    officer = headers_for(Role.CREDIT_OFFICER)
    review_id = case["review_id"]
    detail = client.get(f"/api/v1/reviews/{review_id}", headers=officer).json()
    assert detail["status"] == "open" and not detail["dual_control"]
    assert detail["proposal"]["limit_fen"] == 50 * WAN
    assert detail["reasons"][0]["code"] == "XV_DECLARED_ABOVE_TAX"
    # a reason is mandatory
    missing = client.post(
        f"/api/v1/reviews/{review_id}/decide", json={"outcome": "approve"}, headers=officer
    )
    assert missing.status_code == 422
    # the product cap holds for a manual approval too
    above = client.post(
        f"/api/v1/reviews/{review_id}/decide",
        json={"outcome": "approve", "reason": "核实收入", "limit_fen": 400 * WAN},
        headers=officer,
    )
    assert above.status_code == 422 and above.json()["code"] == "offer_above_caps"
    done = client.post(
        f"/api/v1/reviews/{review_id}/decide",
        json={
            "outcome": "approve",
            "reason": "实地核实：现金收入未开票，收入真实",
            "limit_fen": 30 * WAN,
        },
        headers=officer,
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "approved"
    app = client.get(f"/api/v1/applications/{case['id']}", headers=officer).json()
    assert app["status"] == "approved"
    assert [h["to_status"] for h in app["history"]] == ["submitted", "referred", "approved"]
    assert app["decision"]["kind"] == "manual" and app["decision"]["limit_fen"] == 30 * WAN
    line = lending_service.get_line(session, uuid.UUID(app["credit_line_id"]))
    assert line.status == "pending_signature" and line.limit_fen == 30 * WAN
    again = client.post(
        f"/api/v1/reviews/{review_id}/decide",
        json={"outcome": "decline", "reason": "改判"},
        headers=officer,
    )
    assert again.status_code == 409 and again.json()["code"] == "review_closed"


def test_a_decline_in_review(
    session: Session, runtime: Runtime, apply: Any, headers_for: Any, client: TestClient
) -> None:
    case = _referred(session, runtime, apply, headers_for, client, clean_index(), 50 * WAN)
    officer = headers_for(Role.CREDIT_OFFICER)
    resp = client.post(
        f"/api/v1/reviews/{case['review_id']}/decide",
        json={"outcome": "decline", "reason": "申报收入无法核实"},
        headers=officer,
    )
    assert resp.json()["status"] == "declined"
    app = client.get(f"/api/v1/applications/{case['id']}", headers=officer).json()
    assert app["status"] == "declined" and app["credit_line_id"] is None


def test_above_the_dual_control_amount_a_second_officer_must_confirm(
    session: Session, runtime: Runtime, apply: Any, headers_for: Any, client: TestClient
) -> None:
    case = _referred(session, runtime, apply, headers_for, client, clean_index(), 200 * WAN)
    maker = headers_for(Role.CREDIT_OFFICER)
    checker = _officer(session, runtime)
    review_id = case["review_id"]
    made = client.post(
        f"/api/v1/reviews/{review_id}/decide",
        json={"outcome": "approve", "reason": "收入已核实"},
        headers=maker,
    ).json()
    assert made["status"] == "awaiting_confirmation" and made["dual_control"]
    app = client.get(f"/api/v1/applications/{case['id']}", headers=maker).json()
    assert app["status"] == "referred" and app["credit_line_id"] is None
    self_check = client.post(
        f"/api/v1/reviews/{review_id}/confirm",
        json={"agree": True, "reason": "同意"},
        headers=maker,
    )
    assert self_check.status_code == 403
    assert self_check.json()["code"] == "maker_checker_same_person"
    back = client.post(
        f"/api/v1/reviews/{review_id}/confirm",
        json={"agree": False, "reason": "请补充流水"},
        headers=checker,
    ).json()
    assert back["status"] == "open" and back["checker_reason"] == "请补充流水"
    client.post(
        f"/api/v1/reviews/{review_id}/decide",
        json={"outcome": "approve", "reason": "已补充流水"},
        headers=maker,
    )
    confirmed = client.post(
        f"/api/v1/reviews/{review_id}/confirm",
        json={"agree": True, "reason": "同意"},
        headers=checker,
    ).json()
    assert confirmed["status"] == "approved"
    app = client.get(f"/api/v1/applications/{case['id']}", headers=maker).json()
    assert app["status"] == "approved" and app["decision"]["limit_fen"] == 200 * WAN


def test_green_channel_goes_first_with_its_own_sla(
    session: Session,
    runtime: Runtime,
    apply: Any,
    headers_for: Any,
    client: TestClient,
    clock: FixedClock,
) -> None:
    first = _referred(session, runtime, apply, headers_for, client, clean_index(), 50 * WAN)
    clock.advance(timedelta(minutes=10))
    second = _referred(session, runtime, apply, headers_for, client, clean_index(1), 50 * WAN)
    officer = headers_for(Role.CREDIT_OFFICER)
    queue = client.get("/api/v1/reviews", headers=officer).json()["items"]
    assert [r["id"] for r in queue] == [first["review_id"], second["review_id"]]
    assert queue[0]["minutes_left"] == 24 * 60 - 10 and not queue[0]["overdue"]
    green = client.post(
        f"/api/v1/reviews/{second['review_id']}/green-channel",
        json={"reason": "特事特办：抗疫保供企业"},
        headers=officer,
    ).json()
    assert green["green_channel"] is True
    assert green["minutes_left"] == 4 * 60
    queue = client.get("/api/v1/reviews", headers=officer).json()["items"]
    assert [r["id"] for r in queue] == [second["review_id"], first["review_id"]]
    clock.advance(timedelta(hours=5))
    officer = _officer(session, runtime)  # (test tokens live 60 minutes)
    queue = client.get("/api/v1/reviews", headers=officer).json()["items"]
    assert queue[0]["overdue"] is True and queue[1]["overdue"] is False
    # borrowers and customer managers do not see the queue
    assert client.get("/api/v1/reviews", headers=headers_for(Role.BORROWER)).status_code == 403
