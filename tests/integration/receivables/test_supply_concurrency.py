"""Committed for real, on SQLite and PostgreSQL: concurrent pledges of one warehouse receipt —
exactly one wins, the others are refused with 409 ``receivables.double_pledge``, and the log
still verifies."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select
from tests.integration.receivables.receivables_world import borrower, make_enterprise, make_world

from puhui.core.clock import FixedClock, business_date
from puhui.core.crypto import FieldCipher
from puhui.core.db import WRITE_EXPECTED, make_session_factory, unit_of_work
from puhui.core.errors import DomainError
from puhui.receivables import service, warehouse
from puhui.receivables.errors import ReceivablesError
from puhui.receivables.models import LogEntry
from puhui.receivables.prices import SandboxPriceFeed
from puhui.receivables.supply_schemas import ReceiptIssue, ReceiptPledge

CIPHER = FieldCipher.from_master(b"k" * 32)  # the test data key (tests/conftest.py)
N = 6


def test_concurrent_pledges_of_one_receipt_exactly_one_wins(engine: Engine) -> None:
    clock = FixedClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    factory = make_session_factory(engine)
    token = WRITE_EXPECTED.set(True)
    try:
        receipt, size = _setup(factory, clock)
    finally:
        WRITE_EXPECTED.reset(token)
    _race(factory, clock, receipt, size)


def _setup(factory: Any, clock: FixedClock) -> tuple[str, int]:
    with unit_of_work(factory) as s:
        world = make_world(s, clock, CIPHER)
        wh = make_enterprise(s, clock, "并发仓储")
        warehouse.register_warehouse(s, clock, CIPHER, wh.id)
        out = warehouse.issue_receipt(
            s,
            clock,
            CIPHER,
            borrower(wh),
            ReceiptIssue(
                warehouse_enterprise_id=wh.id,
                owner_enterprise_id=world.t1.id,
                goods="铝锭 aluminium",
                quantity=50_000,
                unit="kg",
                grade="A",
                location="无锡 1 号库",
                policy="PICC-C",
                policy_expiry=business_date(clock) + timedelta(days=100),
            ),
        )
        assert out.item is not None
        return out.item.id, out.tree_size


def _race(factory: Any, clock: FixedClock, receipt: str, size: int) -> None:
    ok: list[str] = []
    refused: list[tuple[int, str]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(N)

    def work(i: int) -> None:
        WRITE_EXPECTED.set(True)  # a POST's unit of work (SQLite: BEGIN IMMEDIATE)
        barrier.wait()
        try:
            with unit_of_work(factory) as s:
                warehouse.pledge_receipt(
                    s,
                    clock,
                    CIPHER,
                    None,
                    receipt,
                    ReceiptPledge(line_ref=f"CL-{i}", cover_fen=1_000_000),
                    SandboxPriceFeed(),
                    3_000,
                )
            with lock:
                ok.append(f"CL-{i}")
        except (ReceivablesError, DomainError) as exc:
            with lock:
                refused.append((exc.status, exc.code))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ok) == 1, refused
    assert refused == [(409, "receivables.double_pledge")] * (N - 1)
    with factory() as s:
        row = warehouse.supply_ops.get_item(s, None, "receipt", receipt)
        assert row.status == "pledged" and row.parent == ok[0]
        pledges = s.scalar(
            select(func.count()).where(LogEntry.op == "pledge", LogEntry.seq >= size)
        )
        assert pledges == 1
        assert service.check_log(s).ok
