"""Collections (催收): the queue by days-past-due bucket, tasks, contact log, promises to pay,
reminders through the outbox, escalation to the risk officer (rules in
:mod:`puhui.risk.collection_rules`). Reads loans only through ``lending.service``.

:func:`run_day` is the daily job (``puhui collections run``, after the end of day): refresh the
queue from the loans past due, decide the pending promises from the repayments, write the day's
reminders. Each part is idempotent for a business date.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from puhui.core import audit, events, outbox
from puhui.core.clock import Clock, business_date
from puhui.core.crypto import FieldCipher
from puhui.core.errors import Conflict, InvalidInput, NotFound
from puhui.lending import service as lending_service
from puhui.parties import service as parties_service
from puhui.risk.collection_models import (
    CollectionCase,
    CollectionContact,
    CollectionReminder,
    PromiseToPay,
)
from puhui.risk.collection_rules import (
    CASE_TRANSITIONS,
    Bucket,
    CaseStatus,
    PromiseStatus,
    assignee_role,
    bucket_of,
    due_dates_for,
    promise_outcome,
)
from puhui.risk.events import CustomerNoticeQueued

REMINDER_TOPIC = "collections.reminder"
CONTACT_CHANNELS = ("phone", "sms", "visit", "letter")
CONTACT_OUTCOMES = ("reached", "no_answer", "promised", "refused", "wrong_number")


class CaseNotFound(NotFound):
    code = "collection_case_not_found"
    message_zh = "催收案件不存在。"
    message_en = "No such collection case."


class CaseClosed(Conflict):
    code = "collection_case_closed"
    message_zh = "该催收案件已结案。"
    message_en = "This collection case is closed."


def _case(session: Session, case_id: uuid.UUID) -> CollectionCase:
    row = session.get(CollectionCase, case_id)
    if row is None:
        raise CaseNotFound()
    return row


def get_case(session: Session, case_id: uuid.UUID) -> CollectionCase:
    return _case(session, case_id)


def _move(row: CollectionCase, to: CaseStatus, clock: Clock) -> None:
    current = CaseStatus(row.status)
    if current is to:
        return
    if to not in CASE_TRANSITIONS[current]:
        raise CaseClosed()
    row.status = to.value
    row.updated_at = clock.now()
    if to is CaseStatus.ESCALATED:
        row.escalated_date = business_date(clock)
        row.assignee_role = "risk_officer"
        row.assignee_user_id = None


def open_cases(session: Session) -> dict[uuid.UUID, CollectionCase]:
    rows = session.scalars(
        select(CollectionCase).where(CollectionCase.status != CaseStatus.CLOSED.value)
    )
    return {r.loan_id: r for r in rows}


def refresh_queue(session: Session, clock: Clock, day: date) -> dict[str, int]:
    """Open a case for each loan newly past due, refresh bucket and dpd of the others (M3+
    escalates), close the cases of loans no longer past due."""
    cases = open_cases(session)
    opened = escalated = 0
    for loan in lending_service.past_due_loans(session):
        bucket = bucket_of(loan.dpd)
        assert bucket is not None
        row = cases.pop(loan.loan_id, None)
        if row is None:
            name = parties_service.get_enterprise(session, loan.enterprise_id).name
            row = CollectionCase(
                loan_id=loan.loan_id,
                loan_reference=loan.reference,
                enterprise_id=loan.enterprise_id,
                enterprise_name=name[:200],
                status=CaseStatus.OPEN.value,
                bucket=bucket.value,
                dpd=loan.dpd,
                overdue_fen=loan.overdue_fen,
                assignee_role=assignee_role(bucket),
                opened_date=day,
                updated_at=clock.now(),
            )
            session.add(row)
            opened += 1
        elif row.status != CaseStatus.ESCALATED.value and row.bucket != bucket.value:
            row.assignee_role = assignee_role(bucket)
            row.assignee_user_id = None
        row.bucket, row.dpd, row.overdue_fen = bucket.value, loan.dpd, loan.overdue_fen
        row.updated_at = clock.now()
        if bucket is Bucket.M3_PLUS and row.status != CaseStatus.ESCALATED.value:
            _move(row, CaseStatus.ESCALATED, clock)
            escalated += 1
    states = lending_service.loan_states(session, list(cases))
    for loan_id, row in cases.items():  # no longer past due
        state = states.get(loan_id)
        row.close_reason = "cured" if state is None or state.status == "active" else state.status
        row.closed_date = day
        _move(row, CaseStatus.CLOSED, clock)
    session.flush()
    return {"cases_opened": opened, "cases_escalated": escalated, "cases_closed": len(cases)}


def log_contact(
    session: Session,
    clock: Clock,
    case_id: uuid.UUID,
    *,
    channel: str,
    outcome: str,
    note: str,
    actor: str,
) -> CollectionContact:
    row = _case(session, case_id)
    if row.status == CaseStatus.CLOSED.value:
        raise CaseClosed()
    if channel not in CONTACT_CHANNELS:
        raise InvalidInput(field="channel")
    if outcome not in CONTACT_OUTCOMES:
        raise InvalidInput(field="outcome")
    contact = CollectionContact(
        case_id=row.id,
        channel=channel,
        outcome=outcome,
        note=note.strip()[:500],
        actor=actor,
        business_date=business_date(clock),
        occurred_at=clock.now(),
    )
    session.add(contact)
    row.updated_at = clock.now()
    session.flush()
    return contact


def promise_to_pay(
    session: Session,
    clock: Clock,
    case_id: uuid.UUID,
    *,
    amount_fen: int,
    promised_date: date,
    actor: str,
) -> PromiseToPay:
    """Record a promise; it is decided later from the loan's repayments (:func:`check_promises`)."""
    row = _case(session, case_id)
    if row.status == CaseStatus.CLOSED.value:
        raise CaseClosed()
    if type(amount_fen) is not int or amount_fen <= 0:
        raise InvalidInput(field="amount_fen")
    today = business_date(clock)
    if promised_date < today:
        raise InvalidInput(field="promised_date")
    promise = PromiseToPay(
        case_id=row.id,
        loan_id=row.loan_id,
        amount_fen=amount_fen,
        promised_date=promised_date,
        status=PromiseStatus.PENDING.value,
        repaid_before_fen=lending_service.repaid_fen(session, row.loan_id),
        actor=actor,
        created_at=clock.now(),
    )
    session.add(promise)
    _move(row, CaseStatus.PROMISED, clock)
    session.flush()
    audit.record(
        session,
        "collections.promise",
        "loan",
        row.loan_id,
        after={"amount_fen": amount_fen, "promised_date": promised_date.isoformat()},
    )
    return promise


def check_promises(session: Session, clock: Clock, day: date) -> dict[str, int]:
    """Decide the pending promises from the repayments made since each: kept, or broken once
    its date has passed (a broken promise in M3 or worse escalates the case)."""
    kept = broken = 0
    pending = session.scalars(
        select(PromiseToPay).where(PromiseToPay.status == PromiseStatus.PENDING.value)
    ).all()
    for promise in pending:
        repaid = lending_service.repaid_fen(session, promise.loan_id, through=day)
        since = repaid - promise.repaid_before_fen
        outcome = promise_outcome(promise.amount_fen, promise.promised_date, since, day)
        if outcome is PromiseStatus.PENDING:
            continue
        promise.status = outcome.value
        promise.repaid_fen = since
        promise.resolved_date = day
        row = _case(session, promise.case_id)
        if row.status == CaseStatus.PROMISED.value:
            worse = row.bucket in (Bucket.M3.value, Bucket.M3_PLUS.value)
            escalate = outcome is PromiseStatus.BROKEN and worse
            _move(row, CaseStatus.ESCALATED if escalate else CaseStatus.OPEN, clock)
        kept += outcome is PromiseStatus.KEPT
        broken += outcome is PromiseStatus.BROKEN
    session.flush()
    return {"promises_kept": kept, "promises_broken": broken}


def escalate(session: Session, clock: Clock, case_id: uuid.UUID, actor: str) -> CollectionCase:
    row = _case(session, case_id)
    _move(row, CaseStatus.ESCALATED, clock)
    audit.record(session, "collections.escalated", "loan", row.loan_id, after={"by": actor})
    return row


def assign(
    session: Session, clock: Clock, case_id: uuid.UUID, user_id: uuid.UUID
) -> CollectionCase:
    row = _case(session, case_id)
    if row.status == CaseStatus.CLOSED.value:
        raise CaseClosed()
    row.assignee_user_id = user_id
    row.updated_at = clock.now()
    return row


def _mobile(session: Session, cipher: FieldCipher, enterprise_id: uuid.UUID) -> str | None:
    for person_id in parties_service.legal_representatives_of(session, enterprise_id):
        mobile = parties_service.mobile_of(cipher, parties_service.get_person(session, person_id))
        if mobile:
            return mobile
    return None


def _reminder_text(kind: str, reference: str, due: date, unpaid_fen: int) -> str:
    amount = f"¥{unpaid_fen // 100:,}.{unpaid_fen % 100:02d}"
    if kind in ("T-3", "T0"):
        when = "今日" if kind == "T0" else f"{due.isoformat()}"
        return (
            f"【普惠】您的借据 {reference} 本期应还 {amount} 将于{when}到期，"
            "请确保结算账户余额充足。"
        )
    return (
        f"【普惠】您的借据 {reference} 本期 {amount} 已于 {due.isoformat()} 逾期，"
        "请尽快还款以免产生罚息。"
    )


def send_reminders(session: Session, clock: Clock, cipher: FieldCipher, day: date) -> int:
    """The day's reminders (T-3, T0, T+1, T+7), each at most once per instalment and kind."""
    kinds = due_dates_for(day)
    sent = 0
    for inst in lending_service.unpaid_instalments_due_on(session, list(kinds)):
        kind = kinds[inst.due_date]
        if kind.offset_days > 0 and inst.due_date >= day:
            continue
        done = session.scalar(
            select(CollectionReminder.id).where(
                CollectionReminder.instalment_id == inst.instalment_id,
                CollectionReminder.kind == kind.value,
            )
        )
        if done is not None:
            continue
        mobile = _mobile(session, cipher, inst.enterprise_id)
        message_id = None
        if mobile:
            body = _reminder_text(kind.value, inst.loan_reference, inst.due_date, inst.unpaid_fen)
            payload = {"loan_id": str(inst.loan_id), "kind": kind.value}
            message_id = outbox.enqueue_sms(
                session, clock, cipher, mobile, REMINDER_TOPIC, body, payload
            ).id
        session.add(
            CollectionReminder(
                loan_id=inst.loan_id,
                instalment_id=inst.instalment_id,
                kind=kind.value,
                due_date=inst.due_date,
                business_date=day,
                outbox_message_id=message_id,
                created_at=clock.now(),
            )
        )
        sent += 1
        events.publish(session, CustomerNoticeQueued(  # the customer's inbox (engagement)
            inst.enterprise_id, "overdue" if kind.offset_days > 0 else "repayment_due",
            f"collections:{inst.instalment_id}:{kind.value}",
            _reminder_text(kind.value, inst.loan_reference, inst.due_date, inst.unpaid_fen),
            message_id, clock.now()))  # fmt: skip
    session.flush()
    return sent


def run_day(session: Session, clock: Clock, cipher: FieldCipher, day: date) -> dict[str, int]:
    """The daily collections job: queue, promises, reminders."""
    totals = refresh_queue(session, clock, day)
    totals |= check_promises(session, clock, day)
    totals["reminders"] = send_reminders(session, clock, cipher, day)
    return totals


def queue(session: Session, bucket: str | None = None, *, limit: int = 200) -> list[CollectionCase]:
    """Open cases, worst first."""
    query = select(CollectionCase).where(CollectionCase.status != CaseStatus.CLOSED.value)
    if bucket:
        query = query.where(CollectionCase.bucket == bucket)
    return list(
        session.scalars(
            query.order_by(CollectionCase.dpd.desc(), CollectionCase.loan_reference).limit(limit)
        )
    )


def contacts_of(session: Session, case_id: uuid.UUID) -> list[CollectionContact]:
    return list(
        session.scalars(
            select(CollectionContact)
            .where(CollectionContact.case_id == case_id)
            .order_by(CollectionContact.occurred_at.desc())
        )
    )


def promises_of(session: Session, case_id: uuid.UUID) -> list[PromiseToPay]:
    return list(
        session.scalars(
            select(PromiseToPay)
            .where(PromiseToPay.case_id == case_id)
            .order_by(PromiseToPay.created_at.desc())
        )
    )
