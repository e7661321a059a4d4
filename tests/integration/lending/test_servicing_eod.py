"""Servicing in the end of day (issue 17): the automatic limit increase is a recorded step of
`puhui eod run`, idempotent per date; loans and lines maturing in 30 and 7 days get a notice
(the borrower's SMS through the outbox, the manager's task); due dates follow the calendar."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import make_user
from tests.integration.lending.lending_factories import (
    START,
    assert_books,
    at,
    draw,
    make_enterprise,
    make_line,
)
from typer.testing import CliRunner

from puhui.core.auth import principal_of
from puhui.core.clock import FixedClock
from puhui.core.models import OutboxMessage, Role
from puhui.core.runtime import Runtime
from puhui.jobs.models import JobRunStep
from puhui.jobs.runner import run_job
from puhui.lending import eod
from puhui.lending import loans as lending_loans
from puhui.lending.models import CreditLine, Product
from puhui.lending.products import JINGYINGDAI
from puhui.lending.schedules import RepaymentMethod, add_months
from puhui.lending.schemas import LimitIncreaseRules
from puhui.lending.servicing import calendar_store, limit_rules
from puhui.lending.servicing import eod as servicing_eod
from puhui.lending.servicing.models import ServicingNotice
from puhui.parties import service as parties_service
from puhui.parties.schemas import PersonCreate, RelationshipCreate


def _notices(session: Session, kind: str) -> list[ServicingNotice]:
    return list(session.scalars(select(ServicingNotice).where(ServicingNotice.kind == kind)))


def test_limit_increase_runs_inside_the_end_of_day_once_per_date(
    session: Session, clock: FixedClock, bound: sessionmaker[Session], runtime: Runtime
) -> None:
    ent = make_enterprise(session, clock)
    busy = make_line(session, clock, ent.id, limit_fen=100_000_000)
    draw(session, clock, busy.id, 80_000_000, term_months=12)
    maker = principal_of(make_user(session, runtime, Role.RISK_OFFICER))
    checker = principal_of(make_user(session, runtime, Role.RISK_OFFICER))
    proposed = limit_rules.submit_rules(
        session, clock, maker, LimitIncreaseRules(name="2027Q1", increase_bp=1_000)
    )
    limit_rules.decide_rules(session, clock, checker, proposed.id, approve=True)
    assert limit_rules.active_rules(session).increase_bp == 1_000
    day = add_months(START, 4)
    at(clock, day, hour=20)
    dry = servicing_eod.plan_limit_increase(session, day, limit_rules.active_rules(session))
    assert [(p.line_id, p.new_limit_fen) for p in dry if p.line_id == busy.id] == [
        (busy.id, 110_000_000)
    ]
    assert busy.limit_fen == 100_000_000  # the dry run changed nothing
    session.commit()

    run_job(bound, clock, eod.JOB_NAME, day, eod.eod_steps(clock, day))
    session.expire_all()
    line = session.get(CreditLine, busy.id)
    assert line is not None and line.limit_fen == 110_000_000
    steps = {s.step: s for s in session.scalars(select(JobRunStep))}
    assert steps["limit_increase"].status == "completed"
    assert [n.subject_id for n in _notices(session, "limit_increase")] == [busy.id]
    again = run_job(bound, clock, eod.JOB_NAME, day, eod.eod_steps(clock, day))
    assert again.already_completed
    # even run again outside the recorded job, the date raises nothing twice
    assert servicing_eod.limit_increase_day(session, clock, day)["limits_raised"] == 0
    session.expire_all()
    assert session.get(CreditLine, busy.id).limit_fen == 110_000_000  # type: ignore[union-attr]
    assert_books(session)


def test_maturity_notices_30_and_7_days_before_go_to_the_outbox_once(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    ent = make_enterprise(session, clock)
    person = parties_service.create_person(
        session, clock, runtime.cipher,
        PersonCreate(name="赵续贷", resident_id="11010519491231002X", mobile="13900139000"),
    )  # fmt: skip
    parties_service.add_relationship(
        session, clock, ent.id, RelationshipCreate(kind="legal_representative", person_id=person.id)
    )
    line = make_line(session, clock, ent.id, term_months=3)
    loan = draw(session, clock, line.id, 1_000_000, term_months=3)
    maturity = loan.maturity_date
    for day, expected in ((maturity - timedelta(days=31), 0), (maturity - timedelta(days=30), 1)):
        assert servicing_eod.maturity_notices(session, clock, day)["loan_notices"] == expected
    assert servicing_eod.maturity_notices(session, clock, maturity - timedelta(days=29)) == {
        "loan_notices": 0,
        "line_notices": 0,
    }
    assert (
        servicing_eod.maturity_notices(session, clock, maturity - timedelta(days=7))["loan_notices"]
        == 1
    )
    notices = _notices(session, "loan_maturity")
    assert sorted(n.days_before or 0 for n in notices) == [7, 30]
    assert servicing_eod.notify_pending(session, clock, runtime.cipher) == 2
    assert servicing_eod.notify_pending(session, clock, runtime.cipher) == 0
    sms = session.scalars(
        select(OutboxMessage).where(OutboxMessage.topic == servicing_eod.NOTICE_TOPIC)
    ).all()
    assert len(sms) == 2 and all(m.recipient_masked.endswith("9000") for m in sms)
    assert "无还本续贷" in runtime.cipher.decrypt(sms[0].body_enc, "outbox_body")


def test_a_product_moving_due_dates_books_the_loan_on_working_days(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    """Fails on the code before issue 17: due dates never moved off holidays."""
    ent = make_enterprise(session, clock)
    line = make_line(
        session, clock, ent.id, product_code=JINGYINGDAI, method=RepaymentMethod.EQUAL_INSTALMENT
    )
    product = session.scalar(select(Product).where(Product.code == JINGYINGDAI))
    assert product is not None
    product.holiday_rule = "next_working_day"
    officer = principal_of(make_user(session, runtime, Role.RISK_OFFICER))
    calendar_store.set_override(
        session, clock, officer, date(2027, 1, 1), is_working=False, reason="元旦（2027 年安排）"
    )
    at(clock, date(2026, 12, 1))
    loan = draw(session, clock, line.id, 6_000_000, term_months=6)
    dues = [r.due_date for r in lending_loans.rows_of(session, loan.id)]
    assert dues[0] == date(2027, 1, 4)  # 1 January (override) and the weekend after it
    assert date(2026, 10, 1) not in dues and all(d.weekday() < 5 for d in dues)
    assert_books(session)


def test_working_days_command_prints_the_year_as_json(runtime: Runtime, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import json

    from puhui.cli import app

    monkeypatch.setenv("PUHUI_DATABASE_URL", runtime.settings.database_url)
    monkeypatch.setenv("PUHUI_VAR_DIR", str(runtime.settings.var_dir))
    from puhui.core.config import get_settings

    get_settings.cache_clear()
    try:
        out = CliRunner().invoke(app, ["calendar", "working-days", "--year", "2026"])
    finally:
        get_settings.cache_clear()
    assert out.exit_code == 0, out.output
    days = json.loads(out.output.strip().splitlines()[-1])
    assert "2026-10-10" in days and "2026-10-01" not in days and len(days) == 248
