"""Collections (issue 14 item 4): the queue by dpd bucket with escalation, promises to pay
kept and broken as the repayments show, reminders written once per instalment and kind."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.integration.lending.lending_factories import (
    START,
    at,
    draw,
    fund,
    make_enterprise,
    make_line,
    spend_all,
)

from puhui.core.clock import FixedClock
from puhui.core.codes import resident_id_check_char
from puhui.core.models import OutboxMessage
from puhui.core.runtime import Runtime
from puhui.lending import service as lending
from puhui.lending.models import Loan
from puhui.lending.products import JINGYINGDAI
from puhui.lending.schedules import RepaymentMethod
from puhui.parties import service as parties_service
from puhui.parties.models import RelationKind
from puhui.parties.schemas import PersonCreate, RelationshipCreate
from puhui.risk import collections
from puhui.risk.collection_models import CollectionReminder


def _borrower(session: Session, runtime: Runtime, clock: FixedClock, seed: int) -> Loan:
    at(clock, START)
    ent = make_enterprise(session, clock, name=f"催收测试{seed}有限公司")
    first17 = f"33010619850315{seed:03d}"
    person = parties_service.create_person(
        session,
        clock,
        runtime.cipher,
        PersonCreate(
            name="王五",
            resident_id=first17 + resident_id_check_char(first17),
            mobile=f"139{seed:08d}",
        ),
    )
    parties_service.add_relationship(
        session,
        clock,
        ent.id,
        RelationshipCreate(kind=RelationKind.LEGAL_REPRESENTATIVE, person_id=person.id),
    )
    line = make_line(
        session,
        clock,
        ent.id,
        product_code=JINGYINGDAI,
        method=RepaymentMethod.EQUAL_INSTALMENT,
        term_months=6,
    )
    loan = draw(session, clock, line.id, 3_000_000, term_months=6)
    spend_all(session, clock, ent.id)
    return loan


def _day(session: Session, runtime: Runtime, clock: FixedClock, day: date) -> dict[str, int]:
    at(clock, day, hour=20)
    lending.run_eod(session, clock, day)
    return collections.run_day(session, clock, runtime.cipher, day)


def test_queue_promises_kept_and_broken_and_reminders_once(
    session: Session, runtime: Runtime, clock: FixedClock
) -> None:
    keeps = _borrower(session, runtime, clock, 1)
    breaks = _borrower(session, runtime, clock, 2)
    first_due = lending.unpaid_instalments_due_on(
        session, [START + timedelta(days=d) for d in range(1, 40)]
    )[0].due_date
    day = START
    while day < first_due + timedelta(days=5):
        day += timedelta(days=1)
        _day(session, runtime, clock, day)
    # reminders T-3, T0, T+1 so far for each loan's first instalment, once each
    kinds = sorted(session.scalars(select(CollectionReminder.kind)).all())
    assert kinds == sorted(["T-3", "T0", "T+1"] * 2)
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 6
    _day(session, runtime, clock, day)  # a re-run of the date sends nothing again
    assert session.scalar(select(func.count()).select_from(CollectionReminder)) == 6

    queue = {c.loan_id: c for c in collections.queue(session)}
    assert set(queue) == {keeps.id, breaks.id}
    assert {c.bucket for c in queue.values()} == {"M1"}
    assert {c.assignee_role for c in queue.values()} == {"service_rep"}
    collections.log_contact(
        session, clock, queue[keeps.id].id, channel="phone", outcome="promised", note="", actor="甲"
    )
    for loan in (keeps, breaks):
        collections.promise_to_pay(
            session,
            clock,
            queue[loan.id].id,
            amount_fen=queue[loan.id].overdue_fen,
            promised_date=day + timedelta(days=3),
            actor="甲",
        )
    assert queue[keeps.id].status == "promised"

    fund(session, clock, keeps.enterprise_id, 5_000_000)  # only one of them pays
    day += timedelta(days=1)
    totals = _day(session, runtime, clock, day)  # the auto-debit takes what is due
    assert totals["promises_kept"] == 1
    assert collections.promises_of(session, queue[keeps.id].id)[0].status == "kept"
    assert collections.get_case(session, queue[keeps.id].id).status == "closed"  # cured
    for _ in range(3):
        day += timedelta(days=1)
        totals = _day(session, runtime, clock, day)
    assert totals["promises_broken"] == 1
    assert collections.promises_of(session, queue[breaks.id].id)[0].status == "broken"
    assert collections.get_case(session, queue[breaks.id].id).status == "open"
    kinds = sorted(session.scalars(select(CollectionReminder.kind)).all())
    assert kinds.count("T+7") == 1  # only the loan still unpaid


def test_a_loan_past_90_days_escalates_to_the_risk_officer(
    session: Session, runtime: Runtime, clock: FixedClock
) -> None:
    loan = _borrower(session, runtime, clock, 3)
    day = START
    while True:
        day += timedelta(days=1)
        at(clock, day, hour=20)
        lending.run_eod(session, clock, day)
        session.refresh(loan)
        if loan.dpd in (45, 91):
            collections.run_day(session, clock, runtime.cipher, day)
            case = collections.queue(session)[0]
            if loan.dpd == 45:
                assert (case.bucket, case.assignee_role, case.status) == (
                    "M2",
                    "customer_manager",
                    "open",
                )
            else:
                assert (case.bucket, case.assignee_role, case.status) == (
                    "M3+",
                    "risk_officer",
                    "escalated",
                )
                break
