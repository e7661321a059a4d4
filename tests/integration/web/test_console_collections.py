"""The collections console over HTTP: the queue by bucket, a case with its contact log and a
promise, and a write-off proposed by a risk officer and approved by an administrator (not by
its proposer), the loan then written off."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.integration.lending.lending_factories import START, at
from tests.integration.lending.test_lending_bad_loans import _unpaid_loan

from puhui.core.clock import FixedClock
from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.lending import service as lending
from puhui.lending.models import Loan, LoanStatus
from puhui.risk import collections

PAGES = "/console/collections"


def test_the_queue_a_case_and_a_write_off_from_the_console(
    client: TestClient, session: Session, runtime: Runtime, clock: FixedClock, headers_for: Any
) -> None:
    loan = _unpaid_loan(session, clock)
    day = START
    while loan.dpd < 95:
        day += timedelta(days=1)
        at(clock, day, hour=20)
        lending.run_eod(session, clock, day)
        session.refresh(loan)
    collections.run_day(session, clock, runtime.cipher, day)
    session.commit()
    risk = headers_for(Role.RISK_OFFICER)
    page = client.get(PAGES, headers=risk)
    assert page.status_code == 200
    row = re.search(r'<tr data-case="([0-9a-f-]+)">(.*?)</tr>', page.text, re.S)
    assert row is not None and loan.reference in row.group(2)
    assert "M3+（逾期90天以上）" in row.group(2) and "已升级至风险经理" in row.group(2)
    case_id = row.group(1)
    home = client.get("/console/", headers=risk).text  # the risk officer's home card
    assert "催收任务" in home and f"/console/collections/{case_id}" in home
    assert client.get(PAGES + "?bucket=M1", headers=risk).text.count("<tr data-case=") == 0

    rep = headers_for(Role.SERVICE_REP)
    done = client.post(
        f"{PAGES}/{case_id}/contacts",
        data={"channel": "phone", "outcome": "no_answer", "note": "无人接听"},
        headers=rep,
        follow_redirects=False,
    )
    assert done.status_code == 303
    bad = client.post(
        f"{PAGES}/{case_id}/promises",
        data={"amount_yuan": "abc", "promised_date": "2027-01-01"},
        headers=rep,
    )
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    took = client.post(f"{PAGES}/{case_id}/take", headers=rep, follow_redirects=False)
    assert took.status_code == 303
    case = client.get(f"{PAGES}/{case_id}", headers=rep).text
    assert "无人接听" in case and "未接通" in case and "我的任务" in case
    assert 'action="/console/collections/' + case_id + '/write-off"' not in case  # not a rep's

    assert (
        client.post(f"{PAGES}/{case_id}/write-off", data={"reason": "x"}, headers=rep).status_code
        == 403
    )
    proposed = client.post(
        f"{PAGES}/{case_id}/write-off",
        data={"reason": "借款人失联，经诉讼无可执行财产"},
        headers=risk,
        follow_redirects=False,
    )
    assert proposed.status_code == 303
    queue = client.get(PAGES, headers=risk).text
    wo = re.search(r"/console/collections/write-offs/([0-9a-f-]+)/approve", queue)
    assert wo is not None
    same = client.post(f"{PAGES}/write-offs/{wo.group(1)}/approve", headers=risk)
    assert same.status_code == 409 and "另一人" in same.text  # maker-checker
    ok = client.post(
        f"{PAGES}/write-offs/{wo.group(1)}/approve",
        headers=headers_for(Role.ADMIN),
        follow_redirects=False,
    )
    assert ok.status_code == 303
    session.expire_all()
    written = session.get(Loan, loan.id)
    assert written is not None and written.status == LoanStatus.WRITTEN_OFF
    en = client.get(f"{PAGES}/{case_id}", headers={**risk, "Accept-Language": "en"})
    assert en.status_code == 200 and "Record recovery" in en.text
    lending.deposit(session, clock, loan.enterprise_id, 100_000, idempotency_key="rec-fund")
    session.commit()
    form = re.search(r'write-offs/([0-9a-f-]+)/recover".*?name="idempotency_key" value="([^"]+)"',
                     en.text, re.S)  # fmt: skip
    assert form is not None
    data = {"case_id": case_id, "amount_yuan": "800", "idempotency_key": form.group(2)}
    for _ in range(2):  # a resubmitted form is a replay: recovered once
        done = client.post(
            f"{PAGES}/write-offs/{form.group(1)}/recover",
            data=data,
            headers=risk,
            follow_redirects=False,
        )
        assert done.status_code == 303
    session.expire_all()
    assert lending.get_write_off(session, uuid.UUID(form.group(1))).recovered_fen == 80_000
