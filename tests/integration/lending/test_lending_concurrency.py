"""Concurrent drawdowns on PostgreSQL, committed for real: never over the limit, one loan a key."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker
from tests.integration.lending.lending_factories import make_enterprise, make_line

from puhui.core.clock import FixedClock
from puhui.core.db import make_session_factory, unit_of_work
from puhui.core.errors import DomainError
from puhui.ledger import service as ledger_service
from puhui.lending import loans
from puhui.lending import service as lending
from puhui.lending.models import Drawdown, Loan
from puhui.lending.schemas import DrawdownOut

AMOUNT = 1_000_000  # 10 000 yuan


def _line(
    factory: sessionmaker[Session], clock: FixedClock, limit_fen: int
) -> tuple[uuid.UUID, uuid.UUID]:
    with unit_of_work(factory) as s:
        ent = make_enterprise(s, clock, f"并发测试{uuid.uuid4().hex[:6]}有限公司")
        line = make_line(s, clock, ent.id, limit_fen=limit_fen)
        return line.id, ent.id


def _race(n: int, work: Callable[[int], None]) -> None:
    barrier = threading.Barrier(n)

    def run(i: int) -> None:
        barrier.wait()
        work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_fifty_concurrent_drawdowns_never_exceed_the_limit(pg_engine: Engine) -> None:
    clock = FixedClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    factory = make_session_factory(pg_engine)
    limit = 20 * AMOUNT + AMOUNT // 2  # admits 20 of the 50
    line_id, enterprise_id = _line(factory, clock, limit)
    ok: list[DrawdownOut] = []
    refused: list[str] = []
    lock = threading.Lock()

    def draw(i: int) -> None:
        try:
            with unit_of_work(factory) as s:
                out = lending.draw(s, clock, line_id, AMOUNT, idempotency_key=f"conc-{i}")
            with lock:
                ok.append(out)
        except DomainError as exc:
            with lock:
                refused.append(exc.code)

    _race(50, draw)
    assert len(ok) == 20 and refused == ["credit_limit_exceeded"] * 30
    with factory() as s:
        line = lending.get_line(s, line_id)
        assert line.used_fen == len(ok) * AMOUNT <= line.limit_fen
        assert line.available_fen == AMOUNT // 2
        loans = s.scalar(select(func.count()).where(Loan.line_id == line_id))
        assert loans == len({o.loan_id for o in ok}) == 20
        assert sorted(o.line_used_fen for o in ok) == [AMOUNT * k for k in range(1, 21)]
        assert len({o.reference for o in ok}) == 20
        assert lending.settlement_balance(s, enterprise_id) == 20 * AMOUNT
        principal = ledger_service.balances_by_owner(
            s, "loan_principal", [str(o.loan_id) for o in ok]
        )
        assert sum(principal.values()) == 20 * AMOUNT
        assert ledger_service.verify_cached_balances(s) == []


def test_concurrent_duplicates_of_one_key_make_one_loan(pg_engine: Engine) -> None:
    clock = FixedClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    factory = make_session_factory(pg_engine)
    line_id, _ = _line(factory, clock, 50 * AMOUNT)
    results: list[DrawdownOut] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def draw(_: int) -> None:
        try:
            with unit_of_work(factory) as s:
                out = lending.draw(s, clock, line_id, AMOUNT, idempotency_key="one-key")
            with lock:
                results.append(out)
        except BaseException as exc:
            with lock:
                errors.append(exc)

    _race(12, draw)
    assert errors == []
    assert len({r.id for r in results}) == 1 and len(results) == 12
    assert sum(not r.replayed for r in results) == 1
    with factory() as s:
        assert s.scalar(select(func.count()).where(Drawdown.line_id == line_id)) == 1
        assert s.scalar(select(func.count()).where(Loan.line_id == line_id)) == 1
        assert lending.get_line(s, line_id).used_fen == AMOUNT


def test_references_do_not_make_drawdowns_on_different_lines_wait(pg_engine: Engine) -> None:
    """A transaction holding a new number (drawdown, loan, repayment) open does not make
    another wait for the next one: numbers come from a sequence per prefix and year, not from a
    counter row locked until commit. The year's first number creates the sequence."""
    factory = make_session_factory(pg_engine)
    year = 2000 + uuid.uuid4().int % 7000  # a year no other test numbers
    name = f"lending_ref_tst_{year}"
    try:
        with unit_of_work(factory) as s:  # an earlier counter numbered the year up to 41
            s.execute(
                text("INSERT INTO lending_reference_counter VALUES ('TST', :y, 41)"), {"y": year}
            )
        with unit_of_work(factory) as s:
            assert loans.next_reference(s, "TST", year) == f"TST-{year}-000042"
        holder = factory()
        other = factory()
        try:
            first = loans.next_reference(holder, "TST", year)  # held, not committed
            other.execute(text("SET LOCAL lock_timeout = '300ms'"))
            second = loans.next_reference(other, "TST", year)  # would time out on a row lock
            assert (first, second) == (f"TST-{year}-000043", f"TST-{year}-000044")
            other.commit()
            holder.rollback()  # a gap: 43 is not given again
        finally:
            holder.close()
            other.close()
        with unit_of_work(factory) as s:
            assert loans.next_reference(s, "TST", year) == f"TST-{year}-000045"
    finally:
        with unit_of_work(factory) as s:
            s.execute(text(f"DROP SEQUENCE IF EXISTS {name}"))
            s.execute(
                text("DELETE FROM lending_reference_counter WHERE prefix = 'TST' AND year = :y"),
                {"y": year},
            )
