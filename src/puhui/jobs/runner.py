"""The batch job runner: recorded runs, one transaction per batch with its checkpoint.

A job is a list of steps; a step processes its work in batches, each batch returning the cursor
from which the next one starts. The runner commits every batch *together with* the step's new
cursor (`jobs_run_step.cursor`), so a process killed at any point resumes, when run again, from
the last committed batch: nothing is done twice and nothing is skipped. A completed run of a
(job, business date) is never repeated; a date earlier than the last completed run is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from puhui.core.clock import Clock
from puhui.core.ids import new_id
from puhui.jobs.errors import DateBeforeLastRun, EarlierRunUnfinished
from puhui.jobs.models import JobRun, JobRunStep, RunStatus


@dataclass(frozen=True)
class Batch:
    """What one batch did: the cursor to start the next batch from (None when the step is done)."""

    cursor: str | None
    items: int = 0
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.cursor is None


class Step(Protocol):
    name: str

    def total(self, session: Session) -> int:
        """Items left to process (an estimate for the progress bar)."""
        ...

    def run_batch(self, session: Session, cursor: str | None) -> Batch:
        """Process the next batch after `cursor` (None: from the start). Never commits."""
        ...


@dataclass
class StepResult:
    name: str
    status: str
    batches: int
    items: int
    totals: dict[str, int]


@dataclass
class RunResult:
    job: str
    business_date: date
    already_completed: bool
    attempts: int
    steps: list[StepResult]

    def total(self, key: str) -> int:
        return sum(s.totals.get(key, 0) for s in self.steps)


Progress = Callable[[str, int, int | None], None]
"""Called as ``progress(step, items_done_now, total_or_None)``."""


def _noop(_step: str, _items: int, _total: int | None) -> None:
    return None


def last_completed(session: Session, job: str) -> date | None:
    return session.scalar(
        select(JobRun.business_date)
        .where(JobRun.job == job, JobRun.status == RunStatus.COMPLETED.value)
        .order_by(JobRun.business_date.desc())
        .limit(1)
    )


def runs(session: Session, job: str, limit: int = 20) -> list[JobRun]:
    return list(
        session.scalars(
            select(JobRun)
            .where(JobRun.job == job)
            .order_by(JobRun.business_date.desc())
            .limit(limit)
        )
    )


def unfinished_runs(session: Session, job_prefix: str) -> list[tuple[str, date]]:
    """(job, business date) of the runs of jobs named `job_prefix`… not completed, oldest first."""
    return [
        (job, day)
        for job, day in session.execute(
            select(JobRun.job, JobRun.business_date)
            .where(
                JobRun.job.startswith(job_prefix, autoescape=True),
                JobRun.status != RunStatus.COMPLETED.value,
            )
            .order_by(JobRun.business_date, JobRun.started_at)
        )
    ]


def steps_of(session: Session, run_id: object) -> list[JobRunStep]:
    return list(
        session.scalars(
            select(JobRunStep).where(JobRunStep.run_id == run_id).order_by(JobRunStep.seq)
        )
    )


def _lock_run(session: Session, run_id: object) -> JobRun:
    run = session.scalars(
        select(JobRun)
        .where(JobRun.id == run_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return run


def _open_run(session: Session, clock: Clock, job: str, day: date) -> tuple[JobRun, bool]:
    """The run of (job, day), created or resumed; True if it had completed already."""
    run = session.scalars(
        select(JobRun).where(JobRun.job == job, JobRun.business_date == day).with_for_update()
    ).one_or_none()
    if run is not None and run.status == RunStatus.COMPLETED.value:
        return run, True
    last = last_completed(session, job)
    if last is not None and day < last:
        raise DateBeforeLastRun(job=job, day=day.isoformat(), last=last.isoformat())
    pending = session.scalar(
        select(JobRun.business_date)
        .where(
            JobRun.job == job,
            JobRun.status != RunStatus.COMPLETED.value,
            JobRun.business_date < day,
        )
        .order_by(JobRun.business_date)
        .limit(1)
    )
    if pending is not None:
        raise EarlierRunUnfinished(job=job, pending=pending.isoformat())
    if run is None:
        run = JobRun(
            id=new_id(),
            job=job,
            business_date=day,
            status=RunStatus.RUNNING.value,
            attempts=1,
            started_at=clock.now(),
        )
        session.add(run)
    else:
        run.attempts += 1
    session.flush()
    return run, False


def run_job(
    factory: sessionmaker[Session],
    clock: Clock,
    job: str,
    day: date,
    steps: Sequence[Step],
    progress: Progress = _noop,
    on_commit: Callable[[Session], None] | None = None,
) -> RunResult:
    """Run (or resume) `job` for business date `day`: every batch is its own transaction."""
    run_id, attempts, completed = _start_run(factory, clock, job, day, steps)
    if not completed:
        for step in steps:
            _run_step(factory, clock, run_id, step, progress, on_commit)
        with factory() as session, session.begin():
            run = _lock_run(session, run_id)
            run.status = RunStatus.COMPLETED.value
            run.finished_at = clock.now()
    with factory() as session:
        return _result(session, job, day, run_id, attempts, already=completed)


def _start_run(
    factory: sessionmaker[Session], clock: Clock, job: str, day: date, steps: Sequence[Step]
) -> tuple[object, int, bool]:
    """Open the run of (job, day) with a row for each step it lacks, in one transaction:
    ``(run id, attempts, whether it had completed already)``."""
    with factory() as session, session.begin():
        run, completed = _open_run(session, clock, job, day)
        run_id, attempts = run.id, run.attempts
        existing = {s.step for s in steps_of(session, run_id)}
        for seq, step in enumerate(steps):
            if step.name not in existing:
                session.add(
                    JobRunStep(
                        id=new_id(),
                        run_id=run_id,
                        step=step.name,
                        seq=seq,
                        status=RunStatus.RUNNING.value,
                        cursor=None,
                        batches=0,
                        items=0,
                        totals={},
                        started_at=clock.now(),
                    )
                )
    return run_id, attempts, completed


def _step_row(session: Session, run_id: object, step: str, *, fresh: bool = False) -> JobRunStep:
    query = select(JobRunStep).where(JobRunStep.run_id == run_id, JobRunStep.step == step)
    if fresh:
        query = query.execution_options(populate_existing=True)
    return session.scalars(query).one()


def _run_step(
    factory: sessionmaker[Session],
    clock: Clock,
    run_id: object,
    step: Step,
    progress: Progress,
    on_commit: Callable[[Session], None] | None,
) -> None:
    """Run one step's batches to its end (or nothing if it completed), each batch in its own
    transaction together with the step's new cursor."""
    with factory() as session:
        if _step_row(session, run_id, step.name).status == RunStatus.COMPLETED.value:
            progress(step.name, 0, 0)
            return
        progress(step.name, 0, step.total(session))
    while True:
        with factory() as session, session.begin():
            _lock_run(session, run_id)  # one runner at a time per run
            row = _step_row(session, run_id, step.name, fresh=True)
            if row.status == RunStatus.COMPLETED.value:
                return
            batch = step.run_batch(session, row.cursor)
            _record_batch(row, batch, clock)
            session.flush()
            if on_commit is not None:
                on_commit(session)
        progress(step.name, batch.items, None)
        if batch.done:
            return


def _record_batch(row: JobRunStep, batch: Batch, clock: Clock) -> None:
    row.cursor = batch.cursor
    row.batches += 1
    row.items += batch.items
    row.totals = _merged_totals(row.totals, batch.totals)
    if batch.done:
        row.status = RunStatus.COMPLETED.value
        row.finished_at = clock.now()


def _merged_totals(totals: dict[str, Any] | None, more: dict[str, int]) -> dict[str, int]:
    """``totals`` (as stored: JSON, maybe None) plus a batch's ``more``, key by key; a new
    dict, so the JSON column sees the change."""
    merged = dict(totals or {})
    for k, v in more.items():
        merged[k] = int(merged.get(k, 0)) + v
    return merged


def _result(
    session: Session, job: str, day: date, run_id: object, attempts: int, *, already: bool
) -> RunResult:
    return RunResult(
        job=job,
        business_date=day,
        already_completed=already,
        attempts=attempts,
        steps=[
            StepResult(
                s.step,
                s.status,
                s.batches,
                s.items,
                {k: int(v) for k, v in (s.totals or {}).items()},
            )
            for s in steps_of(session, run_id)
        ],
    )


def run_inline(session: Session, steps: Sequence[Step]) -> dict[str, int]:
    """Every step to the end inside the caller's transaction (no run record, no commit)."""
    totals: dict[str, int] = {}
    for step in steps:
        cursor: str | None = None
        while True:
            batch = step.run_batch(session, cursor)
            for k, v in batch.totals.items():
                totals[k] = totals.get(k, 0) + v
            if batch.done:
                break
            cursor = batch.cursor
    return totals
