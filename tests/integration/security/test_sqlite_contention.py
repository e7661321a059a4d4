"""Finding 6 (contention): 30 concurrent drawdowns at one line on SQLite, committed for real.

The probe saw 27 of 30 answered 500 `database is locked`: a request's transaction began
deferred, read the line, then asked for the write lock while others held it — SQLite refuses
that upgrade at once (the busy timeout does not apply to a stale read snapshot). Now a unit of
work that is expected to write begins IMMEDIATE (queued by the busy timeout), and a database
still busy after it answers a retryable 503 problem, never a 500.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from tests.conftest import TEST_KEY
from tests.integration.lending.lending_factories import make_enterprise, make_line

from puhui.app import create_app
from puhui.core import audit, auth
from puhui.core.clock import FixedClock
from puhui.core.config import Settings
from puhui.core.db import make_engine, make_session_factory, unit_of_work
from puhui.core.migrate import upgrade
from puhui.core.models import Role
from puhui.core.runtime import build_runtime
from puhui.lending.models import CreditLine, Drawdown, DrawdownStatus

AMOUNT = 1_000_000
REQUESTS = 30


def test_thirty_concurrent_drawdowns_on_sqlite_queue_instead_of_failing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'contention.db'}"
    upgrade(url)
    clock = FixedClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with unit_of_work(factory) as s:
        audit.set_clock(s, clock)
        ent = make_enterprise(s, clock, f"并发测试{uuid.uuid4().hex[:6]}有限公司")
        line = make_line(s, clock, ent.id, limit_fen=20 * AMOUNT + AMOUNT // 2)
        user = auth.create_user(
            s,
            clock,
            username=f"borrower-{uuid.uuid4().hex[:8]}",
            password="Test-password-1",
            role=Role.BORROWER,
            enterprise_ids=[ent.id],
        )
        token, _ = auth.issue_token(s, clock, user, 60)
        line_id = line.id
    settings = Settings(
        database_url=url, var_dir=tmp_path, data_key=TEST_KEY, secret_key="test-secret"
    )
    app = create_app(build_runtime(settings, clock=clock, engine=engine))

    async def fire() -> list[Any]:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as c:
            calls = [
                c.post(
                    f"/api/v1/credit-lines/{line_id}/drawdowns",
                    json={"amount_fen": AMOUNT},
                    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"c-{i}"},
                )
                for i in range(REQUESTS)
            ]
            return await asyncio.gather(*calls, return_exceptions=True)

    try:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            answers = pool.submit(asyncio.run, asyncio.wait_for(fire(), timeout=120)).result()
        statuses = sorted(
            str(a.status_code) if isinstance(a, httpx.Response) else repr(a) for a in answers
        )
        assert all(s in ("201", "409", "503") for s in statuses), statuses
        for a in answers:
            if a.status_code == 503:
                assert a.headers["retry-after"]
                assert a.headers["content-type"] == "application/problem+json"
        # queued, not refused: the limit allows 20 drawdowns, and 20 went through
        assert statuses == ["201"] * 20 + ["409"] * 10, statuses
        with factory() as s:
            posted = s.scalar(
                select(func.count()).where(
                    Drawdown.line_id == line_id,
                    Drawdown.status == DrawdownStatus.COMPLETED.value,
                )
            )
            used = s.scalar(select(CreditLine.used_fen).where(CreditLine.id == line_id))
        assert posted == 20 and used == 20 * AMOUNT
    finally:
        engine.dispose()


def test_a_database_still_busy_after_its_wait_is_a_retryable_503(app: Any) -> None:
    import sqlite3

    from fastapi import APIRouter
    from fastapi.testclient import TestClient
    from sqlalchemy.exc import OperationalError

    busy = APIRouter()

    @busy.post("/api/v1/busy-for-test")
    def _busy() -> None:
        raise OperationalError("UPDATE ...", {}, sqlite3.OperationalError("database is locked"))

    app.include_router(busy)
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as c:
        resp = c.post("/api/v1/busy-for-test", headers={"Accept-Language": "en"})
    assert resp.status_code == 503
    assert resp.headers["retry-after"] == "2"
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["code"] == "database_busy" and "nothing was changed" in resp.json()["detail"]


def test_writers_of_one_process_queue_in_order_and_every_end_frees_the_queue(
    tmp_path: Path,
) -> None:
    """Writers wait for SQLite's write lock in the process's own queue, not in the busy
    handler's sleeps: the second begins as soon as the first commits, and a commit, a rollback
    or a closed connection each let the next one in."""
    import threading

    from sqlalchemy import event, text

    from puhui.core.db import WRITE_EXPECTED

    engine = make_engine(f"sqlite:///{tmp_path / 'queue.db'}")

    @event.listens_for(engine, "connect")
    def _no_busy_wait(dbapi_connection: Any, _record: Any) -> None:
        # SQLite's own busy handler off: a writer that reached it would fail at once with
        # "database is locked", so a writer that succeeds here waited in the queue
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    with engine.begin() as c:
        c.exec_driver_sql("CREATE TABLE t (who TEXT)")
    first_in, first_go, order = threading.Event(), threading.Event(), []

    def write(who: str, hold: threading.Event | None = None) -> None:
        token = WRITE_EXPECTED.set(True)
        try:
            with engine.begin() as c:
                order.append(f"{who} began")
                if hold is not None:
                    first_in.set()
                    hold.wait(10)
                c.execute(text("INSERT INTO t VALUES (:w)"), {"w": who})
            order.append(f"{who} committed")
        finally:
            WRITE_EXPECTED.reset(token)

    a = threading.Thread(target=write, args=("a", first_go))
    a.start()
    assert first_in.wait(10)
    b = threading.Thread(target=write, args=("b",))
    b.start()
    b.join(0.3)
    assert b.is_alive() and order == ["a began"]  # queued behind a, not begun
    first_go.set()
    a.join(5)
    b.join(5)
    assert order == ["a began", "a committed", "b began", "b committed"]

    # a rollback frees the queue
    token = WRITE_EXPECTED.set(True)
    try:
        with engine.connect() as c:
            c.begin()
            c.execute(text("INSERT INTO t VALUES ('rolled back')"))
            c.rollback()
            # a second writer in the same thread while the first still holds the queue goes on
            # to SQLite (no deadlock on the queue): here the first has ended, so it simply runs
            with engine.begin() as c2:
                c2.execute(text("INSERT INTO t VALUES ('c')"))
        # a connection closed mid-transaction (returned to the pool, rolled back) frees it too
        c3 = engine.connect()
        c3.begin()
        c3.close()
        c = threading.Thread(target=write, args=("d",))
        c.start()
        c.join(5)  # a queue left held would keep it waiting 10 s
        assert not c.is_alive()
        with engine.connect() as c4:
            rows = [r[0] for r in c4.execute(text("SELECT who FROM t ORDER BY rowid"))]
        assert rows == ["a", "b", "c", "d"]
    finally:
        WRITE_EXPECTED.reset(token)
        engine.dispose()
