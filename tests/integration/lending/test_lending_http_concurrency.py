"""Concurrent drawdowns at one line over HTTP, on PostgreSQL, committed for real.

Regression: more requests than the server's worker threads, all waiting in their threads for the
line's row lock, used to leave the lock holder no thread to COMMIT on: the server hung (until a
lock timeout, if any, failed the waiters with 500s). bench/drawdown.py with one uvicorn worker
and 50 concurrent drawdowns found it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio.to_thread
import httpx
from sqlalchemy import func, select
from tests.conftest import TEST_KEY
from tests.integration.lending.lending_factories import make_enterprise, make_line

from puhui.app import create_app
from puhui.core import audit, auth
from puhui.core.clock import FixedClock
from puhui.core.config import Settings
from puhui.core.db import make_engine, make_session_factory, unit_of_work
from puhui.core.models import Role
from puhui.core.runtime import build_runtime
from puhui.lending.models import CreditLine, Drawdown, DrawdownStatus

AMOUNT = 1_000_000
REQUESTS = 16
THREADS = 4  # the default thread pool of the event loop, far below the requests in flight


def test_drawdowns_beyond_the_thread_pool_neither_hang_nor_fail(
    pg_commit_url: str, tmp_path: Path
) -> None:
    clock = FixedClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    # a lock wait that never ends shows up as 500s after 5 s instead of hanging the test
    engine = make_engine(pg_commit_url, connect_args={"options": "-c lock_timeout=5000"})
    factory = make_session_factory(engine)
    with unit_of_work(factory) as s:
        audit.set_clock(s, clock)
        ent = make_enterprise(s, clock, f"线程池测试{uuid.uuid4().hex[:6]}有限公司")
        line = make_line(s, clock, ent.id, limit_fen=10 * AMOUNT + AMOUNT // 2)
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
        database_url=pg_commit_url, var_dir=tmp_path, data_key=TEST_KEY, secret_key="test-secret"
    )
    app = create_app(build_runtime(settings, clock=clock, engine=engine))

    async def fire() -> list[Any]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as c:
            calls = [
                c.post(
                    f"/api/v1/credit-lines/{line_id}/drawdowns",
                    json={"amount_fen": AMOUNT},
                    headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"t-{i}"},
                )
                for i in range(REQUESTS)
            ]
            return await asyncio.gather(*calls, return_exceptions=True)

    try:
        # a loop of its own, on its own thread: another test of this worker process (the
        # browser tests' sync Playwright) may leave an event loop set in the main thread
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            answers = pool.submit(asyncio.run, asyncio.wait_for(fire(), timeout=60)).result()
        statuses = sorted(
            str(a.status_code) if isinstance(a, httpx.Response) else repr(a) for a in answers
        )
        assert statuses == ["201"] * 10 + ["409"] * 6
        with factory() as s:
            posted = s.scalar(
                select(func.count()).where(
                    Drawdown.line_id == line_id,
                    Drawdown.status == DrawdownStatus.COMPLETED.value,
                )
            )
            used = s.scalar(select(CreditLine.used_fen).where(CreditLine.id == line_id))
        assert posted == 10 and used == 10 * AMOUNT
    finally:
        engine.dispose()
