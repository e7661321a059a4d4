"""The pages of issue 16's leftovers over HTTP: the legal representative sets an agent's limits
on /m/payments/guardian (the agent sees no such form, and is refused above the limit with the
reason), switches "trusted payees only" off only with the code sent to their mobile, and
chooses the account receivables are paid out to."""

from __future__ import annotations

import re
import secrets
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.conftest import make_user, token_for
from tests.identity_factories import verify_rep
from tests.integration.lending.lending_factories import fund, make_enterprise
from tests.integration.payments.payments_factories import record_representative, verified_account

from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.identity import service as identity_service
from puhui.identity.rules import AgentScope
from puhui.parties import service as parties_service
from puhui.payments import agents, guardian
from puhui.payments.rails import SandboxRail, use_rail

REP = "13800000021"
AGENT = "13900000022"


def _headers(session: Session, runtime: Runtime, enterprise_id: Any, mobile: str) -> dict[str, str]:
    user = make_user(session, runtime, Role.BORROWER, enterprise_ids=[enterprise_id])
    user.mobile_enc = runtime.cipher.encrypt(mobile, "core_user.mobile")
    session.commit()
    return {"Authorization": f"Bearer {token_for(session, runtime, user)}"}


def test_the_representative_limits_an_agent_and_guards_the_switches(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    clock, cipher = runtime.clock, runtime.cipher
    ent = make_enterprise(session, clock)
    fund(session, clock, ent.id, 100_000_00)
    record_representative(session, clock, cipher, ent.id, REP)
    verify_rep(session, clock, cipher, name="王法代", resident_id=_rid(REP), mobile=REP, face=False)
    grant = identity_service.grant_authorisation(
        session,
        clock,
        cipher,
        enterprise_id=ent.id,
        rep_person_id=parties_service.legal_representatives_of(session, ent.id)[-1],
        grantor_mobile=REP,
        grantor_user_id=None,
        agent_name="王女儿",
        agent_mobile=AGENT,
        scopes=[AgentScope.DRAWDOWN],
        days=30,
    )
    account = verified_account(session, clock, cipher, ent.id, "6222000066660001", "某某商行")
    session.commit()
    rep, agent = _headers(session, runtime, ent.id, REP), _headers(session, runtime, ent.id, AGENT)

    page = client.get("/m/payments/guardian", headers=rep)
    assert 'data-testid="agent-limits"' in page.text and "王女儿" in page.text
    assert (
        'data-testid="agent-limits"' not in client.get("/m/payments/guardian", headers=agent).text
    )
    client.post(
        f"/m/payments/guardian/agents/{grant.id}",
        data={"per_payment_yuan": "1000", "per_day_yuan": "", "trusted_only": ""},
        headers=rep,
    )
    limits = agents.limits_of(session, grant.id)
    assert limits is not None and limits.per_payment_cap_fen == 1_000_00
    with use_rail(SandboxRail()):
        refused = client.post(
            "/m/payments/guardian/transfers",
            data={
                "key": secrets.token_hex(6),
                "payout_account_id": str(account.id),
                "amount_yuan": "2000",
            },
            headers=agent,
        )
    assert "单笔付款限额为 1,000.00 元" in refused.text
    assert guardian.transfers_of(session, ent.id) == []

    client.post("/m/payments/guardian/trusted-only", data={"on": "yes"}, headers=agent)
    assert guardian.setting_of(session, clock, ent.id).trusted_only
    wrong = client.post("/m/payments/guardian/trusted-only", data={"code": "000000"}, headers=agent)
    assert wrong.status_code == 200
    session.expire_all()
    assert guardian.setting_of(session, clock, ent.id).trusted_only  # no code, still on
    sent = client.post("/m/payments/guardian/trusted-only/code", headers=rep)
    code = re.search(r'data-testid="sandbox-code">(\d{6})<', sent.text)
    assert code is not None, sent.text
    client.post("/m/payments/guardian/trusted-only", data={"code": code.group(1)}, headers=rep)
    session.expire_all()
    setting = guardian.setting_of(session, clock, ent.id)
    assert not setting.trusted_only and setting.trusted_only_by == "representative"

    client.post(f"/m/payments/accounts/{account.id}/receivables", headers=rep)
    session.refresh(account)
    assert account.receives_receivables
    assert 'data-testid="receivables-account"' in client.get("/m/payments", headers=rep).text


def _rid(mobile: str) -> str:
    from puhui.core.codes import resident_id_check_char

    first17 = "33010619800101" + mobile[-3:]
    return first17 + resident_id_check_char(first17)
