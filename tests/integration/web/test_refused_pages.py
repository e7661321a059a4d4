"""Refused forms over HTTP: the browser goes back to the form's page (Post/Redirect/Get), which
shows the message (and the QR page's older form answers with the error's status), and
nothing of the refused command stays — but for the records kept despite a failure (a wrong SMS
code counts)."""

from __future__ import annotations

import re
import uuid
from typing import Any, NoReturn

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.integration.lending.lending_factories import make_enterprise, make_line

from puhui.core import otp
from puhui.core.clock import FixedClock
from puhui.core.models import AuditEvent, OneTimeCode, Role
from puhui.core.runtime import Runtime
from puhui.lending import loans
from puhui.lending import service as lending_service
from puhui.lending.errors import CreditLimitExceeded
from puhui.web import qr


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


def test_a_wrong_sms_code_counts_although_the_page_is_refused(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    start = client.get("/m/start")
    sent = client.post(
        "/m/login/send", data={"mobile": "13600002222", "csrf_token": _csrf(start.text)}
    )
    code = re.search(r'data-testid="sandbox-code">(\d{6})<', sent.text)
    assert code is not None
    wrong = "000000" if code.group(1) != "000000" else "111111"
    for left in (4, 3):
        r = client.post(
            "/m/login/verify",
            data={"code": wrong, "csrf_token": _csrf(sent.text)},
            headers={"Accept-Language": "en"},
        )
        # Post/Redirect/Get: back on the code's page, with the message
        assert r.history[0].status_code == 303 and f"{left} attempts left" in r.text
    session.expire_all()
    stored = otp.subject_key(runtime.cipher, "mobile.login", "13600002222")
    row = session.scalars(select(OneTimeCode).where(OneTimeCode.subject == stored)).one()
    assert row.attempts == 2 and row.consumed_at is None


def test_a_refused_drawdown_page_neither_keeps_nor_shows_half_done_work(
    client: TestClient,
    session: Session,
    clock: FixedClock,
    headers_for: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id, limit_fen=10_000_000)
    session.commit()
    borrower = headers_for(Role.BORROWER, [ent.id])

    def reserve_then_refuse(
        db: Session, _clock: Any, line_id: uuid.UUID, amount_fen: int, **_: Any
    ) -> NoReturn:
        locked = loans.lock_line(db, line_id)
        locked.used_fen += amount_fen  # half done ...
        db.flush()
        raise CreditLimitExceeded(field="amount_fen", amount="¥1.00", available="¥0.00")

    monkeypatch.setattr(lending_service, "draw", reserve_then_refuse)
    r = client.post(
        f"/m/lines/{line.id}/drawdowns",
        data={"key": "k-1", "amount_yuan": "30000"},
        headers=borrower,
    )
    assert r.history[0].status_code == 303 and 'role="alert"' in r.text  # PRG
    # ... yet the page shows the line as it is, and the line is untouched.
    assert 'data-testid="available">¥100,000.00<' in r.text
    session.expire_all()
    assert lending_service.get_line(session, line.id).used_fen == 0


def test_a_team_with_an_unknown_member_is_refused_on_the_qr_page(
    client: TestClient, session: Session, headers_for: Any
) -> None:
    r = client.post(
        "/console/qr/teams",
        data={"name": "浙江海康集团", "members": [str(uuid.uuid4())]},
        headers=headers_for(Role.CUSTOMER_MANAGER),
    )
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert "“成员客户经理”填写有误" in r.text and 'value="浙江海康集团"' in r.text
    assert (
        session.scalars(select(AuditEvent).where(AuditEvent.action == qr.TEAM_ACTION)).all() == []
    )
