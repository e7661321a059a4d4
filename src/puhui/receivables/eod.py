"""The receivables day job (应收款链日终): a recorded run of the job runner per business date.

Three steps, each one batch in its own transaction (the runner commits it with the step's
status, so a killed process resumes at the first unfinished step):

1. ``maturity`` — :func:`run_maturity`: certificates due by the date are paid by
   auto-debit where the core enterprise's settlement account covers them, the others are
   marked overdue (signed ``overdue`` statement, early-warning signal) and their penalty is
   brought up to date.
2. ``amortize`` — :func:`amortize_discounts`: discount income recognized straight-line
   up to the date.
3. ``checkpoint`` — :func:`proofs.publish_checkpoint`: the platform signs the tree head, so
   every operation of the day (the job's own included) is covered by a signed checkpoint. An
   empty log is not signed (it could then no longer be configured).

Each step is itself safe to repeat for a date (its function changes nothing it already
did), and the runner never repeats a completed date nor runs one earlier than the last
completed run. The date may not be after today: the statements the job signs carry the
current time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from puhui.core import audit
from puhui.core.clock import Clock, business_date
from puhui.core.crypto import FieldCipher
from puhui.core.errors import DomainError, InvalidInput
from puhui.jobs.runner import Batch, Progress, RunResult, Step, run_job
from puhui.ledger import service as ledger_service
from puhui.ledger.service import Leg
from puhui.receivables import accounts, proofs
from puhui.receivables.access import parts_of
from puhui.receivables.errors import ReceivablesError
from puhui.receivables.log import Log, audit_ops, locked_log
from puhui.receivables.models import CertificateRow, Financing, Party, Signal
from puhui.receivables.operations import due_fen, settle
from puhui.receivables.pricing import amortized_fen, penalty_fen
from puhui.receivables.schemas import MaturityRunOut
from puhui.receivables.state import CertificateStatus, PartStatus
from puhui.receivables.statements import business_date as statement_date

JOB_NAME = "receivables_eod"
SIGNAL_CORE_OVERDUE = "core_enterprise_overdue"


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


# --- the steps' work (each safe to repeat for a date) -----------------------------------------


def run_maturity(
    session: Session, clock: Clock, cipher: FieldCipher, day: date | None = None
) -> MaturityRunOut:
    """The daily maturity job for business date ``day`` (default today, never in the future).

    Certificates due by ``day``: paid by auto-debit where the core enterprise's settlement
    account covers face + penalty and its custodial key may sign (its standing agreement);
    otherwise, once past maturity, marked overdue by the platform with an early-warning signal.
    The penalty of overdue certificates is brought up to date. Re-running a date changes
    nothing it already did.
    """
    today = business_date(clock)
    day = day or today
    if day > today:
        raise InvalidInput(field="day")
    paid: list[str] = []
    overdue: list[str] = []
    skipped: dict[str, str] = {}
    penalties: dict[str, int] = {}
    with locked_log(session, clock, cipher) as log:
        due = list(
            session.scalars(
                select(CertificateRow)
                .where(
                    CertificateRow.status.in_(
                        (CertificateStatus.ACTIVE.value, CertificateStatus.OVERDUE.value)
                    ),
                    CertificateRow.maturity_date <= day,
                )
                .order_by(CertificateRow.maturity_date, CertificateRow.id)
            )
        )
        for cert in due:
            core = log.enterprise_of(cert.issuer)
            amount, _ = due_fen(cert, statement_date(log.now_at()))
            if ledger_service.balance_fen(session, accounts.settlement(core)) >= amount:
                try:
                    with log.attempt():
                        stmt, _ = log.run(
                            "pay", cert.issuer, {"cert": cert.id, "amount_fen": cert.face_fen}
                        )
                        settle(log, cert.id, stmt)
                    paid.append(cert.id)
                    continue
                except (ReceivablesError, DomainError) as exc:
                    skipped[cert.id] = exc.code
            else:
                skipped[cert.id] = "insufficient_funds"
            session.refresh(cert)
            if cert.status == CertificateStatus.ACTIVE.value and cert.maturity_date < day:
                log.run("overdue", log.platform, {"cert": cert.id})
                overdue.append(cert.id)
                _signal(session, clock, log, cert, day)
            if cert.status == CertificateStatus.OVERDUE.value:
                cert.penalty_fen = penalty_fen(
                    cert.face_fen, cert.penalty_daily_bp, (day - cert.maturity_date).days
                )
                penalties[cert.id] = cert.penalty_fen
        audit_ops(session, log, None)
    return MaturityRunOut(
        business_date=day, paid=paid, overdue=overdue, skipped=skipped, penalties_fen=penalties
    )


def _signal(session: Session, clock: Clock, log: Log, cert: CertificateRow, day: date) -> None:
    if session.scalar(
        select(Signal.id).where(Signal.kind == SIGNAL_CORE_OVERDUE, Signal.cert == cert.id)
    ):
        return
    party = session.get(Party, cert.issuer)
    session.add(
        Signal(
            kind=SIGNAL_CORE_OVERDUE,
            severity="high",
            party=cert.issuer,
            enterprise_id=party.enterprise_id if party else None,
            cert=cert.id,
            business_date=day,
            amount_fen=cert.face_fen,
            detail={
                "maturity_date": cert.maturity_date.isoformat(),
                "days_overdue": (day - cert.maturity_date).days,
                "holders": sorted(
                    {
                        p.holder
                        for p in parts_of(session, cert.id)
                        if p.status in (PartStatus.HELD.value, PartStatus.FINANCED.value)
                    }
                ),
                "seq": log.head.size - 1,
            },
            created_at=clock.now(),
        )
    )
    session.flush()
    audit.record(
        session,
        "receivables.signal",
        "receivables_certificate",
        cert.id,
        after={"kind": SIGNAL_CORE_OVERDUE, "party": cert.issuer, "amount_fen": cert.face_fen},
    )


def amortize_discounts(session: Session, clock: Clock, day: date) -> int:
    """Recognize discount income straight-line up to ``day`` for open financings: Dr
    discount_unearned(part) / Cr discount_income. Returns the fen recognized; re-running a date
    posts nothing more."""
    total = 0
    with locked_log(session, clock, None) as log:  # signs nothing
        rows = session.scalars(
            select(Financing).where(Financing.closed.is_(False)).order_by(Financing.part)
        )
        for row in rows:
            target = amortized_fen(row.discount_fen, row.days, row.financed_date, day)
            delta = target - row.recognized_fen
            if delta <= 0:
                continue
            log.post(
                "receivables.amortize",
                day,
                [
                    Leg.debit(accounts.unearned(row.part), delta),
                    Leg.credit(accounts.DISCOUNT_INCOME, delta),
                ],
                f"贴现利息摊销 {row.part} 至 {day.isoformat()}",
                "receivables_part",
                row.part,
            )
            row.recognized_fen = target
            total += delta
        session.flush()
    return total


# --- the job ----------------------------------------------------------------------------------


@dataclass
class MaturityStep:
    clock: Clock
    cipher: FieldCipher
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
        out = run_maturity(session, self.clock, self.cipher, self.day)
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
        recognized = amortize_discounts(session, self.clock, self.day)
        return Batch(None, items=1 if recognized else 0, totals={"amortized_fen": recognized})


@dataclass
class CheckpointStep:
    clock: Clock
    cipher: FieldCipher
    name: str = "checkpoint"

    def total(self, session: Session) -> int:
        return 1

    def run_batch(self, session: Session, cursor: str | None) -> Batch:
        head = proofs.log_head(session)
        if head.size == 0:
            return Batch(None, totals={"checkpoint_size": 0})
        before = proofs.latest_checkpoint(session)
        out = proofs.publish_checkpoint(session, self.clock, self.cipher)
        new = before is None or before.size != out.size
        return Batch(None, items=1 if new else 0, totals={"checkpoint_size": out.size})


def eod_steps(clock: Clock, cipher: FieldCipher, day: date) -> list[Step]:
    """maturity → amortize → checkpoint, for business date ``day``."""
    return [
        MaturityStep(clock, cipher, day),
        AmortizeStep(clock, day),
        CheckpointStep(clock, cipher),
    ]


def run_eod(
    factory: sessionmaker[Session],
    clock: Clock,
    cipher: FieldCipher,
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
