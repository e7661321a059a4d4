"""Benchmark of the daily reconciliation's matching (payments/reconcile.py).

    uv run python bench/reconcile.py                 # 1,000,000 statement lines
    uv run python bench/reconcile.py --lines 100000

Builds two tables in a SQLite file — the statement's lines and the ledger's clearing-account
lines, (end-to-end id, returned, signed amount) each, 1 in 10,000 with a break of each kind
(only on the statement, only in the ledger, amount mismatch) — then times:

* the floor: ONE SQL join of the same rows (`statement LEFT JOIN ledger ON (e2e,
  returned)`, every row fetched, the ledger side indexed on the key beforehand, untimed), the
  cheapest way the database could pair them;
* the reconciliation: reading both sides (two SELECTs, every row fetched) and
  `reconcile.match_rows` (a dict of the statement's keys, one pass over the ledger), which
  also finds every break of the three kinds.

Prints both times and the ratio (goal ≤ 3); the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from puhui.payments.reconcile import BreakKind, match_rows


def build(path: Path, lines: int, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE statement (e2e TEXT, returned INTEGER, amount INTEGER)")
    con.execute("CREATE TABLE ledger (e2e TEXT, returned INTEGER, amount INTEGER)")
    statement: list[tuple[str, int, int]] = []
    ledger: list[tuple[str, int, int]] = []
    injected = {k: 0 for k in BreakKind}
    for i in range(lines):
        e2e = f"E2E{i:029d}"
        returned = 1 if i % 50 == 0 else 0
        amount = rng.randint(1, 10**9) * (1 if i % 3 else -1)
        kind = i % 10_000
        if kind == 1:
            statement.append((e2e, returned, amount))  # only on the statement
            injected[BreakKind.ONLY_ON_STATEMENT] += 1
            continue
        if kind == 2:
            ledger.append((e2e, returned, amount))  # only in the ledger
            injected[BreakKind.ONLY_IN_LEDGER] += 1
            continue
        statement.append((e2e, returned, amount))
        ledger.append((e2e, returned, amount + (1 if kind == 3 else 0)))
        injected[BreakKind.AMOUNT_MISMATCH] += kind == 3
    rng.shuffle(ledger)
    con.executemany("INSERT INTO statement VALUES (?, ?, ?)", statement)
    con.executemany("INSERT INTO ledger VALUES (?, ?, ?)", ledger)
    # the join's best case: the ledger side indexed on the key (not timed)
    con.execute("CREATE INDEX ledger_key ON ledger (e2e, returned)")
    con.commit()
    con.close()
    return {k.value: v for k, v in injected.items()}


def floor_join(path: Path) -> tuple[float, int]:
    con = sqlite3.connect(path)
    start = time.perf_counter()
    rows = con.execute(
        "SELECT s.e2e, s.returned, s.amount, l.amount FROM statement s"
        " LEFT JOIN ledger l ON l.e2e = s.e2e AND l.returned = s.returned"
    ).fetchall()
    elapsed = time.perf_counter() - start
    con.close()
    return elapsed, len(rows)


def reconcile(path: Path) -> tuple[float, int, dict[str, int]]:
    con = sqlite3.connect(path)
    start = time.perf_counter()
    statement = con.execute("SELECT e2e, returned = 1, amount FROM statement").fetchall()
    ledger = con.execute("SELECT e2e, returned = 1, amount FROM ledger").fetchall()
    result = match_rows(statement, ledger)
    elapsed = time.perf_counter() - start
    con.close()
    found = {k.value: 0 for k in BreakKind}
    for item in result.breaks:
        found[item.kind.value] += 1
    return elapsed, result.matched, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "reconcile.db"
        injected = build(path, args.lines, args.seed)
        join_s, joined = floor_join(path)
        ours_s, matched, found = reconcile(path)
    assert found == injected, (found, injected)
    ratio = ours_s / join_s
    print(f"statement lines      {args.lines:>12,}")
    print(f"one SQL join         {join_s:>12.3f} s  ({joined:,} rows)")
    print(f"reconciliation       {ours_s:>12.3f} s  ({matched:,} matched, breaks {found})")
    print(f"ratio                {ratio:>12.2f}  (goal <= 3)")
    print(
        json.dumps(
            {
                "bench": "reconcile",
                "lines": args.lines,
                "join_s": round(join_s, 3),
                "reconcile_s": round(ours_s, 3),
                "ratio": round(ratio, 2),
                "matched": matched,
                "breaks": found,
            }
        )
    )


if __name__ == "__main__":
    main()
