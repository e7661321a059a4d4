"""Offers that are never signed lapse at the end of day (SQLite and PostgreSQL): the contract
past its signing deadline expires first, the offer's line (pending signature) closes on its
expiry date and the application becomes expired; a signed offer is never touched."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from decisioning_world import application_body, clean_index, register
from sqlalchemy.orm import Session
from tests.integration.lending.lending_factories import at

from puhui.core.clock import FixedClock, business_date
from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.decisioning.models import Application
from puhui.lending import service as lending
from puhui.lending.contracts import service as contracts


def test_an_unsigned_offer_lapses_at_the_end_of_its_days(
    session: Session, clock: FixedClock, runtime: Runtime, apply: Any, headers_for: Any
) -> None:
    firm = register(session, runtime, clean_index())
    resp = apply(application_body(firm), headers_for(Role.CUSTOMER_MANAGER))
    assert resp.status_code == 201 and resp.json()["status"] == "approved", resp.text
    app_id, line_id = uuid.UUID(resp.json()["id"]), uuid.UUID(resp.json()["credit_line_id"])
    contract, _ = contracts.create_contract(session, clock, None, line_id)
    deadline = contract.signing_deadline_at
    assert deadline is not None
    session.commit()

    def state() -> tuple[str, str, str]:
        session.expire_all()
        app = session.get(Application, app_id)
        assert app is not None
        line = lending.get_line(session, line_id)
        return app.status, line.status, contracts.get_contract(session, contract.id).status

    # the day before the deadline's date: nothing lapses
    day_before = deadline.date() - timedelta(days=1)
    at(clock, day_before + timedelta(days=1), hour=0)  # the job runs just after midnight
    result = lending.run_eod(session, clock, day_before)
    assert (result.contracts_expired, result.offers_expired) == (0, 0)
    assert state() == ("approved", "pending_signature", "draft")

    # the deadline's business day: the contract expires, the offer stays open (a new contract
    # can still be issued while the line has not expired)
    deadline_day = business_date(FixedClock(deadline))
    at(clock, deadline_day + timedelta(days=1), hour=0)
    result = lending.run_eod(session, clock, deadline_day)
    assert (result.contracts_expired, result.offers_expired) == (1, 0)
    assert state() == ("approved", "pending_signature", "expired")

    # the line's expiry date: the offer lapses (line closed, application expired) — once
    expiry = lending.get_line(session, line_id).expiry_date
    at(clock, expiry + timedelta(days=1), hour=0)
    result = lending.run_eod(session, clock, expiry)
    assert (result.offers_expired, result.lines_expired) == (1, 0)
    assert state() == ("expired", "closed", "expired")
    history = lending.line_history(session, line_id)
    assert history[-1].to_status == "closed" and history[-1].reason == "授信要约到期未签约"
    assert lending.run_eod(session, clock, expiry).offers_expired == 0


def test_contracts_expire_only_up_to_the_end_of_the_day_being_run(
    session: Session, clock: FixedClock, runtime: Runtime, apply: Any, headers_for: Any
) -> None:
    firm = register(session, runtime, clean_index())
    resp = apply(application_body(firm), headers_for(Role.CUSTOMER_MANAGER))
    line_id = uuid.UUID(resp.json()["credit_line_id"])
    contract, _ = contracts.create_contract(session, clock, None, line_id)
    deadline = contract.signing_deadline_at
    assert deadline is not None
    # a catch-up run, made well after the deadline, for a day before it changes nothing
    clock.set(deadline + timedelta(days=3))
    earlier = business_date(FixedClock(deadline)) - timedelta(days=1)
    assert lending.run_eod(session, clock, earlier).contracts_expired == 0
    assert contracts.get_contract(session, contract.id).status == "draft"
