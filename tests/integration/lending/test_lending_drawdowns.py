"""Drawdowns over HTTP and in the service: reservation, booking, ledger, idempotency, refusals."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.integration.lending.lending_factories import (
    assert_books,
    at,
    make_enterprise,
    make_line,
)

from puhui.core.clock import FixedClock, business_date
from puhui.core.db import roll_back
from puhui.core.models import AuditEvent, Role
from puhui.ledger import service as ledger_service
from puhui.ledger.errors import UnbalancedEntry
from puhui.lending import loans as lending_loans
from puhui.lending import service as lending
from puhui.lending.errors import DrawdownFailed
from puhui.lending.models import Drawdown, Instalment, Loan
from puhui.lending.products import JINGYINGDAI
from puhui.lending.schedules import PeriodInterest, RepaymentMethod, build_schedule


def _url(line_id: uuid.UUID) -> str:
    return f"/api/v1/credit-lines/{line_id}/drawdowns"


def _snapshot(session: Session, line_id: uuid.UUID) -> tuple[int, int, int, int]:
    session.expire_all()
    line = lending.get_line(session, line_id)
    return (
        line.used_fen,
        session.scalar(select(func.count()).where(Drawdown.line_id == line_id)) or 0,
        session.scalar(select(func.count()).where(Loan.line_id == line_id)) or 0,
        lending.settlement_balance(session, line.enterprise_id),
    )


def test_borrower_draws_and_sees_the_loan_schedule_and_postings(
    session: Session, clock: FixedClock, client: TestClient, headers_for: Any
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id, limit_fen=50_000_000, rate_bp=435)
    session.commit()
    borrower = headers_for(Role.BORROWER, [ent.id])
    r = client.post(
        _url(line.id),
        json={"amount_fen": 12_000_000, "term_months": 6, "repayment_method": "equal_instalment"},
        headers={**borrower, "Idempotency-Key": "dd-1"},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    year = business_date(clock).year
    assert re.fullmatch(rf"DRW-{year}-\d{{6}}", body["reference"])
    assert body["line_used_fen"] == 12_000_000 and body["line_available_fen"] == 38_000_000
    assert "Idempotent-Replayed" not in r.headers

    loan = client.get(f"/api/v1/loans/{body['loan_id']}", headers=borrower).json()
    expected = build_schedule(  # 微业贷 charges interest by actual days (daily interest)
        12_000_000,
        435,
        6,
        business_date(clock),
        RepaymentMethod.EQUAL_INSTALMENT,
        interest_mode=PeriodInterest.ACTUAL_DAYS,
    )
    assert [(i["due_date"], i["principal_fen"], i["interest_fen"]) for i in loan["schedule"]] == [
        (i.due_date.isoformat(), i.principal_fen, i.interest_fen) for i in expected
    ]
    legs = {(p["code"], p["debit_fen"], p["credit_fen"]) for p in loan["postings"]}
    assert ("loan_principal", 12_000_000, 0) in legs
    assert ("settlement", 0, 12_000_000) in legs
    assert loan["principal_outstanding_fen"] == 12_000_000 and loan["status"] == "active"

    listed = client.get(f"/api/v1/credit-lines/{line.id}/loans", headers=borrower).json()
    assert [x["id"] for x in listed] == [body["loan_id"]]
    assert (
        client.get(f"/api/v1/settlement-accounts/{ent.id}", headers=borrower).json()["balance_fen"]
        == 12_000_000
    )
    session.expire_all()
    assert_books(session)


def test_missing_idempotency_key_is_a_clear_problem_in_chinese_and_changes_nothing(
    session: Session, clock: FixedClock, client: TestClient, headers_for: Any
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id)
    session.commit()
    before = _snapshot(session, line.id)
    r = client.post(
        _url(line.id), json={"amount_fen": 1_000_000}, headers=headers_for(Role.BORROWER, [ent.id])
    )
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["code"] == "idempotency_key_missing"
    assert "Idempotency-Key" in problem["detail"] and "幂等" in problem["title"]
    assert _snapshot(session, line.id) == before


def test_replay_returns_the_first_result_and_another_payload_is_409(
    session: Session, clock: FixedClock, client: TestClient, headers_for: Any
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id)
    session.commit()
    headers = {**headers_for(Role.CUSTOMER_MANAGER), "Idempotency-Key": "same-key"}
    first = client.post(_url(line.id), json={"amount_fen": 2_000_000}, headers=headers)
    again = client.post(_url(line.id), json={"amount_fen": 2_000_000}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() | {"replayed": False} == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    other = client.post(_url(line.id), json={"amount_fen": 3_000_000}, headers=headers)
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    used, drawdowns, loans, balance = _snapshot(session, line.id)
    assert (used, drawdowns, loans, balance) == (2_000_000, 1, 1, 2_000_000)


BAD = [
    ({"amount_fen": 0}, 422, "validation_failed", "数值过小"),
    ({"amount_fen": -100}, 422, "validation_failed", "数值过小"),
    ({"amount_fen": 12.5}, 422, "validation_failed", "整数"),
    ({"amount_fen": 50_000_001}, 409, "credit_limit_exceeded", "超过可用额度"),
    ({"amount_fen": 99_999}, 422, "amount_out_of_bounds", "单笔用款金额"),
    ({"amount_fen": 1_000_000, "term_months": 13}, 422, "term_out_of_bounds", "借款期限"),
    ({"amount_fen": 1_000_000, "repayment_method": "weekly"}, 422, "validation_failed", "取值"),
]


@pytest.mark.parametrize(("body", "status", "code", "words"), BAD)
def test_bad_drawdowns_are_refused_in_chinese_and_change_nothing(
    session: Session,
    clock: FixedClock,
    client: TestClient,
    headers_for: Any,
    body: dict[str, object],
    status: int,
    code: str,
    words: str,
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id, limit_fen=50_000_000)
    session.commit()
    before = _snapshot(session, line.id)
    r = client.post(
        _url(line.id),
        json=body,
        headers={**headers_for(Role.BORROWER, [ent.id]), "Idempotency-Key": str(uuid.uuid4())},
    )
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == code
    assert words in r.json()["detail"]
    assert _snapshot(session, line.id) == before


@pytest.mark.parametrize("state", ["frozen", "expired", "pending_signature", "closed"])
def test_a_line_that_is_not_usable_refuses_drawdowns(
    session: Session, clock: FixedClock, client: TestClient, headers_for: Any, state: str
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id, expiry_days=5, activate=state != "pending_signature")
    if state == "frozen":
        lending.freeze(session, clock, line.id, "预警")
    if state == "closed":
        lending.close(session, clock, line.id, "关闭")
    if state == "expired":
        at(clock, business_date(clock) + timedelta(days=6))  # expired, not yet marked by the batch
    session.commit()
    headers = {**headers_for(Role.BORROWER, [ent.id]), "Idempotency-Key": str(uuid.uuid4())}
    before = _snapshot(session, line.id)
    r = client.post(_url(line.id), json={"amount_fen": 1_000_000}, headers=headers)
    assert r.status_code == 409
    expected = {"expired": "credit_line_expired", "frozen": "credit_line_frozen"}.get(
        state, "credit_line_not_active"
    )
    assert r.json()["code"] == expected
    assert ("到期" if state == "expired" else "暂不能用款") in r.json()["detail"]
    en = client.post(
        _url(line.id), json={"amount_fen": 1_000_000}, headers={**headers, "Accept-Language": "en"}
    )
    assert "drawdown" in en.json()["detail"]
    assert _snapshot(session, line.id) == before


def test_borrowers_see_only_their_own_lines_and_loans(
    session: Session, clock: FixedClock, client: TestClient, headers_for: Any
) -> None:
    mine, theirs = make_enterprise(session, clock), make_enterprise(session, clock)
    line = make_line(session, clock, theirs.id)
    loan_id = lending.draw(session, clock, line.id, 1_000_000, idempotency_key="k").loan_id
    session.commit()
    borrower = headers_for(Role.BORROWER, [mine.id])
    for url in (
        f"/api/v1/credit-lines/{line.id}",
        f"/api/v1/credit-lines/{line.id}/loans",
        f"/api/v1/loans/{loan_id}",
        f"/api/v1/loans/{loan_id}/repayments",
        f"/api/v1/settlement-accounts/{theirs.id}",
    ):
        assert client.get(url, headers=borrower).status_code == 404, url
    r = client.post(
        _url(line.id),
        json={"amount_fen": 1_000_000},
        headers={**borrower, "Idempotency-Key": "x"},
    )
    assert r.status_code == 404 and r.json()["code"] == "credit_line_not_found"
    lines = client.get("/api/v1/credit-lines", headers=borrower).json()
    assert lines["items"] == []
    staff = client.get(
        f"/api/v1/credit-lines?enterprise_id={theirs.id}", headers=headers_for(Role.AUDITOR)
    ).json()
    assert [x["id"] for x in staff["items"]] == [str(line.id)]


def test_a_failed_payout_voids_the_reservation(
    session: Session, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id, limit_fen=10_000_000)
    session.commit()
    real_post = ledger_service.post

    def failing_post(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("kind") == "drawdown":
            raise UnbalancedEntry(debits=1, credits=2)
        return real_post(*args, **kwargs)

    monkeypatch.setattr(ledger_service, "post", failing_post)
    with pytest.raises(DrawdownFailed):
        lending.draw(session, clock, line.id, 4_000_000, idempotency_key="will-fail")
    monkeypatch.undo()
    roll_back(session)  # as the refused request does: the voided record survives the rollback
    drawdown = session.scalar(select(Drawdown).where(Drawdown.line_id == line.id))
    assert drawdown is not None
    assert (drawdown.status, drawdown.failure, drawdown.loan_id) == (
        "voided",
        "unbalanced_entry",
        None,
    )
    assert line.used_fen == 0 and line.available_fen == 10_000_000
    assert session.scalar(select(func.count()).where(Loan.line_id == line.id)) == 0
    events = session.scalars(select(AuditEvent).where(AuditEvent.entity_id == str(line.id)))
    void = [e.after for e in events if e.action.startswith("drawdown.")]
    assert void == [{"drawdown": drawdown.reference, "failure": "unbalanced_entry"}]
    out = lending.draw(session, clock, line.id, 4_000_000, idempotency_key="retry")
    assert out.line_used_fen == 4_000_000
    assert_books(session)


def test_instalment_product_books_the_schedule_and_references_count_per_year(
    session: Session, clock: FixedClock
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(
        session,
        clock,
        ent.id,
        product_code=JINGYINGDAI,
        term_months=12,
        method=RepaymentMethod.EQUAL_INSTALMENT,
    )
    first = lending.draw(session, clock, line.id, 12_000_000, idempotency_key="a")
    second = lending.draw(session, clock, line.id, 6_000_000, idempotency_key="b")
    n1 = int(first.reference.rsplit("-", 1)[1])
    assert second.reference.endswith(f"-{n1 + 1:06d}")
    loan = session.get(Loan, first.loan_id)
    assert loan is not None
    rows = lending_loans.rows_of(session, loan.id)
    plan = build_schedule(12_000_000, 435, 12, business_date(clock))
    assert [(r.principal_fen, r.interest_fen, r.due_date) for r in rows] == [
        (i.principal_fen, i.interest_fen, i.due_date) for i in plan
    ]
    assert loan.maturity_date == plan[-1].due_date and loan.next_due_date == plan[0].due_date
    assert session.scalar(select(func.count()).where(Instalment.loan_id == loan.id)) == 12
    assert_books(session)
