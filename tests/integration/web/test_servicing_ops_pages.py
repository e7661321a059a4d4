"""The console's charges, reassignment and restructuring pages (issue 17 items 7-9): forms
work for the roles allowed, a second person checks, everything shows in words."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.conftest import make_user, token_for
from tests.integration.lending.lending_factories import (
    assert_books,
    at,
    draw,
    make_enterprise,
    make_line,
)
from tests.integration.lending.servicing_factories import decision_for

from puhui.core.clock import FixedClock
from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.decisioning import service as decisioning_service
from puhui.decisioning.models import Application, Decision
from puhui.lending import charges
from puhui.lending.products import JINGYINGDAI
from puhui.lending.schedules import RepaymentMethod
from puhui.lending.servicing import restructuring

BASE = "/console/servicing"


def _bearer(session: Session, runtime: Runtime, role: Role) -> dict[str, str]:
    user = make_user(session, runtime, role)
    return {"Authorization": f"Bearer {token_for(session, runtime, user)}"}


def test_charges_catalogue_and_a_waiver_checked_by_a_second_person(
    session: Session, clock: FixedClock, runtime: Runtime, client: TestClient, headers_for: Any
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(
        session, clock, ent.id, product_code=JINGYINGDAI, method=RepaymentMethod.EQUAL_INSTALMENT
    )
    session.commit()
    admin = headers_for(Role.ADMIN)
    form = {"product_code": JINGYINGDAI, "code": "arrangement", "name_zh": "服务费",
            "name_en": "Arrangement fee", "trigger": "drawdown", "basis": "fixed",
            "amount_yuan": "300"}  # fmt: skip
    saved = client.post(f"{BASE}/charges/catalogue", data=form, headers=admin,
                        follow_redirects=False)  # fmt: skip
    assert saved.status_code == 303, saved.text
    bad = client.post(f"{BASE}/charges/catalogue", data=form | {"basis": "balance"},
                      headers=admin, follow_redirects=False)  # fmt: skip
    assert bad.status_code == 303 and bad.headers["location"] == f"{BASE}/charges"
    loan = draw(session, clock, line.id, 6_000_000, term_months=12)
    (charge,) = charges.charges_of(session, loan.id)
    session.commit()
    rep = headers_for(Role.SERVICE_REP)
    page = client.get(f"{BASE}/charges", headers=rep)
    assert page.status_code == 200
    for words in ("服务费", "放款时一次性", "固定金额", "¥300.00", loan.reference):
        assert words in page.text, words
    for code in (">drawdown<", ">fixed<", ">due<"):
        assert code not in page.text, code
    proposed = client.post(f"{BASE}/charges/{charge.id}/waive", headers=rep,
                           data={"amount_yuan": "100", "reason": "客户投诉减免"},
                           follow_redirects=False)  # fmt: skip
    assert proposed.status_code == 303
    (waiver,) = charges.pending_waivers(session)
    assert client.get(f"{BASE}/charges", headers=rep).text.count("待他人复核") == 1
    checked = client.post(f"{BASE}/charges/waivers/{waiver.id}/decide",
                          headers=headers_for(Role.CREDIT_OFFICER), data={"action": "approve"},
                          follow_redirects=False)  # fmt: skip
    assert checked.status_code == 303
    session.expire_all()
    assert charges.charges_of(session, loan.id)[0].waived_fen == 10_000
    assert_books(session)
    mobile = client.get(f"/m/loans/{loan.id}", headers=headers_for(Role.BORROWER, [ent.id]))
    assert mobile.status_code == 200 and "服务费" in mobile.text and "待收" in mobile.text


def test_reassignment_page_for_the_branch_head(
    session: Session, clock: FixedClock, runtime: Runtime, client: TestClient, headers_for: Any
) -> None:
    old = make_user(session, runtime, Role.CUSTOMER_MANAGER)
    new = make_user(session, runtime, Role.CUSTOMER_MANAGER)
    ent = make_enterprise(session, clock, "杭州变更测试有限公司")
    decision = session.get(Decision, decision_for(session, clock, ent.id))
    assert decision is not None
    app = session.get(Application, decision.application_id)
    assert app is not None
    app.manager_user_id = old.id
    session.commit()
    form = {"usccs": ent.uscc, "to_user_id": str(new.id), "reason": "片区调整"}
    denied = client.post(f"{BASE}/managers", data=form, headers=headers_for(Role.CREDIT_OFFICER))
    assert denied.status_code == 403
    done = client.post(f"{BASE}/managers", data=form, headers=headers_for(Role.ADMIN))
    assert done.status_code == 200 and "已变更 1 家企业" in done.text
    assert "杭州变更测试有限公司" in done.text and "片区调整" in done.text
    session.expire_all()
    assert decisioning_service.customer_manager_of(session, ent.id) == new.id


def test_an_officer_proposes_a_restructuring_and_a_second_one_executes_it(
    session: Session, clock: FixedClock, runtime: Runtime, client: TestClient
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(
        session, clock, ent.id, product_code=JINGYINGDAI, method=RepaymentMethod.EQUAL_INSTALMENT
    )
    loan = draw(session, clock, line.id, 6_000_000, term_months=12)
    at(clock, date(2026, 12, 1))
    maker = _bearer(session, runtime, Role.CREDIT_OFFICER)
    checker = _bearer(session, runtime, Role.CREDIT_OFFICER)
    session.commit()
    form = {"loan_reference": loan.reference, "rate_percent": "3.6", "term_months": "24",
            "method": "equal_principal", "reason": "经营困难", "capitalise": "yes"}  # fmt: skip
    proposed = client.post(f"{BASE}/restructuring", data=form, headers=maker)
    assert proposed.status_code == 200, proposed.text
    for words in ("待复核", "等额本金", "3.60%", "至少为“关注”", "重组后（按今日执行试算）"):
        assert words in proposed.text, words
    assert proposed.text.count('<tr><td class="num">') >= 24 + 12
    assert "复核通过并执行" not in proposed.text  # not for the maker
    (row,) = restructuring.proposals(session)
    page = client.get(f"{BASE}/restructuring/{row.id}", headers=checker)
    assert "复核通过并执行" in page.text
    done = client.post(f"{BASE}/restructuring/{row.id}/decide", data={"action": "approve"},
                       headers=checker)  # fmt: skip
    assert done.status_code == 200 and "已执行" in done.text
    session.expire_all()
    assert restructuring.get(session, row.id).status == "executed"
    listing = client.get(f"{BASE}/restructuring", headers=checker)
    assert loan.reference in listing.text and ">executed<" not in listing.text
    assert_books(session)


def test_the_charges_api_reads_a_loans_charges_and_works_a_waiver_by_two_people(
    session: Session, clock: FixedClock, runtime: Runtime, client: TestClient, headers_for: Any
) -> None:
    """`/api/v1/loans/{id}/charges` for the borrower and staff; a waiver proposed by one and
    approved by another; the proposer's own approval, too large a waiver, bad input and a
    stranger are refused as problems, and change nothing."""
    from puhui.lending.charges_rules import ChargeBasis, ChargeTerms, ChargeTrigger

    ent = make_enterprise(session, clock)
    line = make_line(
        session, clock, ent.id, product_code=JINGYINGDAI, method=RepaymentMethod.EQUAL_INSTALMENT
    )
    charges.set_product_charge(session, clock, JINGYINGDAI, ChargeTerms(
        "arrangement", "服务费", "Arrangement fee", ChargeTrigger.DRAWDOWN, ChargeBasis.FIXED,
        amount_fen=30_000,
    ))  # fmt: skip
    loan = draw(session, clock, line.id, 6_000_000, term_months=12)
    session.commit()
    mine = client.get(f"/api/v1/loans/{loan.id}/charges",
                      headers=headers_for(Role.BORROWER, [ent.id]))  # fmt: skip
    assert mine.status_code == 200
    (charge,) = mine.json()
    assert (charge["code"], charge["amount_fen"], charge["outstanding_fen"]) == (
        "arrangement", 30_000, 30_000,
    )  # fmt: skip
    other = make_enterprise(session, clock)
    session.commit()
    stranger = client.get(f"/api/v1/loans/{loan.id}/charges",
                          headers=headers_for(Role.BORROWER, [other.id]))  # fmt: skip
    assert stranger.status_code == 404

    rep = headers_for(Role.SERVICE_REP)
    url = f"/api/v1/charges/{charge['id']}/waivers"
    too_much = client.post(url, json={"amount_fen": 30_001, "reason": "客户投诉"}, headers=rep)
    assert too_much.status_code == 409
    assert too_much.headers["content-type"] == "application/problem+json"
    assert client.post(url, json={"amount_fen": 0, "reason": "x"}, headers=rep).status_code == 422
    made = client.post(url, json={"amount_fen": 10_000, "reason": "客户投诉减免"}, headers=rep)
    assert made.status_code == 201 and made.json()["status"] == "proposed"
    waiver = made.json()["id"]
    queue = client.get("/api/v1/charge-waivers", headers=rep).json()
    assert [w["id"] for w in queue] == [waiver]
    assert client.post(f"/api/v1/charge-waivers/{waiver}/approve", headers=rep).status_code == 403
    approved = client.post(
        f"/api/v1/charge-waivers/{waiver}/approve", headers=_bearer(session, runtime, Role.ADMIN)
    )
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    after = client.get(f"/api/v1/loans/{loan.id}/charges", headers=rep).json()
    assert (after[0]["waived_fen"], after[0]["outstanding_fen"]) == (10_000, 20_000)
    session.expire_all()
    assert_books(session)
