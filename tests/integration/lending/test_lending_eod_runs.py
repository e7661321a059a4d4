"""End-of-day runs: recorded, resumable from the last committed batch, never repeated, never
backwards; and a process killed with SIGKILL mid-run resumes to the uninterrupted result."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import TEST_KEY
from tests.integration.lending.lending_factories import (
    START,
    at,
    draw,
    fund,
    make_enterprise,
    make_line,
    spend_all,
)
from tests.integration.lending.test_lending_eod import book, snapshot

from puhui.core import audit
from puhui.core.clock import FixedClock
from puhui.core.db import make_engine, make_session_factory
from puhui.core.migrate import upgrade
from puhui.jobs.errors import DateBeforeLastRun, EarlierRunUnfinished
from puhui.jobs.models import JobRun, JobRunStep
from puhui.jobs.runner import Batch, run_inline, run_job
from puhui.lending import eod

DAY = START + timedelta(days=31)  # past the first due date: billing, accrual, grace, penalty


@dataclass
class Crashing:
    """A step that dies (like a killed process) when it reaches batch number `at`."""

    inner: Any
    at: int
    calls: int = 0

    @property
    def name(self) -> str:
        return str(self.inner.name)

    def total(self, session: Session) -> int:
        return int(self.inner.total(session))

    def run_batch(self, session: Session, cursor: str | None) -> Batch:
        self.calls += 1
        if self.calls == self.at:
            raise KeyboardInterrupt("killed")
        result: Batch = self.inner.run_batch(session, cursor)
        return result


def _expected(session: Session, clock: FixedClock, day: date) -> dict[str, Any]:
    nested = session.begin_nested()
    run_inline(session, eod.eod_steps(clock, day, batch_size=2))
    expected = snapshot(session)
    nested.rollback()
    session.expire_all()
    session.info.pop("ledger_account_ids", None)
    return expected


def test_a_run_is_recorded_resumed_after_a_crash_and_never_repeated(
    session: Session, clock: FixedClock, bound: sessionmaker[Session]
) -> None:
    book(session, clock)
    session.commit()
    at(clock, DAY, hour=20)
    expected = _expected(session, clock, DAY)

    steps = eod.eod_steps(clock, DAY, batch_size=2)
    crashing = [*steps[:3], Crashing(steps[3], at=2)]
    with pytest.raises(KeyboardInterrupt):
        run_job(bound, clock, eod.JOB_NAME, DAY, crashing)
    with bound() as s:
        step = s.scalars(select(JobRunStep).where(JobRunStep.step == "accrual")).one()
        assert (step.status, step.batches, step.items) == ("running", 1, 2)
        assert step.cursor is not None
        with pytest.raises(EarlierRunUnfinished):
            run_job(bound, clock, eod.JOB_NAME, DAY + timedelta(days=1), steps)

    result = run_job(bound, clock, eod.JOB_NAME, DAY, eod.eod_steps(clock, DAY, batch_size=2))
    assert not result.already_completed and result.attempts == 2
    assert snapshot(session) == expected

    again = run_job(bound, clock, eod.JOB_NAME, DAY, eod.eod_steps(clock, DAY, batch_size=2))
    assert again.already_completed
    assert snapshot(session) == expected
    with bound() as s:
        run = s.scalars(select(JobRun).where(JobRun.business_date == DAY)).one()
        assert run.status == "completed" and run.finished_at is not None

    with pytest.raises(DateBeforeLastRun) as refused:
        run_job(bound, clock, eod.JOB_NAME, DAY - timedelta(days=1), steps)
    assert refused.value.code == "job_date_before_last_run"


# --- a real process, killed with SIGKILL --------------------------------------------------------


def _populate(url: str, loans: int) -> None:
    upgrade(url)
    engine = make_engine(url)
    clock = FixedClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    with make_session_factory(engine)() as session:
        audit.set_clock(session, clock)
        at(clock, START)
        for k in range(2):
            ent = make_enterprise(session, clock, name=f"批量测试企业{k}有限公司")
            line = make_line(session, clock, ent.id, limit_fen=200_000_000)
            for i in range(loans // 2):
                draw(session, clock, line.id, 1_000_000 + 10_007 * i, term_months=3)
            spend_all(session, clock, ent.id)
            if k == 0:
                fund(session, clock, ent.id, 5_000_000)  # pays some loans, not all
        session.commit()
    engine.dispose()


def _eod(url: str, tmp: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PUHUI_DATABASE_URL": url,
        "PUHUI_DATA_KEY": TEST_KEY,
        "PUHUI_SECRET_KEY": "test-secret",
        "PUHUI_VAR_DIR": str(tmp),
    }
    cmd = [sys.executable, "-m", "puhui.cli", "eod", "run", "--date", DAY.isoformat()]
    return subprocess.Popen(
        [*cmd, "--batch-size", "2", *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _state(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        state = snapshot(session)
    engine.dispose()
    return state


def test_a_killed_process_resumes_to_the_uninterrupted_result(tmp_path: Path) -> None:
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    url_a, url_b = f"sqlite:///{a}", f"sqlite:///{b}"
    _populate(url_a, loans=24)
    shutil.copy(a, b)

    reference = _eod(url_b, tmp_path)
    out, _ = reference.communicate(timeout=180)
    assert reference.returncode == 0, out.decode()

    proc = _eod(url_a, tmp_path, "--pause-ms", "400")
    engine = make_engine(url_a)
    deadline = time.monotonic() + 120
    killed_at = None
    while time.monotonic() < deadline and proc.poll() is None:
        with make_session_factory(engine)() as s:
            row = s.scalars(select(JobRunStep).where(JobRunStep.step == "accrual")).one_or_none()
            if row is not None and row.batches >= 1:
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=30)
                killed_at = (row.batches, row.status)
                break
        time.sleep(0.05)
    assert killed_at is not None and killed_at[1] == "running", "the run ended before the kill"
    with make_session_factory(engine)() as s:
        run = s.scalars(select(JobRun)).one()
        assert run.status == "running"
    engine.dispose()

    again = _eod(url_a, tmp_path)
    out, _ = again.communicate(timeout=180)
    assert again.returncode == 0, out.decode()
    assert _state(url_a) == _state(url_b)

    once_more = _eod(url_a, tmp_path)
    out, _ = once_more.communicate(timeout=180)
    assert once_more.returncode == 0 and b"already completed" in out
    assert _state(url_a) == _state(url_b)

    earlier = subprocess.run(
        [sys.executable, "-m", "puhui.cli", "eod", "run", "--date", START.isoformat()],
        env={
            **os.environ,
            "PUHUI_DATABASE_URL": url_a,
            "PUHUI_DATA_KEY": TEST_KEY,
            "PUHUI_SECRET_KEY": "test-secret",
            "PUHUI_VAR_DIR": str(tmp_path),
        },
        capture_output=True,
        timeout=120,
    )
    assert earlier.returncode == 1
    assert "earlier than the last completed run" in earlier.stdout.decode()
