"""Servicing's end-of-day steps (registered in `lending.eod.eod_steps`), recorded with the run:

* ``maturity_notices``  loans and lines maturing within 30 and within 7 days get a notice: the
  borrower is offered renewal (SMS through the outbox, queued by `notify_pending` where the
  data key is at hand; the banner on /m) and the customer managers get a task in the console.
  One notice per loan or line and lead time, whatever the date, so a re-run adds nothing.
* ``repricing``        floating-rate loans due for repricing take the effective LPR + spread
  (`pricing.reprice_due`); their unbilled instalments are rebuilt, the borrower told.
* ``restructured_floor`` a restructured loan in its observation period stays at least 关注.
* ``limit_increase``    自动授信增额 with the active rules (`limit_rules.active_rules`: data
  approved by two risk officers, the defaults until then); each raised line gets a notice.
  Idempotent per date: a line changed today is never raised again the same day.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from puhui.core import audit, events, outbox
from puhui.core.auth import Principal
from puhui.core.clock import Clock
from puhui.core.crypto import FieldCipher
from puhui.core.money import format_fen
from puhui.jobs.runner import Batch
from puhui.lending import charges
from puhui.lending.models import CreditLine, LineStatus, Loan, LoanStatus
from puhui.lending.relief import (
    _limit_increase_candidates,
    _raised_limit,
    auto_limit_increase,
)
from puhui.lending.schemas import LimitIncreaseRules
from puhui.lending.servicing.events import ServicingNoticeQueued
from puhui.lending.servicing.limit_rules import active_rules
from puhui.lending.servicing.models import ServicingNotice
from puhui.lending.servicing.pricing import reprice_due
from puhui.lending.servicing.restructuring import restructured_floor
from puhui.parties import service as parties_service

REMIND_DAYS = (30, 7)
LOAN_MATURITY = "loan_maturity"
LINE_MATURITY = "line_maturity"
LIMIT_INCREASE = "limit_increase"
NOTICE_TOPIC = "servicing.notice"


def _notified(session: Session, kind: str, days: int) -> set[uuid.UUID]:
    return set(
        session.scalars(
            select(ServicingNotice.subject_id).where(
                ServicingNotice.kind == kind, ServicingNotice.days_before == days
            )
        )
    )


def _notice(
    clock: Clock,
    day: date,
    *,
    kind: str,
    subject_id: uuid.UUID,
    enterprise_id: uuid.UUID,
    reference: str,
    body: str,
    days_before: int | None = None,
    due_date: date | None = None,
) -> ServicingNotice:
    return ServicingNotice(
        kind=kind,
        subject_id=subject_id,
        enterprise_id=enterprise_id,
        reference=reference,
        days_before=days_before,
        due_date=due_date,
        business_date=day,
        body=body[:300],
        created_at=clock.now(),
    )


def maturity_notices(session: Session, clock: Clock, day: date) -> dict[str, int]:
    """Notices for the loans and lines maturing after `day` and within 30 (7) days that have
    none of that lead time yet."""
    added = {"loan_notices": 0, "line_notices": 0}
    for days in REMIND_DAYS:
        last = day + timedelta(days=days)
        seen = _notified(session, LOAN_MATURITY, days)
        loans = session.execute(
            select(Loan.id, Loan.enterprise_id, Loan.reference, Loan.maturity_date).where(
                Loan.status == LoanStatus.ACTIVE.value,
                Loan.maturity_date > day,
                Loan.maturity_date <= last,
            )
        ).all()
        for loan_id, enterprise_id, ref, maturity in loans:
            if loan_id in seen:
                continue
            body = (
                f"【普惠】您的借款 {ref} 将于 {maturity} 到期。如仍需资金周转，"
                "可登录普惠申请无还本续贷（需重新审批）。"
            )
            session.add(
                _notice(clock, day, kind=LOAN_MATURITY, subject_id=loan_id,
                        enterprise_id=enterprise_id, reference=ref, body=body,
                        days_before=days, due_date=maturity)
            )  # fmt: skip
            added["loan_notices"] += 1
        added["line_notices"] += _line_notices(session, clock, day, days)
    session.flush()
    return added


def _line_notices(session: Session, clock: Clock, day: date, days: int) -> int:
    seen = _notified(session, LINE_MATURITY, days)
    lines = session.execute(
        select(
            CreditLine.id, CreditLine.enterprise_id, CreditLine.reference, CreditLine.expiry_date
        ).where(
            CreditLine.status == LineStatus.ACTIVE.value,
            CreditLine.expiry_date > day,
            CreditLine.expiry_date <= day + timedelta(days=days),
        )
    ).all()
    added = 0
    for line_id, enterprise_id, ref, expiry in lines:
        if line_id in seen:
            continue
        body = f"【普惠】您的授信额度 {ref} 将于 {expiry} 到期，如需续期请联系客户经理或登录普惠。"
        session.add(
            _notice(clock, day, kind=LINE_MATURITY, subject_id=line_id,
                    enterprise_id=enterprise_id, reference=ref, body=body,
                    days_before=days, due_date=expiry)
        )  # fmt: skip
        added += 1
    return added


@dataclass(frozen=True, slots=True)
class PlannedIncrease:
    line_id: uuid.UUID
    reference: str
    enterprise_id: uuid.UUID
    old_limit_fen: int
    new_limit_fen: int


def plan_limit_increase(
    session: Session, day: date, rules: LimitIncreaseRules
) -> list[PlannedIncrease]:
    """Who would get what on `day` (the dry run: nothing changes)."""
    planned = []
    for line_id, product_max in _limit_increase_candidates(session, day, rules):
        line = session.get(CreditLine, line_id)
        if line is None:
            continue
        new_limit = _raised_limit(line.limit_fen, product_max, rules)
        if new_limit > line.limit_fen:
            planned.append(
                PlannedIncrease(line.id, line.reference, line.enterprise_id, line.limit_fen,
                                new_limit)
            )  # fmt: skip
    return planned


def limit_increase_day(session: Session, clock: Clock, day: date) -> dict[str, int]:
    """Raise the eligible lines with the active rules; a notice for each."""
    rules = active_rules(session)
    done = auto_limit_increase(session, clock, day, rules)
    for d in done:
        line = session.get(CreditLine, d.line_id)
        assert line is not None
        body = (
            f"【普惠】恭喜！您的授信额度 {line.reference} 已提升至 {format_fen(d.new_limit_fen)}"
            f"（原 {format_fen(d.old_limit_fen)}）。"
        )
        session.add(
            _notice(clock, day, kind=LIMIT_INCREASE, subject_id=line.id,
                    enterprise_id=line.enterprise_id, reference=line.reference, body=body)
        )  # fmt: skip
    session.flush()
    return {
        "limits_raised": len(done),
        "limit_increase_fen": sum(d.new_limit_fen - d.old_limit_fen for d in done),
    }


@dataclass
class ServicingStep:
    """One end-of-day step of servicing: a single batch running ``work`` for the day; its items
    are the ``counted`` figure of the totals ``work`` returns."""

    name: str
    work: Callable[[Session], dict[str, int]]
    counted: str

    def total(self, session: Session) -> int:
        return 1

    def run_batch(self, session: Session, cursor: str | None) -> Batch:
        totals = self.work(session)
        items = totals[self.counted] if self.counted else sum(totals.values())
        return Batch(None, items=items, totals=totals)


def servicing_steps(clock: Clock, day: date) -> list[ServicingStep]:
    """Servicing's steps of the end of day, after the accrual and classification (a restructured
    loan's floor applies to the day's class; a line is raised on the day's clean data)."""
    return [
        ServicingStep("repricing", lambda s: reprice_due(s, clock, day), "loans_repriced"),
        ServicingStep(
            "restructured_floor", lambda s: restructured_floor(s, day), "restructured_floored"
        ),
        ServicingStep(
            "maturity_notices",
            lambda s: maturity_notices(s, clock, day),
            "",  # every notice counts: items = the sum of the totals
        ),
        ServicingStep(
            "limit_increase", lambda s: limit_increase_day(s, clock, day), "limits_raised"
        ),
        ServicingStep("charges", lambda s: charges.assess_day(s, clock, day), "charges_assessed"),
    ]


def notify_pending(session: Session, clock: Clock, cipher: FieldCipher, limit: int = 1000) -> int:
    """Queue the borrower's SMS of every notice not yet sent (to the enterprise's current legal
    representative); returns how many were queued. Sent after commit by the outbox."""
    rows = session.scalars(
        select(ServicingNotice)
        .where(ServicingNotice.message_id.is_(None))
        .order_by(ServicingNotice.created_at, ServicingNotice.id)
        .limit(limit)
    ).all()
    queued = 0
    for notice in rows:
        reps = parties_service.legal_representatives_of(session, notice.enterprise_id)
        if not reps:
            continue
        person = parties_service.get_person(session, reps[-1])
        mobile = parties_service.mobile_of(cipher, person)
        message = outbox.enqueue_sms(
            session, clock, cipher, mobile, NOTICE_TOPIC, notice.body,
            {"notice_id": str(notice.id), "kind": notice.kind},
        )  # fmt: skip
        notice.message_id = message.id
        queued += 1
        queued_event = ServicingNoticeQueued(
            notice.enterprise_id, notice.kind, notice.id, notice.body, message.id, clock.now()
        )
        events.publish(session, queued_event)  # the customer's inbox (engagement)
    return queued


def recent_notices(session: Session, limit: int = 50) -> list[ServicingNotice]:
    """The latest notices (the managers' tasks and the limit increases), newest first."""
    return list(
        session.scalars(
            select(ServicingNotice)
            .order_by(ServicingNotice.business_date.desc(), ServicingNotice.created_at.desc())
            .limit(limit)
        )
    )


def mark_task_done(
    session: Session, clock: Clock, principal: Principal, notice_id: uuid.UUID
) -> None:
    """The customer manager followed the notice up (called the borrower, offered renewal)."""
    notice = session.get(ServicingNotice, notice_id)
    if notice is None or notice.task_done_at is not None:
        return
    notice.task_done_at = clock.now()
    notice.task_done_by = principal.display_name[:100]
    audit.record(session, "servicing.task_done", "servicing_notice", notice.id)
