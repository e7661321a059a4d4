"""Benchmark of the receivables chain in the database (the service, not the pure module).

    uv run python bench/receivables_db.py --quick            # SQLite only, seconds
    uv run python bench/receivables_db.py --pg               # + a throwaway PostgreSQL cluster
    uv run python bench/receivables_db.py --pg-url postgresql+psycopg://...  --certs 500

Figures, per database:

1. operations through the service, one committed transaction each (custodial signature, pure
   rules, Merkle append, state rows, ledger for finance): ops/s and latency percentiles;
2. (PostgreSQL) the same with 8 threads on different certificates: appends are serialized by
   the log head lock, so this shows the lock's cost, not parallel speed-up;
3. inclusion and consistency proofs served from the node table at the size reached, and
   from a tree of ``--tree-leaves`` leaves (nodes only, written in bulk);
4. export of the log and its independent verification.

Prints its figures, then one JSON line with all of them.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine
from tests.integration.receivables.receivables_world import World, make_world

from puhui.core.clock import FixedClock
from puhui.core.crypto import FieldCipher
from puhui.core.db import make_engine, make_session_factory, unit_of_work
from puhui.core.migrate import upgrade
from puhui.receivables import merkle, service
from puhui.receivables.models import LogHead
from puhui.receivables.store import SqlNodeStore
from puhui.receivables.verifier import verify

CIPHER = FieldCipher.from_master(b"b" * 32)
FACE = 10_000_000


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 2)


def _timed(factory: Any, fn: Any, latencies: list[float]) -> Any:
    started = time.perf_counter()
    with unit_of_work(factory) as s:
        out = fn(s)
    latencies.append(time.perf_counter() - started)
    return out


def bench_ops(engine: Engine, certs: int) -> dict[str, Any]:
    """issue, accept, split, transfer, accept_transfer, finance per certificate: 7 leaves."""
    clock = FixedClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    factory = make_session_factory(engine)
    with unit_of_work(factory) as s:
        world = make_world(s, clock, CIPHER, limit=certs * FACE * 2, core_cash=0)
        ids = (world.core.id, world.t1.id, world.t2.id)
    lat: list[float] = []
    started = time.perf_counter()
    for _ in range(certs):

        def issue(s: Any) -> str:
            core, t1, t2 = _ents(s, ids)
            return World(s, clock, CIPHER, core, t1, t2, t2).issue(FACE).certificate.id  # type: ignore[union-attr]

        cert = _timed(factory, issue, lat)
        _timed(factory, lambda s, c=cert: service.accept(s, clock, CIPHER, None, c), lat)
        _timed(
            factory,
            lambda s, c=cert: service.split(s, clock, CIPHER, None, c, [FACE // 2] * 2),
            lat,
        )
        _timed(
            factory,
            lambda s, c=cert: service.transfer(s, clock, CIPHER, None, f"{c}-1", ids[2]),
            lat,
        )
        _timed(
            factory,
            lambda s, c=cert: service.accept_transfer(s, clock, CIPHER, None, f"{c}-1"),
            lat,
        )
        _timed(
            factory,
            lambda s, c=cert: service.finance(
                s, clock, CIPHER, None, f"{c}-2", idempotency_key=f"b-{c}"
            ),
            lat,
        )
    elapsed = time.perf_counter() - started
    return {
        "operations": len(lat),
        "leaves": certs * 7,
        "ops_per_s": round(len(lat) / elapsed),
        "leaves_per_s": round(certs * 7 / elapsed),
        "p50_ms": _pct(lat, 0.5),
        "p95_ms": _pct(lat, 0.95),
        "p99_ms": _pct(lat, 0.99),
    }


def _ents(s: Any, ids: tuple[Any, ...]) -> list[Any]:
    from puhui.parties.models import Enterprise

    return [s.get(Enterprise, i) for i in ids]


def bench_threads(engine: Engine, threads: int, per_thread: int) -> dict[str, Any]:
    clock = FixedClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    factory = make_session_factory(engine)
    certs: list[str] = []
    with unit_of_work(factory) as s:
        world = make_world(s, clock, CIPHER, limit=threads * per_thread * FACE * 2, core_cash=0)
        for _ in range(threads * per_thread):
            certs.append(world.active(FACE))
        t2 = world.t2.id
    lat: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads)

    def work(k: int) -> None:
        mine: list[float] = []
        barrier.wait()
        for c in certs[k * per_thread : (k + 1) * per_thread]:
            _timed(factory, lambda s, c=c: service.transfer(s, clock, CIPHER, None, c, t2), mine)
        with lock:
            lat.extend(mine)

    started = time.perf_counter()
    pool = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    return {
        "threads": threads,
        "operations": len(lat),
        "ops_per_s": round(len(lat) / elapsed),
        "p50_ms": _pct(lat, 0.5),
        "p99_ms": _pct(lat, 0.99),
    }


def bench_proofs(engine: Engine, count: int) -> dict[str, Any]:
    factory = make_session_factory(engine)
    rnd = random.Random(7)
    with factory() as s:
        size = s.get(LogHead, 1).size  # type: ignore[union-attr]
        tree = merkle.MerkleLog(SqlNodeStore(s, size))
        root = tree.root()
        started = time.perf_counter()
        for _ in range(count):
            i = rnd.randrange(size)
            proof = service.inclusion_proof(s, None, i, size)
            assert merkle.verify_inclusion(
                proof.entry.encode(), i, size, [bytes.fromhex(p) for p in proof.proof], root
            )
        inc = (time.perf_counter() - started) / count
        started = time.perf_counter()
        for _ in range(count):
            old = rnd.randrange(1, size)
            service.consistency_proof(s, old, size)
        cons = (time.perf_counter() - started) / count
    return {
        "size": size,
        "inclusion_ms": round(inc * 1000, 3),
        "consistency_ms": round(cons * 1000, 3),
    }


def bench_big_tree(url: str, leaves: int, count: int) -> dict[str, Any]:
    """Node-table proofs at scale: a tree of ``leaves`` random leaf hashes (no entries)."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    rnd = random.Random(11)
    started = time.perf_counter()
    with unit_of_work(factory) as s:
        # a separate log: level offset 1000 keeps these nodes apart from the real tree's
        store = _OffsetStore(s, 1000)
        tree = merkle.MerkleLog(store)
        batch = 20_000
        for start in range(0, leaves, batch):
            tree.extend_leaf_hashes(rnd.randbytes(32) for _ in range(min(batch, leaves - start)))
        root = tree.root()
    fill_s = time.perf_counter() - started
    with factory() as s:
        tree = merkle.MerkleLog(_OffsetStore(s, 1000, leaves))
        started = time.perf_counter()
        for _ in range(count):
            i = rnd.randrange(leaves)
            proof = tree.inclusion_proof(i)
            leaf = tree.leaf_hash_at(i)
            assert merkle.verify_inclusion_hash(leaf, i, leaves, proof, root)
        inc = (time.perf_counter() - started) / count
        started = time.perf_counter()
        for _ in range(count):
            tree.consistency_proof(rnd.randrange(1, leaves), leaves)
        cons = (time.perf_counter() - started) / count
    engine.dispose()
    return {
        "leaves": leaves,
        "fill_s": round(fill_s, 1),
        "inclusion_ms": round(inc * 1000, 3),
        "consistency_ms": round(cons * 1000, 3),
    }


class _OffsetStore(SqlNodeStore):
    """The node table with levels shifted, for a benchmark tree beside the real one."""

    __slots__ = ("offset",)

    def __init__(self, session: Any, offset: int, size: int | None = 0) -> None:
        super().__init__(session, size)
        self.offset = offset

    def get_nodes(self, coords: Any) -> list[bytes]:
        return super().get_nodes([(lv + self.offset, ix) for lv, ix in coords])

    def put_nodes(self, nodes: Any) -> None:
        super().put_nodes([(lv + self.offset, ix, h) for lv, ix, h in nodes])


def bench_export(engine: Engine) -> dict[str, Any]:
    clock = FixedClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    factory = make_session_factory(engine)
    directory = Path(tempfile.mkdtemp(prefix="puhui-rcv-db-"))
    try:
        with unit_of_work(factory) as s:
            service.publish_checkpoint(s, clock, CIPHER)
        started = time.perf_counter()
        with factory() as s:
            out = service.export_log(s, directory)
        export_s = time.perf_counter() - started
        report = verify(directory)
        with factory() as s:
            started = time.perf_counter()
            check = service.check_log(s)
            check_s = time.perf_counter() - started
        return {
            "entries": out.entries,
            "export_s": round(export_s, 2),
            "verify_s": round(report.elapsed_s, 2),
            "verified": report.ok,
            "check_log_s": round(check_s, 2),
            "check_log_ok": check.ok,
        }
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def run(name: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    upgrade(url)
    engine = make_engine(url)
    out: dict[str, Any] = {}
    print(f"\n== {name}")
    out["ops"] = bench_ops(engine, args.certs)
    o = out["ops"]
    print(
        f"1. {o['operations']:,} operations, one transaction each: {o['ops_per_s']:,} ops/s; "
        f"p50 {o['p50_ms']} ms, p95 {o['p95_ms']} ms, p99 {o['p99_ms']} ms"
    )
    if name == "postgresql":
        out["threads"] = bench_threads(engine, 8, max(args.certs // 8, 5))
        t = out["threads"]
        print(
            f"2. {t['threads']} threads, {t['operations']:,} transfers: {t['ops_per_s']:,} ops/s; "
            f"p50 {t['p50_ms']} ms, p99 {t['p99_ms']} ms (appends serialized by the head lock)"
        )
    out["proofs"] = bench_proofs(engine, args.proofs)
    p = out["proofs"]
    print(
        f"3. proofs at {p['size']:,} leaves: inclusion {p['inclusion_ms']} ms, "
        f"consistency {p['consistency_ms']} ms (service call, database round trips included)"
    )
    engine.dispose()
    out["big_tree"] = bench_big_tree(url, args.tree_leaves, args.proofs)
    b = out["big_tree"]
    print(
        f"   node table of {b['leaves']:,} leaves (filled in {b['fill_s']} s): inclusion "
        f"{b['inclusion_ms']} ms, consistency {b['consistency_ms']} ms"
    )
    engine = make_engine(url)
    out["export"] = bench_export(engine)
    e = out["export"]
    print(
        f"4. export of {e['entries']:,} entries {e['export_s']} s; independent verification "
        f"{e['verify_s']} s ({'OK' if e['verified'] else 'FAILED'}); check_log {e['check_log_s']} s"
    )
    engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--certs", type=int, default=300, help="certificates (7 leaves each)")
    parser.add_argument("--tree-leaves", type=int, default=200_000)
    parser.add_argument("--proofs", type=int, default=500)
    parser.add_argument("--quick", action="store_true", help="60 certificates, 20,000-leaf tree")
    parser.add_argument("--pg", action="store_true", help="also on a throwaway PostgreSQL")
    parser.add_argument("--pg-url", default=os.environ.get("PUHUI_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    if args.quick:
        args.certs, args.tree_leaves, args.proofs = 60, 20_000, 200
    figures: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "load_avg_1m_at_start": round(os.getloadavg()[0], 2),
        "certs": args.certs,
    }
    tmp = Path(tempfile.mkdtemp(prefix="puhui-rcv-sqlite-"))
    os.environ.setdefault("PUHUI_DATA_KEY", base64.b64encode(b"b" * 32).decode())
    try:
        figures["sqlite"] = run("sqlite", f"sqlite:///{tmp / 'bench.db'}", args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    cluster = None
    url = args.pg_url
    if args.pg and not url:
        from tests.support.pgcluster import start_cluster

        cluster = start_cluster()
        url = cluster.url
    try:
        if url:
            from sqlalchemy import text as sql_text

            admin = make_engine(url, isolation_level="AUTOCOMMIT", pool_size=1, max_overflow=0)
            name = f"puhui_bench_{os.getpid()}"
            with admin.connect() as conn:
                conn.execute(sql_text(f'CREATE DATABASE "{name}"'))
            try:
                figures["postgresql"] = run("postgresql", url.rsplit("/", 1)[0] + "/" + name, args)
            finally:
                with admin.connect() as conn:
                    conn.execute(sql_text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
    finally:
        if cluster is not None:
            cluster.stop()
    print(json.dumps(figures, ensure_ascii=False, sort_keys=True))


if __name__ == "__main__":
    main()
