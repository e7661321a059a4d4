"""Retention: `retention.run` destroys each data class past its period (snapshot payloads
shredded, their hashes kept; expired one-time codes, tokens and sign-in attempts deleted) and
audits every destruction. Data rights: a borrower sees what is held, revokes a consent, and
deletion is granted — or refused with the legal reason while a signed credit line exists."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.integration.datahub.datahub_world import WorldFirm, register_world_firm

from puhui.consents import service as consents_service
from puhui.consents.models import Purpose
from puhui.core import otp
from puhui.core.auth import Principal
from puhui.core.clock import FixedClock, business_date
from puhui.core.models import AuditEvent, OneTimeCode, Role, User
from puhui.core.runtime import Runtime
from puhui.datahub import service as hub
from puhui.datahub.connectors import Connectors, SandboxConnector
from puhui.datahub.errors import SnapshotDestroyed
from puhui.datahub.models import SnapshotRow
from puhui.datahub.payloads import SourceName
from puhui.flows import data_rights, retention
from puhui.lending import service as lending
from puhui.lending.products import WEIYEDAI
from puhui.lending.schedules import RepaymentMethod

TAX = SourceName.TAX


@pytest.fixture(scope="module")
def connectors() -> Connectors:
    return Connectors(default=SandboxConnector.default())


def _pulled(session: Session, runtime: Runtime, connectors: Connectors) -> WorldFirm:
    firm = register_world_firm(session, runtime, 0)
    consents_service.grant_bundle(
        session, runtime.clock, firm.enterprise_id, [TAX], Purpose.CREDIT_DECISION
    )
    hub.pull(
        session,
        runtime.clock,
        connectors,
        cipher=runtime.cipher,
        enterprise_id=firm.enterprise_id,
        source=TAX,
        purpose=Purpose.CREDIT_DECISION,
    )
    session.commit()
    return firm


def _audited(session: Session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_retention_destroys_what_is_past_its_period_and_audits_it(
    session: Session, runtime: Runtime, clock: FixedClock, connectors: Connectors
) -> None:
    _pulled(session, runtime, connectors)
    otp.issue(session, clock, runtime.cipher, purpose="test", subject="s-1")
    session.commit()
    early = retention.run(session, clock, runtime.settings)  # nothing is due yet
    assert {d.data_class: d.count for d in early}["snapshots"] == 0
    assert session.scalar(select(func.count()).select_from(OneTimeCode)) == 1

    clock.advance(timedelta(days=5 * 366))
    done = {d.data_class: d.count for d in retention.run(session, clock, runtime.settings)}
    session.commit()
    assert done["snapshots"] >= 1 and done["otps"] == 1
    row = session.scalars(select(SnapshotRow)).first()
    assert row is not None and row.payload_enc == b"" and len(row.payload_hash) == 64
    with pytest.raises(SnapshotDestroyed):
        hub.snapshots(session, runtime.cipher, [row.id])
    assert session.scalar(select(func.count()).select_from(OneTimeCode)) == 0
    records = _audited(session, "retention.destroy")
    assert {r.entity_id for r in records} >= {"snapshots", "otps", "sessions", "messages"}
    assert any(r.after and r.after["destroyed"] >= 1 for r in records)


def test_a_registered_purger_runs_with_its_setting(
    session: Session, runtime: Runtime, clock: FixedClock
) -> None:
    seen: list[object] = []
    retention.register_purger(
        "identity_captures",
        "身份核验影像",
        "identity captures",
        "retention_capture_days",
        lambda s, c, cutoff: seen.append(cutoff) or 3,
    )
    try:
        done = {d.data_class: d.count for d in retention.run(session, clock, runtime.settings)}
    finally:
        retention.PURGERS[:] = [p for p in retention.PURGERS if p.name != "identity_captures"]
    assert done["identity_captures"] == 3
    assert seen == [clock.now() - timedelta(days=runtime.settings.retention_capture_days)]


def _borrower(session: Session, runtime: Runtime, firm: WorldFirm) -> Principal:
    from puhui.core import auth

    user = auth.create_user(
        session,
        runtime.clock,
        username=f"rights-{uuid.uuid4().hex[:8]}",
        password="Good-pass-123" + "a1",
        role=Role.BORROWER,
        display_name="本人",
        enterprise_ids=[firm.enterprise_id],
    )
    session.flush()
    return auth.principal_of(user)


def test_the_borrower_sees_revokes_and_deletes_what_the_law_allows(
    session: Session, runtime: Runtime, clock: FixedClock, connectors: Connectors
) -> None:
    firm = _pulled(session, runtime, connectors)
    me = _borrower(session, runtime, firm)
    held = data_rights.holdings(session, clock, me)
    ent = held.enterprises[0]
    assert ent.uscc == firm.uscc and ent.snapshots == {"tax": 1}
    assert firm.mobile not in str(held) and firm.resident_id not in str(held)
    assert [c.status for c in ent.consents] == ["live"] and held.deletable

    stranger = _borrower(session, runtime, register_world_firm(session, runtime, 1))
    with pytest.raises(data_rights.NotYourConsent):
        data_rights.revoke_consent(session, clock, stranger, ent.consents[0].id)
    data_rights.revoke_consent(session, clock, me, ent.consents[0].id)
    assert data_rights.holdings(session, clock, me).enterprises[0].consents[0].status == "revoked"

    destroyed = data_rights.request_deletion(session, clock, me)
    session.commit()
    assert destroyed == 1
    user = session.get(User, me.user_id)
    assert user is not None and not user.is_active
    assert _audited(session, "rights.delete")


def test_deletion_is_refused_with_the_reason_while_a_signed_line_exists(
    session: Session, runtime: Runtime, clock: FixedClock, connectors: Connectors
) -> None:
    firm = _pulled(session, runtime, connectors)
    me = _borrower(session, runtime, firm)
    line = lending.create_line_from_offer(
        session,
        clock,
        enterprise_id=firm.enterprise_id,
        product_code=WEIYEDAI,
        limit_fen=30_000_000,
        rate_bp=435,
        term_months=12,
        expiry_date=business_date(clock) + timedelta(days=365),
        decision_id=uuid.uuid4(),
        repayment_method=RepaymentMethod.INTEREST_FIRST,
    )
    lending.activate_after_signing(session, clock, line.id, uuid.uuid4())
    assert not data_rights.holdings(session, clock, me).deletable
    with pytest.raises(data_rights.DeletionRefused) as refused:
        data_rights.request_deletion(session, clock, me)
    assert refused.value.status == 409 and "五年" in refused.value.message("zh")
    assert "five years" in refused.value.message("en")
    assert session.scalars(select(SnapshotRow)).first().payload_enc != b""  # type: ignore[union-attr]


def test_the_rights_pages_show_revoke_and_delete(
    session: Session,
    runtime: Runtime,
    connectors: Connectors,
    client: Any,
    headers_for: Any,
) -> None:
    firm = _pulled(session, runtime, connectors)
    me = headers_for(Role.BORROWER, [firm.enterprise_id])
    assert 'href="/m/rights"' in client.get("/m/home", headers=me).text
    page = client.get("/m/rights", headers=me)
    assert page.status_code == 200 and firm.uscc in page.text
    assert firm.mobile not in page.text and firm.resident_id not in page.text
    assert "有效" in page.text and "撤回" in page.text and "删除我的信息" in page.text
    consent = re.search(r"/m/rights/consents/([0-9a-f-]{36})/revoke", page.text)
    assert consent is not None
    done = client.post(consent.group(0), headers=me, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/m/rights?revoked=1"
    again = client.get("/m/rights?revoked=1", headers=me)
    assert "已撤回" in again.text and 'data-testid="revoked"' in again.text
    unconfirmed = client.post("/m/rights/delete", headers=me, follow_redirects=False)
    assert unconfirmed.status_code == 422 and "删除我的信息" in unconfirmed.text
    deleted = client.post(
        "/m/rights/delete", data={"confirm": "yes"}, headers=me, follow_redirects=False
    )
    assert deleted.status_code == 303 and deleted.headers["location"] == "/m/rights/deleted"
    assert "已删除" in client.get("/m/rights/deleted").text
    assert client.get("/m/rights", headers=me, follow_redirects=False).status_code in (
        303,
        401,
    )  # the account is closed


def test_the_rights_page_states_why_deletion_is_refused(
    session: Session, runtime: Runtime, clock: FixedClock, client: Any, headers_for: Any
) -> None:
    firm = register_world_firm(session, runtime, 0)
    line = lending.create_line_from_offer(
        session,
        clock,
        enterprise_id=firm.enterprise_id,
        product_code=WEIYEDAI,
        limit_fen=30_000_000,
        rate_bp=435,
        term_months=12,
        expiry_date=business_date(clock) + timedelta(days=365),
        decision_id=uuid.uuid4(),
        repayment_method=RepaymentMethod.INTEREST_FIRST,
    )
    lending.activate_after_signing(session, clock, line.id, uuid.uuid4())
    session.commit()
    page = client.get("/m/rights", headers=headers_for(Role.BORROWER, [firm.enterprise_id]))
    assert 'data-testid="deletion-refused"' in page.text and "五年" in page.text
    assert 'action="/m/rights/delete"' not in page.text
