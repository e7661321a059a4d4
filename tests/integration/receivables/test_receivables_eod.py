"""The receivables day job (`receivables_eod`): maturity → amortization → checkpoint as a
recorded run of the job runner; a date is never run twice, re-running its steps changes
nothing, and the checkpoint it signs covers the whole log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.integration.receivables.receivables_world import World, at_day, make_world

from puhui.core.clock import FixedClock, business_date
from puhui.core.runtime import Runtime
from puhui.jobs.errors import DateBeforeLastRun
from puhui.jobs.models import JobRun
from puhui.jobs.runner import Batch, run_inline
from puhui.ledger import service as ledger_service
from puhui.ledger.models import Entry
from puhui.receivables import eod, keys_service, merkle, service
from puhui.receivables.checkpoint import open_checkpoint
from puhui.receivables.models import CertificateRow, CheckpointRow, Signal


@dataclass
class Book:
    world: World
    start: date
    paid: str  # 50 万, split, one part financed; paid by auto-debit at maturity
    unpaid: str  # 20 万, same maturity; the core enterprise's money runs out: overdue
    long: str  # 30 万, 90 days, financed whole: amortizing


@pytest.fixture
def book(session: Session, clock: FixedClock, runtime: Runtime) -> Book:
    world = make_world(session, clock, runtime.cipher, limit=200_000_000, core_cash=60_000_000)
    start = business_date(clock)
    paid = world.active(50_000_000, days=30)
    world.do(service.split, paid, [30_000_000, 20_000_000])
    world.do(service.finance, f"{paid}-2", idempotency_key=f"eod-{paid}")
    unpaid = world.active(20_000_000, days=30)
    long = world.active(30_000_000, days=90)
    world.do(service.finance, long, idempotency_key=f"eod-{long}")
    session.commit()
    return Book(world, start, paid, unpaid, long)


def _state(session: Session) -> dict[str, Any]:
    session.expire_all()
    head = service.log_head(session)
    return {
        "size": head.size,
        "root": head.root,
        "checkpoints": session.scalar(select(func.count()).select_from(CheckpointRow)),
        "ledger_entries": session.scalar(select(func.count()).select_from(Entry)),
        "signals": session.scalar(select(func.count()).select_from(Signal)),
        "certs": dict(session.execute(select(CertificateRow.id, CertificateRow.penalty_fen)).all()),
        "discount_income": ledger_service.balance_fen(
            session, ledger_service.bank("discount_income")
        ),
    }


def test_the_day_job_runs_maturity_amortization_and_a_checkpoint_once(
    session: Session, clock: FixedClock, runtime: Runtime, bound: sessionmaker[Session], book: Book
) -> None:
    day = book.start + timedelta(days=31)  # one day past the first maturities
    at_day(clock, day, hour=20)
    income_before = _state(session)["discount_income"]
    result = eod.run_eod(bound, clock, runtime.cipher, day)
    assert not result.already_completed and result.attempts == 1
    assert [(s.name, s.status) for s in result.steps] == [
        ("maturity", "completed"),
        ("amortize", "completed"),
        ("checkpoint", "completed"),
    ]
    assert result.total("paid") == 1 and result.total("overdue") == 1
    assert result.total("penalty_fen") > 0 and result.total("amortized_fen") > 0

    after = _state(session)
    statuses = dict(session.execute(select(CertificateRow.id, CertificateRow.status)).all())
    assert statuses[book.paid] == "cleared"
    assert statuses[book.unpaid] == "overdue" and after["certs"][book.unpaid] > 0
    assert statuses[book.long] == "active"
    signal = session.scalars(select(Signal).where(Signal.cert == book.unpaid)).one()
    assert signal.kind == "core_enterprise_overdue" and signal.business_date == day
    assert after["discount_income"] - income_before > 0

    # the checkpoint covers the whole log, the job's own statements included
    latest = service.latest_checkpoint(session)
    assert latest is not None
    assert (latest.size, latest.root) == (after["size"], after["root"])
    assert result.total("checkpoint_size") == after["size"]
    head = service.log_head(session)
    key = keys_service.log_public_key(session, head.origin)
    assert key is not None
    opened = open_checkpoint(latest.note, origin=head.origin, public_key=key)
    assert opened.size == after["size"] and opened.root.hex() == after["root"]
    overdue_seq = signal.detail["seq"]
    proof = service.inclusion_proof(session, None, overdue_seq)
    assert proof.size == latest.size and proof.checkpoint == latest
    assert merkle.verify_inclusion(
        proof.entry.encode(),
        overdue_seq,
        proof.size,
        [bytes.fromhex(h) for h in proof.proof],
        bytes.fromhex(latest.root),
    )
    assert '"op":"overdue"' in proof.entry

    # the same date again: the run is not repeated, nothing changes
    again = eod.run_eod(bound, clock, runtime.cipher, day)
    assert again.already_completed
    assert _state(session) == after
    # nor do the steps themselves repeat anything (a run resumed after a crash mid-step)
    totals = run_inline(session, eod.eod_steps(clock, runtime.cipher, day))
    session.commit()
    assert totals == {
        "paid": 0,
        "overdue": 0,
        "penalty_fen": after["certs"][book.unpaid],  # brought up to date: the same
        "amortized_fen": 0,
        "checkpoint_size": after["size"],
    }
    assert _state(session) == after

    # the next day: the penalty and the amortization go on; the log did not grow, so no new
    # checkpoint is signed
    next_day = day + timedelta(days=1)
    at_day(clock, next_day, hour=20)
    later = eod.run_eod(bound, clock, runtime.cipher, next_day)
    assert later.total("overdue") == 0 and later.total("paid") == 0
    assert later.total("amortized_fen") > 0
    checkpoint_step = next(s for s in later.steps if s.name == "checkpoint")
    assert checkpoint_step.items == 0
    nxt = _state(session)
    assert nxt["size"] == after["size"] and nxt["checkpoints"] == after["checkpoints"]
    assert nxt["certs"][book.unpaid] > after["certs"][book.unpaid]
    with pytest.raises(DateBeforeLastRun):
        eod.run_eod(bound, clock, runtime.cipher, day - timedelta(days=1))


def test_a_date_after_today_is_refused_before_anything_is_recorded(
    session: Session, clock: FixedClock, runtime: Runtime, bound: sessionmaker[Session], book: Book
) -> None:
    with pytest.raises(eod.DayInFuture) as refused:
        eod.run_eod(bound, clock, runtime.cipher, book.start + timedelta(days=1))
    assert refused.value.code == "receivables.eod_date_in_future"
    assert "晚于今天" in refused.value.message("zh")
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(JobRun)) == 0


@dataclass
class Crashing:
    """A step that dies (like a killed process) on its first batch."""

    inner: Any
    crashed: bool = False

    @property
    def name(self) -> str:
        return str(self.inner.name)

    def total(self, session: Session) -> int:
        return int(self.inner.total(session))

    def run_batch(self, session: Session, cursor: str | None) -> Batch:
        if not self.crashed:
            self.crashed = True
            raise KeyboardInterrupt("killed")
        result: Batch = self.inner.run_batch(session, cursor)
        return result


def test_a_crashed_run_resumes_at_the_unfinished_step(
    session: Session, clock: FixedClock, runtime: Runtime, bound: sessionmaker[Session], book: Book
) -> None:
    day = book.start + timedelta(days=31)
    at_day(clock, day, hour=20)
    steps = eod.eod_steps(clock, runtime.cipher, day)
    crashing = [steps[0], steps[1], Crashing(steps[2])]
    with pytest.raises(KeyboardInterrupt):
        eod.run_eod(bound, clock, runtime.cipher, day, steps=crashing)
    session.expire_all()
    assert service.latest_checkpoint(session) is None  # the checkpoint step rolled back
    size = service.log_head(session).size
    result = eod.run_eod(bound, clock, runtime.cipher, day, steps=crashing)
    assert result.attempts == 2 and not result.already_completed
    assert result.total("overdue") == 1  # from the first attempt, not repeated
    session.expire_all()
    assert service.log_head(session).size == size  # maturity did not run twice
    latest = service.latest_checkpoint(session)
    assert latest is not None and latest.size == size
