"""The receivables day job (应收款链日终): a recorded run of the job runner per business date.

Three steps, each one batch in its own transaction (the runner commits it with the step's
status, so a killed process resumes at the first unfinished step):

1. ``maturity`` — :func:`service.run_maturity`: certificates due by the date are paid by
   auto-debit where the core enterprise's settlement account covers them, the others are
   marked overdue (signed ``overdue`` statement, early-warning signal) and their penalty is
   brought up to date.
2. ``amortize`` — :func:`service.amortize_discounts`: discount income recognized straight-line
   up to the date.
3. ``checkpoint`` — :func:`service.publish_checkpoint`: the platform signs the tree head, so
   every operation of the day (the job's own included) is covered by a signed checkpoint. An
   empty log is not signed (it could then no longer be configured).

Each step is itself safe to repeat for a date (the service functions change nothing they
already did), and the runner never repeats a completed date nor runs one earlier than the last
completed run. The date may not be after today: the statements the job signs carry the
current time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from puhui.core.clock import Clock, business_date
from puhui.core.crypto import FieldCipher
from puhui.core.errors import DomainError
from puhui.jobs.runner import Batch, Progress, RunResult, Step, run_job
from puhui.receivables import service
from puhui.receivables.models import CertificateRow, Financing
from puhui.receivables.state import CertificateStatus

JOB_NAME = "receivables_eod"


class DayInFuture(DomainError):
    code = "receivables.eod_date_in_future"
    status = 422
    title_zh = "营业日期晚于今天"
    title_en = "Business date after today"
    message_zh = "应收款链日终的营业日期 {day} 晚于今天 {today}：签名报文带当前时间，不能提前运行。"
    message_en = (
        "The receivables day job's business date {day} is after today ({today}): the statements "
        "it signs carry the current time, so it cannot run ahead."
    )


@dataclass
class MaturityStep:
    clock: Clock
    cipher: FieldCipher | None
    day: date
    name: str = "maturity"

    def total(self, session: Session) -> int:
        return int(
            session.scalar(
                select(func.count())
                .select_from(CertificateRow)
                .where(
                    CertificateRow.status.in_(
                        (CertificateStatus.ACTIVE.value, CertificateStatus.OVERDUE.value)
                    ),
                    CertificateRow.maturity_date <= self.day,
                )
            )
            or 0
        )

    def run_batch(self, session: Session, cursor: str | None) -> Batch:
        out = service.run_maturity(session, self.clock, self.cipher, self.day)
        return Batch(
            None,
            items=len(out.paid) + len(out.overdue) + len(out.penalties_fen),
            totals={
                "paid": len(out.paid),
                "overdue": len(out.overdue),
                "penalty_fen": sum(out.penalties_fen.values()),
            },
        )


@dataclass
class AmortizeStep:
    clock: Clock
    cipher: FieldCipher | None
    day: date
    name: str = "amortize"

    def total(self, session: Session) -> int:
        return int(
            session.scalar(
                select(func.count()).select_from(Financing).where(Financing.closed.is_(False))
            )
            or 0
        )

    def run_batch(self, session: Session, cursor: str | None) -> Batch:
        recognized = service.amortize_discounts(session, self.clock, self.day, self.cipher)
        return Batch(None, items=1 if recognized else 0, totals={"amortized_fen": recognized})


@dataclass
class CheckpointStep:
    clock: Clock
    cipher: FieldCipher | None
    name: str = "checkpoint"

    def total(self, session: Session) -> int:
        return 1

    def run_batch(self, session: Session, cursor: str | None) -> Batch:
        head = service.log_head(session)
        if head.size == 0:
            return Batch(None, totals={"checkpoint_size": 0})
        before = service.latest_checkpoint(session)
        out = service.publish_checkpoint(session, self.clock, self.cipher)
        new = before is None or before.size != out.size
        return Batch(None, items=1 if new else 0, totals={"checkpoint_size": out.size})


def eod_steps(clock: Clock, cipher: FieldCipher | None, day: date) -> list[Step]:
    """maturity → amortize → checkpoint, for business date ``day``."""
    return [
        MaturityStep(clock, cipher, day),
        AmortizeStep(clock, cipher, day),
        CheckpointStep(clock, cipher),
    ]


def run_eod(
    factory: sessionmaker[Session],
    clock: Clock,
    cipher: FieldCipher | None,
    day: date,
    progress: Progress | None = None,
    steps: Sequence[Step] | None = None,
) -> RunResult:
    """Run (or resume) the receivables day job for ``day`` as a recorded run.

    A date after today is refused before anything is recorded (:class:`DayInFuture`).
    """
    today = business_date(clock)
    if day > today:
        raise DayInFuture(field="date", day=day.isoformat(), today=today.isoformat())
    chosen = steps if steps is not None else eod_steps(clock, cipher, day)
    if progress is None:
        return run_job(factory, clock, JOB_NAME, day, chosen)
    return run_job(factory, clock, JOB_NAME, day, chosen, progress)
