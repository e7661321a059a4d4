"""Drawdown refusals of issue 14: a frozen line refuses with the freeze's reason, a line with a
loan past due (beyond the configurable grace) refuses naming the loan — in problem+json (zh/en)
and on the borrower's line page, and nothing changes."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.integration.lending.lending_factories import (
    assert_books,
    draw,
    make_enterprise,
    make_line,
    run_days,
    spend_all,
)

from puhui.core.clock import FixedClock, business_date
from puhui.core.config import get_settings
from puhui.core.models import Role
from puhui.lending import service as lending
from puhui.lending.models import Loan
from puhui.lending.schedules import RepaymentMethod


def _post(client: TestClient, line_id: uuid.UUID, headers: dict[str, str], **extra: str) -> Any:
    return client.post(
        f"/api/v1/credit-lines/{line_id}/drawdowns",
        json={"amount_fen": 1_000_000},
        headers={**headers, "Idempotency-Key": str(uuid.uuid4()), **extra},
    )


def test_a_frozen_line_refuses_with_the_freezes_reason_in_the_api_and_on_the_page(
    session: Session, clock: FixedClock, client: TestClient, headers_for: Any
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id)
    lending.freeze(session, clock, line.id, "红色预警：新增被执行案件")
    session.commit()
    borrower = headers_for(Role.BORROWER, [ent.id])

    r = _post(client, line.id, borrower)
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem")
    assert r.json()["code"] == "credit_line_frozen"
    assert "已被银行冻结" in r.json()["detail"] and "新增被执行案件" in r.json()["detail"]
    en = _post(client, line.id, borrower, **{"Accept-Language": "en"})
    assert "frozen" in en.json()["detail"] and "新增被执行案件" in en.json()["detail"]

    page = client.get(f"/m/lines/{line.id}", headers=borrower)
    assert page.status_code == 200
    assert 'data-testid="drawdown-refusal"' in page.text and "新增被执行案件" in page.text
    assert "/drawdowns" not in page.text  # no drawdown form is offered
    session.expire_all()
    assert lending.get_line(session, line.id).used_fen == 0

    lending.unfreeze(session, clock, line.id, "预警解除")
    session.commit()
    assert _post(client, line.id, borrower).status_code == 201
    page = client.get(f"/m/lines/{line.id}", headers=borrower)
    assert 'data-testid="drawdown-refusal"' not in page.text and "/drawdowns" in page.text


def test_a_line_with_a_loan_past_due_refuses_drawdowns_until_it_is_repaid(
    session: Session, clock: FixedClock, client: TestClient, headers_for: Any
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id, limit_fen=50_000_000)
    loan = draw(
        session, clock, line.id, 10_000_000, repayment_method=RepaymentMethod.INTEREST_FIRST
    )
    spend_all(session, clock, ent.id)  # nothing left to auto-debit the first instalment
    first_due = loan.next_due_date
    assert first_due is not None
    run_days(session, clock, business_date(clock), first_due + timedelta(days=2))
    session.commit()
    session.refresh(loan)
    assert loan.dpd >= 1
    borrower = headers_for(Role.BORROWER, [ent.id])

    r = _post(client, line.id, borrower)
    assert r.status_code == 409 and r.json()["code"] == "credit_line_overdue"
    assert loan.reference in r.json()["detail"] and "已逾期" in r.json()["detail"]
    en = _post(client, line.id, borrower, **{"Accept-Language": "en"})
    assert "past due" in en.json()["detail"]
    page = client.get(f"/m/lines/{line.id}", headers=borrower)
    assert 'data-testid="drawdown-refusal"' in page.text and loan.reference in page.text
    session.expire_all()
    assert lending.get_line(session, line.id).used_fen == 10_000_000
    assert_books(session)


@pytest.mark.parametrize(("grace", "refused"), [(0, True), (5, False)])
def test_the_overdue_refusal_waits_for_the_configured_grace(
    session: Session,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    grace: int,
    refused: bool,
) -> None:
    monkeypatch.setattr(get_settings(), "drawdown_overdue_grace_days", grace)
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id)
    loan = draw(session, clock, line.id, 2_000_000)
    session.get(Loan, loan.id).dpd = 3  # type: ignore[union-attr]  # as the end of day sets it
    session.flush()
    refusal = lending.drawdown_refusal(session, line, business_date(clock))
    assert (refusal is not None and refusal.code == "credit_line_overdue") is refused
