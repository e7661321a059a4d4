"""The assistant over HTTP against a real database (SQLite and PostgreSQL): own figures only,
clarify then hand-off, the desk's reply, the fraud script's lock, the knowledge base's
maker-checker going live, masking and retention."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import make_user, token_for
from tests.integration.lending.lending_factories import draw, make_enterprise, make_line

from puhui.assistant import service as assistant_service
from puhui.assistant.models import Conversation, Message
from puhui.core.clock import FixedClock
from puhui.core.models import Role, User
from puhui.core.runtime import Runtime
from puhui.flows import retention

API = "/api/v1/assistant/conversations"


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


def _borrower_with_line(
    session: Session, runtime: Runtime, name: str, limit_fen: int, drawn_fen: int
) -> tuple[dict[str, str], Any, Any, User]:
    clock = runtime.clock
    assert isinstance(clock, FixedClock)
    enterprise = make_enterprise(session, clock, name)
    line = make_line(session, clock, enterprise.id, limit_fen=limit_fen)
    loan = draw(session, clock, line.id, drawn_fen, term_months=6)
    session.commit()
    user = make_user(session, runtime, Role.BORROWER, enterprise_ids=[enterprise.id])
    headers = {"Authorization": f"Bearer {token_for(session, runtime, user)}"}
    return headers, line, loan, user


def _say(client: TestClient, headers: dict[str, str], conv: str, text: str) -> dict[str, Any]:
    resp = client.post(f"{API}/{conv}/messages", json={"text": text}, headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


def _start(client: TestClient, headers: dict[str, str], lang: str = "zh") -> str:
    resp = client.post(API, json={"lang": lang}, headers=headers)
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def test_a_borrower_sees_its_own_figures_and_never_another_enterprises(
    client: TestClient, session: Session, runtime: Runtime, headers_for: Any
) -> None:
    a_headers, a_line, a_loan, _ = _borrower_with_line(
        session, runtime, "甲贸易有限公司", 30_000_000, 10_000_000
    )
    b_headers, b_line, b_loan, _ = _borrower_with_line(
        session, runtime, "乙制造有限公司", 80_000_000, 25_000_000
    )
    a_conv = _start(client, a_headers)
    limit = _say(client, a_headers, a_conv, "我现在还有多少额度可以用")
    assert limit["kind"] == "answer" and limit["intent"] == "credit_limit"
    assert a_line.reference in limit["text"] and "¥200,000.00" in limit["text"]
    assert b_line.reference not in limit["text"] and "¥550,000.00" not in limit["text"]
    assert any(link["href"] == f"/m/lines/{a_line.id}" for link in limit["links"])
    nxt = _say(client, a_headers, a_conv, "下期要还多少钱")
    assert a_loan.reference in nxt["text"] and b_loan.reference not in nxt["text"]
    quote = _say(client, a_headers, a_conv, "现在一次性全部结清要多少钱")
    assert quote["intent"] == "early_repayment"
    assert a_loan.reference in quote["text"] and "¥100,000.00" in quote["text"]
    assert b_loan.reference not in quote["text"] and "¥250,000.00" not in quote["text"]

    b_conv = _start(client, b_headers)
    b_limit = _say(client, b_headers, b_conv, "我的额度还剩多少")
    assert b_line.reference in b_limit["text"] and a_line.reference not in b_limit["text"]
    # the other borrower's conversation does not exist for B
    assert client.get(f"{API}/{a_conv}/messages", headers=b_headers).status_code == 404
    stolen = client.post(f"{API}/{a_conv}/messages", json={"text": "额度"}, headers=b_headers)
    assert stolen.status_code == 404
    # staff read conversations on the desk but never speak as the customer
    rep = headers_for(Role.SERVICE_REP)
    assert client.get(f"{API}/{a_conv}/messages", headers=rep).status_code == 200
    posing = client.post(f"{API}/{a_conv}/messages", json={"text": "额度"}, headers=rep)
    assert posing.status_code == 404


def test_twice_unclear_hands_off_and_a_rep_answers_in_the_console(
    client: TestClient, session: Session, runtime: Runtime, headers_for: Any
) -> None:
    borrower = headers_for(Role.BORROWER)
    conv = _start(client, borrower)
    first = _say(client, borrower, conv, "怎么办")
    assert first["kind"] == "clarify" and 2 <= len(first["options"]) <= 3
    second = _say(client, borrower, conv, "怎么办")
    assert second["kind"] == "hand_off" and second["status"] == "waiting"

    rep = headers_for(Role.SERVICE_REP)
    queue = client.get("/console/desk", headers=rep)
    assert queue.status_code == 200 and conv in queue.text
    page = client.get(f"/console/desk/conversations/{conv}", headers=rep)
    assert "怎么办" in page.text  # the transcript came with the hand-off
    reply = client.post(
        f"/console/desk/conversations/{conv}/reply",
        data={"text": "您好，我是人工客服小王，请问遇到了什么问题？"},
        headers=rep,
        follow_redirects=False,
    )
    assert reply.status_code == 303
    seen = client.get(f"{API}/{conv}/messages?after=0", headers=borrower).json()
    assert seen[-1]["sender"] == "agent" and "小王" in seen[-1]["text"]
    row = session.get(Conversation, uuid.UUID(conv))
    session.refresh(row)
    assert row is not None and row.status == "with_agent" and row.first_reply_at is not None
    # while a rep is on the line the assistant keeps quiet
    relay = _say(client, borrower, conv, "我的额度为什么被冻结了")
    assert relay["kind"] == "relay"


def test_human_agent_and_complaint_hand_off_at_once(client: TestClient, headers_for: Any) -> None:
    borrower = headers_for(Role.BORROWER)
    conv = _start(client, borrower)
    assert _say(client, borrower, conv, "转人工")["kind"] == "hand_off"
    other = _start(client, borrower)
    out = _say(client, borrower, other, "你们催收天天骚扰我家人，我要投诉")
    assert out["kind"] == "hand_off"


def test_the_fraud_script_offers_a_lock_that_ends_every_session(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    headers, _, _, user = _borrower_with_line(
        session, runtime, "丙商贸有限公司", 10_000_000, 1_000_000
    )
    page = client.get("/m/assistant", headers=headers)
    assert page.status_code == 200
    said = client.post(
        "/m/assistant/say",
        data={"text": "有人打电话说是你们客服，让我把验证码告诉他，我已经说了"},
        headers=headers,
    )
    assert said.status_code == 200
    assert "防诈" in said.text and 'data-testid="lock-form"' in said.text
    locked = client.post("/m/assistant/lock", headers=headers, follow_redirects=False)
    assert locked.status_code == 303 and locked.headers["location"] == "/m/assistant?locked=1"
    session.refresh(user)
    assert user.is_active is False
    # the token is revoked: the borrower's pages and API refuse it now
    assert client.get("/m/home", headers=headers, follow_redirects=False).status_code in (303, 401)
    assert client.post(API, json={}, headers=headers).status_code == 401


def test_a_knowledge_base_edit_goes_live_only_after_a_second_person_approves(
    client: TestClient, session: Session, runtime: Runtime, headers_for: Any
) -> None:
    maker = headers_for(Role.SERVICE_REP)
    checker = headers_for(Role.ADMIN)
    new_zh = "【新版】我们的利率按日计息，年化利率以合同为准，欢迎咨询客户经理。"
    resp = client.post(
        "/console/desk/kb/interest_rate",
        data={
            "answer_zh": new_zh,
            "answer_en": "[New] Daily interest; see your contract.",
            "note": "更新措辞",
        },
        headers=maker,
        follow_redirects=False,
    )
    assert resp.status_code == 303
    borrower = headers_for(Role.BORROWER)
    conv = _start(client, borrower)
    assert new_zh not in _say(client, borrower, conv, "利率是多少")["text"]  # not yet live

    kb_page = client.get("/console/desk/kb", headers=maker).text
    answer_id = re.search(r"/console/desk/kb/answers/([0-9a-f-]+)/approve", kb_page)
    assert answer_id is not None
    own = client.post(
        f"/console/desk/kb/answers/{answer_id.group(1)}/approve",
        headers=maker,
        follow_redirects=True,
    )
    assert "另一位同事" in own.text or "another member" in own.text
    assert new_zh not in _say(client, borrower, conv, "利率是多少")["text"]

    ok = client.post(
        f"/console/desk/kb/answers/{answer_id.group(1)}/approve",
        headers=checker,
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert new_zh in _say(client, borrower, conv, "借款的年利率是多少")["text"]  # live
    tried = client.get("/console/desk/kb", params={"q": "利息怎么算"}, headers=maker).text
    assert new_zh in tried


def test_personal_data_is_masked_and_old_conversations_are_destroyed(
    client: TestClient, session: Session, runtime: Runtime, headers_for: Any
) -> None:
    borrower = headers_for(Role.BORROWER)
    conv = _start(client, borrower)
    _say(client, borrower, conv, "我换手机号了，原来是13812345678，新号登录收不到验证码")
    texts = session.scalars(
        select(Message.text).where(Message.conversation_id == uuid.UUID(conv))
    ).all()
    assert texts and not any("13812345678" in t for t in texts)
    assert any("138****5678" in t for t in texts)

    clock = runtime.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(days=runtime.settings.retention_conversation_days + 1))
    destroyed = {d.data_class: d.count for d in retention.run(session, clock, runtime.settings)}
    assert destroyed["conversations"] >= 1
    assert session.get(Conversation, uuid.UUID(conv)) is None


def test_a_visitor_chats_on_the_mobile_page_without_signing_in(client: TestClient) -> None:
    page = client.get("/m/assistant")
    assert page.status_code == 200 and "智能客服" in page.text
    resp = client.post(
        "/m/assistant/say", data={"text": "办贷款都要准备哪些材料", "csrf_token": _csrf(page.text)}
    )
    assert resp.status_code == 200
    assert "营业执照" in resp.text, resp.text[resp.text.find("<main") :]
    again = client.get("/m/assistant")
    assert "办贷款都要准备哪些材料" in again.text  # the conversation stays with the browser
    assert assistant_service.MAX_CHARS == 500


def test_the_desk_shows_the_customer_masked_for_a_rep_where_it_stopped_and_callbacks(
    client: TestClient, session: Session, runtime: Runtime, headers_for: Any
) -> None:
    clock = runtime.clock
    assert isinstance(clock, FixedClock)
    enterprise = make_enterprise(session, clock, "丁餐饮管理有限公司")
    line = make_line(session, clock, enterprise.id, limit_fen=20_000_000, activate=False)
    session.commit()
    rep, admin = headers_for(Role.SERVICE_REP), headers_for(Role.ADMIN)
    as_rep = client.get(f"/console/desk/customers/{enterprise.id}", headers=rep).text
    assert enterprise.uscc not in as_rep and enterprise.uscc[-4:] in as_rep  # masked
    assert "额度待签约" in as_rep and line.reference in as_rep  # where the journey stopped
    assert (
        enterprise.uscc
        in client.get(f"/console/desk/customers/{enterprise.id}", headers=admin).text
    )
    assert (
        client.get(
            f"/console/desk/customers/{enterprise.id}", headers=headers_for(Role.BORROWER)
        ).status_code
        == 403
    )

    added = client.post(
        "/console/desk/callbacks",
        data={
            "note": "回电确认签约验证码是否收到",
            "due_date": "2026-11-24",
            "due_time": "10:30",
            "enterprise_id": str(enterprise.id),
        },
        headers=rep,
        follow_redirects=False,
    )
    assert added.status_code == 303
    desk_page = client.get("/console/desk", headers=rep).text
    assert "回电确认签约验证码是否收到" in desk_page
    task = re.search(r"/console/desk/callbacks/([0-9a-f-]+)/done", desk_page)
    assert task is not None
    client.post(f"/console/desk/callbacks/{task.group(1)}/done", headers=rep)
    assert "回电确认签约验证码是否收到" not in client.get("/console/desk", headers=rep).text
    history = client.get(f"/console/desk/customers/{enterprise.id}", headers=rep).text
    assert "回电确认签约验证码是否收到" in history and "已回访" in history
