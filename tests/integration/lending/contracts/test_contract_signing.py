"""Signing end to end over HTTP (SQLite and PostgreSQL): render, send code, sign, line active."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session
from tests.conftest import make_user, token_for
from tests.integration.lending.contracts.conftest import (
    REP_MOBILE,
    World,
    add_legal_rep,
    code_in,
    make_resident_id,
    make_uscc,
    new_enterprise,
)

from puhui.core import outbox
from puhui.core.clock import FixedClock
from puhui.core.models import AuditEvent, OneTimeCode, OutboxMessage, Role
from puhui.core.runtime import Runtime
from puhui.lending.contracts.models import (
    Contract,
    ContractSignature,
    ContractStatusHistory,
)

API = "/api/v1/contracts"


def _create(client: TestClient, headers: dict[str, str], line_id: uuid.UUID) -> dict[str, Any]:
    r = client.post(API, json={"credit_line_id": str(line_id)}, headers=headers)
    assert r.status_code in (200, 201), r.text
    return dict(r.json())


def _send(client: TestClient, headers: dict[str, str], contract_id: str) -> dict[str, Any]:
    r = client.post(f"{API}/{contract_id}/send-for-signature", headers=headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def _code_of(session: Session, runtime: Runtime, message_id: str) -> str:
    session.expire_all()
    row = session.get(OutboxMessage, uuid.UUID(message_id))
    assert row is not None
    return code_in(outbox.read_body(runtime.cipher, row))


def _fresh_headers(
    session: Session, runtime: Runtime, role: Role, enterprise_ids: list[uuid.UUID] | None = None
) -> dict[str, str]:
    """A new user and token (bearer tokens live an hour; some tests move the clock by days)."""
    user = make_user(session, runtime, role, enterprise_ids=enterprise_ids)
    return {"Authorization": f"Bearer {token_for(session, runtime, user)}"}


def _raw_rows(session: Session, table: str, skip: frozenset[str] = frozenset()) -> str:
    result = session.execute(text(f'SELECT * FROM "{table}"'))
    chunks = []
    for row in result.mappings():
        for key, value in row.items():
            if key in skip:
                continue
            if isinstance(value, bytes | bytearray | memoryview):
                chunks.append(bytes(value).decode("latin-1"))
            else:
                chunks.append(str(value))
    return "\n".join(chunks)


def test_sign_end_to_end(
    client: TestClient,
    headers_for: Any,
    session: Session,
    runtime: Runtime,
    world: World,
) -> None:
    borrower = headers_for(Role.BORROWER, [world.enterprise_id])
    manager = headers_for(Role.CUSTOMER_MANAGER)

    created = _create(client, manager, world.line.id)
    assert created["status"] == "draft" and created["created"] is True
    assert created["reference"].startswith("HT-2026-")
    again = _create(client, borrower, world.line.id)
    assert again["id"] == created["id"] and again["created"] is False
    cid = created["id"]

    pdf = client.get(f"{API}/{cid}/document", headers=borrower)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert hashlib.sha256(pdf.content).hexdigest() == created["document_sha256"]
    assert pdf.headers["x-content-sha256"] == created["document_sha256"]

    early = client.post(f"{API}/{cid}/sign", json={"code": "123456"}, headers=borrower)
    assert early.status_code == 409 and early.json()["code"] == "contract_wrong_status"

    sent = _send(client, borrower, cid)
    assert sent["status"] == "sent_for_signature"
    assert sent["recipient_masked"] == "138****8000" and sent["sandbox"] is True

    # The background dispatch ran after the commit: the sandbox "sent" it, visibly labelled.
    session.expire_all()
    message = session.get(OutboxMessage, uuid.UUID(sent["message_id"]))
    assert message is not None and message.status == "sent" and message.sent_at is not None
    assert message.note is not None and "沙箱" in message.note and "sandbox" in message.note
    assert message.channel == "sms" and message.topic == "contract.sign_otp"
    code = code_in(outbox.read_body(runtime.cipher, message))
    sandbox = client.app.state.outbox_channels["sms"]  # type: ignore[attr-defined]
    inbox = sandbox.inbox(mobile=REP_MOBILE, topic="contract.sign_otp")
    assert inbox and inbox[-1].body.startswith("【沙箱 sandbox】") and code in inbox[-1].body

    # The raw outbox and OTP tables hold neither the code nor the mobile in clear.
    for table in ("core_outbox", "core_otp"):
        dump = _raw_rows(session, table)
        assert code not in dump and REP_MOBILE not in dump, table
    dump = _raw_rows(session, "lending_contract", skip=frozenset({"document"}))
    dump += _raw_rows(session, "lending_contract_signature")
    assert REP_MOBILE not in dump

    wrong = "000000" if code != "000000" else "111111"
    r = client.post(f"{API}/{cid}/sign", json={"code": wrong}, headers=borrower)
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["code"] == "otp_wrong" and body["remaining_attempts"] == 4
    assert "还可尝试 4 次" in body["detail"]
    r_en = client.post(
        f"{API}/{cid}/sign", json={"code": wrong}, headers={**borrower, "Accept-Language": "en"}
    )
    assert r_en.status_code == 400 and "3 attempts left" in r_en.json()["detail"]
    assert world.line.status == "pending_signature"  # not active before signing

    ok = client.post(
        f"{API}/{cid}/sign",
        json={"code": code},
        headers={**borrower, "User-Agent": "PuhuiTest/1.0"},
    )
    assert ok.status_code == 200, ok.text
    signed = ok.json()
    assert signed["status"] == "signed" and signed["document_sha256"] == created["document_sha256"]
    assert (
        signed["signer_name_masked"] == "陈**" and signed["signer_mobile_masked"] == "138****8000"
    )
    assert world.line.status == "active" and world.line.contract_id == uuid.UUID(cid)

    session.expire_all()
    sig = session.scalar(
        select(ContractSignature).where(ContractSignature.contract_id == uuid.UUID(cid))
    )
    assert sig is not None
    assert sig.signer_person_id == world.person_id
    assert sig.ip == "testclient" and sig.user_agent == "PuhuiTest/1.0"
    assert sig.document_sha256 == created["document_sha256"]
    assert sig.otp_message_id == uuid.UUID(sent["message_id"])
    otp_row = session.get(OneTimeCode, sig.otp_id)
    assert otp_row is not None and otp_row.consumed_at is not None and otp_row.attempts == 2

    reuse = client.post(f"{API}/{cid}/sign", json={"code": code}, headers=borrower)
    assert reuse.status_code == 409 and reuse.json()["code"] == "contract_already_signed"
    resend = client.post(f"{API}/{cid}/send-for-signature", headers=borrower)
    assert resend.status_code == 409

    history = session.scalars(
        select(ContractStatusHistory.to_status)
        .where(ContractStatusHistory.contract_id == uuid.UUID(cid))
        .order_by(ContractStatusHistory.changed_at, ContractStatusHistory.id)
    ).all()
    assert history == ["draft", "sent_for_signature", "signed"]
    actions = set(
        session.scalars(select(AuditEvent.action).where(AuditEvent.entity_id == cid)).all()
    )
    assert {"contract.create", "contract.send_for_signature", "contract.sign"} <= actions
    assert "contract.download" in actions
    failed = session.scalar(select(func.count()).where(AuditEvent.action == "otp.verify_failed"))
    assert failed and failed >= 2

    # Verify an uploaded copy, then a copy with one byte flipped.
    v = client.post(
        f"{API}/verify",
        files={"file": ("c.pdf", pdf.content, "application/pdf")},
        headers=headers_for(Role.AUDITOR),
    )
    assert v.status_code == 200, v.text
    assert (
        v.json()["matched"] is True
        and v.json()["contracts"][0]["reference"] == created["reference"]
    )
    tampered = bytearray(pdf.content)
    tampered[len(tampered) // 2] ^= 0x01
    v2 = client.post(
        f"{API}/verify",
        files={"file": ("c.pdf", bytes(tampered), "application/pdf")},
        headers=borrower,
    )
    assert v2.status_code == 200 and v2.json()["matched"] is False


def test_wrong_codes_lock_expired_code_and_new_code(
    client: TestClient,
    headers_for: Any,
    session: Session,
    runtime: Runtime,
    clock: FixedClock,
    world: World,
) -> None:
    borrower = headers_for(Role.BORROWER, [world.enterprise_id])
    cid = _create(client, borrower, world.line.id)["id"]
    sent = _send(client, borrower, cid)
    code = _code_of(session, runtime, sent["message_id"])
    wrong = "000000" if code != "000000" else "111111"
    remaining = []
    for _ in range(4):
        r = client.post(f"{API}/{cid}/sign", json={"code": wrong}, headers=borrower)
        remaining.append(r.json().get("remaining_attempts"))
    assert remaining == [4, 3, 2, 1]
    fifth = client.post(f"{API}/{cid}/sign", json={"code": wrong}, headers=borrower)
    assert fifth.status_code == 429 and fifth.json()["code"] == "otp_locked"
    right = client.post(f"{API}/{cid}/sign", json={"code": code}, headers=borrower)
    assert right.status_code == 429 and right.json()["code"] == "otp_locked"

    too_soon = client.post(f"{API}/{cid}/send-for-signature", headers=borrower)
    assert too_soon.status_code == 429 and too_soon.json()["code"] == "otp_too_soon"

    clock.advance(timedelta(seconds=61))
    sent2 = _send(client, borrower, cid)
    code2 = _code_of(session, runtime, sent2["message_id"])
    clock.advance(timedelta(minutes=5))
    expired = client.post(f"{API}/{cid}/sign", json={"code": code2}, headers=borrower)
    assert expired.status_code == 400 and expired.json()["code"] == "otp_expired"
    assert "过期" in expired.json()["detail"]
    assert world.line.status == "pending_signature"

    sent3 = _send(client, borrower, cid)
    code3 = _code_of(session, runtime, sent3["message_id"])
    if code2 != code3:  # the superseded code no longer works
        old = client.post(f"{API}/{cid}/sign", json={"code": code2}, headers=borrower)
        assert old.status_code == 400 and old.json()["code"] == "otp_wrong"
    clock.advance(timedelta(minutes=4, seconds=59))
    ok = client.post(f"{API}/{cid}/sign", json={"code": code3}, headers=borrower)
    assert ok.status_code == 200, ok.text
    assert world.line.status == "active"


def test_access_rules_deadline_cancel_and_preconditions(
    client: TestClient,
    headers_for: Any,
    session: Session,
    runtime: Runtime,
    clock: FixedClock,
    world: World,
) -> None:
    borrower = headers_for(Role.BORROWER, [world.enterprise_id])
    manager = headers_for(Role.CUSTOMER_MANAGER)
    other_ent = new_enterprise(session, runtime, "宁波另一贸易有限公司", make_uscc(2))
    session.commit()
    stranger = headers_for(Role.BORROWER, [other_ent])

    # A borrower cannot make, see or download another enterprise's contract.
    r = client.post(API, json={"credit_line_id": str(world.line.id)}, headers=stranger)
    assert r.status_code == 404
    cid = _create(client, manager, world.line.id)["id"]
    assert client.get(f"{API}/{cid}", headers=stranger).status_code == 404
    assert client.get(f"{API}/{cid}/document", headers=stranger).status_code == 404
    assert client.post(f"{API}/{cid}/send-for-signature", headers=stranger).status_code == 404
    assert client.get(f"{API}/{cid}", headers=borrower).status_code == 200
    # Staff cannot sign in the borrower's place.
    staff_sign = client.post(f"{API}/{cid}/sign", json={"code": "123456"}, headers=manager)
    assert staff_sign.status_code == 403

    # Past the signing deadline the contract expires, and stays expired.
    clock.advance(timedelta(days=8))
    borrower = _fresh_headers(session, runtime, Role.BORROWER, [world.enterprise_id])
    manager = _fresh_headers(session, runtime, Role.CUSTOMER_MANAGER)
    stranger = _fresh_headers(session, runtime, Role.BORROWER, [other_ent])
    late = client.post(f"{API}/{cid}/send-for-signature", headers=borrower)
    assert late.status_code == 410 and late.json()["code"] == "contract_expired"
    assert client.get(f"{API}/{cid}", headers=borrower).json()["status"] == "expired"

    # A new contract for the same line can be made after expiry, and cancelled.
    cid2 = _create(client, manager, world.line.id)["id"]
    assert cid2 != cid
    c = client.post(f"{API}/{cid2}/cancel", json={"reason": "条款调整"}, headers=manager)
    assert c.status_code == 200 and c.json()["status"] == "cancelled"
    r = client.post(f"{API}/{cid2}/send-for-signature", headers=borrower)
    assert r.status_code == 409 and r.json()["code"] == "contract_wrong_status"

    # A line not waiting for signature, and an enterprise without a legal representative.
    active = world.lines.add(world.enterprise_id, status="active")
    r = client.post(API, json={"credit_line_id": str(active.id)}, headers=manager)
    assert r.status_code == 409 and r.json()["code"] == "credit_line_not_pending_signature"
    no_rep = world.lines.add(other_ent)
    r = client.post(API, json={"credit_line_id": str(no_rep.id)}, headers=manager)
    assert r.status_code == 409 and r.json()["code"] == "legal_representative_missing"
    add_legal_rep(session, runtime, other_ent, make_resident_id(2), "13900139000")
    session.commit()
    r = client.post(API, json={"credit_line_id": str(no_rep.id)}, headers=stranger)
    assert r.status_code == 201
    count = session.scalar(select(func.count()).select_from(Contract))
    assert count is not None and count >= 3


def test_no_code_or_mobile_in_clear_anywhere(
    client: TestClient,
    headers_for: Any,
    session: Session,
    runtime: Runtime,
    world: World,
) -> None:
    borrower = headers_for(Role.BORROWER, [world.enterprise_id])
    cid = _create(client, borrower, world.line.id)["id"]
    sent = _send(client, borrower, cid)
    code = _code_of(session, runtime, sent["message_id"])
    ok = client.post(f"{API}/{cid}/sign", json={"code": code}, headers=borrower)
    assert ok.status_code == 200
    dump = []
    for table in inspect(session.connection()).get_table_names():
        dump.append(_raw_rows(session, table, skip=frozenset({"document"})))
    everything = "\n".join(dump)
    assert "陈测试" in everything  # the search does see the data
    assert REP_MOBILE not in everything
    assert f"验证码 {code}" not in everything
    otp_dump = _raw_rows(session, "core_otp") + _raw_rows(session, "core_outbox")
    assert code not in otp_dump


def test_expire_overdue_job_step(
    session: Session, runtime: Runtime, clock: FixedClock, world: World
) -> None:
    from puhui.lending.contracts import service as contracts

    contract, created = contracts.create_contract(session, clock, None, world.line.id)
    assert created and contract.status == "draft"
    session.commit()
    clock.advance(timedelta(days=6, hours=23))
    assert contracts.expire_overdue(session, clock) == []
    clock.advance(timedelta(hours=1))
    assert contracts.expire_overdue(session, clock) == [contract.id]
    session.commit()
    assert contracts.get_contract(session, contract.id).status == "expired"
    assert contracts.expire_overdue(session, clock) == []
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity_id == str(contract.id))
    ).all()
    assert "contract.expire" in actions
