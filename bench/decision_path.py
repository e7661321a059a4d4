"""One credit decision in-process (no HTTP): time and SQL statements per decision.

    uv run python bench/decision_path.py                 # 300 decisions after 30 warm-up ones
    uv run python bench/decision_path.py --decisions 1000

A throwaway PostgreSQL cluster, the same setup as bench/decision.py (seed policy, baseline
scorecard, a sandbox world of 2,000 enterprises registered in parties, a customer manager,
applications through 30 team QR codes in turn), then `decisioning.service.apply` called in a
loop on one thread, each in its own unit of work with the customer manager's token checked
first — what a request does minus HTTP. Prints the mean time,
the CPU time of this process per decision (time.process_time: Python, no PostgreSQL), the
statements per decision (counted with a `before_cursor_execute` listener, by kind and table)
and, as the last line, one JSON object.
"""

import argparse
import collections
import json
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from _support import ROOT, create_database, pct

sys.path.insert(0, str(ROOT))  # tests.support.pgcluster


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--world", type=int, default=2000)
    args = parser.parse_args()

    from decision import _setup
    from sqlalchemy import event
    from tests.support.pgcluster import start_cluster

    from puhui.core import audit, auth
    from puhui.core.config import Settings
    from puhui.core.db import unit_of_work
    from puhui.core.runtime import build_runtime
    from puhui.datahub.connectors import Connectors, SandboxConnector
    from puhui.datahub.sandbox import default_provider
    from puhui.decisioning import service
    from puhui.decisioning.schemas import ApplicationCreate
    from puhui.decisioning.scoring import store_for

    cluster = start_cluster()
    var_dir = Path(tempfile.mkdtemp(prefix="puhui-bench-"))
    try:
        url = create_database(cluster.url, "puhui_bench")
        token, usccs = _setup(url, args.world, 20261123, var_dir)
        rt = build_runtime(Settings(database_url=url, var_dir=var_dir))
        env = service.DecisionEnv(
            connectors=Connectors(default=SandboxConnector(default_provider(args.world, 20261123))),
            cipher=rt.cipher,
            models=store_for(var_dir / "models"),
        )
        statements: collections.Counter[str] = collections.Counter()

        @event.listens_for(rt.engine, "before_cursor_execute")
        def _count(_conn, _cursor, statement, *_rest) -> None:  # type: ignore[no-untyped-def]
            words = statement.split()
            marker = {"SELECT": "FROM", "INSERT": "INTO", "UPDATE": "UPDATE"}.get(words[0].upper())
            at = words.index(marker) + 1 if marker in words else len(words)
            table = words[at] if at < len(words) else "(no table)"
            statements[f"{words[0].upper()} {table}"] += 1

        def decide(i: int) -> float:
            started = time.perf_counter()
            with unit_of_work(rt.session_factory) as session:
                audit.set_clock(session, rt.clock)
                principal = auth.principal_for_token(session, rt.clock, token)
                assert principal is not None
                audit.set_actor(
                    session,
                    audit.Actor(principal.user_id, principal.username, principal.role.value, None),
                )
                data = ApplicationCreate.model_validate(
                    {
                        "uscc": usccs[i % len(usccs)],
                        "product_code": "weiyedai",
                        "requested_amount_fen": 50_000_000,
                        "consent": {"agree": True},
                        "attribution": {"team_code": f"BENCH-{i % 30:03d}"},
                    }
                )
                out = service.apply(
                    session, rt.clock, env, principal, data, idempotency_key=str(uuid.uuid4())
                )
                out.model_dump_json()
            return time.perf_counter() - started

        for i in range(args.warmup):
            decide(i)
        statements.clear()
        cpu_started = time.process_time()
        times = [decide(args.warmup + i) for i in range(args.decisions)]
        cpu_ms = (time.process_time() - cpu_started) / args.decisions * 1000
        rt.engine.dispose()
    finally:
        cluster.stop()
        shutil.rmtree(var_dir, ignore_errors=True)

    n = args.decisions
    per_decision = sum(statements.values()) / n
    mean_ms = statistics.fmean(times) * 1000
    print(f"{n} decisions in-process: mean {mean_ms:.2f} ms, p50 {pct(times, 0.5) * 1000:.2f} ms")
    print(f"CPU of this process per decision: {cpu_ms:.2f} ms (the rest of the time: PostgreSQL)")
    print(f"SQL statements per decision: {per_decision:.1f}")
    for name, count in statements.most_common():
        print(f"  {count / n:5.2f}  {name}")
    print(
        json.dumps(
            {
                "bench": "decision_path",
                "decisions": n,
                "mean_ms": round(mean_ms, 2),
                "p50_ms": round(pct(times, 0.5) * 1000, 2),
                "p99_ms": round(pct(times, 0.99) * 1000, 2),
                "cpu_ms": round(cpu_ms, 2),
                "statements_per_decision": round(per_decision, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
