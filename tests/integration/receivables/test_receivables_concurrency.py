"""PostgreSQL, committed for real: concurrent attempts on one part — exactly one wins, the others
fail cleanly with a 409 problem, and the log stays consistent (no double spend, no fork)."""

from __future__ import annotations

import base64
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from tests.integration.receivables.receivables_world import FACE, make_world, settlement

from puhui.core import auth
from puhui.core.clock import FixedClock
from puhui.core.config import Settings
from puhui.core.crypto import FieldCipher
from puhui.core.db import make_session_factory, unit_of_work
from puhui.core.errors import DomainError
from puhui.core.models import Role
from puhui.core.runtime import build_runtime
from puhui.ledger import service as ledger_service
from puhui.receivables import service
from puhui.receivables.errors import ReceivablesError
from puhui.receivables.models import LogEntry, PartRow

CIPHER = FieldCipher.from_master(b"k" * 32)  # the test data key (tests/conftest.py)
N = 20


def _clock() -> FixedClock:
    # the fixture's instant: committed statements never run ahead of the other tests' clocks
    return FixedClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))


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


def _collect(
    factory: Any, fn: Callable[[Any, int], Any]
) -> tuple[list[Any], list[tuple[int, str]]]:
    ok: list[Any] = []
    refused: list[tuple[int, str]] = []
    lock = threading.Lock()

    def work(i: int) -> None:
        try:
            with unit_of_work(factory) as s:
                out = fn(s, i)
            with lock:
                ok.append(out)
        except (ReceivablesError, DomainError) as exc:
            with lock:
                refused.append((exc.status, exc.code))

    _race(N, work)
    return ok, refused


def test_twenty_concurrent_finance_attempts_one_wins(pg_engine: Engine) -> None:
    clock = _clock()
    factory = make_session_factory(pg_engine)
    with unit_of_work(factory) as s:
        world = make_world(s, clock, CIPHER)
        cert = world.active(FACE)
        t1 = world.t1
    with factory() as s:
        t1_before = settlement(s, t1)

    ok, refused = _collect(
        factory,
        lambda s, i: service.finance(s, clock, CIPHER, None, cert, idempotency_key=f"{cert}-{i}"),
    )
    assert len(ok) == 1, refused
    assert len(refused) == N - 1
    assert {status for status, _ in refused} == {409}
    assert {code for _, code in refused} == {"receivables.double_spend"}
    with factory() as s:
        price = ok[0].operations[1].statement["price_fen"]
        assert settlement(s, t1) - t1_before == price  # paid exactly once
        ops = s.scalars(select(LogEntry.op).where(LogEntry.cert == cert).order_by(LogEntry.seq))
        assert list(ops) == ["issue", "accept", "transfer", "finance"]
        assert s.scalar(select(func.count()).where(PartRow.cert == cert)) == 2
        check = service.check_log(s)
        assert check.ok, check.problems
        assert ledger_service.verify_cached_balances(s) == []


def test_twenty_concurrent_transfers_then_accepts_one_wins_each(pg_engine: Engine) -> None:
    clock = _clock()
    factory = make_session_factory(pg_engine)
    with unit_of_work(factory) as s:
        world = make_world(s, clock, CIPHER)
        cert = world.active(FACE)
        receivers = [world.t2.id, world.t2b.id]

    ok, refused = _collect(
        factory, lambda s, i: service.transfer(s, clock, CIPHER, None, cert, receivers[i % 2])
    )
    assert len(ok) == 1 and len(refused) == N - 1
    assert set(refused) == {(409, "receivables.part_status_invalid")}

    ok, refused = _collect(
        factory, lambda s, i: service.accept_transfer(s, clock, CIPHER, None, cert)
    )
    assert len(ok) == 1 and len(refused) == N - 1
    assert set(refused) == {(409, "receivables.double_spend")}

    # transfers and financings of the new part racing each other: still one winner
    new_part = f"{cert}-1"

    def mixed(s: Any, i: int) -> Any:
        if i % 2:
            return service.finance(s, clock, CIPHER, None, new_part, idempotency_key=f"m{cert}{i}")
        return service.transfer(s, clock, CIPHER, None, new_part, world.t1.id)

    ok, refused = _collect(factory, mixed)
    assert len(ok) == 1 and {status for status, _ in refused} == {409}
    with factory() as s:
        live = s.scalars(select(PartRow).where(PartRow.cert == cert, PartRow.status != "closed"))
        assert sum(p.amount_fen for p in live) == FACE
        seqs = list(s.scalars(select(LogEntry.seq).order_by(LogEntry.seq)))
        assert seqs == list(range(len(seqs)))
        assert service.check_log(s).ok


def test_twenty_concurrent_http_finance_requests(
    pg_engine: Engine, pg_commit_url: str, tmp_path: Path
) -> None:
    clock = _clock()
    factory = make_session_factory(pg_engine)
    with unit_of_work(factory) as s:
        world = make_world(s, clock, CIPHER)
        cert = world.active(FACE)
        user = auth.create_user(
            s,
            clock,
            username=f"t1-{uuid.uuid4().hex[:8]}",
            password="Test-password-1",
            role=Role.BORROWER,
            enterprise_ids=[world.t1.id],
        )
        token, _ = auth.issue_token(s, clock, user, 60)
    settings = Settings(
        database_url=pg_commit_url,
        var_dir=tmp_path,
        data_key=base64.b64encode(b"k" * 32).decode(),
        secret_key="test-secret",
        cookie_secure=True,
    )
    from puhui.app import create_app

    app = create_app(build_runtime(settings, clock=clock, engine=pg_engine))
    statuses: list[int] = []
    bodies: list[dict[str, Any]] = []
    lock = threading.Lock()
    with TestClient(app, base_url="https://testserver") as client:

        def work(i: int) -> None:
            r = client.post(
                f"/api/v1/receivables/parts/{cert}/finance",
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"h{cert}{i}"},
            )
            with lock:
                statuses.append(r.status_code)
                bodies.append(r.json())

        _race(N, work)
    assert sorted(statuses) == [200] + [409] * (N - 1)
    problems = [b for b in bodies if b.get("status") == 409]
    assert {p["code"] for p in problems} == {"receivables.double_spend"}
    assert all("已被使用" in p["detail"] for p in problems)
    with factory() as s:
        assert service.check_log(s).ok
