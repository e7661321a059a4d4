"""Guarantees and collateral on pages: the console's line page (add a guarantor, record its
consent and pull, send the code; add, revalue collateral; the shortfall and LTV in words) and
the guarantor signing on /m (consent to its own data, the code, the signature)."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.integration.datahub.datahub_world import register_world_firm
from tests.integration.lending.lending_factories import draw, make_enterprise, make_line

from puhui.core.clock import FixedClock
from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.lending import collateral, guarantees
from puhui.lending.products import JINGYINGDAI
from puhui.lending.schedules import RepaymentMethod
from puhui.risk import service as risk_service

RAW = (">proposed<", ">checked<", ">signed<", ">property<", ">enterprise<", ">active<")


def test_console_line_security_page(
    session: Session, clock: FixedClock, runtime: Runtime, client: TestClient, headers_for: Any
) -> None:
    guarantor = register_world_firm(session, runtime, 1)
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id, product_code=JINGYINGDAI, term_months=6,
                     method=RepaymentMethod.EQUAL_INSTALMENT)  # fmt: skip
    session.commit()
    officer = headers_for(Role.CREDIT_OFFICER)
    base = f"/console/lines/{line.id}"
    page = client.get(f"{base}/security", headers=officer)
    assert page.status_code == 200 and "尚无保证人" in page.text and "尚无押品" in page.text

    added = client.post(f"{base}/guarantees", headers=officer, follow_redirects=False,
                        data={"kind": "enterprise", "identifier": guarantor.uscc,
                              "amount_yuan": "30万"})  # fmt: skip
    assert added.status_code == 303, added.text
    row = guarantees.guarantees_of_line(session, line.id)[0]
    assert row.amount_fen == 30_000_000
    no_consent = client.post(f"{base}/guarantees/{row.id}/check", headers=officer)
    assert "保证人授权确认" in no_consent.text  # refused: the consent box was not ticked
    client.post(f"{base}/guarantees/{row.id}/check", headers=officer, data={"consent": "yes"})
    client.post(f"{base}/guarantees/{row.id}/send", headers=officer)
    session.expire_all()
    assert guarantees.get_guarantee(session, row.id).status == "sent_for_signature"

    client.post(f"{base}/collateral", headers=officer,
                data={"kind": "property", "description": "杭州市余杭区厂房",
                      "valuation_yuan": "100000", "haircut_percent": "30",
                      "valued_date": "2026-11-23",
                      "lien_reference": "浙(2026)不动产证明0002号"})  # fmt: skip
    item = collateral.collateral_of_line(session, line.id)[0]
    assert (item.valuation_fen, item.haircut_bp) == (10_000_000, 3_000)
    collateral.set_product_security(session, clock, JINGYINGDAI, secured=True, max_ltv_bp=7_000)
    draw(session, clock, line.id, 4_900_000, term_months=6)
    session.commit()
    client.post(f"{base}/collateral/{item.id}/revalue", headers=officer,
                data={"valuation_yuan": "60000", "valued_date": "2026-11-23",
                      "note": "市场下跌"})  # fmt: skip
    page = client.get(f"{base}/security", headers=officer)
    for words in ("待签署（验证码已发送）", "企业保证", "房产", "押品缺口", "¥28,000.00",
                  "抵质押类，最高抵质押率 70%"):  # fmt: skip
        assert words in page.text, words
    for code in RAW:
        assert code not in page.text, code
    alerts = risk_service.list_alerts(session, enterprise_id=ent.id)
    assert [a.signal_code for a in alerts] == ["collateral_shortfall"] and alerts[0].level == "red"
    english = client.get(f"{base}/security?lang=en", headers=officer)
    assert "Guarantees and collateral" in english.text and "Shortfall" in english.text
    assert client.get(f"{base}/security", headers=headers_for(Role.SERVICE_REP)).status_code == 403


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


def test_the_guarantor_consents_and_signs_on_mobile(
    session: Session, clock: FixedClock, runtime: Runtime, client: TestClient, headers_for: Any
) -> None:
    guarantor = register_world_firm(session, runtime, 2)
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id, activate=False)
    who = guarantees.GuarantorIn(guarantees.GuarantorKind.ENTERPRISE, 20_000_000,
                                 enterprise_id=guarantor.enterprise_id)  # fmt: skip
    row = guarantees.propose(session, clock, None, line.id, who)
    session.commit()
    me = headers_for(Role.BORROWER, [guarantor.enterprise_id])
    assert "待签署的保证合同" in client.get("/m/home", headers=me).text
    listing = client.get("/m/guarantees", headers=me)
    assert row.reference in listing.text
    page = client.get(f"/m/guarantees/{row.id}", headers=me)
    assert page.status_code == 200 and "最高额保证合同" in page.text and "征信" in page.text
    versions = re.findall(r'name="version" value="([^"]+)"', page.text)
    assert len(versions) == 3
    refused = client.post(f"/m/guarantees/{row.id}/send", headers=me,
                          data={"version": versions, "agree": ["registry"]})  # fmt: skip
    assert 'role="alert"' in refused.text
    sent = client.post(f"/m/guarantees/{row.id}/send", headers=me,
                       data={"version": versions,
                             "agree": ["registry", "judicial", "credit_bureau"]})  # fmt: skip
    code = re.search(r'data-testid="sandbox-code">(\d{6})<', sent.text)
    assert code is not None, sent.text
    signed = client.post(f"/m/guarantees/{row.id}/sign", headers=me,
                         data={"code": code.group(1)})  # fmt: skip
    assert 'data-testid="guarantee-signed"' in signed.text
    session.expire_all()
    assert guarantees.get_guarantee(session, row.id).status == "signed"
    other = headers_for(Role.BORROWER, [ent.id])  # the borrower is not the guarantor
    assert client.get(f"/m/guarantees/{row.id}", headers=other).status_code == 404
