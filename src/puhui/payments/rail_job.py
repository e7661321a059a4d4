"""The periodic rail job: every slot of `rail_job_slot_minutes` (default 10) the rails are run
as a recorded job (`jobs`): submit the payments that wait — created ones, and submitted ones
whose answer never came (a timeout: sent again with the same end-to-end id) — in batches, then
fetch what the bank sent (pain.002 status reports, camt.054 notifications) and apply it.

Each slot is one job run, `payments.rails.HHMM` (Asia/Shanghai) on its business date, with two
steps, `submit` and `receive`; every batch commits together with its cursor (the last payment
sent), so a process killed mid-run resumes where it stopped when the job runs again — and
`run_due` first finishes any earlier slot left unfinished. A slot that completed is not run
again. Run it from a scheduler (`puhui payments rail-job`, e.g. every 10 minutes from cron or a
systemd timer) or as a worker (`puhui payments rail-job --every 600`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session, sessionmaker

from puhui.core import audit
from puhui.core.clock import SHANGHAI, Clock, business_date
from puhui.core.crypto import FieldCipher
from puhui.jobs.runner import Batch, RunResult, run_job, unfinished_runs
from puhui.payments import service
from puhui.payments.config import PaymentSettings
from puhui.payments.rails import PaymentRail, get_rail

JOB_PREFIX = "payments.rails."


def slot_of(clock: Clock, minutes: int) -> str:
    """The slot the clock is in, as HHMM of its start in Asia/Shanghai (e.g. "0930")."""
    local = clock.now().astimezone(SHANGHAI)
    start = (local.hour * 60 + local.minute) // minutes * minutes
    return f"{start // 60:02d}{start % 60:02d}"


def _key(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    if not cursor:
        return None
    at, _, last = cursor.partition("|")
    return datetime.fromisoformat(at), uuid.UUID(last)


@dataclass
class SubmitStep:
    """Send the waiting payments, `batch` at a time; the cursor is the last one sent."""

    clock: Clock
    cipher: FieldCipher
    rail: PaymentRail
    batch: int
    name: str = "submit"

    def total(self, session: Session) -> int:
        return 0

    def run_batch(self, session: Session, cursor: str | None) -> Batch:
        audit.set_clock(session, self.clock)
        result, last = service.dispatch_batch(
            session, self.clock, self.cipher, _key(cursor), self.batch, self.rail
        )
        if last is None:
            return Batch(None)
        totals = {"sent": result.sent, "timeouts": result.timeouts, **result.changed}
        return Batch(f"{last[0].isoformat()}|{last[1]}", items=result.sent, totals=totals)


@dataclass
class ReceiveStep:
    """Fetch the bank's status reports and notifications and apply them."""

    clock: Clock
    rail: PaymentRail
    name: str = "receive"

    def total(self, session: Session) -> int:
        return 1

    def run_batch(self, session: Session, cursor: str | None) -> Batch:
        audit.set_clock(session, self.clock)
        result = service.process_inbox(session, self.clock, self.rail)
        changed = sum(result.changed.values())
        return Batch(
            None, items=changed, totals={f"applied_{k}": v for k, v in result.changed.items()}
        )


def steps(
    clock: Clock, cipher: FieldCipher, rail: PaymentRail, settings: PaymentSettings
) -> list[SubmitStep | ReceiveStep]:
    return [SubmitStep(clock, cipher, rail, settings.rail_job_batch), ReceiveStep(clock, rail)]


def run_slot(
    factory: sessionmaker[Session],
    clock: Clock,
    cipher: FieldCipher,
    job: str,
    day: date,
    rail: PaymentRail | None = None,
    settings: PaymentSettings | None = None,
) -> RunResult:
    settings = settings or PaymentSettings()
    rail = rail or get_rail()
    return run_job(factory, clock, job, day, steps(clock, cipher, rail, settings))


def run_due(
    factory: sessionmaker[Session],
    clock: Clock,
    cipher: FieldCipher,
    rail: PaymentRail | None = None,
    settings: PaymentSettings | None = None,
) -> list[RunResult]:
    """Finish any earlier slot left unfinished, then run the current slot (once)."""
    settings = settings or PaymentSettings()
    done: list[RunResult] = []
    with factory() as session:
        pending = unfinished_runs(session, JOB_PREFIX)
    for job, day in pending:
        done.append(run_slot(factory, clock, cipher, job, day, rail, settings))
    job = JOB_PREFIX + slot_of(clock, settings.rail_job_slot_minutes)
    today = business_date(clock)
    if (job, today) not in pending:
        done.append(run_slot(factory, clock, cipher, job, today, rail, settings))
    return done
