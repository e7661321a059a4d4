"""The set-based end of day's fast paths equal the loan-by-loan reference.

* On random books (the simulation's actions: drawdowns, partial repayments, prepayments,
  deferrals, renewals...) and on a book billed by the end of day itself (unpaid, deferred,
  prepaid loans) the set-based end of day equals ``simulate_day_per_loan`` every day, on SQLite
  and PostgreSQL (whose billing is set-based except for loans with deferred interest, billed by
  ``bill_due``: both sides of the split are checked).
* On PostgreSQL, accrual batches split over two connections (``workers=2``, real commits) end
  equal to one connection, also when a helper gives its part back and when the runner's batch
  fails after a helper committed its part (the resumed run redoes it as a no-op).
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session
from tests.conftest import _fresh_pg_database, _worker
from tests.integration.lending.lending_factories import (
    START,
    assert_books,
    at,
    draw,
    fund,
    make_enterprise,
    make_line,
    spend_all,
)
from tests.integration.lending.test_lending_eod import _per_loan, book, snapshot
from tests.integration.lending.test_lending_eod_runs import DAY, _populate, _state
from tests.simulation.test_lending_simulation import World, run

from puhui.core.clock import FixedClock, business_date
from puhui.core.db import make_engine, make_session_factory
from puhui.jobs.models import JobRunStep
from puhui.jobs.runner import run_job
from puhui.lending import eod
from puhui.lending import service as lending
from puhui.lending.models import Loan
from puhui.lending.products import JINGYINGDAI, XIANXIHOUBEN
from puhui.lending.rescheduling import PrepaymentOption
from puhui.lending.schedules import RepaymentMethod

# --- random books: set-based equals loan by loan ------------------------------------------------


class Checked(World):
    """The simulation's world, whose day closes with the set-based end of day after checking
    that it equals the loan-by-loan reference."""

    days_checked = 0

    def next_day(self) -> None:
        today = business_date(self.clock)
        expected = _per_loan(self.session, self.clock, today)
        lending.run_eod(self.session, self.clock, today, batch_size=3)
        got = snapshot(self.session)
        for key in expected:
            assert got[key] == expected[key], f"{key} differs on {today}"
        Checked.days_checked += 1
        at(self.clock, today + timedelta(days=1), hour=self.rng.randint(1, 22))


@pytest.mark.parametrize("seed", [5, 19])
def test_random_books_equal_the_per_loan_reference(
    session: Session, clock: FixedClock, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tests.simulation.test_lending_simulation as simulation

    monkeypatch.setattr(simulation, "World", Checked)
    Checked.days_checked = 0
    counts = run(session, clock, seed, 220)
    assert Checked.days_checked >= 30
    assert counts["draw"] > 0 and counts["prepay"] > 0 and counts["defer"] > 0


def test_deferred_prepaid_and_unpaid_loans_equal_the_per_loan_reference(
    session: Session, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Billing by the end of day (no money in the settlement accounts, so auto-debit bills
    nothing): instalments with true-ups, a deferred loan (billed loan by loan), a prepaid one,
    several overdue instalments; every day equal to the reference for 200 days."""
    billed = {"set_based": 0, "per_loan": 0}
    set_based, per_loan = eod.BillingStep._post_true_ups, eod.BillingStep._bill_per_loan

    def count_set_based(self: eod.BillingStep, s: Session, true_ups: list[Any]) -> None:
        billed["set_based"] += len(true_ups)
        set_based(self, s, true_ups)

    def count_per_loan(self: eod.BillingStep, s: Session, ids: list[Any]) -> int:
        billed["per_loan"] += len(ids)
        return per_loan(self, s, ids)

    monkeypatch.setattr(eod.BillingStep, "_post_true_ups", count_set_based)
    monkeypatch.setattr(eod.BillingStep, "_bill_per_loan", count_per_loan)

    book(session, clock)
    at(clock, START)
    loans: dict[str, Loan] = {}
    for name, product, method in (
        ("deferred", JINGYINGDAI, RepaymentMethod.EQUAL_INSTALMENT),
        ("prepaid", JINGYINGDAI, RepaymentMethod.EQUAL_PRINCIPAL),
        ("bullet", XIANXIHOUBEN, RepaymentMethod.INTEREST_FIRST),
    ):
        ent = make_enterprise(session, clock, name=f"账单测试{name}有限公司")
        line = make_line(session, clock, ent.id, product_code=product, method=method)
        loans[name] = draw(session, clock, line.id, 3_000_000, term_months=6)
        spend_all(session, clock, ent.id)
    day = START
    for k in range(200):
        day += timedelta(days=1)
        at(clock, day, hour=11)
        if k == 20:
            lending.defer(session, clock, loans["deferred"].id, 2, "测试延期")
        if k == 45:
            ent_id = loans["prepaid"].enterprise_id
            fund(session, clock, ent_id, 1_500_000)
            lending.repay(
                session,
                clock,
                loans["prepaid"].id,
                1_400_000,
                idempotency_key=f"prepay-{day}",
                kind="prepayment",
                prepayment_option=PrepaymentOption.KEEP_INSTALMENT,
            )
            spend_all(session, clock, ent_id)
        at(clock, day, hour=20)
        expected = _per_loan(session, clock, day)
        lending.run_eod(session, clock, day, batch_size=2)
        got = snapshot(session)
        for key in expected:
            assert got[key] == expected[key], f"{key} differs on {day}"
        assert_books(session, full=k % 25 == 0)
    if session.get_bind().dialect.name == "postgresql":
        assert billed["set_based"] > 0 and billed["per_loan"] > 0, billed  # both sides


# --- two connections per accrual batch (PostgreSQL, real commits) ------------------------------

LOANS = 24


@pytest.fixture
def pg_books(postgres_base_url: str) -> Iterator[dict[str, str]]:
    """Three copies of one committed book in fresh databases: a, b, c (dropped afterwards)."""
    names = {k: f"puhui_eod_parallel_{_worker()}_{k}" for k in "abc"}
    a = _fresh_pg_database(postgres_base_url, names["a"])
    _populate(a, loans=LOANS)
    urls = {k: a.rsplit("/", 1)[0] + "/" + db for k, db in names.items()}
    admin = make_engine(postgres_base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for k in "bc":
            conn.execute(text(f'DROP DATABASE IF EXISTS "{names[k]}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{names[k]}" TEMPLATE "{names["a"]}"'))
    try:
        yield urls
    finally:
        with admin.connect() as conn:
            for db in names.values():
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()


def _run(url: str, workers: int, **kwargs: Any) -> Engine:
    engine = make_engine(url)
    clock = FixedClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    at(clock, DAY, hour=20)
    run_job(
        make_session_factory(engine),
        clock,
        eod.JOB_NAME,
        DAY,
        eod.eod_steps(clock, DAY, batch_size=4, workers=workers),
        **kwargs,
    )
    return engine


def test_two_connections_equal_one(
    pg_books: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    _run(pg_books["a"], workers=1).dispose()
    reference = _state(pg_books["a"])
    assert reference["balances"]

    _run(pg_books["b"], workers=2).dispose()
    assert _state(pg_books["b"]) == reference

    # a helper that fails gives its part back; the next batch does it
    real = eod.AccrualStep._accrue_part_pg
    failures = [0]

    def flaky(self: eod.AccrualStep, session: Session, *args: Any, **kwargs: Any) -> Any:
        if threading.current_thread().name.startswith("eod-accrual-") and random.random() < 0.5:
            failures[0] += 1
            raise RuntimeError("helper lost its connection")
        return real(self, session, *args, **kwargs)

    eod.AccrualStep._accrue_part_pg = flaky  # type: ignore[method-assign]
    try:
        random.seed(7)
        with caplog.at_level(logging.WARNING, logger="puhui.lending.eod_pg"):
            _run(pg_books["c"], workers=2).dispose()
    finally:
        eod.AccrualStep._accrue_part_pg = real  # type: ignore[method-assign]
    assert failures[0] > 0 and "given back" in caplog.text
    assert _state(pg_books["c"]) == reference


def test_a_batch_failing_after_its_helper_committed_resumes_to_the_same_result(
    pg_books: dict[str, str],
) -> None:
    _run(pg_books["a"], workers=1).dispose()
    reference = _state(pg_books["a"])

    def die_at_first_accrual_checkpoint(session: Session) -> None:
        step = session.scalars(select(JobRunStep).where(JobRunStep.step == "accrual")).one()
        if step.batches == 1:
            raise KeyboardInterrupt("killed before the checkpoint")

    with pytest.raises(KeyboardInterrupt):
        _run(pg_books["b"], workers=2, on_commit=die_at_first_accrual_checkpoint)
    engine = make_engine(pg_books["b"])
    with make_session_factory(engine)() as s:
        step = s.scalars(select(JobRunStep).where(JobRunStep.step == "accrual")).one()
        assert step.batches == 0 and step.cursor is None  # the runner's part rolled back
    # ... but the helper's part (the loans after the first two) is committed
    with make_session_factory(engine)() as s:
        accrued = s.scalar(
            select(func.count()).select_from(Loan).where(Loan.interest_accrued_through > DAY)
        )
        assert accrued and accrued > 0
    engine.dispose()

    _run(pg_books["b"], workers=2).dispose()
    assert _state(pg_books["b"]) == reference
