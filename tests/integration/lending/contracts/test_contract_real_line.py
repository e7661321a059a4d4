"""With the lending core's own credit line: the line is pending until signed, active after."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.integration.lending.contracts.conftest import (
    add_legal_rep,
    code_in,
    make_resident_id,
    make_uscc,
    new_enterprise,
)

from puhui.core import outbox
from puhui.core.clock import business_date
from puhui.core.models import OutboxMessage, Role
from puhui.core.runtime import Runtime
from puhui.lending import credit_lines
from puhui.lending.contracts.models import Contract

API = "/api/v1/contracts"


def test_signing_activates_the_real_credit_line(
    client: TestClient, headers_for: Any, session: Session, runtime: Runtime
) -> None:
    enterprise_id = new_enterprise(session, runtime, "苏州真实额度科技有限公司", make_uscc(31))
    add_legal_rep(session, runtime, enterprise_id, make_resident_id(31), "13600136000")
    line = credit_lines.create_line_from_offer(
        session,
        runtime.clock,
        enterprise_id=enterprise_id,
        product_code="weiyedai",
        limit_fen=50_000_000,
        rate_bp=435,
        term_months=12,
        expiry_date=business_date(runtime.clock) + timedelta(days=365),
        decision_id=uuid.uuid4(),
        repayment_method="interest_first",
    )
    session.commit()
    assert line.status == "pending_signature"
    borrower = headers_for(Role.BORROWER, [enterprise_id])

    created = client.post(API, json={"credit_line_id": str(line.id)}, headers=borrower)
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    session.expire_all()
    contract = session.get(Contract, uuid.UUID(cid))
    assert contract is not None
    assert contract.terms["product_name"] == "微业贷（随借随还）"
    assert contract.terms["limit_fen"] == 50_000_000 and contract.terms["rate_bp"] == 435
    assert credit_lines.get_line(session, line.id).status == "pending_signature"

    sent = client.post(f"{API}/{cid}/send-for-signature", headers=borrower)
    assert sent.status_code == 200, sent.text
    row = session.get(OutboxMessage, uuid.UUID(sent.json()["message_id"]))
    assert row is not None
    code = code_in(outbox.read_body(runtime.cipher, row))
    signed = client.post(f"{API}/{cid}/sign", json={"code": code}, headers=borrower)
    assert signed.status_code == 200, signed.text

    session.expire_all()
    active = credit_lines.get_line(session, line.id)
    assert active.status == "active" and active.contract_id == uuid.UUID(cid)
    assert active.activated_at == runtime.clock.now()
