"""Benchmark of the loan-level export (issue 17) on PostgreSQL.

    uv run python bench/export.py                  # 100,000 loans, a throwaway cluster
    uv run python bench/export.py --loans 20000 --pg-url postgresql+psycopg://...

Builds the book like `bench/eod.py` (50 enterprises, ``--loans`` 先息后本 loans inserted
set-based), then times `reporting.loan_export.portfolio_frame` (the SQL read and the frame) and
writing it as CSV and as XLSX, and checks that the XLSX opens (a zip with the Chinese headers
in its sheet). Prints the figures; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from eod import _insert_book, _setup_parties  # bench/eod.py's book

from puhui.core.clock import FixedClock
from puhui.core.db import make_engine, make_session_factory
from puhui.core.migrate import upgrade
from puhui.core.models import Role
from puhui.reporting import loan_export
from puhui.wiring import wire


def main() -> None:
    wire()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--loans", type=int, default=100_000)
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
        setup_s = _insert_book(url, args.loans, _setup_parties(url, clock))
        engine = make_engine(url)
        with make_session_factory(engine)() as session:
            started = time.perf_counter()
            frame = loan_export.portfolio_frame(session, Role.CUSTOMER_MANAGER)
            read_s = time.perf_counter() - started
        engine.dispose()
        csv, xlsx = io.BytesIO(), io.BytesIO()
        started = time.perf_counter()
        loan_export.write_csv(frame, csv)
        csv_s = time.perf_counter() - started
        started = time.perf_counter()
        loan_export.write_xlsx(frame, xlsx)
        xlsx_s = time.perf_counter() - started
        with zipfile.ZipFile(io.BytesIO(xlsx.getvalue())) as book:
            opens = "借据编号" in book.read("xl/worksheets/sheet1.xml").decode("utf-8")
        figures = {
            "bench": "export",
            "loans": frame.height,
            "columns": frame.width,
            "read_s": round(read_s, 2),
            "csv_s": round(csv_s, 2),
            "xlsx_s": round(xlsx_s, 2),
            "csv_mb": round(len(csv.getvalue()) / 1e6, 1),
            "xlsx_mb": round(len(xlsx.getvalue()) / 1e6, 1),
            "xlsx_opens_with_chinese_headers": opens,
            "setup_s": round(setup_s, 1),
        }
        print(
            f"{frame.height:,} loans: read {read_s:.2f}s, CSV {csv_s:.2f}s "
            f"({figures['csv_mb']} MB), XLSX {xlsx_s:.2f}s ({figures['xlsx_mb']} MB)"
        )
        print(json.dumps(figures, ensure_ascii=False))
    finally:
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    main()
