"""Benchmark of the automated credit decision (闪电贷) over HTTP, against its floor.

    uv run python bench/decision.py                      # 3,000 decisions, 16 in flight
    uv run python bench/decision.py --quick              # 400 decisions
    uv run python bench/decision.py --requests 5000 --concurrency 24 --workers 2 --units 2

What runs: a throwaway PostgreSQL cluster (tests/support/pgcluster.py), the migrations, a real
uvicorn server (`--workers` processes) on loopback with the sandbox data hub (a synthetic world of
`--world` enterprises, registered in parties with their legal representatives), the seed policy
and the baseline scorecard. An httpx async client fires `--requests` applications (bounded by
`--seconds` too), `--concurrency` at a time, each a full decision: consents granted, seven sources
plus the legal representative's bureau report pulled through the hub (snapshots stored), features,
score, policy, decision stored with its lineage, and on approval the credit line offer. The
applications come from one customer manager through `--teams` team QR codes in turn (one channel
taking every application would make its burst count read thousands of rows per decision, a load
no bank sees). After the warm-up the bench runs ANALYZE (`--no-analyze` skips it; see `_analyze`).

The floor is a bench-only endpoint of the same stack (same app, same route class with its unit of
work, same bearer-token guard) that inserts one row and commits. It exists only in the app this
bench builds (`create_bench_app`), never in `puhui.app`.

Prints p50 / p99 latency and throughput for both, the server-side decision latency recorded in
each decision, the outcome mix, and as the last line one JSON object. Goals on 2 cores: decision
p99 <= 50 ms, >= 300 decisions/s, decision <= 3x the floor.
"""

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from _support import ROOT, create_database, free_port, pct, start_server, stop_server, wait_up

sys.path.insert(0, str(ROOT))  # tests.support.pgcluster
BENCH_PASSWORD = "Bench-password-1"


# --------------------------------------------------------------------------- the server side


def create_bench_app() -> Any:
    """The Puhui app plus the floor endpoint, with the sandbox world of BENCH_WORLD_SIZE firms."""
    from typing import Annotated

    from fastapi import APIRouter, Depends

    from puhui.app import create_app
    from puhui.core.auth import Principal, require
    from puhui.core.ids import new_id
    from puhui.core.models import IdempotencyRecord, Role
    from puhui.core.web import DB, ClockDep, UnitOfWorkRoute
    from puhui.datahub.connectors import Connectors, SandboxConnector
    from puhui.datahub.sandbox import default_provider

    size = int(os.environ.get("BENCH_WORLD_SIZE", "2000"))
    seed = int(os.environ.get("BENCH_WORLD_SEED", "20261123"))
    app = create_app()
    provider = default_provider(size, seed)
    app.state.datahub_connectors = Connectors(default=SandboxConnector(provider))

    floor = APIRouter(prefix="/bench", route_class=UnitOfWorkRoute, tags=["bench"])

    @floor.post("/floor", status_code=201)
    def floor_insert(
        db: DB,
        clock: ClockDep,
        _: Annotated[Principal, Depends(require(Role.CUSTOMER_MANAGER))],
    ) -> dict[str, str]:
        """Bench only: one row inserted, one commit (the unit of work of the route)."""
        row_id = new_id()
        db.add(
            IdempotencyRecord(
                id=row_id,
                scope="bench.floor",
                key=str(row_id),
                request_hash="0" * 64,
                response={},
                created_at=clock.now(),
            )
        )
        return {"id": str(row_id)}

    app.include_router(floor)
    return app


def _serve(port: int, workers: int) -> None:
    from puhui.core.serving import serve

    serve(
        "decision:create_bench_app",
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )


# --------------------------------------------------------------------------- setup


def _setup(url: str, size: int, seed: int, var_dir: Path) -> tuple[str, list[str]]:
    """Migrations, the seed policy, a customer manager (token), the world's firms in parties."""
    from puhui.core import audit, auth
    from puhui.core.config import Settings
    from puhui.core.db import unit_of_work
    from puhui.core.migrate import upgrade
    from puhui.core.models import Role
    from puhui.core.runtime import build_runtime
    from puhui.datahub.identity_world import WorldDirectory
    from puhui.datahub.sandbox import default_provider
    from puhui.decisioning import service
    from puhui.identity import service as identity_service
    from puhui.identity.adapters import SandboxIdentityProvider
    from puhui.lending import service as lending_service
    from puhui.parties import service as parties_service
    from puhui.parties.models import RelationKind
    from puhui.parties.schemas import EnterpriseCreate, PersonCreate, RelationshipCreate

    upgrade(url)
    rt = build_runtime(Settings(database_url=url, var_dir=var_dir))
    world = default_provider(size, seed).world
    verifier = SandboxIdentityProvider(
        WorldDirectory(
            world.people["name"].to_list(),
            world.people["resident_id"].to_list(),
            world.people["mobile"].to_list(),
        )
    )
    usccs: list[str] = []
    with unit_of_work(rt.session_factory) as session:
        audit.set_clock(session, rt.clock)
        service.ensure_seed_policy(session, rt.clock)
        lending_service.ensure_default_products(session, rt.clock)
        user = auth.create_user(
            session, rt.clock, username="bench-cm", password=BENCH_PASSWORD,
            role=Role.CUSTOMER_MANAGER,
        )  # fmt: skip
        token, _ = auth.issue_token(session, rt.clock, user, 24 * 60)
        people: dict[int, Any] = {}
        ents = world.enterprises
        for i in range(world.n_enterprises):
            row = ents.row(i, named=True)
            if row["size_class"] == "large" or row["status"] != "active":
                continue
            enterprise = parties_service.create_enterprise(
                session,
                rt.clock,
                EnterpriseCreate(
                    name=row["name"],
                    uscc=row["uscc"],
                    industry_section=row["industry"],
                    region_code=f"{row['region_code']:06d}",
                    region_name=row["region_name"],
                    registered_capital_fen=row["registered_capital_fen"],
                    established_date=row["established_date"],
                    size_class=row["size_class"],
                ),
            )
            pid = int(row["legal_rep_person_id"])
            if pid not in people:
                rep = world.people.row(pid, named=True)
                people[pid] = parties_service.create_person(
                    session,
                    rt.clock,
                    rt.cipher,
                    PersonCreate(
                        name=rep["name"], resident_id=rep["resident_id"], mobile=rep["mobile"]
                    ),
                )
                # the representative passed three-factor verification (sandbox provider)
                identity_service.verify_three_factor(
                    session,
                    rt.clock,
                    rt.cipher,
                    verifier,
                    name=rep["name"],
                    resident_id=rep["resident_id"],
                    mobile=rep["mobile"],
                )
            parties_service.add_relationship(
                session,
                rt.clock,
                enterprise.id,
                RelationshipCreate(
                    kind=RelationKind.LEGAL_REPRESENTATIVE, person_id=people[pid].id
                ),
            )
            usccs.append(row["uscc"])
    rt.engine.dispose()
    return token, usccs


# --------------------------------------------------------------------------- load


async def _fire(
    base: str,
    path: str,
    token: str,
    bodies: list[dict[str, Any] | None],
    concurrency: int,
    seconds: float,
) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    outcomes: dict[str, int] = {}
    queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    deadline = time.perf_counter() + seconds
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(client: httpx.AsyncClient) -> None:
        while time.perf_counter() < deadline:
            try:
                body = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            h = {**headers, "Idempotency-Key": str(uuid.uuid4())}
            t0 = time.perf_counter()
            resp = await client.post(path, json=body or {}, headers=h)
            latencies.append(time.perf_counter() - t0)
            statuses[resp.status_code] = statuses.get(resp.status_code, 0) + 1
            if resp.status_code == 201 and body is not None:
                outcome = resp.json().get("status", "?")
                outcomes[outcome] = outcomes.get(outcome, 0) + 1

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        wall = time.perf_counter() - started
    ok = statuses.get(201, 0)
    return {
        "requests": len(latencies),
        "ok": ok,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "outcomes": outcomes,
        "wall_s": round(wall, 3),
        "per_second": round(ok / wall, 1) if wall else 0.0,
        "p50_ms": round(pct(latencies, 0.50) * 1000, 2),
        "p90_ms": round(pct(latencies, 0.90) * 1000, 2),
        "p99_ms": round(pct(latencies, 0.99) * 1000, 2),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2) if latencies else 0.0,
    }


def _analyze(url: str) -> None:
    """ANALYZE, as autovacuum does within its first minute on a live database. The server's
    connections keep each statement's plan once prepared (psycopg prepares after 5 runs); made
    during the warm-up on tables without statistics, the snapshot-reuse query's plan was a
    sequential scan (1.5 ms instead of 0.1 ms in PostgreSQL). ANALYZE invalidates those plans."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


def _server_latency(url: str) -> dict[str, float]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql+psycopg", "postgresql+psycopg"))
    with engine.connect() as conn:
        rows = [r[0] for r in conn.execute(text("SELECT latency_ms FROM decisioning_decision"))]
    engine.dispose()
    return {
        "p50_ms": pct([float(r) for r in rows], 0.5),
        "p99_ms": pct([float(r) for r in rows], 0.99),
        "n": len(rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=120.0, help="time bound of each phase")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument(
        "--units",
        type=int,
        default=1,
        help="PUHUI_UNITS_OF_WORK of each worker (0: the default, 4/5 of its thread pool). With "
        "the in-process sandbox hub a decision is CPU-bound: one unit per worker process (one "
        "process per core) beat two by 10-20 %% in decisions/s (a second thread only contends "
        "for the GIL), while the floor, which mostly waits on PostgreSQL, does better with two",
    )
    parser.add_argument("--world", type=int, default=2000, help="enterprises in the sandbox")
    parser.add_argument("--amount-fen", type=int, default=50_000_000)
    parser.add_argument(
        "--teams",
        type=int,
        default=30,
        help="applications come through this many team QR codes (channels), in turn; the "
        "anti-fraud burst count reads every application of the channel in the last 3 hours",
    )
    parser.add_argument(
        "--no-analyze",
        action="store_true",
        help="skip ANALYZE after the warm-up (plans then rest on a database without statistics)",
    )
    parser.add_argument("--quick", action="store_true", help="400 decisions")
    parser.add_argument("--serve", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.serve, args.workers)
        return
    if args.quick:
        args.requests, args.warmup = 400, 50

    import tempfile

    from tests.support.pgcluster import start_cluster

    load_before = os.getloadavg()[0]
    cluster = start_cluster()
    server: subprocess.Popen[bytes] | None = None
    var_dir = Path(tempfile.mkdtemp(prefix="puhui-bench-"))
    try:
        url = create_database(cluster.url, "puhui_bench")
        t0 = time.perf_counter()
        token, usccs = _setup(url, args.world, 20261123, var_dir)
        print(f"setup: {len(usccs)} enterprises registered in {time.perf_counter() - t0:.1f} s")

        port = free_port()
        env = {
            **os.environ,
            "PUHUI_DATABASE_URL": url,
            "PUHUI_VAR_DIR": str(var_dir),
            "PUHUI_SECRET_KEY": "bench",
            "PUHUI_API_RATE_PER_SECOND": "0",  # one client measuring throughput, not a flood
            "BENCH_WORLD_SIZE": str(args.world),
            "BENCH_WORLD_SEED": "20261123",
            "PUHUI_UNITS_OF_WORK": str(args.units),
        }
        server = start_server(
            [sys.executable, __file__, "--serve", str(port), "--workers", str(args.workers)],
            env,
        )
        base = f"http://127.0.0.1:{port}"
        wait_up(base, proc=server)

        def bodies(n: int, offset: int) -> list[dict[str, Any] | None]:
            return [
                {
                    "uscc": usccs[(offset + i) % len(usccs)],
                    "product_code": "weiyedai",
                    "requested_amount_fen": args.amount_fen,
                    "consent": {"agree": True},
                    "attribution": {"team_code": f"BENCH-{(offset + i) % args.teams:03d}"},
                }
                for i in range(n)
            ]

        warm = asyncio.run(
            _fire(base, "/api/v1/applications", token, bodies(args.warmup, 0), 4, args.seconds)
        )
        print(f"warm-up: {warm['ok']} decisions, statuses {warm['statuses']}")
        if not args.no_analyze:
            _analyze(url)
        decision = asyncio.run(
            _fire(
                base,
                "/api/v1/applications",
                token,
                bodies(args.requests, args.warmup),
                args.concurrency,
                args.seconds,
            )
        )
        asyncio.run(_fire(base, "/bench/floor", token, [None] * args.warmup, 4, args.seconds))
        floor = asyncio.run(
            _fire(
                base, "/bench/floor", token, [None] * args.requests, args.concurrency, args.seconds
            )
        )
        inside = _server_latency(url)
    finally:
        stop_server(server)
        cluster.stop()
        shutil.rmtree(var_dir, ignore_errors=True)

    ratio_p50 = decision["p50_ms"] / floor["p50_ms"] if floor["p50_ms"] else float("nan")
    ratio_rate = floor["per_second"] / decision["per_second"] if decision["per_second"] else 0.0
    print(
        f"decision: {decision['ok']} ok of {decision['requests']} in {decision['wall_s']} s, "
        f"{decision['per_second']}/s, p50 {decision['p50_ms']} ms, p99 {decision['p99_ms']} ms "
        f"(statuses {decision['statuses']}, outcomes {decision['outcomes']})"
    )
    print(
        f"floor:    {floor['ok']} ok of {floor['requests']} in {floor['wall_s']} s, "
        f"{floor['per_second']}/s, p50 {floor['p50_ms']} ms, p99 {floor['p99_ms']} ms"
    )
    print(
        f"decision / floor: p50 x{ratio_p50:.2f}, throughput x{ratio_rate:.2f}; "
        f"latency recorded in the decisions (server side): p50 {inside['p50_ms']} ms, "
        f"p99 {inside['p99_ms']} ms"
    )
    print(
        f"load average before the run: {load_before:.2f}; cpus {os.cpu_count()}; "
        f"{args.workers} workers x {args.units or 'default'} units of work, "
        f"{args.concurrency} requests in flight, {args.teams} channels"
        + (", no ANALYZE" if args.no_analyze else "")
    )
    print(
        json.dumps(
            {
                "bench": "decision",
                "workers": args.workers,
                "units_of_work": args.units,
                "concurrency": args.concurrency,
                "world": args.world,
                "teams": args.teams,
                "analyzed": not args.no_analyze,
                "decision": decision,
                "floor": floor,
                "decision_over_floor_p50": round(ratio_p50, 2),
                "floor_over_decision_throughput": round(ratio_rate, 2),
                "server_side_latency_ms": inside,
                "cpus": os.cpu_count(),
                "load_before": round(load_before, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
