"""Benchmark of the set-based end of day on PostgreSQL.

    uv run python bench/eod.py                    # 1,000,000 loans, a throwaway cluster
    uv run python bench/eod.py --loans 100000 --batch-size 20000 --workers 1
    uv run python bench/eod.py --pg-url postgresql+psycopg://...

Starts a PostgreSQL cluster (tests/support/pgcluster.py), runs the migrations, inserts
``--loans`` active loans set-based (INSERT … SELECT generate_series: 先息后本 微业贷 loans of 3
monthly instalments, next due dates spread over 30 days so ~1/30 fall due on the business date,
2 % overdue from 1 to 400 days so penalty, compound interest, dpd and every class are exercised;
those past 90 days already non-accrual, with their suspense accounts, as in a steady state, and
1/400 of the overdue ones reaching day 90 on the date) with their instalments and ledger
receivable accounts, then times ONE end of day through the job runner (auto-debit, expire lines,
billing, accrual with non-accrual, provisions by class; real commits and checkpoints;
``--workers`` connections per accrual batch, default 2 for the 2 cores) and, as the floor, one
plain
``UPDATE lending_loan SET interest_accrued_fen = interest_accrued_fen + 1 WHERE status =
'active'``. Prints loans per second and the ratio; the last line is one JSON
object. Data shortcut: the loans due on the date carry an accrued interest equal to their
instalment's interest (an actual-days product: the billing true-up is 0, as in production).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from puhui.core import audit
from puhui.core.clock import FixedClock, shanghai_midnight_utc
from puhui.core.db import make_engine, make_session_factory
from puhui.core.migrate import upgrade
from puhui.jobs.runner import run_job
from puhui.lending import eod
from puhui.wiring import wire

DAY = date(2026, 12, 15)
ENTERPRISES = 50


def _setup_parties(url: str, clock: FixedClock) -> list[tuple[str, str]]:
    from tests.integration.lending.lending_factories import make_enterprise, make_line

    engine = make_engine(url)
    out = []
    with make_session_factory(engine)() as session:
        audit.set_clock(session, clock)
        for k in range(ENTERPRISES):
            ent = make_enterprise(session, clock, name=f"基准测试企业{k}有限公司")
            line = make_line(session, clock, ent.id, limit_fen=300_000_000, expiry_days=400)
            out.append((str(ent.id), str(line.id)))
        session.commit()
    engine.dispose()
    return out


def _insert_book(url: str, loans: int, lines: list[tuple[str, str]]) -> float:
    engine = make_engine(url)
    started = time.perf_counter()
    values = ", ".join(f"({k}, '{e}'::uuid, '{ln}'::uuid)" for k, (e, ln) in enumerate(lines))
    d = DAY.isoformat()
    with engine.begin() as conn:
        conn.execute(text("CREATE TEMP TABLE bench_line (k int, ent uuid, line uuid)"))
        conn.execute(text(f"INSERT INTO bench_line VALUES {values}"))
        conn.execute(
            text(
                f"""
            INSERT INTO lending_loan (
              id, reference, line_id, enterprise_id, product_code, status, revolving,
              repayment_method, principal_fen, rate_bp, term_months, day_count, interest_mode,
              grace_days, penalty_markup_bp, compound_interest, start_date, maturity_date,
              principal_outstanding_fen, overdue_principal_fen, overdue_interest_fen,
              interest_accrued_fen, interest_carry, interest_accrued_through,
              interest_deferred_fen, penalty_accrued_fen, penalty_carry, compound_accrued_fen,
              compound_carry, penalty_accrued_through, next_due_date, oldest_unpaid_due_date,
              dpd, classification, last_overdue_date, non_accrual_since, created_at,
              updated_at)
            SELECT gen_random_uuid(), 'BL' || lpad(i::text, 10, '0'), b.line, b.ent,
              'weiyedai', 'active', true, 'interest_first', p, 300 + (i % 13) * 100, 3,
              'ACT/360', 'actual_days', 3, 5000, true,
              nd - interval '1 month', nd + interval '2 months',
              p, CASE WHEN od THEN p / 3 ELSE 0 END, CASE WHEN od THEN 1234 + i % 1000 ELSE 0 END,
              (i % 997) * 31, (i % 7) * 1000, DATE '{d}', 0, 0, 0, 0, 0,
              CASE WHEN od THEN DATE '{d}' - 1 END, nd,
              CASE WHEN od THEN DATE '{d}' - 1 - ((i / 50) % 400) END,
              CASE WHEN od THEN 1 + ((i / 50) % 400) ELSE 0 END, 'normal', NULL,
              CASE WHEN od AND (i / 50) % 400 >= 90
                   THEN DATE '{d}' - 1 - ((i / 50) % 400) + 90 END,
              now(), now()
            FROM (SELECT i, (100000 + (i::bigint * 7919) % 5000000) * 100 AS p,
                         DATE '{d}' + (i % 30) AS nd, (i % 50 = 0) AS od
                  FROM generate_series(1, {loans}) AS i) s
            JOIN bench_line b ON b.k = s.i % {len(lines)}
            """
            )
        )
        conn.execute(
            text(
                f"""
            INSERT INTO lending_instalment (
              id, loan_id, seq, start_date, due_date, principal_fen, interest_fen,
              deferred_interest_fen, opening_balance_fen, closing_balance_fen,
              principal_paid_fen, interest_paid_fen, status, billed_date, paid_date)
            SELECT gen_random_uuid(), l.id, s.seq,
              l.next_due_date + (s.seq - 2) * interval '1 month',
              l.next_due_date + (s.seq - 1) * interval '1 month',
              CASE WHEN s.seq = 3 THEN l.principal_fen ELSE 0 END,
              CASE WHEN s.seq = 1 AND l.next_due_date = DATE '{d}' THEN l.interest_accrued_fen
                   ELSE l.principal_fen * l.rate_bp / 120000 END,
              0, l.principal_fen, CASE WHEN s.seq = 3 THEN 0 ELSE l.principal_fen END,
              0, 0, 'scheduled', NULL, NULL
            FROM lending_loan l CROSS JOIN (VALUES (1), (2), (3)) AS s(seq)
            """
            )
        )
        for code, where in (
            ("interest_receivable", "true"),
            ("penalty_receivable", "l.overdue_interest_fen > 0"),
            ("interest_suspense", "l.non_accrual_since IS NOT NULL"),
            ("penalty_suspense", "l.non_accrual_since IS NOT NULL"),
        ):
            conn.execute(
                text(
                    f"""
                INSERT INTO ledger_account (id, code, owner_key, owner_type, created_at)
                SELECT gen_random_uuid(), '{code}', l.id::text, 'loan', now()
                FROM lending_loan l WHERE {where}
                """
                )
            )
        conn.execute(
            text(
                "INSERT INTO ledger_balance (account_id, debits_fen, credits_fen) "
                "SELECT a.id, 0, 0 FROM ledger_account a "
                "WHERE NOT EXISTS (SELECT 1 FROM ledger_balance b WHERE b.account_id = a.id)"
            )
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return time.perf_counter() - started


def _floor(url: str) -> float:
    engine = make_engine(url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE lending_loan"))
    with engine.begin() as conn:
        started = time.perf_counter()
        conn.execute(
            text(
                "UPDATE lending_loan SET interest_accrued_fen = interest_accrued_fen + 1 "
                "WHERE status = 'active'"
            )
        )
        elapsed = time.perf_counter() - started
        conn.rollback()
    engine.dispose()
    return elapsed


def main() -> None:
    wire()  # the domain events' handlers, as the `puhui` CLI subscribes them
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=eod.DEFAULT_BATCH_SIZE)
    parser.add_argument(
        "--workers", type=int, default=2, help="connections per accrual batch (1: one)"
    )
    parser.add_argument("--pg-url", default=None, help="an empty database instead of a cluster")
    args = parser.parse_args()

    cluster: Any = None
    if args.pg_url:
        url = args.pg_url
    else:
        from tests.support.pgcluster import start_cluster

        cluster = start_cluster()
        url = cluster.url
    try:
        upgrade(url)
        clock = FixedClock(datetime(2026, 11, 20, 2, 0, tzinfo=UTC))
        lines = _setup_parties(url, clock)
        setup_s = _insert_book(url, args.loans, lines)
        print(f"inserted {args.loans:,} loans, {3 * args.loans:,} instalments in {setup_s:.1f}s")

        clock.set(shanghai_midnight_utc(DAY) + timedelta(hours=20))
        engine = make_engine(url)
        factory = make_session_factory(engine)
        started = time.perf_counter()
        per_step: dict[str, float] = {}
        last = [started, ""]

        def progress(step: str, _items: int, total: int | None) -> None:
            if total is not None and step != last[1]:
                now = time.perf_counter()
                if last[1]:
                    per_step[str(last[1])] = round(now - float(last[0]), 2)
                last[0], last[1] = now, step

        result = run_job(
            factory,
            clock,
            eod.JOB_NAME,
            DAY,
            eod.eod_steps(clock, DAY, batch_size=args.batch_size, workers=args.workers),
            progress,
        )
        eod_s = time.perf_counter() - started
        per_step[str(last[1])] = round(time.perf_counter() - float(last[0]), 2)
        with engine.connect() as conn:
            active = conn.scalar(text("SELECT count(*) FROM lending_loan WHERE status='active'"))
        engine.dispose()
        floor_s = _floor(url)
        figures = {
            "bench": "eod",
            "loans": args.loans,
            "active_after": int(active or 0),
            "batch_size": args.batch_size,
            "workers": args.workers,
            "eod_s": round(eod_s, 2),
            "loans_per_s": round(args.loans / eod_s),
            "floor_update_s": round(floor_s, 2),
            "ratio_to_floor": round(eod_s / floor_s, 2),
            "steps_s": per_step,
            "interest_fen": result.total("interest_fen"),
            "penalty_fen": result.total("penalty_fen"),
            "compound_fen": result.total("compound_fen"),
            "instalments_billed": result.total("instalments_billed"),
            "non_accrual_entered": result.total("non_accrual_entered"),
            "non_accrual_reversed_fen": result.total("non_accrual_reversed_fen"),
            "provision_fen": result.total("provision_fen"),
            "setup_s": round(setup_s, 1),
        }
        print(
            f"end of day {DAY}: {eod_s:.1f}s for {args.loans:,} loans "
            f"= {figures['loans_per_s']:,} loans/s; steps {per_step}"
        )
        ratio = eod_s / floor_s
        print(f"floor (one plain UPDATE of the same rows): {floor_s:.1f}s; ratio {ratio:.2f}×")
        print(json.dumps(figures, ensure_ascii=False))
    finally:
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    main()
